use std::time::Duration;

use migrate_core::Migration;

/// What a migrator reports to the hook set with [`Migrator::on_event`](crate::Migrator::on_event).
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
}
