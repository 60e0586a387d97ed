//! What a start does before the slow path: the guard against an older
//! SQLite, the operator switches, the connection's settings, and the fast
//! path that ends the start when the header says nothing is pending.

use std::path::Path;

use rusqlite::Connection;

use crate::connection::{self, condition};
use crate::history;
use crate::migrate::{self, log_up_to_date, Report};
use crate::migrator::Migrator;
use crate::operation::Operation;
use crate::Error;

/// Set to 1 to start without applying migrations (the connection is still configured).
pub const SKIP_VARIABLE: &str = "MIGRATE_SKIP";
/// Set to 1 to fail, rather than migrate, when migrations are pending: for
/// deployments that migrate in a separate step.
pub const CHECK_ONLY_VARIABLE: &str = "MIGRATE_CHECK_ONLY";

/// [`Migrator::open`].
pub(crate) fn open(migrator: &Migrator, path: &Path) -> Result<Connection, Error> {
    migrator.check_sqlite_version()?;
    let switches = switches(migrator)?;
    let mut conn = connection::open(path, migrator.options().busy_timeout)?;
    let up_to_date = is_up_to_date(migrator, &conn, Some(path))?;
    configure(migrator, &conn, path)?;
    if up_to_date {
        log_up_to_date(migrator.migrations().len());
    } else if switches.skip {
        tracing::warn!("{SKIP_VARIABLE} is set: migrations not applied");
    } else {
        migrate::migrate(migrator, &mut conn, Operation::Up, switches.check_only)?;
    }
    Ok(conn)
}

/// [`Migrator::connect`].
#[cfg(feature = "cli")]
pub(crate) fn connect(migrator: &Migrator, path: &Path) -> Result<Connection, Error> {
    migrator.check_sqlite_version()?;
    let conn = connection::open(path, migrator.options().busy_timeout)?;
    configure(migrator, &conn, path)?;
    Ok(conn)
}

/// WAL, switched within the busy timeout (capped at the deadline), foreign
/// keys on, and the application's own setup.
fn configure(migrator: &Migrator, conn: &Connection, path: &Path) -> Result<(), Error> {
    let options = migrator.options();
    connection::ensure_wal(conn, path, options.busy_timeout.min(options.deadline))?;
    connection::set_foreign_keys(conn, true)?;
    migrator.set_up(conn)
}

/// [`Migrator::run`].
pub(crate) fn run(migrator: &Migrator, conn: &mut Connection) -> Result<Report, Error> {
    migrator.check_sqlite_version()?;
    let switches = switches(migrator)?;
    if switches.skip {
        tracing::warn!("{SKIP_VARIABLE} is set: migrations not applied");
        return Ok(Report::default());
    }
    let path = connection::file_path(conn);
    if is_up_to_date(migrator, conn, path.as_deref())? {
        log_up_to_date(migrator.migrations().len());
        return Ok(Report::default());
    }
    migrate::migrate(migrator, conn, Operation::Up, switches.check_only)
}

/// [`Migrator::execute`]: as a start, without the switches.
pub(crate) fn execute(
    migrator: &Migrator,
    conn: &mut Connection,
    operation: Operation,
) -> Result<Report, Error> {
    migrator.check_sqlite_version()?;
    if let Operation::UpTo(target) = operation {
        migrator.in_binary(target.get(), "apply migrations up to")?;
    }
    let path = connection::file_path(conn);
    if operation.is_up() && is_up_to_date(migrator, conn, path.as_deref())? {
        log_up_to_date(migrator.migrations().len());
        return Ok(Report::default());
    }
    migrate::migrate(migrator, conn, operation, false)
}

/// The fast path: the fingerprint in the header equals the binary's.
fn is_up_to_date(
    migrator: &Migrator,
    conn: &Connection,
    path: Option<&Path>,
) -> Result<bool, Error> {
    let stored = history::stored_fingerprint(conn).map_err(|source| {
        path.and_then(|path| condition(path, &source))
            .unwrap_or(Error::Database {
                action: "read the database header",
                source,
            })
    })?;
    Ok(stored == migrator.fingerprint())
}

/// The operator switches, as the environment sets them.
#[derive(Default)]
struct Switches {
    skip: bool,
    check_only: bool,
}

fn switches(migrator: &Migrator) -> Result<Switches, Error> {
    if !migrator.options().read_environment {
        return Ok(Switches::default());
    }
    Ok(Switches {
        skip: switch(SKIP_VARIABLE)?,
        check_only: switch(CHECK_ONLY_VARIABLE)?,
    })
}

fn switch(variable: &'static str) -> Result<bool, Error> {
    let Some(value) = std::env::var_os(variable) else {
        return Ok(false);
    };
    let value = value.to_string_lossy();
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(Error::Environment {
            variable,
            value: value.into_owned(),
        }),
    }
}
