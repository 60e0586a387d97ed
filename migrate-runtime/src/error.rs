use std::fmt;
use std::path::PathBuf;

/// Why migrating a database failed. Each message says which migration or
/// file, what happened, and what to do. A refused database is left untouched;
/// a failed migration is rolled back with the others of its transaction.
#[derive(thiserror::Error)]
pub enum Error {
    /// The database file could not be opened.
    #[error("cannot open the database {}: {source}", path.display())]
    Open {
        /// The path given to [`Migrator::open`](crate::Migrator::open).
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },

    /// A connection setting (journal mode, busy timeout, foreign keys) could not be applied.
    #[error("cannot set {setting} on the database: {source}")]
    Configure {
        /// The setting, e.g. `journal_mode = WAL`.
        setting: &'static str,
        /// What SQLite said.
        source: rusqlite::Error,
    },

    /// A migration's SQL failed. Everything of its transaction was rolled
    /// back; a `no-transaction` migration has no transaction to roll back.
    #[error(
        "migration {version} ({name}) failed: {source}; {}",
        if *rolled_back {
            "its transaction was rolled back, undoing it and every migration applied in the same transaction"
        } else {
            "it runs outside a transaction (no-transaction), so the statements before the \
             failing one stay applied: put the database right before starting again"
        }
    )]
    Migration {
        /// The failing migration's version.
        version: u64,
        /// Its name.
        name: String,
        /// What SQLite said.
        source: rusqlite::Error,
        /// Whether its changes were rolled back (false for `no-transaction`).
        rolled_back: bool,
    },

    /// An applied migration differs from the one in this binary.
    #[error(
        "migration {version} ({name}) was changed after it was applied to this database \
         (applied checksum {applied}, this binary has {embedded}); restore the migration \
         file to the content that was applied and put the change in a new migration"
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
         before it",
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
         {applied} by renaming its file, so that every database applies them in one order"
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

    /// Reading or writing the history table failed.
    #[error("cannot {action} the migration history table: {source}")]
    History {
        /// `read` or `write`.
        action: &'static str,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

fn list(versions: &[(u64, String)]) -> String {
    let named: Vec<_> = versions
        .iter()
        .map(|(v, name)| format!("{v} ({name})"))
        .collect();
    named.join(", ")
}

/// The message, not the structure: `fn main() -> Result<(), Error>` prints
/// this with `{:?}`, and an operator should read the same sentence as a log.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
