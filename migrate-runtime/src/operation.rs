//! Operations an application or an operator asks for explicitly: apply up
//! to a version, revert to a version or by a number of steps, and the dry
//! run of either, which returns the SQL instead of running it.

use std::fmt;

use migrate_sqlite::lex::line_col;
use migrate_sqlite::{Directives, Failure, Migration, Script};
use rusqlite::Connection;

use crate::connection;
use crate::error::Recovery;
use crate::history::Applied;
use crate::migrator::{Migrator, Report};
use crate::Error;

/// A migration version to migrate to.
///
/// A [`Migration`], such as the constants `embed_migrations!` defines
/// (`migrations::V3_ADD_EMAIL`), converts into one, and so does a plain
/// version number (`3`), for versions that come from an operator.
///
/// ```no_run
/// # migrate_runtime::embed_migrations!("tests/migrations");
/// # let mut conn = migrate_runtime::rusqlite::Connection::open("app.db")?;
/// migrations::MIGRATOR.up_to(&mut conn, migrations::V2_CREATE_POSTS)?;
/// migrations::MIGRATOR.revert_to(&mut conn, 1)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target(u64);

impl Target {
    /// The target with this version; 0 stands for "before the first
    /// migration", a target only a revert accepts.
    pub const fn version(version: u64) -> Self {
        Self(version)
    }

    /// Its version.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl From<u64> for Target {
    fn from(version: u64) -> Self {
        Self(version)
    }
}

impl From<&Migration> for Target {
    fn from(migration: &Migration) -> Self {
        Self(migration.version())
    }
}

impl From<Migration> for Target {
    fn from(migration: Migration) -> Self {
        Self(migration.version())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What [`Migrator::execute`] and [`Migrator::dry_run`] do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Apply every pending migration.
    Up,
    /// Apply the pending migrations up to and including this version, which
    /// must be one of the binary's migrations.
    UpTo(Target),
    /// Revert, newest first, every applied migration above this version (0
    /// reverts them all). The version must be 0, one of the binary's
    /// migrations or one recorded in the history.
    RevertTo(Target),
    /// Revert this many applied migrations, newest first.
    RevertSteps(usize),
}

impl Operation {
    fn is_up(self) -> bool {
        matches!(self, Operation::Up | Operation::UpTo(_))
    }
}

/// Whether a step applies or reverts a migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Runs the up script and records the migration in the history.
    Up,
    /// Runs the down script and removes the migration from the history.
    Down,
}

/// Where the SQL of a step comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScriptSource {
    /// The migration embedded in this binary.
    Binary,
    /// The down script recorded in the history table when the migration was
    /// applied: how a binary reverts a migration it does not contain (a
    /// newer build's) or whose down script it lacks.
    History,
}

/// One migration an operation would apply or revert, as [`Migrator::dry_run`]
/// returns it: the exact SQL, in the order it would run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The migration's version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// Applied or reverted.
    pub direction: Direction,
    /// The script that would run, exactly as it would be given to SQLite.
    pub sql: String,
    /// Its `-- migrate: …` directives: a `no-transaction` script runs alone,
    /// a `foreign-keys-off` one in a transaction of its own.
    pub directives: Directives,
    /// Where the script comes from.
    pub source: ScriptSource,
}

/// An operation with its target resolved to a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Goal {
    /// Apply the pending migrations up to and including `to`.
    Up { to: u64 },
    /// Revert the applied migrations above `to`.
    Down { to: u64 },
}

impl Goal {
    /// Every pending migration.
    pub(crate) const ALL: Goal = Goal::Up { to: u64::MAX };

    pub(crate) fn direction(self) -> Direction {
        match self {
            Goal::Up { .. } => Direction::Up,
            Goal::Down { .. } => Direction::Down,
        }
    }
}

/// One migration to apply or revert, as the slow path runs it.
#[derive(Clone, Debug)]
pub(crate) enum Change {
    Apply(&'static Migration),
    Revert {
        version: u64,
        name: String,
        down: Script,
        source: ScriptSource,
    },
}

impl Change {
    pub(crate) fn version(&self) -> u64 {
        match self {
            Change::Apply(migration) => migration.version(),
            Change::Revert { version, .. } => *version,
        }
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            Change::Apply(migration) => migration.name(),
            Change::Revert { name, .. } => name,
        }
    }

    /// The script that runs.
    pub(crate) fn script(&self) -> &Script {
        match self {
            Change::Apply(migration) => migration.up(),
            Change::Revert { down, .. } => down,
        }
    }

    pub(crate) fn direction(&self) -> Direction {
        match self {
            Change::Apply(_) => Direction::Up,
            Change::Revert { .. } => Direction::Down,
        }
    }

    /// Version and name, as error messages list migrations.
    pub(crate) fn label(&self) -> (u64, String) {
        (self.version(), self.name().to_string())
    }

