use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use migrate_sqlite::{Fingerprint, Migration, SchemaObject};
use rusqlite::{Connection, TransactionBehavior};

use crate::backup::{restore_into, Backups};
use crate::connection::{self, condition};
use crate::event::Event;
use crate::history::{self, DEFAULT_TABLE};
use crate::operation::{Operation, ScriptSource};
use crate::Error;

mod verify;

pub use verify::Verification;

/// Set to 1 to start without applying migrations (the connection is still configured).
pub const SKIP_VARIABLE: &str = "MIGRATE_SKIP";
/// Set to 1 to fail, rather than migrate, when migrations are pending: for
/// deployments that migrate in a separate step.
pub const CHECK_ONLY_VARIABLE: &str = "MIGRATE_CHECK_ONLY";

/// How pending migrations are grouped into transactions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TransactionMode {
    /// All pending migrations in one transaction, so the application never
    /// sees half a schema. The default. A `no-transaction` or
    /// `foreign-keys-off` migration still gets a transaction of its own, and
    /// the migrations before it commit first.
    #[default]
    AllPending,
    /// One transaction per migration: a long chain commits as it goes.
    PerMigration,
}

type Hook = Arc<dyn Fn(&Event<'_>) + Send + Sync>;

/// Applies a fixed, ordered set of migrations to SQLite databases.
///
/// `embed_migrations!` defines one as `migrations::MIGRATOR`, with the
/// defaults below. Each option has a builder method; start from a clone:
///
/// ```no_run
/// # migrate_runtime::embed_migrations!("tests/migrations");
/// use std::time::Duration;
/// use migrate_runtime::{Backups, TransactionMode};
///
/// let migrator = migrations::MIGRATOR
///     .clone()
///     .busy_timeout(Duration::from_secs(10))
///     .deadline(Duration::from_secs(300))
///     .transaction_mode(TransactionMode::PerMigration)
///     .backups(Backups::keep(3).in_folder("/var/backups/app"));
/// let conn = migrator.open("app.db")?;
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct Migrator {
    pub(crate) migrations: &'static [Migration],
    pub(crate) fingerprint: Fingerprint,
    pub(crate) busy_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) mode: TransactionMode,
    pub(crate) backups: Backups,
    pub(crate) history_table: Cow<'static, str>,
    pub(crate) allow_newer_database: bool,
    pub(crate) allow_out_of_order: bool,
    read_environment: bool,
    pub(crate) hook: Option<Hook>,
    validated_with_sqlite: Option<i32>,
    expected_schema: Option<&'static [SchemaObject]>,
    ignored_tables: Vec<Cow<'static, str>>,
}

/// What one [`Migrator::run`] or [`Migrator::execute`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The migrations applied by this run, in order; empty when the database
    /// was already up to date.
    pub applied: Vec<Applied>,
    /// The migrations reverted by this run, newest first.
    pub reverted: Vec<Reverted>,
    /// The backup taken before applying them, if one was.
    pub backup: Option<PathBuf>,
}

/// One migration applied by a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// How long its SQL took.
    pub duration: Duration,
}

/// One migration reverted by a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reverted {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// How long its down script took.
    pub duration: Duration,
    /// Where its down script came from.
    pub source: ScriptSource,
}

impl Migrator {
    /// A migrator for `migrations`, which must be ordered by version, each
    /// version once, as the macro orders them.
    ///
    /// Defaults: busy timeout 60 s, deadline 120 s, all pending migrations
    /// in one transaction, the last 5 backups kept beside the database,
    /// history in `_migrate_history`, a newer database refused, and the
    /// environment switches read.
    ///
    /// # Panics
    ///
    /// If they are not ordered; in a `static` or `const` that is a compile error.
    pub const fn new(migrations: &'static [Migration]) -> Self {
        let mut index = 1;
        while index < migrations.len() {
            assert!(
                migrations[index - 1].version() < migrations[index].version(),
                "migrations must be ordered by version, each version once"
            );
            index += 1;
        }
        Self::embedded(migrations, Fingerprint::of(migrations))
    }

