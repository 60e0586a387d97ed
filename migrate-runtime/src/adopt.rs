//! Adopting a database this toolkit never migrated: recording migrations as
//! applied without running them, once the database's schema is shown to be
//! the one they make. [`Migrator::baseline`] adopts a database made by hand
//! or by an older deployment script; [`Migrator::import_history`] one that
//! sqlx, refinery, diesel, golang-migrate, goose, dbmate, Prisma or Drizzle
//! migrated.

use std::time::Duration;

use migrate_sqlite::Migration;
use rusqlite::Connection;

use crate::connection::{self, begin_immediate};
use crate::foreign_history::{read_rows, refuse_failed, Lookup};
use crate::history::{self, Recorded};
use crate::migrate::{migration_lock, store_fingerprint};
use crate::migrator::Migrator;
use crate::operation::Target;
use crate::verify::drift_from;
use crate::Error;

pub use crate::foreign_history::ForeignHistory;

/// What [`Migrator::baseline`] recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baselined {
    /// The version the database was adopted at: the target.
    pub version: u64,
    /// The migrations recorded as applied without running, in order:
    /// version and name.
    pub recorded: Vec<(u64, String)>,
}

/// What [`Migrator::import_history`] recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The tool whose history was imported.
    pub from: ForeignHistory,
    /// The migrations recorded as applied, in order: version and name (this
    /// binary's).
    pub recorded: Vec<(u64, String)>,
}

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

/// [`Migrator::baseline`].
pub(crate) fn baseline(
    migrator: &Migrator,
    conn: &mut Connection,
    target: Target,
) -> Result<Baselined, Error> {
    let version = migrator.in_binary(target.get(), "baseline at")?.version();
    let chain = migrator
        .migrations()
        .iter()
        .take_while(|m| m.version() <= version);
    let adoptions = chain.map(Adoption::now).collect();
    let operation = format!("baseline at migration {version}");
    let recorded = adopt(migrator, conn, operation, |_| Ok(adoptions))?;
    tracing::info!(
        version,
        count = recorded.len(),
        "baseline: migrations recorded as applied without running"
    );
    Ok(Baselined { version, recorded })
}

/// [`Migrator::import_history`].
pub(crate) fn import_history(
    migrator: &Migrator,
    conn: &mut Connection,
    from: ForeignHistory,
) -> Result<Imported, Error> {
    let operation = format!("import the history of {from}");
    let recorded = adopt(migrator, conn, operation, |conn| {
        imports(migrator, conn, from)
    })?;
    tracing::info!(
        from = from.tool(),
        count = recorded.len(),
        "imported the history of another tool: migrations recorded as applied"
    );
    Ok(Imported { from, recorded })
}

/// The migrations `from` applied, each as this binary's, in order.
fn imports(
    migrator: &Migrator,
    conn: &Connection,
    from: ForeignHistory,
) -> Result<Vec<Adoption>, Error> {
    let rows = read_rows(conn, from)?;
    refuse_failed(migrator.migrations(), from, &rows)?;
    let mut lookup = Lookup::new(migrator.migrations(), from);
    let mut unknown = Vec::new();
    let mut adoptions: Vec<Adoption> = Vec::new();
    for row in rows {
        match lookup.migration(&row) {
            None => unknown.push(row.label(from)),
            Some(migration) => adoptions.push(Adoption {
                migration,
                applied_at: row.applied_at,
                duration: row.duration,
            }),
        }
    }
    if !unknown.is_empty() {
        return Err(Error::ForeignVersionsUnknown {
            from,
            versions: unknown,
        });
    }
    adoptions.sort_by_key(|a| a.migration.version());
    adoptions.dedup_by_key(|a| a.migration.version());
    if from.holds_current_version() {
        return Ok(up_to_current(migrator, adoptions));
    }
    Ok(adoptions)
}

/// Every migration of the binary up to the newest of `current`: what a
/// tool that records only its current version (golang-migrate) applied.
/// It records no time, so they are recorded as applied now.
fn up_to_current(migrator: &Migrator, current: Vec<Adoption>) -> Vec<Adoption> {
    let Some(newest) = current.last().map(|a| a.migration.version()) else {
        return current;
    };
    let chain = migrator.migrations().iter();
    chain
        .take_while(|m| m.version() <= newest)
        .map(Adoption::now)
        .collect()
}

/// Adopts the database of `conn`: under the migration lock and `BEGIN
/// IMMEDIATE`, refuses a database that has a history, learns from `read`
/// which migrations to record, refuses a schema that is not the one they
/// make, then records them with the fingerprint and commits. Nothing is
/// written before every check has passed, and all of it is one transaction.
///
/// `operation` names what was asked in errors: `baseline at migration 3`.
fn adopt(
    migrator: &Migrator,
    conn: &mut Connection,
    operation: String,
    read: impl FnOnce(&Connection) -> Result<Vec<Adoption>, Error>,
) -> Result<Vec<(u64, String)>, Error> {
    migrator.check_sqlite_version()?;
    let path = connection::file_path(conn);
    let _one_migrator = migration_lock(migrator, path.as_deref())?;
    let tx = begin_immediate(conn, path.as_deref(), ACTION)?;
    let applied = migrator.read_history(&tx, path.as_deref())?;
    refuse_history(migrator, &applied, &operation)?;
    let adoptions = read(&tx)?;
    refuse_drift(migrator, &tx, &adoptions, operation)?;
    record_adopted(migrator, &tx, &adoptions)?;
    tx.commit()
        .map_err(|source| connection::failed(path.as_deref(), ACTION, source))?;
    Ok(adoptions
        .iter()
        .map(|a| (a.migration.version(), a.migration.name().to_string()))
        .collect())
}

/// A database this toolkit already migrated is not adopted again.
fn refuse_history(migrator: &Migrator, applied: &[Recorded], operation: &str) -> Result<(), Error> {
    let Some(newest) = applied.last() else {
        return Ok(());
    };
    Err(Error::AlreadyHasHistory {
        operation: operation.to_string(),
        table: migrator.options().history_table.to_string(),
        applied: applied.len(),
        newest: newest.version,
        newest_name: newest.name.clone(),
    })
}

/// The schema must be the one the adopted migrations make, as
/// [`Migrator::verify`] compares them.
fn refuse_drift(
    migrator: &Migrator,
    conn: &Connection,
    adoptions: &[Adoption],
    operation: String,
) -> Result<(), Error> {
    let chain: Vec<&Migration> = adoptions.iter().map(|a| a.migration).collect();
    let drift = drift_from(migrator, conn, &chain)?;
    if drift.is_empty() {
        return Ok(());
    }
    Err(Error::SchemaDiffers {
        operation,
        version: chain.last().map_or(0, |m| m.version()),
        drift,
    })
}

/// The history rows, as applying writes them, and the fingerprint that lets
/// a start take the fast path once nothing is pending.
fn record_adopted(
    migrator: &Migrator,
    conn: &Connection,
    adoptions: &[Adoption],
) -> Result<(), Error> {
    let table = &migrator.options().history_table;
    history::create(conn, table)?;
    for adoption in adoptions {
        history::record_at(
            conn,
            table,
            adoption.migration,
            adoption.duration,
            adoption.applied_at.as_deref(),
        )?;
    }
    store_fingerprint(migrator, conn)
}
