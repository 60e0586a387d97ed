//! Helpers shared by this crate's tests.

#![warn(missing_docs)]

#[cfg(feature = "turso")]
pub mod turso_server;
pub mod workload;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use migrate_runtime::rusqlite::{self, Connection};

/// The root of this test crate; fixture paths are relative to it.
pub fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    crate_root()
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// One row of `sqlite_master`: type, name, table and the SQL that created it.
pub type SchemaEntry = (String, String, String, Option<String>);

/// Every row of `sqlite_master`, sorted by type and name: two databases with
/// equal schemas have equal lists.
pub fn schema(conn: &Connection) -> rusqlite::Result<Vec<SchemaEntry>> {
    let mut statement =
        conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")?;
    let rows = statement.query_map([], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
    })?;
    rows.collect()
}

/// The names of the schema objects of one type (`table`, `index`, `view`,
/// `trigger`), sorted, leaving out SQLite's own (`sqlite_%`).
pub fn object_names(conn: &Connection, kind: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = ?1 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         ORDER BY name",
    )?;
    let rows = statement.query_map([kind], |row| row.get(0))?;
    rows.collect()
}

/// The columns of `table`, in order.
pub fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let rows = statement.query_map([table], |row| row.get(0))?;
    rows.collect()
}

/// What `PRAGMA integrity_check` reports: `["ok"]` for a sound database.
pub fn integrity_check(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare("PRAGMA integrity_check")?;
    let rows = statement.query_map([], |row| row.get(0))?;
    rows.collect()
}

/// What `PRAGMA quick_check` reports: `["ok"]` for a sound file. Checks
/// what `integrity_check` does except that indexes match their tables.
pub fn quick_check(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare("PRAGMA quick_check")?;
    let rows = statement.query_map([], |row| row.get(0))?;
    rows.collect()
}

/// The database header's `user_version` (where the runtime keeps the
/// fingerprint of the applied chain).
pub fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// The database's journal mode, lower case (`wal`, `delete`, …).
pub fn journal_mode(conn: &Connection) -> rusqlite::Result<String> {
    conn.pragma_query_value(None, "journal_mode", |row| row.get::<_, String>(0))
        .map(|mode| mode.to_ascii_lowercase())
}

/// The number of rows of `table`.
pub fn count(conn: &Connection, table: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |row| {
        row.get(0)
    })
}

/// One row of the runtime's history table, `_migrate_history`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    /// The migration's version.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// The SHA-256 of its up script, hex.
    pub checksum: String,
    /// When it was applied (UTC, ISO 8601).
    pub applied_at: String,
    /// How long its SQL took.
    pub duration_ms: i64,
    /// Its down script, if it has one.
    pub down_sql: Option<String>,
}

/// The history table's rows, ordered by version; none when there is no table.
pub fn history(conn: &Connection) -> rusqlite::Result<Vec<HistoryRow>> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_migrate_history'",
        [],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut statement = conn.prepare(
        "SELECT version, name, checksum, applied_at, duration_ms, down_sql
         FROM _migrate_history ORDER BY version",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(HistoryRow {
            version: row.get(0)?,
            name: row.get(1)?,
            checksum: row.get(2)?,
            applied_at: row.get(3)?,
            duration_ms: row.get(4)?,
            down_sql: row.get(5)?,
        })
    })?;
    rows.collect()
}

/// The versions recorded in the history table, in order.
pub fn history_versions(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    Ok(history(conn)?.into_iter().map(|row| row.version).collect())
}

/// How a child process ended, with what it printed.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status; `None` when it overran its deadline and was killed.
    pub status: Option<ExitStatus>,
    /// What it printed on stdout (when piped).
    pub stdout: String,
    /// What it printed on stderr (when piped).
    pub stderr: String,
}

impl Finished {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }
}

/// Waits for `child` until `deadline`; kills it if it is still running then.
/// Its output must be small (it is read once the process is gone).
pub fn wait_until(mut child: Child, deadline: Instant) -> Finished {
    let status = loop {
        match child.try_wait().expect("wait for a child process") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => thread::sleep(Duration::from_millis(2)),
        }
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    Finished {
        status,
        stdout,
        stderr,
    }
}

/// A small pseudo-random generator (Knuth's MMIX LCG): reproducible from
/// its seed, which a test prints so that a failing run can be replayed.
#[derive(Clone, Debug)]
pub struct Lcg {
    state: u64,
}

impl Lcg {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A seed from the environment variable `var` when set (to replay a run),
    /// otherwise from the clock.
    pub fn seed_from_env_or_time(var: &str) -> u64 {
        if let Ok(value) = std::env::var(var) {
            return value
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{var}={value:?} is not a u64 seed"));
        }
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_nanos() as u64
    }

    /// The next number, all 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self
            .state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // The high bits of an LCG are the random-looking ones.
        self.state ^ (self.state >> 33)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "an empty range");
        (self.next_u64() >> 11) % bound
    }
}

/// The name of the error's variant, for tests that check the type of an
/// error across a process boundary.
pub fn error_variant(error: &migrate_runtime::Error) -> &'static str {
    use migrate_runtime::Error;
    match error {
        Error::MissingFolder { .. } => "MissingFolder",
        Error::Open { .. } => "Open",
        Error::NotADatabase { .. } => "NotADatabase",
        Error::Corrupt { .. } => "Corrupt",
        Error::ReadOnly { .. } => "ReadOnly",
        Error::DiskFull { .. } => "DiskFull",
        Error::Locked(_) => "Locked",
        Error::Deadline { .. } => "Deadline",
        Error::Migration { .. } => "Migration",
        Error::ChecksumMismatch { .. } => "ChecksumMismatch",
        Error::UnknownVersions { .. } => "UnknownVersions",
        Error::OutOfOrder { .. } => "OutOfOrder",
        Error::PendingInCheckOnly { .. } => "PendingInCheckOnly",
        Error::Replica { .. } => "Replica",
        Error::ReplicaBehind { .. } => "ReplicaBehind",
        Error::Environment { .. } => "Environment",
        Error::Configure { .. } => "Configure",
        Error::Database { .. } => "Database",
        Error::Backup { .. } => "Backup",
        Error::Restore { .. } => "Restore",
        #[cfg(feature = "turso")]
        Error::Turso { .. } => "Turso",
        #[cfg(feature = "turso")]
        Error::TursoMigration { .. } => "TursoMigration",
        #[cfg(feature = "turso")]
        Error::TursoBehind { .. } => "TursoBehind",
        _ => "unknown",
    }
}
