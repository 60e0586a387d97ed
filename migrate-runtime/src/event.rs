use std::path::Path;
use std::time::Duration;

use migrate_sqlite::Migration;

/// What a migrator reports to the hook set with [`Migrator::on_event`](crate::Migrator::on_event).
///
/// A run that changes a database with data backs it up first
/// ([`Event::BackingUp`], [`Event::BackedUp`]), then applies or reverts its
/// migrations one by one; so does [`Migrator::backup`](crate::Migrator::backup).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The migration is about to be applied.
    Applying {
        /// The migration.
        migration: &'a Migration,
    },
    /// The migration's SQL ran and it was recorded in the history. Its
    /// transaction commits once the migrations applied with it have run too.
    Applied {
        /// The migration.
        migration: &'a Migration,
        /// How long its SQL took.
        duration: Duration,
    },
    /// The migration is about to be reverted by its down script. A newer
    /// build's migration, which this binary does not contain, is reverted
    /// too, so it is named by version and name rather than a [`Migration`].
    Reverting {
        /// Its version.
        version: u64,
        /// Its name.
        name: &'a str,
    },
    /// The migration's down script ran and its history row was removed. Its
    /// transaction commits once the migrations reverted with it have run too.
    Reverted {
        /// Its version.
        version: u64,
        /// Its name.
        name: &'a str,
        /// How long its down script took.
        duration: Duration,
    },
    /// A backup of the database is about to be written: before the first
    /// change of a run, or asked for with [`Migrator::backup`](crate::Migrator::backup).
    BackingUp {
        /// The database.
        database: &'a Path,
    },
    /// The backup is written.
    BackedUp {
        /// The backup file.
        backup: &'a Path,
        /// How long writing it took.
        duration: Duration,
    },
}
