//! Adopting a database this toolkit never migrated: recording migrations as
//! applied without running them, once the database's schema is shown to be
//! the one they make. [`Migrator::baseline`] adopts a database made by hand
//! or by an older deployment script; [`Migrator::import_history`] one that
//! sqlx, refinery or diesel migrated.

use std::time::Duration;

use migrate_sqlite::Migration;
use rusqlite::Connection;

use crate::connection::{self, begin_immediate};
use crate::history;
use crate::migrator::Migrator;
use crate::Error;

mod baseline;
mod import;

pub use baseline::Baselined;
pub use import::{ForeignHistory, Imported};

const ACTION: &str = "record the adopted migrations in the history";

/// One migration to record as applied without running it.
struct Adoption {
    migration: &'static Migration,
    /// When it was applied, as the other tool recorded it; `None` is now.
    applied_at: Option<String>,
    /// How long it took, as the other tool recorded it.
    duration: Duration,
}

impl Adoption {
    /// A migration recorded as applied now, in no time.
    fn now(migration: &'static Migration) -> Self {
        Self {
            migration,
            applied_at: None,
            duration: Duration::ZERO,
        }
    }
}

impl Migrator {
    /// Adopts the database of `conn`: under the migration lock and `BEGIN
    /// IMMEDIATE`, refuses a database that has a history, learns from `read`
    /// which migrations to record, refuses a schema that is not the one they
    /// make, then records them with the fingerprint and commits. Nothing is
    /// written before every check has passed, and all of it is one
    /// transaction.
    ///
    /// `operation` names what was asked in errors: `baseline at migration 3`.
    fn adopt(
        &self,
        conn: &mut Connection,
        operation: String,
        read: impl FnOnce(&Connection) -> Result<Vec<Adoption>, Error>,
    ) -> Result<Vec<(u64, String)>, Error> {
        self.check_sqlite_version()?;
        let path = connection::file_path(conn);
        let _one_migrator = self.migration_lock(path.as_deref())?;
        let tx = begin_immediate(conn, path.as_deref(), ACTION)?;
        self.refuse_history(&self.read_history(&tx, path.as_deref())?, &operation)?;
        let adoptions = read(&tx)?;
        self.refuse_drift(&tx, &adoptions, operation)?;
        self.record_adopted(&tx, &adoptions)?;
        tx.commit()
            .map_err(|source| connection::failed(path.as_deref(), ACTION, source))?;
        Ok(adoptions
            .iter()
            .map(|a| (a.migration.version(), a.migration.name().to_string()))
            .collect())
    }

    /// A database this toolkit already migrated is not adopted again.
    fn refuse_history(&self, applied: &[history::Applied], operation: &str) -> Result<(), Error> {
        let Some(newest) = applied.last() else {
            return Ok(());
        };
        Err(Error::AlreadyHasHistory {
            operation: operation.to_string(),
            table: self.history_table.to_string(),
            applied: applied.len(),
            newest: newest.version,
            newest_name: newest.name.clone(),
        })
    }

    /// The schema must be the one the adopted migrations make, as
    /// [`Migrator::verify`] compares them.
    fn refuse_drift(
        &self,
        conn: &Connection,
        adoptions: &[Adoption],
        operation: String,
    ) -> Result<(), Error> {
        let chain: Vec<&Migration> = adoptions.iter().map(|a| a.migration).collect();
        let drift = self.drift_from(conn, &chain)?;
        if drift.is_empty() {
            return Ok(());
        }
        Err(Error::SchemaDiffers {
            operation,
            version: chain.last().map_or(0, |m| m.version()),
            drift,
        })
    }

    /// The history rows, as applying writes them, and the fingerprint that
    /// lets a start take the fast path once nothing is pending.
    fn record_adopted(&self, conn: &Connection, adoptions: &[Adoption]) -> Result<(), Error> {
        history::create(conn, &self.history_table)?;
        for adoption in adoptions {
            history::record_at(
                conn,
                &self.history_table,
                adoption.migration,
                adoption.duration,
                adoption.applied_at.as_deref(),
            )?;
        }
        self.store_fingerprint(conn)
    }
}
