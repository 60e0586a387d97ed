//! Accepting the binary's checksum for an applied migration that was edited.

use migrate_sqlite::Checksum;
use rusqlite::Connection;

use crate::connection::{self, begin_immediate};
use crate::history;
use crate::migrate::{migration_lock, store_fingerprint};
use crate::migrator::Migrator;
use crate::operation::Target;
use crate::Error;

const ACTION: &str = "repair the migration history";

/// What [`Migrator::repair`] changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repaired {
    /// The migration's version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// The checksum the history held, as stored (hexadecimal).
    pub previous: String,
    /// The checksum it holds now: the binary's.
    pub checksum: Checksum,
}

/// [`Migrator::repair`].
pub(crate) fn repair(
    migrator: &Migrator,
    conn: &mut Connection,
    target: Target,
) -> Result<Repaired, Error> {
    let migration = migrator.in_binary(target.get(), "repair")?;
    let path = connection::file_path(conn);
    let _one_migrator = migration_lock(migrator, path.as_deref())?;
    let tx = begin_immediate(conn, path.as_deref(), ACTION)?;
    let applied = migrator.read_history(&tx, path.as_deref())?;
    let row = applied
        .iter()
        .find(|row| row.version == migration.version())
        .ok_or_else(|| Error::NotApplied {
            version: migration.version(),
            name: migration.name().to_string(),
        })?;
    let checksum = migration.checksum();
    // The binary's down script too, so that an older build reverts with it.
    let down = migration.down().map(|down| down.self_describing_sql());
    let table = &migrator.options().history_table;
    history::update_checksum(&tx, table, row.version, checksum, down.as_deref())?;
    store_fingerprint(migrator, &tx)?;
    tx.commit()
        .map_err(|source| connection::failed(path.as_deref(), ACTION, source))?;
    tracing::warn!(
        version = row.version,
        name = migration.name(),
        previous = %row.checksum_hex,
        %checksum,
        "accepted the binary's checksum for an applied migration"
    );
    Ok(Repaired {
        version: row.version,
        name: migration.name().to_string(),
        previous: row.checksum_hex.clone(),
        checksum,
    })
}
