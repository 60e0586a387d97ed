//! Accepting the binary's checksum for an applied migration that was edited.

use migrate_sqlite::Checksum;
use rusqlite::Connection;

use crate::connection::{self, begin_immediate};
use crate::history;
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

impl Migrator {
    /// Accepts this binary's checksum for the applied migration `migration`:
    /// its history row takes the binary's checksum, and the header the
    /// fingerprint of the applied chain, so that the next start no longer
    /// refuses the database with [`Error::ChecksumMismatch`] and, once
    /// nothing is pending, takes the fast path again.
    ///
    /// For an edit that does not change what the migration did (a comment,
    /// formatting): nothing is run again. The down script recorded with the
    /// migration is kept. Refused with [`Error::NotInBinary`] when this
    /// binary has no such migration, and with [`Error::NotApplied`] when it
    /// is not applied.
    pub fn repair(
        &self,
        conn: &mut Connection,
        migration: impl Into<Target>,
    ) -> Result<Repaired, Error> {
        let migration = self.in_binary(migration.into().get(), "repair")?;
        let path = connection::file_path(conn);
        let _one_migrator = self.migration_lock(path.as_deref())?;
        let tx = begin_immediate(conn, path.as_deref(), ACTION)?;
        let applied = self.read_history(&tx, path.as_deref())?;
        let row = applied
            .iter()
            .find(|row| row.version == migration.version())
            .ok_or_else(|| Error::NotApplied {
                version: migration.version(),
                name: migration.name().to_string(),
            })?;
        let checksum = migration.checksum();
        // The binary's down script too, so that an older build reverts with it.
        let down = migration.down().map(|down| down.sql());
        history::update_checksum(&tx, &self.history_table, row.version, checksum, down)?;
        self.store_fingerprint(&tx)?;
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
}