    /// What a deadline or a full disk interrupted: `migration 3 (add_email)`.
    pub(crate) fn during(&self) -> String {
        match self {
            Change::Apply(_) => format!("migration {self}"),
            Change::Revert { .. } => format!("the revert of migration {self}"),
        }
    }

    /// The error for its script failing, logged with the place in the
    /// script where it failed.
    pub(crate) fn failed(&self, failure: Failure, recovery: Recovery) -> Error {
        let place = failure
            .offset()
            .map(|offset| line_col(self.script().sql(), offset));
        tracing::error!(
            version = self.version(),
            name = self.name(),
            direction = ?self.direction(),
            line = place.map(|(line, _)| line),
            column = place.map(|(_, column)| column),
            error = %failure.error,
            "migration failed"
        );
        let (version, name) = self.label();
        let source = failure.error;
        match self {
            Change::Apply(_) => Error::Migration {
                version,
                name,
                source,
                recovery,
            },
            Change::Revert { .. } => Error::Revert {
                version,
                name,
                source,
                recovery,
            },
        }
    }

    fn step(&self) -> Step {
        let source = match self {
            Change::Apply(_) => ScriptSource::Binary,
            Change::Revert { source, .. } => *source,
        };
        Step {
            version: self.version(),
            name: self.name().to_string(),
            direction: self.direction(),
            sql: self.script().sql().to_string(),
            directives: self.script().directives(),
            source,
        }
    }
}

/// `3 (add_email)`.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.version(), self.name())
    }
}

impl Migrator {
    /// Applies the pending migrations up to and including `target`, with
    /// everything [`Migrator::run`] does (the migration lock, `BEGIN
    /// IMMEDIATE`, the backup, the deadline, the events, the transaction
    /// mode), except the environment switches, which are for starts.
    ///
    /// `target` must be one of this binary's migrations
    /// ([`Error::NotInBinary`] otherwise); pass its constant
    /// (`migrations::V3_ADD_EMAIL`) to have the compiler check it.
    pub fn up_to(&self, conn: &mut Connection, target: impl Into<Target>) -> Result<Report, Error> {
        self.execute(conn, Operation::UpTo(target.into()))
    }

    /// Reverts, newest first, the applied migrations above `target` (0
    /// reverts them all) by running their down scripts; see
    /// [`Operation::RevertTo`] and [`Migrator::execute`].
    pub fn revert_to(
        &self,
        conn: &mut Connection,
        target: impl Into<Target>,
    ) -> Result<Report, Error> {
        self.execute(conn, Operation::RevertTo(target.into()))
    }

    /// Reverts the `steps` newest applied migrations; see
    /// [`Migrator::execute`].
    pub fn revert_steps(&self, conn: &mut Connection, steps: usize) -> Result<Report, Error> {
        self.execute(conn, Operation::RevertSteps(steps))
    }

    /// Runs `operation` on the database of `conn`.
    ///
    /// Both directions take the same path: the migration lock file, `BEGIN
    /// IMMEDIATE` and a new read of the history under it, a backup before
    /// the first change (per [`Migrator::backups`]), the deadline, the
    /// events and the transaction mode. A revert runs the down scripts
    /// newest first, by default in one transaction (a `no-transaction` down
    /// script runs alone, a `foreign-keys-off` one in a transaction of its
    /// own), removes the migrations' history rows and stores the fingerprint
    /// of what stays applied, so that the next start applies them again.
    ///
    /// A revert takes each migration's down script from this binary, or, when
    /// the binary does not contain the migration (a newer build applied it)
    /// or has no down script for it, the one recorded in the history when it
    /// was applied. It is refused, before anything changes, when a migration
    /// to revert has neither ([`Error::NoDownScript`]) or was changed since it
    /// was applied ([`Error::ChecksumMismatch`]).
    ///
    /// The environment switches ([`crate::SKIP_VARIABLE`],
    /// [`crate::CHECK_ONLY_VARIABLE`]) are not read: they are for starts.
    pub fn execute(&self, conn: &mut Connection, operation: Operation) -> Result<Report, Error> {
        self.check_sqlite_version()?;
        if let Operation::UpTo(target) = operation {
            self.in_binary(target.get(), "apply migrations up to")?;
        }
        let path = connection::file_path(conn);
        if operation.is_up() && self.is_up_to_date(conn, path.as_deref())? {
            tracing::info!("database is up to date; no migration to apply");
            return Ok(Report::default());
        }
        self.migrate(conn, operation, false)
    }

