//! What an application or an operator asks for explicitly: apply up to a
//! version, revert to a version or by a number of steps; and the steps a
//! dry run of either returns instead of running them.

use std::fmt;

use migrate_sqlite::{Directives, Migration};

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
    /// The target with this version. A revert to 0 reverts every
    /// migration above 0: all of them, unless the chain starts at 0 as
    /// golang-migrate and Drizzle folders do ([`Operation::RevertAll`]
    /// reverts that one too).
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

/// What [`Migrator::execute`](crate::Migrator::execute) and [`Migrator::dry_run`](crate::Migrator::dry_run) do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Apply every pending migration.
    Up,
    /// Apply the pending migrations up to and including this version, which
    /// must be one of the binary's migrations.
    UpTo(Target),
    /// Revert, newest first, every applied migration above this version (0
    /// reverts them all, but a migration numbered 0). The version must be 0,
    /// one of the binary's migrations or one recorded in the history.
    RevertTo(Target),
    /// Revert this many applied migrations, newest first.
    RevertSteps(usize),
    /// Revert every applied migration, newest first.
    RevertAll,
}

impl Operation {
    /// Whether it applies migrations (rather than reverting them).
    pub(crate) fn is_up(self) -> bool {
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

/// One migration an operation would apply or revert, as [`Migrator::dry_run`](crate::Migrator::dry_run)
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