    /// [`Migrator::new`] for the macro, which has ordered `migrations` and
    /// computed their `fingerprint` ([`Fingerprint::of`]) already: the
    /// compiler's const evaluation would take most of a second over a
    /// thousand migrations.
    #[doc(hidden)]
    pub const fn embedded(migrations: &'static [Migration], fingerprint: Fingerprint) -> Self {
        Self {
            migrations,
            fingerprint,
            busy_timeout: Duration::from_secs(60),
            deadline: Duration::from_secs(120),
            mode: TransactionMode::AllPending,
            backups: Backups::keep(5),
            history_table: Cow::Borrowed(DEFAULT_TABLE),
            allow_newer_database: false,
            allow_out_of_order: false,
            read_environment: true,
            hook: None,
            validated_with_sqlite: None,
            expected_schema: None,
            ignored_tables: Vec::new(),
        }
    }

    /// Records the schema the migrations make, as the compiler found it; the
    /// macro sets it, and [`Migrator::verify`] compares a database with it.
    pub const fn expecting_schema(mut self, objects: &'static [SchemaObject]) -> Self {
        self.expected_schema = Some(objects);
        self
    }

    /// Tables another tool keeps in the same database file, which
    /// [`Migrator::verify`], [`Migrator::baseline`] and
    /// [`Migrator::import_history`] do not count as drift.
    pub fn ignore_tables<I, S>(mut self, tables: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.ignored_tables
            .extend(tables.into_iter().map(Into::into));
        self
    }

    /// Records the SQLite version (as `3054001` for 3.54.1) the migrations
    /// were validated with at compile time; the macro sets it. A binary that
    /// links an older SQLite refuses to migrate with
    /// [`Error::SqliteTooOld`]: SQL that compiled may not run on it.
    pub const fn validated_with_sqlite(mut self, version_number: i32) -> Self {
        self.validated_with_sqlite = Some(version_number);
        self
    }

    /// The SQLite version the migrations were validated with, if known.
    pub const fn validated_sqlite_version(&self) -> Option<i32> {
        self.validated_with_sqlite
    }

