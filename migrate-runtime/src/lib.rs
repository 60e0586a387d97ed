//! SQLite migrations checked at compile time, embedded in the binary and
//! applied at launch.
//!
//! ```no_run
//! # /*
//! migrate_runtime::embed_migrations!("migrations"); // defines `mod migrations`
//! # */
//! # migrate_runtime::embed_migrations!("tests/migrations");
//!
//! fn main() -> Result<(), migrate_runtime::Error> {
//!     // WAL, busy timeout, foreign keys on, pending migrations applied:
//!     let conn = migrations::MIGRATOR.open("app.db")?;
//!     Ok(())
//! }
//! ```
//!
//! `embed_migrations!` executes every migration, in order, on an in-memory
//! SQLite while the crate compiles: bad SQL is a compile error naming the
//! file, line and column. The migrations are embedded with their checksums;
//! [`Migrator::open`] and [`Migrator::run`] apply the pending ones.
//!
//! The crate re-exports the [`rusqlite`] it was built with, so the
//! connection type always matches.
//!
//! For an application's admin endpoints or an operator's tool, the
//! [`Migrator`] also reports and operates, returning plain data:
//! [`Migrator::status`] and [`Migrator::pending`] read the state of every
//! migration without changing anything; [`Migrator::up_to`],
//! [`Migrator::revert_to`] and [`Migrator::revert_steps`] apply or revert up
//! to a [`Target`] with the same locking, backups and deadline as a start;
//! [`Migrator::dry_run`] returns the SQL an [`Operation`] would run;
//! [`Migrator::repair`] accepts the binary's checksum for an edited
//! migration; [`Migrator::backup`] takes a backup now; and
//! [`Migrator::diagnose`] reports locks, journal mode, integrity and foreign
//! keys.
//!
//! A database this toolkit never migrated is adopted without running
//! anything again: [`Migrator::baseline`] records the migrations up to a
//! version as applied once the schema is shown to be theirs, and
//! [`Migrator::import_history`] does the same from the history that sqlx,
//! refinery, diesel, golang-migrate, goose, dbmate, Prisma or Drizzle kept
//! ([`ForeignHistory`]).
//!
//! With the `turso` feature, the `turso` module does the same for a
//! database a Turso server keeps, each instance on its own synced copy:
//! the migrations are applied on the server, in one transaction with their
//! history rows, and each copy pulls until it carries them.
//!
//! With the `cli` feature, the `cli` module turns all of this into commands
//! an application mounts in one line: `myapp migrate status`, `up`, `down`,
//! `verify`, `baseline`, `import`, `repair`, `backup`, `backups`, `restore`,
//! `doctor`.

#![warn(missing_docs)]
// `Error` carries SQLite's error and what became of the database: large, but
// returned at most once per start, and unboxed so that callers can match it.
#![allow(clippy::result_large_err)]

mod adopt;
mod backfill;
mod backup;
#[cfg(feature = "cli")]
pub mod cli;
mod connection;
mod doctor;
mod error;
mod event;
mod foreign_history;
mod history;
mod lock;
mod migrate;
mod migration_lock;
mod migrator;
mod operation;
mod plan;
mod repair;
mod replica;
mod requirement;
mod start;
mod status;
#[cfg(feature = "turso")]
pub mod turso;
mod verify;

pub use adopt::{Baselined, ForeignHistory, Imported};
pub use backfill::{backfill, Backfilled};
pub use backup::Backups;
pub use doctor::{Diagnosis, WriteLock};
pub use error::{Error, Recovery};
pub use event::Event;
pub use history::DEFAULT_TABLE as DEFAULT_HISTORY_TABLE;
pub use lock::{Holder, LockReport};
pub use migrate::{Applied, Report, Reverted};
/// A row whose foreign key refers to a missing parent row, as
/// [`Migrator::diagnose`] reports it.
pub use migrate_sqlite::Violation as ForeignKeyViolation;
pub use migrate_sqlite::{
    Checksum, Column, Directive, Directives, Drift, Fingerprint, Lint, Migration, SchemaObject,
    Script, Table,
};
pub use migrator::{Migrator, TransactionMode};
pub use operation::{Direction, Operation, ScriptSource, Step, Target};
pub use plan::State;
pub use repair::Repaired;
pub use replica::{OnReplica, Replica, ON_REPLICA_VARIABLE};
pub use requirement::Requirement;
pub use rusqlite;
pub use start::{CHECK_ONLY_VARIABLE, SKIP_VARIABLE};
pub use status::{MigrationStatus, Status};
pub use verify::Verification;

/// Checks a migrations folder at compile time and embeds it as `mod migrations`.
///
/// The path is relative to the crate root (the folder holding `Cargo.toml`);
/// with no argument it is `"migrations"`. Every migration is executed, in
/// order, on an in-memory SQLite while the crate compiles, and a failure is a
/// compile error that names the file, line and column.
///
/// The module holds:
/// - `MIGRATIONS: &[Migration]`, every migration ordered by version;
/// - one constant per migration, `V<version>_<NAME>: &Migration`
///   (`V3_ADD_EMAIL` for `0003_add_email.sql`);
/// - `MIGRATOR: Migrator`, which applies them.
///
/// Adding or removing a file is noticed by cargo only through a build script:
/// `migrate_build_support::track_migrations("migrations")` in `build.rs`.
pub use migrate_macros::embed_migrations;

/// The repository's README, whose code blocks compile (and, where they touch
/// no file, run) as doctests of this crate, so that they cannot go stale.
/// Its examples read `migrations/` beside this crate's manifest; the operator
/// CLI's example needs the `cli` feature.
#[cfg(all(doctest, feature = "cli"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
