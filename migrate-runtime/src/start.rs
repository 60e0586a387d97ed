//! What a start does before the slow path: the guard against an older
//! SQLite, the operator switches, the connection's settings, and the fast
//! path that ends the start when the header says nothing is pending.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::connection::{self, condition};
use crate::history;
use crate::migrate::{self, log_up_to_date, Report};
use crate::migrator::Migrator;
use crate::operation::Operation;
use crate::replica::{self, OnReplica, Replica, ON_REPLICA_VARIABLE};
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
    } else if migrate_or_follow(migrator, &mut conn, Some(path), &switches)?.followed_primary {
        // A connection opened before replication replaced the files under
        // it may not see what arrived: the app gets a new one.
        drop(conn);
        conn = connection::open(path, migrator.options().busy_timeout)?;
        configure(migrator, &conn, path)?;
    }
    Ok(conn)
}

/// Migrates, unless this node may not write the database: then it waits
/// for the primary's migrations, fails or starts without them, as the
/// replica policy says, with the refusals of a start once they are there.
fn migrate_or_follow(
    migrator: &Migrator,
    conn: &mut Connection,
    path: Option<&Path>,
    switches: &Switches,
) -> Result<Report, Error> {
    let detected = path.and_then(replica::detect);
    let (replica, policy) = match detected.and_then(|r| Some((r.policy(switches.on_replica)?, r))) {
        Some((policy, replica)) if !switches.check_only => (replica, policy),
        _ => match migrate::migrate(migrator, conn, Operation::Up, switches.check_only) {
            Err(Error::ReadOnly { path, detail }) if !switches.check_only => {
                let replica = Replica::read_only(&path);
                match replica.policy(switches.on_replica) {
                    Some(policy) => (replica, policy),
                    None => return Err(Error::ReadOnly { path, detail }),
                }
            }
            done => return done,
        },
    };
    let path = path.map_or_else(|| PathBuf::from(":memory:"), Path::to_path_buf);
    let mut report = Report::default();
    if replica::follow(migrator, conn, &path, replica, policy)? {
        // What arrived gets a start's refusals (a newer database, an edited migration).
        report = match path.is_file() {
            true => {
                let mut fresh = connection::open_existing(&path, migrator.options().busy_timeout)?;
                migrate::migrate(migrator, &mut fresh, Operation::Up, true)?
            }
            false => migrate::migrate(migrator, conn, Operation::Up, true)?,
        };
    }
    report.followed_primary = true;
    Ok(report)
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
    migrate_or_follow(migrator, conn, path.as_deref(), &switches)
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
pub(crate) struct Switches {
    pub(crate) skip: bool,
    pub(crate) check_only: bool,
    on_replica: Option<OnReplica>,
}

pub(crate) fn switches(migrator: &Migrator) -> Result<Switches, Error> {
    let on_replica = migrator.options().on_replica;
    if !migrator.options().read_environment {
        return Ok(Switches {
            skip: false,
            check_only: false,
            on_replica,
        });
    }
    Ok(Switches {
        skip: switch(SKIP_VARIABLE)?,
        check_only: switch(CHECK_ONLY_VARIABLE)?,
        on_replica: policy(ON_REPLICA_VARIABLE)?.or(on_replica),
    })
}

fn policy(variable: &'static str) -> Result<Option<OnReplica>, Error> {
    let Some(value) = std::env::var_os(variable) else {
        return Ok(None);
    };
    let value = value.to_string_lossy();
    match OnReplica::parse(&value) {
        Some(policy) => Ok(Some(policy)),
        None if value.trim().is_empty() => Ok(None),
        None => Err(Error::EnvironmentPolicy {
            variable,
            value: value.into_owned(),
        }),
    }
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