    /// Every migration, ordered by version.
    pub const fn migrations(&self) -> &'static [Migration] {
        self.migrations
    }

    /// How long to wait for another connection's write lock before failing
    /// with a report of who holds it. Default 60 s.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The longest the migrations of one start may take; past it, the
    /// running migration is interrupted and rolled back. Default 120 s.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How pending migrations are grouped into transactions.
    pub fn transaction_mode(mut self, mode: TransactionMode) -> Self {
        self.mode = mode;
        self
    }

    /// Where backups go and how many are kept; [`Backups::disabled`] turns them off.
    pub fn backups(mut self, backups: Backups) -> Self {
        self.backups = backups;
        self
    }

    /// The name of the history table. Default `_migrate_history`.
    pub fn history_table(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.history_table = name.into();
        self
    }

    /// Accept a database that has migrations this binary does not know, as
    /// during a rolling deploy where the previous build still runs while the
    /// new one has migrated. Default: refused with [`Error::UnknownVersions`].
    pub fn allow_newer_database(mut self, allow: bool) -> Self {
        self.allow_newer_database = allow;
        self
    }

    /// Apply a pending migration whose version is lower than the newest
    /// applied one, as happens when two branches each add a migration and
    /// the one with the lower version is deployed second. Default: refused
    /// with [`Error::OutOfOrder`], naming both, so that every database
    /// applies the migrations in one order.
    pub fn allow_out_of_order(mut self, allow: bool) -> Self {
        self.allow_out_of_order = allow;
        self
    }

    /// Whether [`SKIP_VARIABLE`] and [`CHECK_ONLY_VARIABLE`] are read. Default on.
    pub fn read_environment(mut self, read: bool) -> Self {
        self.read_environment = read;
        self
    }

    /// Calls `hook` before and after each migration.
    pub fn on_event(mut self, hook: impl Fn(&Event<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Opens (or creates) the database at `path`, configures the connection
    /// and applies the pending migrations.
    ///
    /// The connection gets `journal_mode = WAL` (readers keep reading while
    /// a writer writes), the busy timeout (waits for other writers instead
    /// of failing with "database is locked") and `foreign_keys = ON`.
    ///
    /// When the database is up to date this costs about as much as opening
    /// the file: the fingerprint of the applied chain, kept in the header,
    /// is compared with the binary's without reading the schema.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Connection, Error> {
        let path = path.as_ref();
        self.check_sqlite_version()?;
        let switches = self.switches()?;
        let mut conn = connection::open(path, self.busy_timeout)?;
        let up_to_date = self.is_up_to_date(&conn, Some(path))?;
        connection::ensure_wal(&conn, path, self.busy_timeout.min(self.deadline))?;
        connection::set_foreign_keys(&conn, true)?;
        if up_to_date {
            log_up_to_date(self.migrations.len());
        } else if switches.skip {
            tracing::warn!("{SKIP_VARIABLE} is set: migrations not applied");
        } else {
            self.migrate(&mut conn, Operation::Up, switches.check_only)?;
        }
        Ok(conn)
    }

    /// Applies the pending migrations to a connection the caller opened and
    /// configured.
    ///
    /// Transactional migrations are applied in `BEGIN IMMEDIATE`
    /// transactions (by default all in one); the history is read again once
    /// the write lock is held, so that concurrent starts apply each
    /// migration once. A `no-transaction` migration runs alone, after a
    /// backup that is copied back if it fails; a `foreign-keys-off` one gets
    /// a transaction of its own with foreign keys off.
    ///
    /// Refuses, without changing anything, a database whose applied
    /// migrations differ from this binary's, include versions it does not
    /// know, or leave an older migration pending behind a newer one.
    pub fn run(&self, conn: &mut Connection) -> Result<Report, Error> {
        self.check_sqlite_version()?;
        let switches = self.switches()?;
        if switches.skip {
            tracing::warn!("{SKIP_VARIABLE} is set: migrations not applied");
            return Ok(Report::default());
        }
        let path = connection::file_path(conn);
        if self.is_up_to_date(conn, path.as_deref())? {
            log_up_to_date(self.migrations.len());
            return Ok(Report::default());
        }
        self.migrate(conn, Operation::Up, switches.check_only)
    }

    /// The backups of the database at `path`, oldest first.
    pub fn backups_of(&self, path: impl AsRef<Path>) -> Result<Vec<PathBuf>, Error> {
        self.backups.list(path.as_ref())
    }

    /// Writes a backup of the database at `path` now, as the one taken
    /// before migrating: a consistent copy made with `VACUUM INTO`, safe
    /// while other connections use the database, into the backups folder
    /// ([`Migrator::backups`]), named for the newest applied version
    /// (`<file>.<UTC time>.v4-to-v4.sqlite`). It counts towards the backups
    /// kept, so the oldest beyond them is removed; with backups disabled it
    /// is written all the same and nothing is removed. Returns its path.
    ///
    /// ```no_run
    /// # migrate_runtime::embed_migrations!("tests/migrations");
    /// let backup = migrations::MIGRATOR.backup("app.db")?;
    /// println!("backed up to {}", backup.display());
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn backup(&self, path: impl AsRef<Path>) -> Result<PathBuf, Error> {
        let path = path.as_ref();
        let conn = connection::open_existing(path, self.busy_timeout)?;
        let applied = self.read_history(&conn, Some(path))?;
        drop(conn);
        let version = applied.last().map_or(0, |row| row.version);
        let started = std::time::Instant::now();
        self.emit(&Event::BackingUp { database: path });
        let backup = self.backups.copy(path, (version, version), None)?;
        if self.backups.enabled() {
            self.backups.prune(path)?;
        }
        self.emit(&Event::BackedUp {
            backup: &backup,
            duration: started.elapsed(),
        });
        Ok(backup)
    }

    /// Where the backups of the database at `path` are written.
    pub fn backup_folder(&self, path: impl AsRef<Path>) -> PathBuf {
        self.backups.folder_for(path.as_ref())
    }

    /// Copies `backup` back over the database at `path`, through SQLite, so
    /// that connections other processes have open see the old or the
    /// restored content, never a mix.
    pub fn restore(&self, path: impl AsRef<Path>, backup: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let mut conn = connection::open(path, self.busy_timeout)?;
        restore_into(&mut conn, path, backup.as_ref(), self.busy_timeout)
    }

    /// Users who link a system SQLite instead of the bundled one can end up
    /// older than what validated the migrations.
    pub(crate) fn check_sqlite_version(&self) -> Result<(), Error> {
        match self.validated_with_sqlite {
            Some(validated) if rusqlite::version_number() < validated => Err(Error::SqliteTooOld {
                linked: rusqlite::version().to_string(),
                validated: version_text(validated),
            }),
            _ => Ok(()),
        }
    }

    /// The fast path: the fingerprint in the header equals the binary's.
    pub(crate) fn is_up_to_date(
        &self,
        conn: &Connection,
        path: Option<&Path>,
    ) -> Result<bool, Error> {
        let stored = history::stored_fingerprint(conn).map_err(|source| {
            path.and_then(|path| condition(path, &source))
                .unwrap_or(Error::Database {
                    action: "read the database header",
                    source,
                })
        })?;
        Ok(stored == self.fingerprint)
    }

    /// Nothing is pending but the header does not say so (a database
    /// migrated before fingerprints were kept, or whose `user_version` was
    /// changed): store it, so that the next start takes the fast path. Only
    /// when the database holds this binary's chain exactly, and only if the
    /// write lock is free; failing here costs the fast path, nothing else.
    pub(crate) fn refresh_fingerprint(&self, conn: &mut Connection, has_unknown: bool) {
        if has_unknown {
            return;
        }
        // Never wait for it: an application writer holding the lock wins.
        let _ = conn.busy_timeout(Duration::ZERO);
        let result = self.refresh_fingerprint_under_lock(conn);
        let _ = conn.busy_timeout(self.busy_timeout);
        if let Err(error) = result {
            tracing::debug!(%error, "could not store the fingerprint of the applied migrations");
        }
    }

    fn refresh_fingerprint_under_lock(&self, conn: &mut Connection) -> Result<(), Error> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| Error::Database {
                action: "take the write lock",
                source,
            })?;
        // Read again under the lock: a newer build may have migrated since.
        let plan = self.plan(&history::read(&tx, &self.history_table)?)?;
        if plan.pending.is_empty() && plan.unknown.is_empty() {
            history::store_fingerprint(&tx, self.fingerprint)?;
        }
        tx.commit().map_err(|source| Error::Database {
            action: "store the fingerprint of the applied migrations",
            source,
        })
    }

    pub(crate) fn read_history(
        &self,
        conn: &Connection,
        path: Option<&Path>,
    ) -> Result<Vec<history::Applied>, Error> {
        history::read(conn, &self.history_table).map_err(|error| match (error, path) {
            (Error::Database { source, action }, Some(path)) => {
                condition(path, &source).unwrap_or(Error::Database { action, source })
            }
            (error, _) => error,
        })
    }

    /// Every pending migration, after checking that what was applied is
    /// what this binary has.
    pub(crate) fn plan(&self, applied: &[history::Applied]) -> Result<Plan, Error> {
        let mut unknown = Vec::new();
        for row in applied {
            match self.find(row.version) {
                None => unknown.push((row.version, row.name.clone())),
                Some(migration) => self.check_checksum(migration, row)?,
            }
        }
        if !unknown.is_empty() {
            if !self.allow_newer_database {
                return Err(Error::UnknownVersions { versions: unknown });
            }
            tracing::warn!(unknown = ?unknown, "the database has migrations of a newer build; allowed");
        }
        let applied_versions: HashSet<u64> = applied.iter().map(|row| row.version).collect();
        let pending: Vec<&'static Migration> = self
            .migrations
            .iter()
            .filter(|m| !applied_versions.contains(&m.version()))
            .collect();
        Ok(Plan { pending, unknown })
    }

    /// Refuses an applied migration whose recorded checksum is not the binary's.
    pub(crate) fn check_checksum(
        &self,
        migration: &Migration,
        row: &history::Applied,
    ) -> Result<(), Error> {
        if Some(migration.checksum()) == row.checksum {
            return Ok(());
        }
        Err(Error::ChecksumMismatch {
            version: row.version,
            name: migration.name().to_string(),
            applied: row.checksum_hex.clone(),
            embedded: migration.checksum().to_hex(),
        })
    }

    /// The migration with this version; the list is ordered by version.
    pub(crate) fn find(&self, version: u64) -> Option<&'static Migration> {
        let index = self
            .migrations
            .binary_search_by_key(&version, Migration::version)
            .ok()?;
        Some(&self.migrations[index])
    }

    fn switches(&self) -> Result<Switches, Error> {
        if !self.read_environment {
            return Ok(Switches::default());
        }
        Ok(Switches {
            skip: switch(SKIP_VARIABLE)?,
            check_only: switch(CHECK_ONLY_VARIABLE)?,
        })
    }
}

