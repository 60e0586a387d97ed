use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use migrate_sqlite::Drift;

use crate::foreign_history::ForeignHistory;
use crate::lock::LockReport;

/// Why migrating a database failed. Each message says which migration or
/// file, what happened, and what to do. A refused database is left untouched;
/// a failed migration is rolled back with the others of its transaction, or,
/// outside a transaction, restored from the backup taken before it.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database's folder does not exist.
    #[error(
        "the folder of the database {} does not exist; create it first (it is not created \
         for you, so that a mistyped path does not start an empty database elsewhere)",
        path.display()
    )]
    MissingFolder {
        /// The database path.
        path: PathBuf,
    },

    /// There is no database file where one was to be read or operated on.
    #[error(
        "there is no database at {}; check the path (the application's first start, or \
         applying the migrations, creates it)",
        path.display()
    )]
    NoDatabase {
        /// The database path.
        path: PathBuf,
    },

    /// The database file could not be opened.
    #[error("cannot open the database {}: {source}", path.display())]
    Open {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },

    /// The file exists but is not a SQLite database.
    #[error(
        "{} is not a SQLite database; check the path, or restore the file from a backup \
         if it was overwritten. It was left as it is",
        path.display()
    )]
    NotADatabase {
        /// The database path.
        path: PathBuf,
    },

    /// SQLite found the database file damaged.
    #[error(
        "the database {} is corrupted ({detail}); restore it from a backup (see \
         Migrator::backups_of and Migrator::restore). Nothing was changed",
        path.display()
    )]
    Corrupt {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },

    /// The database, or its folder, cannot be written.
    #[error(
        "cannot write the database {}: {detail}; the process needs write access to the \
         file and to its folder, where SQLite keeps the -wal and -shm files. Nothing was changed",
        path.display()
    )]
    ReadOnly {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },

    /// The disk (or the database's `max_page_count`) is full.
    #[error(
        "the disk is full (or the database reached its max_page_count) while {during} \
         {}; it was rolled back and the database is as it was. Free some space and start again",
        path.display()
    )]
    DiskFull {
        /// The database path.
        path: PathBuf,
        /// What was being done: `applying migration 3 (add_email) to`, `backing up`.
        during: String,
    },

    /// The write lock could not be had within the busy timeout.
    #[error("{0}")]
    Locked(Box<LockReport>),

    /// The migrations ran past the overall deadline and were stopped.
    #[error(
        "{during} was stopped after {elapsed:.1?}, past the deadline of {limit:?} for \
         migrating at start-up; its transaction was rolled back and the database is as it \
         was before it. Run it with a longer deadline (Migrator::deadline), for example \
         in a maintenance window, or make it faster"
    )]
    Deadline {
        /// What was stopped, e.g. `migration 3 (add_email)`.
        during: String,
        /// How long the run had taken.
        elapsed: Duration,
        /// The deadline.
        limit: Duration,
    },

    /// A migration's SQL failed.
    #[error("migration {version} ({name}) failed: {source}; {recovery}")]
    Migration {
        /// The failing migration's version.
        version: u64,
        /// Its name.
        name: String,
        /// What SQLite said.
        source: rusqlite::Error,
        /// What became of the database.
        recovery: Recovery,
    },

    /// A migration's down script failed during a revert.
    #[error(
        "reverting migration {version} ({name}) failed in its down script: {source}; {recovery}"
    )]
    Revert {
        /// The migration whose down script failed.
        version: u64,
        /// Its name.
        name: String,
        /// What SQLite said.
        source: rusqlite::Error,
        /// What became of the database.
        recovery: Recovery,
    },

    /// An applied migration differs from the one in this binary.
    #[error(
        "migration {version} ({name}) was changed after it was applied to this database \
         (applied checksum {applied}, this binary has {embedded}); restore the migration \
         file to the content that was applied and put the change in a new migration; if \
         the change is harmless (a comment, formatting), accept this binary's checksum \
         with Migrator::repair"
    )]
    ChecksumMismatch {
        /// The changed migration's version.
        version: u64,
        /// Its name.
        name: String,
        /// Checksum recorded when it was applied.
        applied: String,
        /// Checksum of the migration embedded in this binary.
        embedded: String,
    },

    /// The database has migrations this binary does not contain.
    #[error(
        "this database has migrations that this binary does not know: {}; it was migrated \
         by a newer build of the application: run that build, or restore a backup taken \
         before it. During a rolling deploy, Migrator::allow_newer_database(true) lets the \
         older build run",
        list(.versions)
    )]
    UnknownVersions {
        /// The unknown migrations, as recorded in the history: version and name.
        versions: Vec<(u64, String)>,
    },

    /// A pending migration is older than one already applied.
    #[error(
        "migration {pending} ({pending_name}) is pending but the newer migration {applied} \
         ({applied_name}) is already applied; give the pending migration a version above \
         {applied} by renaming its file, so that every database applies them in one order, \
         or, if it does not depend on the migrations applied after it, allow it with \
         Migrator::allow_out_of_order(true). Nothing was changed"
    )]
    OutOfOrder {
        /// The pending migration's version.
        pending: u64,
        /// Its name.
        pending_name: String,
        /// The highest applied version.
        applied: u64,
        /// Its name.
        applied_name: String,
    },

    /// An operation names a version that is not one of this binary's migrations.
    #[error(
        "cannot {operation} migration {version}: this binary has no migration with that \
         version{}; check the number, name the migration by its constant \
         (migrations::V<version>_<NAME>), which the compiler checks, or run the build that \
         has it. Nothing was changed",
        if *operation == "revert to" { ", nor does the database's history" } else { "" }
    )]
    NotInBinary {
        /// The version asked for.
        version: u64,
        /// What was asked: `apply migrations up to`, `revert to`, `repair`.
        operation: &'static str,
    },

    /// Repair was asked for a migration that is not applied.
    #[error(
        "cannot repair migration {version} ({name}): it is not applied to this database, so \
         there is no recorded checksum to accept; apply it instead (Migrator::run). Nothing \
         was changed"
    )]
    NotApplied {
        /// The migration's version.
        version: u64,
        /// Its name.
        name: String,
    },

    /// A baseline or an import was asked for a database that already has a
    /// migration history of this toolkit.
    #[error(
        "cannot {operation}: this database already has a migration history in {table} \
         ({applied} migrations applied, the newest {newest} ({newest_name})), and a \
         baseline or an import is only for a database this toolkit has never migrated. See \
         where it stands with Migrator::status, and check its schema against its migrations \
         with Migrator::verify. Nothing was changed"
    )]
    AlreadyHasHistory {
        /// What was asked: `baseline at migration 3`, `import the history of sqlx`.
        operation: String,
        /// The history table.
        table: String,
        /// How many migrations it records.
        applied: usize,
        /// The newest of them.
        newest: u64,
        /// Its name.
        newest_name: String,
    },

    /// A baseline or an import would record migrations as applied without
    /// running them, and the database's schema is not the one they make.
    #[error(
        "cannot {operation}: the migrations up to version {version} would be recorded as \
         applied without running, but the database's schema is not the one they make:\n{}\n\
         Nothing was changed. Make the schema match by hand (each line says what is \
         expected), or check that these are the migrations that made this database, each \
         with the version and the SQL that ran",
        drift_lines(.drift)
    )]
    SchemaDiffers {
        /// What was asked: `baseline at migration 3`, `import the history of sqlx`.
        operation: String,
        /// The newest migration that would be recorded.
        version: u64,
        /// How the database's schema differs from the one they make.
        drift: Vec<Drift>,
    },

    /// An import was asked from a tool whose history table the database does not have.
    #[error(
        "cannot import the history of {from}: this database has no table {}{}, where {from} \
         records its migrations; check the database path and which tool migrated it \
         (ForeignHistory::detect lists the histories a database holds). Nothing was changed",
        from.table(),
        from.shape()
    )]
    NoForeignHistory {
        /// The tool.
        from: ForeignHistory,
    },

    /// Another tool's history records migrations this binary does not contain.
    #[error(
        "cannot import the history of {from}: its table {} records migration{} this binary \
         does not contain: {}; every migration {from} applied must be in the migrations \
         folder, with the same version and the same SQL, to be recorded as applied: add the \
         missing ones and build again. Nothing was changed",
        from.table(),
        if versions.len() > 1 { "s" } else { "" },
        versions.join(", ")
    )]
    ForeignVersionsUnknown {
        /// The tool.
        from: ForeignHistory,
        /// The migrations, as the tool recorded them: `5 (add_tags)`, `2025-09-19-140443`.
        versions: Vec<String>,
    },

    /// Another tool recorded a migration as failed.
    #[error(
        "cannot import the history of {from}: its table {} records migration{} {} as \
         failed, so the SQL may have run only in part; put the database right by hand and \
         {}, then import again. Nothing was changed",
        from.table(),
        if versions.len() > 1 { "s" } else { "" },
        list(.versions),
        from.failed_remedy()
    )]
    ForeignMigrationFailed {
        /// The tool.
        from: ForeignHistory,
        /// The failed migrations: version and name (the tool's, else this
        /// binary's; empty when neither has one).
        versions: Vec<(u64, String)>,
    },

    /// A migration to revert has no down script, in the binary or in the history.
    #[error(
        "cannot revert migration{} {}: no down script, neither in this binary nor recorded \
         in the history when it was applied; nothing was reverted. Revert to a version at \
         or above {}, add a down script in a new build, or restore a backup taken before it \
         (Migrator::backups_of, Migrator::restore)",
        if migrations.len() > 1 { "s" } else { "" },
        list(.migrations),
        migrations.first().map_or(0, |(version, _)| *version)
    )]
    NoDownScript {
        /// The migrations without a down script, newest first: version and name.
        migrations: Vec<(u64, String)>,
    },

    /// The down script recorded in the history has a directive this build
    /// cannot read.
    #[error(
        "cannot revert migration {version} ({name}) with the down script recorded in the \
         history: {detail}; nothing was reverted. Revert it with the build that applied it \
         (or a newer one)"
    )]
    UnreadableDownScript {
        /// The migration's version.
        version: u64,
        /// Its name.
        name: String,
        /// What is wrong with the directive, and where.
        detail: String,
    },

    /// A revert by steps asked for more steps than there are applied migrations.
    #[error(
        "cannot revert {steps} migration(s): only {applied} applied; nothing was reverted. \
         To revert every migration, use `--all` (`Operation::RevertAll`)"
    )]
    TooManySteps {
        /// The steps asked for.
        steps: usize,
        /// The applied migrations.
        applied: usize,
    },

    /// `MIGRATE_CHECK_ONLY` is set and migrations are pending.
    #[error(
        "migrations are pending: {}; MIGRATE_CHECK_ONLY is set, so this start does not \
         apply them: run the deployment's migration step first",
        list(.pending)
    )]
    PendingInCheckOnly {
        /// The pending migrations: version and name.
        pending: Vec<(u64, String)>,
    },

    /// The binary links a SQLite older than the one that validated its migrations.
    #[error(
        "this binary links SQLite {linked}, older than SQLite {validated} with which its \
         migrations were checked at compile time, so SQL that compiled may fail here; build \
         with rusqlite's `bundled` feature (the default of this crate), or link SQLite \
         {validated} or newer. Nothing was changed"
    )]
    SqliteTooOld {
        /// The linked SQLite's version.
        linked: String,
        /// The version that validated the migrations.
        validated: String,
    },

    /// The migrations call a function or module the connection lacks.
    #[error(
        "the migrations need {}, which this connection lacks; nothing was changed. Register it on \
         the connection before migrating (`Migrator::on_connect`), as the application does for its \
         own queries",
        missing.join(", ")
    )]
    MissingOnConnection {
        /// What is missing, as "the function `normalize` (1 argument)".
        missing: Vec<String>,
    },

    /// This node may not write its database (a LiteFS replica, a read-only
    /// file or mount), migrations are pending, and
    /// [`OnReplica::Fail`](crate::OnReplica::Fail) says not to wait.
    #[error(
        "{}: this node may not write the database ({}) and migrations are pending: {}. \
         They are applied by the primary{}; to wait for them to arrive instead, set \
         MIGRATE_ON_REPLICA=wait (`Migrator::on_replica(OnReplica::Wait)`), or to start \
         without them, MIGRATE_ON_REPLICA=start",
        path.display(),
        replica.reason,
        list(.pending),
        primary(replica)
    )]
    Replica {
        /// The database path.
        path: PathBuf,
        /// Why this node may not write, and the primary when known.
        replica: crate::Replica,
        /// The pending migrations: version and name.
        pending: Vec<(u64, String)>,
    },

    /// This node may not write its database and waited the whole deadline
    /// for the primary's migrations to arrive.
    #[error(
        "{}: this node may not write the database ({}), and after waiting {:.1?} the \
         migrations it needs have not arrived: {}. Check that the primary{} started and \
         migrated (its log says \"database migrated\") and that replication runs (LiteFS: \
         its .lag file); if migrations take longer, raise the deadline \
         (`Migrator::deadline`). Nothing was changed",
        path.display(),
        replica.reason,
        waited,
        list(.pending),
        primary(replica)
    )]
    ReplicaBehind {
        /// The database path.
        path: PathBuf,
        /// Why this node may not write, and the primary when known.
        replica: crate::Replica,
        /// How long it waited.
        waited: std::time::Duration,
        /// The migrations still missing: version and name.
        pending: Vec<(u64, String)>,
    },

    /// The Turso server could not be reached, or answered an error, or the
    /// migrations could not be confirmed on it.
    #[cfg(feature = "turso")]
    #[error("cannot {action} on the Turso server {url}: {detail}")]
    Turso {
        /// What was being done, e.g. `read the migration history`.
        action: &'static str,
        /// The server's URL.
        url: String,
        /// What went wrong.
        detail: String,
    },

    /// A migration failed on the Turso server; the transaction it ran in was
    /// rolled back there.
    #[cfg(feature = "turso")]
    #[error(
        "migration {version} ({name}) failed on the Turso server {url}: {detail}; its \
         transaction was rolled back on the server, which is as it was before this start"
    )]
    TursoMigration {
        /// The failing migration's version.
        version: u64,
        /// Its name.
        name: String,
        /// The server's URL.
        url: String,
        /// What the server said, with the failing statement.
        detail: String,
    },

    /// The server has the migrations but this instance's synced copy did
    /// not receive them within the deadline.
    #[cfg(feature = "turso")]
    #[error(
        "the Turso server {url} has this binary's migrations, but after {waited:.1?} this \
         instance's synced copy still lacks {}{}. Check that the copy syncs from this \
         server (the remote URL it was built with) and that pulls succeed; if they take \
         longer, raise the deadline (`Migrator::deadline`). The server keeps the migrations; \
         the copy gets them when it syncs",
        list(.missing),
        last_error.as_deref().map(|error| format!(" (the last pull: {error})")).unwrap_or_default()
    )]
    TursoBehind {
        /// The server's URL.
        url: String,
        /// How long the start waited.
        waited: std::time::Duration,
        /// The migrations the copy lacks: version and name.
        missing: Vec<(u64, String)>,
        /// Why the last pull failed, if it did.
        last_error: Option<String>,
    },

    /// The environment switch for replicas names no policy.
    #[error("the environment variable {variable} is `{value}`; set it to wait, fail or start")]
    EnvironmentPolicy {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
    },

    /// An operator switch has a value that is neither on nor off.
    #[error("the environment variable {variable} is `{value}`; set it to 1 (on) or 0 (off)")]
    Environment {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
    },

    /// A connection setting (journal mode, foreign keys) could not be applied.
    #[error("cannot set {setting} on the database: {source}")]
    Configure {
        /// The setting, e.g. `journal_mode = WAL`.
        setting: &'static str,
        /// What SQLite said.
        source: rusqlite::Error,
    },

    /// Reading or writing the migration history, or another step of the run, failed.
    #[error("cannot {action}: {source}")]
    Database {
        /// What was being done, e.g. `read the migration history`.
        action: &'static str,
        /// What SQLite said.
        source: rusqlite::Error,
    },

    /// The backup taken before migrating could not be made.
    #[error(
        "cannot back up the database to {}: {detail}; no migration was applied. Free some \
         space or fix the folder's permissions, or turn backups off with \
         Migrator::backups(Backups::disabled())",
        path.display()
    )]
    Backup {
        /// Where the backup was to be written.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },

    /// A backup could not be copied back.
    #[error("cannot restore the database {} from {}: {detail}", database.display(), backup.display())]
    Restore {
        /// The database.
        database: PathBuf,
        /// The backup.
        backup: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

/// What became of the database after a migration failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Its transaction was rolled back, with every migration applied or reverted in it.
    RolledBack,
    /// It ran outside a transaction; the backup taken by this start before
    /// its first change was copied back.
    Restored {
        /// The backup.
        backup: PathBuf,
        /// The newest migration applied in the backup (0 for none).
        version: u64,
    },
    /// It ran outside a transaction and copying the backup back failed too.
    RestoreFailed {
        /// The backup.
        backup: PathBuf,
        /// Why it could not be copied back.
        error: String,
    },
    /// It ran outside a transaction and there was no backup to copy back:
    /// the statements before the failing one stay applied.
    NotRecovered,
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recovery::RolledBack => f.write_str(
                "its transaction was rolled back, undoing it and every migration applied or \
                 reverted in the same transaction",
            ),
            Recovery::Restored { backup, version } => write!(
                f,
                "it ran outside a transaction (no-transaction), so the database was restored \
                 from the backup {}, taken by this start before its first change: the \
                 database is back at migration {version}",
                backup.display()
            ),
            Recovery::RestoreFailed { backup, error } => write!(
                f,
                "it ran outside a transaction (no-transaction), and copying back the backup \
                 {} failed too ({error}): the statements before the failing one stay \
                 applied; restore that backup by hand (Migrator::restore) before starting again",
                backup.display()
            ),
            Recovery::NotRecovered => f.write_str(
                "it ran outside a transaction (no-transaction) and there was no backup to \
                 restore (backups are off, or the database was new), so the statements \
                 before the failing one stay applied: put the database right before \
                 starting again",
            ),
        }
    }
}

/// ` (<name>)` when the primary is known.
fn primary(replica: &crate::Replica) -> String {
    replica
        .primary
        .as_deref()
        .map(|name| format!(" ({name})"))
        .unwrap_or_default()
}

fn list(versions: &[(u64, String)]) -> String {
    let named: Vec<_> = versions
        .iter()
        .map(|(version, name)| {
            // Empty for a tool that keeps no name, of a version the binary lacks.
            if name.is_empty() {
                version.to_string()
            } else {
                format!("{version} ({name})")
            }
        })
        .collect();
    named.join(", ")
}

/// One line per difference, each starting with `- `.
pub(crate) fn drift_lines(drift: &[Drift]) -> String {
    let lines: Vec<_> = drift
        .iter()
        .map(|drift| format!("- {}", drift.to_string().replace('\n', "\n  ")))
        .collect();
    lines.join("\n")
}

/// The message, not the structure: `fn main() -> Result<(), Error>` prints
/// this with `{:?}`, and an operator should read the same sentence as a log.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
