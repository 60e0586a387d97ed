//! Accepting the binary's checksum for an applied migration that was edited.

use std::path::Path;
use std::time::Instant;

use migrate_core::Checksum;
use rusqlite::{Connection, TransactionBehavior};

use crate::connection::{self, condition, is_busy};
use crate::history;
use crate::lock::LockReport;
use crate::migrator::Migrator;
use crate::operation::Target;
use crate::Error;

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
        let tx = begin_immediate(conn, path.as_deref())?;
        let applied = self.read_history(&tx, path.as_deref())?;
        let row = applied
            .iter()
            .find(|row| row.version == migration.version())
            .ok_or_else(|| Error::NotApplied {
                version: migration.version(),
                name: migration.name().to_string(),
            })?;
        let checksum = migration.checksum();
        history::update_checksum(&tx, &self.history_table, row.version, checksum)?;
        self.store_fingerprint(&tx)?;
        tx.commit()
            .map_err(|source| written(path.as_deref(), source))?;
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

/// `BEGIN IMMEDIATE`, waiting at most the connection's busy timeout.
fn begin_immediate<'c>(
    conn: &'c mut Connection,
    path: Option<&Path>,
) -> Result<rusqlite::Transaction<'c>, Error> {
    let waiting = Instant::now();
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|source| match (is_busy(&source), path) {
            (true, Some(path)) => {
                Error::Locked(Box::new(LockReport::gather(path, waiting.elapsed())))
            }
            _ => written(path, source),
        })
}

fn written(path: Option<&Path>, source: rusqlite::Error) -> Error {
    path.and_then(|path| condition(path, &source))
        .unwrap_or(Error::Database {
            action: "repair the migration history",
            source,
        })
}
