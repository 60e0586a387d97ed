//! Everything a [`Migrator`] does, each operation handed to the module that
//! does it.

use std::path::{Path, PathBuf};

use migrate_sqlite::Migration;
use rusqlite::Connection;

use super::Migrator;
use crate::adopt::{self, Baselined, ForeignHistory, Imported};
use crate::backup;
use crate::doctor::{self, Diagnosis};
use crate::migrate::{self, Report};
use crate::operation::{Operation, Step, Target};
use crate::repair::{self, Repaired};
use crate::start;
use crate::status::{self, Status};
use crate::verify::{self, Verification};
use crate::Error;

impl Migrator {
    /// Opens (or creates) the database at `path`, configures the connection
    /// and applies the pending migrations.
    ///
    /// The connection gets `journal_mode = WAL` (readers keep reading while
    /// a writer writes), the busy timeout (waits for other writers instead
    /// of failing with "database is locked") and `foreign_keys = ON`.
    ///
    /// When the database is up to date this costs about as much as opening
    /// the file: the fingerprint of the applied chain, kept in the header,
    /// is compared with the binary's without reading the schema.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Connection, Error> {
        start::open(self, path.as_ref())
    }

    /// Applies the pending migrations to a connection the caller opened and
    /// configured.
    ///
    /// Transactional migrations are applied in `BEGIN IMMEDIATE`
    /// transactions (by default all in one); the history is read again once
    /// the write lock is held, so that concurrent starts apply each
    /// migration once. A `no-transaction` migration runs alone, after a
    /// backup that is copied back if it fails; a `foreign-keys-off` one gets
    /// a transaction of its own with foreign keys off.
    ///
    /// Refuses, without changing anything, a database whose applied
    /// migrations differ from this binary's, include versions it does not
    /// know, or leave an older migration pending behind a newer one.
    pub fn run(&self, conn: &mut Connection) -> Result<Report, Error> {
        start::run(self, conn)
    }

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
        start::execute(self, conn, operation)
    }

    /// What [`Migrator::execute`] would run for `operation`, in order, with
    /// the exact SQL of each migration, without changing anything (no lock
    /// is taken, no table created). Refuses what `execute` would refuse,
    /// with the same error. The statements that keep the history and the
    /// fingerprint are not listed.
    pub fn dry_run(&self, conn: &Connection, operation: Operation) -> Result<Vec<Step>, Error> {
        migrate::dry_run(self, conn, operation)
    }

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
        status::status(self, conn)
    }

    /// This binary's migrations not applied to the database, in order
    /// (including those [`State::OutOfOrder`](crate::State::OutOfOrder)).
    pub fn pending(&self, conn: &Connection) -> Result<Vec<&'static Migration>, Error> {
        status::pending(self, conn)
    }

    /// Checks a database without changing it: that each applied migration
    /// is the one this binary holds (same checksum), and that its schema is
    /// the one those migrations make, object by object (tables, indexes,
    /// triggers, views), compared as the compiler compares schemas: what
    /// SQLite reports of each table and index, not the spelling of its
    /// `CREATE` statement. The history table, SQLite's own tables, what
    /// replication keeps in the file (Litestream's `_litestream_*`, Turso's
    /// `turso_cdc*` and `turso_sync_last_change_id`), the history tables of
    /// the tools `import_history` reads (`_sqlx_migrations`,
    /// `refinery_schema_history`, `__diesel_schema_migrations`, …), and the
    /// tables named with [`Migrator::ignore_tables`] are not drift.
    ///
    /// When every migration of the binary is applied, the expected schema is
    /// the one recorded at compile time; otherwise it is made by running the
    /// applied migrations on an in-memory database.
    pub fn verify(&self, conn: &Connection) -> Result<Verification, Error> {
        verify::verify(self, conn)
    }

    /// Accepts this binary's checksum for the applied migration `migration`:
    /// its history row takes the binary's checksum, and the header the
    /// fingerprint of the applied chain, so that the next start no longer
    /// refuses the database with [`Error::ChecksumMismatch`] and, once
    /// nothing is pending, takes the fast path again.
    ///
    /// For an edit that does not change what the migration did (a comment,
    /// formatting): nothing is run again. The down script recorded with the
    /// migration is kept. Refused with [`Error::NotInBinary`] when this
    /// binary has no such migration, and with [`Error::NotApplied`] when it
    /// is not applied.
    pub fn repair(
        &self,
        conn: &mut Connection,
        migration: impl Into<Target>,
    ) -> Result<Repaired, Error> {
        repair::repair(self, conn, migration.into())
    }

    /// Adopts a database this toolkit never migrated, whose schema was made
    /// some other way (by hand, by an older deployment script): records
    /// this binary's migrations up to and including `target` as applied,
    /// **without running them**.
    ///
    /// First, the database's schema is compared with the one those
    /// migrations make, as [`Migrator::verify`] compares them (tables,
    /// indexes, triggers and views; the tables of
    /// [`Migrator::ignore_tables`] and of other tools are left out). Any
    /// difference refuses the baseline with [`Error::SchemaDiffers`], whose
    /// message lists each one. Rows are not compared: data a migration
    /// inserts is assumed to be there.
    ///
    /// The history rows are written as applying writes them (this binary's
    /// checksum and down script, applied now, in no time), with the
    /// fingerprint in the header, under the migration lock and `BEGIN
    /// IMMEDIATE`, in one transaction. A following [`Migrator::run`] applies
    /// the migrations above `target`; once none is pending, starts take the
    /// fast path.
    ///
    /// Refused, with nothing changed, when `target` is not one of this
    /// binary's migrations ([`Error::NotInBinary`]), when the database
    /// already has a history ([`Error::AlreadyHasHistory`]: see
    /// [`Migrator::status`] and [`Migrator::verify`] instead) and when the
    /// schema differs.
    ///
    /// ```no_run
    /// # migrate_runtime::embed_migrations!("tests/migrations");
    /// let mut conn = migrate_runtime::rusqlite::Connection::open("legacy.db")?;
    /// // The schema was made by hand, as migrations 1 and 2 make it:
    /// migrations::MIGRATOR.baseline(&mut conn, migrations::V2_CREATE_POSTS)?;
    /// migrations::MIGRATOR.run(&mut conn)?; // applies 3 and above
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn baseline(
        &self,
        conn: &mut Connection,
        target: impl Into<Target>,
    ) -> Result<Baselined, Error> {
        adopt::baseline(self, conn, target.into())
    }

    /// Adopts a database that another tool migrated (sqlx, refinery,
    /// diesel, golang-migrate, goose, dbmate, Prisma or Drizzle: see
    /// [`ForeignHistory`]), so that a project moves over to this toolkit
    /// without running any migration again: the migrations `from` recorded
    /// as applied are recorded as applied in this toolkit's history, with
    /// this binary's checksum and down script, and the time the other tool
    /// applied them where it kept one (and, from sqlx, how long they took).
    ///
    /// Each migration the other tool applied must be in this binary, as its
    /// folder is read in place: with the same version (diesel's with the
    /// dashes dropped, Prisma's the leading digits of the folder name), or,
    /// for Drizzle, which records no version, with an up script whose
    /// SHA-256 is the hash Drizzle recorded. golang-migrate records only its
    /// current version: every migration of the binary up to it is applied.
    /// The other tool's checksums are not compared (each tool has its own);
    /// instead, as for [`Migrator::baseline`], the database's schema must be
    /// the one those migrations make, compared before anything is written.
    ///
    /// Everything happens in one transaction, under the migration lock and
    /// `BEGIN IMMEDIATE`: the database is either as it was or adopted. The
    /// other tool's table is left in place (drop it once the move is done);
    /// [`Migrator::verify`] never counts it as drift. A following
    /// [`Migrator::run`] applies this binary's migrations that the other
    /// tool had not.
    ///
    /// Refused, with nothing changed, when the database has no table of
    /// that tool ([`Error::NoForeignHistory`]; [`ForeignHistory::detect`]
    /// lists those it has), already has this toolkit's history
    /// ([`Error::AlreadyHasHistory`]), records a failed migration (sqlx's
    /// `success = false`, golang-migrate's `dirty`, a Prisma row neither
    /// finished nor rolled back: [`Error::ForeignMigrationFailed`]) or one
    /// this binary does not contain ([`Error::ForeignVersionsUnknown`]), and
    /// when the schema is not what the migrations make
    /// ([`Error::SchemaDiffers`]). A migration goose or Prisma rolled back
    /// is not imported.
    ///
    /// ```no_run
    /// # migrate_runtime::embed_migrations!("tests/migrations");
    /// use migrate_runtime::ForeignHistory;
    ///
    /// let mut conn = migrate_runtime::rusqlite::Connection::open("app.db")?;
    /// if ForeignHistory::detect(&conn)?.contains(&ForeignHistory::Sqlx) {
    ///     migrations::MIGRATOR.import_history(&mut conn, ForeignHistory::Sqlx)?;
    /// }
    /// migrations::MIGRATOR.run(&mut conn)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn import_history(
        &self,
        conn: &mut Connection,
        from: ForeignHistory,
    ) -> Result<Imported, Error> {
        adopt::import_history(self, conn, from)
    }

    /// The backups of the database at `path`, oldest first.
    pub fn backups_of(&self, path: impl AsRef<Path>) -> Result<Vec<PathBuf>, Error> {
        self.options().backups.list(path.as_ref())
    }

    /// Writes a backup of the database at `path` now, as the one taken
    /// before migrating: a consistent copy made with `VACUUM INTO`, safe
    /// while other connections use the database, into the backups folder
    /// ([`Migrator::backups`]), named for the newest applied version
    /// (`<file>.<UTC time>.v4-to-v4.sqlite`). It counts towards the backups
    /// kept, so the oldest beyond them is removed; with backups disabled it
    /// is written all the same and nothing is removed. Returns its path.
    ///
    /// ```no_run
    /// # migrate_runtime::embed_migrations!("tests/migrations");
    /// let backup = migrations::MIGRATOR.backup("app.db")?;
    /// println!("backed up to {}", backup.display());
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn backup(&self, path: impl AsRef<Path>) -> Result<PathBuf, Error> {
        backup::backup_now(self, path.as_ref())
    }

    /// Where the backups of the database at `path` are written.
    pub fn backup_folder(&self, path: impl AsRef<Path>) -> PathBuf {
        self.options().backups.folder_for(path.as_ref())
    }

    /// Copies `backup` back over the database at `path`, through SQLite, so
    /// that connections other processes have open see the old or the
    /// restored content, never a mix.
    pub fn restore(&self, path: impl AsRef<Path>, backup: impl AsRef<Path>) -> Result<(), Error> {
        backup::restore(self, path.as_ref(), backup.as_ref())
    }

    /// Looks at the database at `path` without changing it: who has it open
    /// and who holds its locks, its `-wal` and `-shm` files, its journal
    /// mode, whether the write lock is free (taken and released at once),
    /// `PRAGMA integrity_check`, `PRAGMA foreign_key_check`, and the state of
    /// every migration. The file must exist ([`Error::NoDatabase`]).
    ///
    /// `integrity_check` reads the whole file: on a large database this takes
    /// a while.
    ///
    /// ```no_run
    /// # migrate_runtime::embed_migrations!("tests/migrations");
    /// let diagnosis = migrations::MIGRATOR.diagnose("app.db")?;
    /// if !diagnosis.is_sound() {
    ///     eprintln!("integrity: {:?}", diagnosis.integrity);
    /// }
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn diagnose(&self, path: impl AsRef<Path>) -> Result<Diagnosis, Error> {
        doctor::diagnose(self, path.as_ref())
    }

    /// Opens (or creates) the database at `path` as [`Migrator::open`] does,
    /// WAL, busy timeout and foreign keys on, without applying anything: for
    /// the commands that apply or revert under an operator's eye.
    #[cfg(feature = "cli")]
    pub(crate) fn connect(&self, path: &Path) -> Result<Connection, Error> {
        start::connect(self, path)
    }
}