    /// What [`Migrator::execute`] would run for `operation`, in order, with
    /// the exact SQL of each migration, without changing anything (no lock
    /// is taken, no table created). Refuses what `execute` would refuse,
    /// with the same error. The statements that keep the history and the
    /// fingerprint are not listed.
    pub fn dry_run(&self, conn: &Connection, operation: Operation) -> Result<Vec<Step>, Error> {
        self.check_sqlite_version()?;
        let path = connection::file_path(conn);
        let applied = self.read_history(conn, path.as_deref())?;
        let goal = self.resolve(operation, &applied)?;
        let changes = self.changes(&applied, goal)?;
        Ok(changes.iter().map(Change::step).collect())
    }

    /// This binary's migration `version`, or the error naming it.
    pub(crate) fn in_binary(
        &self,
        version: u64,
        operation: &'static str,
    ) -> Result<&'static Migration, Error> {
        self.find(version)
            .ok_or(Error::NotInBinary { version, operation })
    }

    /// The version `operation` goes to, given what is applied.
    pub(crate) fn resolve(&self, operation: Operation, applied: &[Applied]) -> Result<Goal, Error> {
        match operation {
            Operation::Up => Ok(Goal::ALL),
            Operation::UpTo(target) => {
                let migration = self.in_binary(target.get(), "apply migrations up to")?;
                Ok(Goal::Up {
                    to: migration.version(),
                })
            }
            Operation::RevertTo(target) => {
                let to = target.get();
                let known = to == 0
                    || self.find(to).is_some()
                    || applied.iter().any(|row| row.version == to);
                if !known {
                    return Err(Error::NotInBinary {
                        version: to,
                        operation: "revert to",
                    });
                }
                Ok(Goal::Down { to })
            }
            Operation::RevertSteps(steps) if steps > applied.len() => Err(Error::TooManySteps {
                steps,
                applied: applied.len(),
            }),
            Operation::RevertSteps(steps) => {
                let kept = applied.len() - steps;
                let to = kept.checked_sub(1).map_or(0, |last| applied[last].version);
                Ok(Goal::Down { to })
            }
        }
    }

    /// What reaching `goal` takes, in the order it runs, after the checks
    /// that refuse the database.
    pub(crate) fn changes(&self, applied: &[Applied], goal: Goal) -> Result<Vec<Change>, Error> {
        match goal {
            Goal::Up { to } => {
                let plan = self.plan(applied)?;
                let pending: Vec<&'static Migration> = plan
                    .pending
                    .into_iter()
                    .take_while(|m| m.version() <= to)
                    .collect();
                self.check_order(applied, &pending)?;
                Ok(pending.into_iter().map(Change::Apply).collect())
            }
            Goal::Down { to } => self.reverts(applied, to),
        }
    }

    /// A pending migration older than the newest applied one is refused,
    /// unless [`Migrator::allow_out_of_order`] allows it.
    fn check_order(
        &self,
        applied: &[Applied],
        pending: &[&'static Migration],
    ) -> Result<(), Error> {
        match (applied.last(), pending.first()) {
            (Some(newest), Some(first))
                if first.version() < newest.version && !self.allow_out_of_order =>
            {
                Err(Error::OutOfOrder {
                    pending: first.version(),
                    pending_name: first.name().to_string(),
                    applied: newest.version,
                    applied_name: newest.name.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The applied migrations above `to`, newest first, each with its down
    /// script; refused, naming them, if any has none.
    fn reverts(&self, applied: &[Applied], to: u64) -> Result<Vec<Change>, Error> {
        let mut changes = Vec::new();
        let mut missing = Vec::new();
        for row in applied.iter().rev().take_while(|row| row.version > to) {
            match self.revert_of(row)? {
                Some(change) => changes.push(change),
                None => missing.push((row.version, row.name.clone())),
            }
        }
        if !missing.is_empty() {
            return Err(Error::NoDownScript {
                migrations: missing,
            });
        }
        Ok(changes)
    }

    /// How to revert one applied migration: the binary's down script, else
    /// the one recorded in the history; `None` when neither exists.
    fn revert_of(&self, row: &Applied) -> Result<Option<Change>, Error> {
        let binary = self.find(row.version);
        if let Some(migration) = binary {
            self.check_checksum(migration, row)?;
        }
        let (down, source) = match (binary.and_then(Migration::down), &row.down_sql) {
            (Some(down), _) => (down.clone(), ScriptSource::Binary),
            (None, Some(sql)) => {
                // A newer build may know directives this one does not:
                // running without one (foreign-keys-off) could lose rows.
                let directives = Directives::parse_for_running(sql).map_err(|error| {
                    Error::UnreadableDownScript {
                        version: row.version,
                        name: row.name.clone(),
                        detail: format!("line {}: {}", error.line, error.message),
                    }
                })?;
                (
                    Script::owned(sql.clone(), directives),
                    ScriptSource::History,
                )
            }
            (None, None) => return Ok(None),
        };
        let name = binary.map_or_else(|| row.name.clone(), |m| m.name().to_string());
        Ok(Some(Change::Revert {
            version: row.version,
            name,
            down,
            source,
        }))
    }
}
