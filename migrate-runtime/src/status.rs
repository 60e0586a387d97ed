//! What is applied, pending or amiss, read without changing anything.

use std::collections::BTreeMap;
use std::time::Duration;

use migrate_sqlite::Migration;
use rusqlite::Connection;

use crate::connection;
use crate::history::Applied;
use crate::migrator::Migrator;
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

/// The state of a migration in a database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Applied, with the checksum of the binary's migration.
    Applied,
    /// Not applied; the next start applies it.
    Pending,
    /// Not applied, and its version is lower than the newest applied one:
    /// refused ([`Error::OutOfOrder`]) unless
    /// [`Migrator::allow_out_of_order`] allows it.
    OutOfOrder,
    /// Applied, but the binary's migration has another checksum: it was
    /// edited after it was applied ([`Error::ChecksumMismatch`]; see
    /// [`Migrator::repair`]).
    ChecksumChanged,
    /// Recorded in the history but not in this binary: a newer build applied
    /// it ([`Error::UnknownVersions`]).
    UnknownToBinary,
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

    fn of(migrations: &'static [Migration], applied: &[Applied]) -> Self {
        let mut versions: BTreeMap<u64, (Option<&Migration>, Option<&Applied>)> = BTreeMap::new();
        for migration in migrations {
            versions.entry(migration.version()).or_default().0 = Some(migration);
        }
        for row in applied {
            versions.entry(row.version).or_default().1 = Some(row);
        }
        let newest = applied.last().map(|row| row.version);
        let migrations = versions
            .into_iter()
            .map(|(version, (migration, row))| MigrationStatus {
                version,
                name: migration
                    .map_or_else(|| row.map(|r| r.name.clone()), |m| Some(m.name().into()))
                    .unwrap_or_default(),
                state: state(version, migration, row, newest),
                applied_at: row.map(|r| r.applied_at.clone()),
                duration: row.map(|r| r.duration),
                has_down: migration.is_some_and(|m| m.down().is_some())
                    || row.is_some_and(|r| r.down_sql.is_some()),
            })
            .collect();
        Self { migrations }
    }
}

fn state(
    version: u64,
    migration: Option<&Migration>,
    row: Option<&Applied>,
    newest_applied: Option<u64>,
) -> State {
    match (migration, row) {
        (Some(m), Some(row)) if Some(m.checksum()) == row.checksum => State::Applied,
        (Some(_), Some(_)) => State::ChecksumChanged,
        (None, _) => State::UnknownToBinary,
        (Some(_), None) if newest_applied.is_some_and(|newest| version < newest) => {
            State::OutOfOrder
        }
        (Some(_), None) => State::Pending,
    }
}

impl Migrator {
    /// The state of every migration known to this binary or recorded in the
    /// database's history.
    ///
    /// Only reads: it takes no lock, creates no table, and works on a new,
    /// empty database, a database migrated by a newer build and one whose
    /// migrations were edited, which [`Migrator::run`] refuses.
    ///
    /// ```no_run
    /// # migrate_runtime::embed_migrations!("tests/migrations");
    /// use migrate_runtime::State;
    ///
    /// let conn = migrate_runtime::rusqlite::Connection::open("app.db")?;
    /// for migration in migrations::MIGRATOR.status(&conn)?.migrations {
    ///     if migration.state != State::Applied {
    ///         println!("{} {}: {:?}", migration.version, migration.name, migration.state);
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self, conn: &Connection) -> Result<Status, Error> {
        let path = connection::file_path(conn);
        let applied = self.read_history(conn, path.as_deref())?;
        Ok(Status::of(self.migrations, &applied))
    }

    /// This binary's migrations not applied to the database, in order
    /// (including those [`State::OutOfOrder`]).
    pub fn pending(&self, conn: &Connection) -> Result<Vec<&'static Migration>, Error> {
        let status = self.status(conn)?;
        Ok(status
            .pending()
            .filter_map(|m| self.find(m.version))
            .collect())
    }
}
