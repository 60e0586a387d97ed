//! The history table, one row per applied migration, and the fingerprint of
//! the applied chain kept in the database header.

use std::path::Path;
use std::time::Duration;

use migrate_sqlite::schema::has_table;
use migrate_sqlite::{Checksum, Fingerprint, Migration};
use rusqlite::{params, Connection};

use crate::connection::condition;
use crate::Error;

pub use migrate_sqlite::schema::HISTORY_TABLE as DEFAULT_TABLE;

/// A migration as the history records it, from when it was applied.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub version: u64,
    pub name: String,
    /// As stored: shown in messages.
    pub checksum_hex: String,
    /// Parsed once, for comparing; `None` if what is stored is no checksum.
    pub checksum: Option<Checksum>,
    /// When it was applied: UTC, ISO 8601, as stored.
    pub applied_at: String,
    /// How long its SQL took.
    pub duration: Duration,
    /// The down script recorded with it, if it had one.
    pub down_sql: Option<String>,
}

/// `name` as a quoted SQL identifier.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The applied migrations, ordered by version; none when the table does not exist yet.
pub(crate) fn read(conn: &Connection, table: &str) -> Result<Vec<Recorded>, Error> {
    let reading = |source| Error::Database {
        action: "read the migration history",
        source,
    };
    let exists = has_table(conn, table).map_err(reading)?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut statement = conn
        .prepare(&format!(
            "SELECT version, name, checksum, applied_at, duration_ms, down_sql FROM {}",
            quoted(table)
        ))
        .map_err(reading)?;
    let rows = statement
        .query_map([], |row| {
            Ok(Recorded {
                // Stored as SQLite's signed 64-bit integer; the cast round-trips every u64.
                version: row.get::<_, i64>(0)? as u64,
                name: row.get(1)?,
                checksum_hex: row.get(2)?,
                checksum: None,
                applied_at: row.get(3)?,
                // A negative duration (edited by hand) reads as zero.
                duration: Duration::from_millis(row.get::<_, i64>(4)?.max(0) as u64),
                down_sql: row.get(5)?,
            })
        })
        .map_err(reading)?;
    let mut applied = rows.collect::<Result<Vec<_>, _>>().map_err(reading)?;
    for row in &mut applied {
        row.checksum = Checksum::from_hex(&row.checksum_hex);
    }
    applied.sort_by_key(|row| row.version);
    Ok(applied)
}

/// [`read`], for the database at `path`: a failure that says something
/// about the file (not a database, corrupted, read-only) says it.
pub(crate) fn read_at(
    conn: &Connection,
    table: &str,
    path: Option<&Path>,
) -> Result<Vec<Recorded>, Error> {
    read(conn, table).map_err(|error| match (error, path) {
        (Error::Database { source, action }, Some(path)) => {
            condition(path, &source).unwrap_or(Error::Database { action, source })
        }
        (error, _) => error,
    })
}

/// Creates the table if this database has none yet.
pub(crate) fn create(conn: &Connection, table: &str) -> Result<(), Error> {
    conn.execute_batch(&create_sql(table))
        .map_err(|source| Error::Database {
            action: "create the migration history table",
            source,
        })
}

/// The statement that creates the table if there is none yet.
pub(crate) fn create_sql(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (
            version     INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            checksum    TEXT NOT NULL,  -- SHA-256 of the up script, hex
            applied_at  TEXT NOT NULL,  -- UTC, ISO 8601
            duration_ms INTEGER NOT NULL,
            down_sql    TEXT            -- kept so that any build can revert it
        )",
        quoted(table)
    )
}

/// Records one applied migration, applied now.
pub(crate) fn record(
    conn: &Connection,
    table: &str,
    migration: &Migration,
    duration: Duration,
) -> Result<(), Error> {
    record_at(conn, table, migration, duration, None)
}

/// Records one applied migration, applied at `applied_at`: any time SQLite
/// reads (`2025-09-19 14:04:43`, RFC 3339 with an offset), stored in UTC as
/// ISO 8601, or as written when SQLite cannot read it; `None` is now.
pub(crate) fn record_at(
    conn: &Connection,
    table: &str,
    migration: &Migration,
    duration: Duration,
    applied_at: Option<&str>,
) -> Result<(), Error> {
    conn.execute(
        &insert_sql(table),
        params![
            migration.version() as i64,
            migration.name(),
            migration.checksum().to_hex(),
            duration.as_millis() as i64,
            migration.down().map(|down| down.self_describing_sql()),
            applied_at,
        ],
    )
    .map(drop)
    .map_err(|source| Error::Database {
        action: "record the migration in the history",
        source,
    })
}

/// The statement that records a migration: its parameters are the version,
/// name, checksum (hex), duration in milliseconds, down script, and when it
/// was applied (`NULL` for now).
pub(crate) fn insert_sql(table: &str) -> String {
    format!(
        "INSERT INTO {} (version, name, checksum, applied_at, duration_ms, down_sql)
         VALUES (?1, ?2, ?3, coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', ?6), ?6,
                                      strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), ?4, ?5)",
        quoted(table)
    )
}

/// Removes the row of a reverted migration.
pub(crate) fn remove(conn: &Connection, table: &str, version: u64) -> Result<(), Error> {
    conn.execute(
        &format!("DELETE FROM {} WHERE version = ?1", quoted(table)),
        [version as i64],
    )
    .map(drop)
    .map_err(|source| Error::Database {
        action: "remove the reverted migration from the history",
        source,
    })
}

/// Replaces the checksum recorded for an applied migration, and its down
/// script when one is given.
pub(crate) fn update_checksum(
    conn: &Connection,
    table: &str,
    version: u64,
    checksum: Checksum,
    down_sql: Option<&str>,
) -> Result<(), Error> {
    conn.execute(
        &format!(
            "UPDATE {} SET checksum = ?2, down_sql = coalesce(?3, down_sql) WHERE version = ?1",
            quoted(table)
        ),
        params![version as i64, checksum.to_hex(), down_sql],
    )
    .map(drop)
    .map_err(|source| Error::Database {
        action: "update the checksum in the history",
        source,
    })
}

/// The fingerprint of an applied chain.
pub(crate) fn fingerprint(applied: &[Recorded]) -> Fingerprint {
    // An unreadable checksum cannot match any binary's chain.
    let unreadable = Checksum::from_bytes([0; 32]);
    Fingerprint::of_applied(
        applied
            .iter()
            .map(|row| (row.version, row.checksum.as_ref().unwrap_or(&unreadable))),
    )
}

/// The fingerprint kept in the header; read without parsing the schema.
pub(crate) fn stored_fingerprint(conn: &Connection) -> Result<Fingerprint, rusqlite::Error> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map(Fingerprint::from_user_version)
}

/// Keeps `fingerprint` in the header; inside the caller's transaction.
pub(crate) fn store_fingerprint(conn: &Connection, fingerprint: Fingerprint) -> Result<(), Error> {
    conn.pragma_update(None, "user_version", fingerprint.to_user_version())
        .map_err(|source| Error::Database {
            action: "store the fingerprint of the applied migrations (PRAGMA user_version)",
            source,
        })
}