impl fmt::Debug for Migrator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migrator")
            .field("migrations", &self.migrations.len())
            .field("fingerprint", &self.fingerprint)
            .field("busy_timeout", &self.busy_timeout)
            .field("deadline", &self.deadline)
            .field("mode", &self.mode)
            .field("backups", &self.backups)
            .field("history_table", &self.history_table)
            .field("allow_newer_database", &self.allow_newer_database)
            .field("allow_out_of_order", &self.allow_out_of_order)
            .field("read_environment", &self.read_environment)
            .field("hook", &self.hook.is_some())
            .field("validated_with_sqlite", &self.validated_with_sqlite)
            .finish()
    }
}

/// The pending migrations, and the applied ones this binary does not know.
pub(crate) struct Plan {
    pub(crate) pending: Vec<&'static Migration>,
    unknown: Vec<(u64, String)>,
}

#[derive(Default)]
struct Switches {
    skip: bool,
    check_only: bool,
}

fn switch(variable: &'static str) -> Result<bool, Error> {
    let Some(value) = std::env::var_os(variable) else {
        return Ok(false);
    };
    let value = value.to_string_lossy();
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(Error::Environment {
            variable,
            value: value.into_owned(),
        }),
    }
}

/// `3054001` as `3.54.1`.
pub(crate) fn version_text(number: i32) -> String {
    format!(
        "{}.{}.{}",
        number / 1_000_000,
        number / 1000 % 1000,
        number % 1000
    )
}

