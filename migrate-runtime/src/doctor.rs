//! What an operator looks at when a database misbehaves: who holds it, how
//! it is configured, whether it is sound, and the state of its migrations.

use std::fs;
use std::path::Path;
use std::time::Duration;

use migrate_sqlite::apply::foreign_key_violations;
use migrate_sqlite::Violation as ForeignKeyViolation;
use rusqlite::{Connection, TransactionBehavior};

use crate::connection::{self, is_busy};
use crate::lock::LockReport;
use crate::migrator::Migrator;
use crate::status::Status;
use crate::Error;

/// At most this many lines of `PRAGMA integrity_check` are kept.
const INTEGRITY_LINES: usize = 20;
/// At most this many rows of `PRAGMA foreign_key_check` are kept.
const VIOLATIONS: usize = 100;

/// What [`Migrator::diagnose`] found about a database file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnosis {
    /// The processes that have the file open (from /proc, on Linux), and the
    /// sizes of its `-wal` and `-shm` files.
    pub files: LockReport,
    /// The size of the database file.
    pub file_bytes: u64,
    /// Whether the write lock could be taken at once.
    pub write_lock: WriteLock,
    /// `PRAGMA journal_mode`, lower case: `wal` once the application has
    /// opened it with [`Migrator::open`].
    pub journal_mode: String,
    /// How long the migrator waits for the write lock ([`Migrator::busy_timeout`]).
    pub busy_timeout: Duration,
    /// What `PRAGMA integrity_check` said: `["ok"]` for a sound database, else
    /// its first 20 lines.
    pub integrity: Vec<String>,
    /// What `PRAGMA foreign_key_check` found (the first 100 rows).
    pub foreign_key_violations: Vec<ForeignKeyViolation>,
    /// The state of every migration.
    pub status: Status,
    /// The SQLite this binary links.
    pub sqlite_version: &'static str,
}

/// Whether the write lock was free when [`Migrator::diagnose`] tried it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteLock {
    /// It could be taken at once (and was released).
    Free,
    /// Another connection holds it: a writer is writing, or left a
    /// transaction open.
    Held,
    /// The database cannot be written by this process.
    ReadOnly,
}

impl Diagnosis {
    /// Whether the file itself is sound: `integrity_check` said `ok` and no
    /// foreign key points nowhere.
    pub fn is_sound(&self) -> bool {
        self.integrity == ["ok"] && self.foreign_key_violations.is_empty()
    }
}

/// [`Migrator::diagnose`].
pub(crate) fn diagnose(migrator: &Migrator, path: &Path) -> Result<Diagnosis, Error> {
    let busy_timeout = migrator.options().busy_timeout;
    let mut conn = connection::open_existing(path, busy_timeout)?;
    let reading = |source| match connection::condition(path, &source) {
        Some(error) => error,
        None => Error::Database {
            action: "diagnose the database",
            source,
        },
    };
    Ok(Diagnosis {
        files: LockReport::gather(path, Duration::ZERO),
        file_bytes: fs::metadata(path).map_or(0, |m| m.len()),
        write_lock: try_write_lock(&mut conn, busy_timeout),
        journal_mode: conn
            .pragma_query_value(None, "journal_mode", |row| row.get::<_, String>(0))
            .map_err(reading)?
            .to_ascii_lowercase(),
        busy_timeout,
        integrity: integrity_check(&conn).map_err(reading)?,
        foreign_key_violations: foreign_key_check(&conn).map_err(reading)?,
        status: migrator.status(&conn)?,
        sqlite_version: rusqlite::version(),
    })
}

/// Takes the write lock without waiting, and gives it back; then waits
/// `busy_timeout` again.
fn try_write_lock(conn: &mut Connection, busy_timeout: Duration) -> WriteLock {
    if migrate_sqlite::rusqlite_versions::main_is_read_only(conn) {
        return WriteLock::ReadOnly;
    }
    let _ = conn.busy_timeout(Duration::ZERO);
    let state = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => {
            let _ = tx.rollback();
            WriteLock::Free
        }
        Err(error) if is_busy(&error) => WriteLock::Held,
        Err(_) => WriteLock::ReadOnly,
    };
    let _ = conn.busy_timeout(busy_timeout);
    state
}

fn integrity_check(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(&format!("PRAGMA integrity_check({INTEGRITY_LINES})"))?;
    let rows = statement.query_map([], |row| row.get(0))?;
    rows.collect()
}

fn foreign_key_check(conn: &Connection) -> rusqlite::Result<Vec<ForeignKeyViolation>> {
    let mut violations = foreign_key_violations(conn)?;
    violations.truncate(VIOLATIONS);
    Ok(violations)
}
