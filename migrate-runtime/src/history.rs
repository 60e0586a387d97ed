//! The history table: one row per applied migration.

use std::time::Duration;

use migrate_core::Migration;
use rusqlite::{params, Connection, OptionalExtension};

use crate::Error;

/// The table's name. Kept in the migrated database itself, so that the
/// schema and the record of how it got there change in one transaction.
pub(crate) const TABLE: &str = "_migrate_history";

/// A migration as recorded when it was applied.
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    pub version: u64,
    pub name: String,
    pub checksum: String,
}

/// The applied migrations, ordered by version; none when the table does not exist yet.
pub(crate) fn read(conn: &Connection) -> Result<Vec<Applied>, Error> {
    let reading = |source| Error::History {
        action: "read",
        source,
    };
    let exists = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [TABLE],
            |_| Ok(()),
        )
        .optional()
        .map_err(reading)?
        .is_some();
    if !exists {
        return Ok(Vec::new());
    }
    let mut statement = conn
        .prepare(&format!("SELECT version, name, checksum FROM {TABLE}"))
        .map_err(reading)?;
    let rows = statement
        .query_map([], |row| {
            Ok(Applied {
                // Stored as SQLite's signed 64-bit integer; the cast round-trips every u64.
                version: row.get::<_, i64>(0)? as u64,
                name: row.get(1)?,
                checksum: row.get(2)?,
            })
        })
        .map_err(reading)?;
    let mut applied = rows.collect::<Result<Vec<_>, _>>().map_err(reading)?;
    applied.sort_by_key(|row| row.version);
    Ok(applied)
}

/// Creates the table if this database has none yet.
pub(crate) fn create(conn: &Connection) -> Result<(), Error> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (
            version     INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            checksum    TEXT NOT NULL,  -- SHA-256 of the up script, hex
            applied_at  TEXT NOT NULL,  -- UTC, ISO 8601
            duration_ms INTEGER NOT NULL,
            down_sql    TEXT            -- kept so that any build can revert it
        )"
    ))
    .map_err(|source| Error::History {
        action: "create",
        source,
    })
}

/// Records one applied migration.
pub(crate) fn record(
    conn: &Connection,
    migration: &Migration,
    duration: Duration,
) -> Result<(), Error> {
    conn.execute(
        &format!(
            "INSERT INTO {TABLE} (version, name, checksum, applied_at, duration_ms, down_sql)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?4, ?5)"
        ),
        params![
            migration.version() as i64,
            migration.name(),
            migration.checksum().to_hex(),
            duration.as_millis() as i64,
            migration.down().map(|down| down.sql()),
        ],
    )
    .map(drop)
    .map_err(|source| Error::History {
        action: "write",
        source,
    })
}