pub(crate) fn log_up_to_date(migrations: usize) {
    tracing::info!(migrations, "database is up to date; no migration to apply");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_read_as_sqlite_writes_them() {
        assert_eq!(version_text(3_054_001), "3.54.1");
        assert_eq!(version_text(3_008_011), "3.8.11");
    }

    #[test]
    fn an_older_linked_sqlite_is_refused_with_both_versions() {
        let newer = rusqlite::version_number() + 1;
        let migrator = Migrator::new(&[]).validated_with_sqlite(newer);
        let Err(Error::SqliteTooOld { linked, validated }) = migrator.check_sqlite_version() else {
            panic!("an older SQLite must be refused");
        };
        assert_eq!(linked, rusqlite::version());
        assert_eq!(validated, version_text(newer));
        let same = Migrator::new(&[]).validated_with_sqlite(rusqlite::version_number());
        assert!(same.check_sqlite_version().is_ok());
        assert!(Migrator::new(&[]).check_sqlite_version().is_ok());
    }
}

#[cfg(test)]
mod properties {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use migrate_sqlite::{Checksum, Directives, Script};
    use proptest::collection::{btree_set, vec};
    use proptest::prelude::*;

    use super::*;

    fn chain(versions: &[u64]) -> &'static [Migration] {
        let migrations: Vec<_> = versions
            .iter()
            .map(|version| {
                let up = Script::embedded("SELECT 1;", Directives::NONE);
                let checksum = Checksum::from_bytes([*version as u8; 32]);
                Migration::new(*version, "m", up, None, checksum)
            })
            .collect();
        Box::leak(migrations.into_boxed_slice())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// `Migrator::new` takes exactly the chains ordered by version, each
        /// version once, and keeps their fingerprint.
        #[test]
        fn new_takes_exactly_the_strictly_ordered_chains(
            versions in prop_oneof![
                btree_set(1..=40u64, 0..8).prop_map(|set| set.into_iter().collect::<Vec<_>>()),
                vec(1..=40u64, 0..8),
            ],
        ) {
            let ordered = versions.windows(2).all(|pair| pair[0] < pair[1]);
            let migrations = chain(&versions);
            match catch_unwind(AssertUnwindSafe(|| Migrator::new(migrations))) {
                Ok(migrator) => {
                    prop_assert!(ordered, "{:?} was taken", versions);
                    prop_assert_eq!(migrator.fingerprint, Fingerprint::of(migrations));
                }
                Err(panic) => {
                    prop_assert!(!ordered, "{:?} was refused", versions);
                    let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
                    prop_assert!(message.contains("ordered by version"), "{}", message);
                }
            }
        }
    }
}
