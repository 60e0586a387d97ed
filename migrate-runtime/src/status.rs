//! What is applied, pending or amiss, read without changing anything.

use std::time::Duration;

use migrate_sqlite::Migration;
use rusqlite::Connection;

use crate::connection;
use crate::migrator::Migrator;
use crate::plan::{Standing, State};
use crate::Error;

/// Every migration known to the binary or recorded in the database's
/// history, ordered by version, as [`Migrator::status`] reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// One entry per version.
    pub migrations: Vec<MigrationStatus>,
}

/// One migration's state in one database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Its version.
    pub version: u64,
    /// Its name: the binary's, or, for a migration the binary does not
    /// contain, the one recorded in the history.
    pub name: String,
    /// Applied, pending or amiss.
    pub state: State,
    /// When it was applied (UTC, ISO 8601, as recorded: `2025-09-19T14:04:43.123Z`).
    pub applied_at: Option<String>,
    /// How long applying it took, as recorded.
    pub duration: Option<Duration>,
    /// It can be reverted: it has a down script in the binary or in the history.
    pub has_down: bool,
}

impl Status {
    /// The migrations still to apply (pending or out of order), in order.
    pub fn pending(&self) -> impl Iterator<Item = &MigrationStatus> {
        self.migrations
            .iter()
            .filter(|m| matches!(m.state, State::Pending | State::OutOfOrder))
    }

    /// Every migration of the binary is applied, unchanged, and the history
    /// has no other.
    pub fn is_up_to_date(&self) -> bool {
        self.migrations.iter().all(|m| m.state == State::Applied)
    }

    /// The newest applied version, known to the binary or not; `None` when
    /// nothing is applied.
    pub fn current_version(&self) -> Option<u64> {
        self.migrations
            .iter()
            .rev()
            .find(|m| m.applied_at.is_some())
            .map(|m| m.version)
    }

    fn of(standings: &[Standing]) -> Self {
        let migrations = standings
            .iter()
            .map(|standing| {
                let (migration, row) = (standing.migration, standing.recorded);
                MigrationStatus {
                    version: standing.version,
                    name: migration
                        .map_or_else(|| row.map(|r| r.name.clone()), |m| Some(m.name().into()))
                        .unwrap_or_default(),
                    state: standing.state,
                    applied_at: row.map(|r| r.applied_at.clone()),
                    duration: row.map(|r| r.duration),
                    has_down: migration.is_some_and(|m| m.down().is_some())
                        || row.is_some_and(|r| r.down_sql.is_some()),
                }
            })
            .collect();
        Self { migrations }
    }
}

/// [`Migrator::status`].
pub(crate) fn status(migrator: &Migrator, conn: &Connection) -> Result<Status, Error> {
    let path = connection::file_path(conn);
    let applied = migrator.read_history(conn, path.as_deref())?;
    Ok(Status::of(&migrator.classify(&applied)))
}

/// [`Migrator::pending`].
pub(crate) fn pending(
    migrator: &Migrator,
    conn: &Connection,
) -> Result<Vec<&'static Migration>, Error> {
    let status = status(migrator, conn)?;
    Ok(status
        .pending()
        .filter_map(|m| migrator.find(m.version))
        .collect())
}
