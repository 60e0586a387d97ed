//! [`Migrator`]: a chain of migrations and the options it is applied with.
//!
//! What a migrator does is in [`operations`], each operation handed to the
//! module that does it (`start`, `migrate`, `status`, `verify`, `repair`,
//! `adopt`, `backup`, `doctor`); those modules read the migrator through
//! the accessors below, never its fields.

mod operations;

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use migrate_sqlite::{Fingerprint, Migration, SchemaObject};
use rusqlite::Connection;

use crate::backup::Backups;
use crate::event::Event;
use crate::history::{self, Recorded, DEFAULT_TABLE};
use crate::plan::{self, Allowances, Standing};
use crate::replica::OnReplica;
use crate::requirement::Requirement;
use crate::Error;

/// How pending migrations are grouped into transactions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TransactionMode {
    /// All pending migrations in one transaction, so the application never
    /// sees half a schema. The default. A `no-transaction` or
    /// `foreign-keys-off` migration still gets a transaction of its own, and
    /// the migrations before it commit first.
    #[default]
    AllPending,
    /// One transaction per migration: a long chain commits as it goes.
    PerMigration,
}

pub(crate) type Hook = Arc<dyn Fn(&Event<'_>) + Send + Sync>;
pub(crate) type ConnectionSetup = Arc<dyn Fn(&Connection) -> rusqlite::Result<()> + Send + Sync>;

/// Applies a fixed, ordered set of migrations to SQLite databases.
///
/// `embed_migrations!` defines one as `migrations::MIGRATOR`, with the
/// defaults below. Each option has a builder method; start from a clone:
///
/// ```no_run
/// # migrate_runtime::embed_migrations!("tests/migrations");
/// use std::time::Duration;
/// use migrate_runtime::{Backups, TransactionMode};
///
/// let migrator = migrations::MIGRATOR
///     .clone()
///     .busy_timeout(Duration::from_secs(10))
///     .deadline(Duration::from_secs(300))
///     .transaction_mode(TransactionMode::PerMigration)
///     .backups(Backups::keep(3).in_folder("/var/backups/app"));
/// let conn = migrator.open("app.db")?;
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct Migrator {
    migrations: &'static [Migration],
    fingerprint: Fingerprint,
    options: Options,
    hook: Option<Hook>,
    connection_setup: Option<ConnectionSetup>,
    requirements: &'static [Requirement],
    validated_with_sqlite: Option<i32>,
    expected_schema: Option<&'static [SchemaObject]>,
}

/// What the builder methods of [`Migrator`] set, read by its operations.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) busy_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) mode: TransactionMode,
    pub(crate) backups: Backups,
    pub(crate) history_table: Cow<'static, str>,
    pub(crate) allow_newer_database: bool,
    pub(crate) allow_out_of_order: bool,
    pub(crate) read_environment: bool,
    pub(crate) on_replica: Option<OnReplica>,
    pub(crate) truncate_wal: bool,
    pub(crate) ignored_tables: Vec<Cow<'static, str>>,
}

impl Migrator {
    /// A migrator for `migrations`, which must be ordered by version, each
    /// version once, as the macro orders them.
    ///
    /// Defaults: busy timeout 60 s, deadline 120 s, all pending migrations
    /// in one transaction, the last 5 backups kept beside the database,
    /// history in `_migrate_history`, a newer database refused, and the
    /// environment switches read.
    ///
    /// # Panics
    ///
    /// If they are not ordered; in a `static` or `const` that is a compile error.
    pub const fn new(migrations: &'static [Migration]) -> Self {
        let mut index = 1;
        while index < migrations.len() {
            assert!(
                migrations[index - 1].version() < migrations[index].version(),
                "migrations must be ordered by version, each version once"
            );
            index += 1;
        }
        Self::embedded(migrations, Fingerprint::of(migrations))
    }

    /// [`Migrator::new`] for the macro, which has ordered `migrations` and
    /// computed their `fingerprint` ([`Fingerprint::of`]) already: the
    /// compiler's const evaluation would take most of a second over a
    /// thousand migrations.
    #[doc(hidden)]
    pub const fn embedded(migrations: &'static [Migration], fingerprint: Fingerprint) -> Self {
        Self {
            migrations,
            fingerprint,
            options: Options {
                busy_timeout: Duration::from_secs(60),
                deadline: Duration::from_secs(120),
                mode: TransactionMode::AllPending,
                backups: Backups::keep(5),
                history_table: Cow::Borrowed(DEFAULT_TABLE),
                allow_newer_database: false,
                allow_out_of_order: false,
                read_environment: true,
                on_replica: None,
                truncate_wal: false,
                ignored_tables: Vec::new(),
            },
            hook: None,
            connection_setup: None,
            requirements: &[],
            validated_with_sqlite: None,
            expected_schema: None,
        }
    }

    /// Records what the migrations need of the connection beyond SQLite:
    /// the functions and extensions the folder's `migrate.toml` declares;
    /// the macro sets it. Before applying or reverting anything, a
    /// connection that lacks one is refused with
    /// [`Error::MissingOnConnection`], naming it.
    pub const fn requiring(mut self, requirements: &'static [Requirement]) -> Self {
        self.requirements = requirements;
        self
    }

    /// What the migrations need of the connection ([`Migrator::requiring`]).
    pub const fn requirements(&self) -> &'static [Requirement] {
        self.requirements
    }

    /// Records the schema the migrations make, as the compiler found it; the
    /// macro sets it, and [`Migrator::verify`] compares a database with it.
    pub const fn expecting_schema(mut self, objects: &'static [SchemaObject]) -> Self {
        self.expected_schema = Some(objects);
        self
    }

    /// Tables another tool keeps in the same database file, which
    /// [`Migrator::verify`], [`Migrator::baseline`] and
    /// [`Migrator::import_history`] do not count as drift.
    pub fn ignore_tables<I, S>(mut self, tables: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.options
            .ignored_tables
            .extend(tables.into_iter().map(Into::into));
        self
    }

    /// Records the SQLite version (as `3054001` for 3.54.1) the migrations
    /// were validated with at compile time; the macro sets it. A binary that
    /// links an older SQLite refuses to migrate with
    /// [`Error::SqliteTooOld`]: SQL that compiled may not run on it.
    pub const fn validated_with_sqlite(mut self, version_number: i32) -> Self {
        self.validated_with_sqlite = Some(version_number);
        self
    }

    /// The SQLite version the migrations were validated with, if known.
    pub const fn validated_sqlite_version(&self) -> Option<i32> {
        self.validated_with_sqlite
    }

    /// Every migration, ordered by version.
    pub const fn migrations(&self) -> &'static [Migration] {
        self.migrations
    }

    /// How long to wait for another connection's write lock before failing
    /// with a report of who holds it. Default 60 s.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.options.busy_timeout = timeout;
        self
    }

    /// The longest the migrations of one start may take; past it, the
    /// running migration is interrupted and rolled back. Default 120 s.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.options.deadline = deadline;
        self
    }

    /// How pending migrations are grouped into transactions.
    pub fn transaction_mode(mut self, mode: TransactionMode) -> Self {
        self.options.mode = mode;
        self
    }

    /// Where backups go and how many are kept; [`Backups::disabled`] turns them off.
    pub fn backups(mut self, backups: Backups) -> Self {
        self.options.backups = backups;
        self
    }

    /// The name of the history table. Default `_migrate_history`.
    pub fn history_table(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.options.history_table = name.into();
        self
    }

    /// Accept a database that has migrations this binary does not know, as
    /// during a rolling deploy where the previous build still runs while the
    /// new one has migrated. Default: refused with [`Error::UnknownVersions`].
    pub fn allow_newer_database(mut self, allow: bool) -> Self {
        self.options.allow_newer_database = allow;
        self
    }

    /// Apply a pending migration whose version is lower than the newest
    /// applied one, as happens when two branches each add a migration and
    /// the one with the lower version is deployed second. Default: refused
    /// with [`Error::OutOfOrder`], naming both, so that every database
    /// applies the migrations in one order.
    pub fn allow_out_of_order(mut self, allow: bool) -> Self {
        self.options.allow_out_of_order = allow;
        self
    }

    /// What a start does on a node that may not write its database (a
    /// LiteFS replica, a read-only file or mount) when migrations are
    /// pending: wait for the primary's, fail naming it, or start without
    /// them. [`ON_REPLICA_VARIABLE`](crate::ON_REPLICA_VARIABLE) overrides
    /// it. Default: a LiteFS replica waits, within the deadline; a file or
    /// mount that refuses writing fails with [`Error::ReadOnly`].
    pub fn on_replica(mut self, policy: OnReplica) -> Self {
        self.options.on_replica = Some(policy);
        self
    }

    /// After a run that applied migrations, checkpoint the WAL and truncate
    /// it (`PRAGMA wal_checkpoint(TRUNCATE)`), so that a large migration
    /// does not leave a WAL of its size for replication (LiteFS,
    /// Litestream) and readers to carry. A reader holding the WAL, as
    /// Litestream does while it replicates, makes the checkpoint answer
    /// busy: that is logged and the start goes on, SQLite's own checkpoints
    /// doing it later. Default off.
    pub fn truncate_wal_after_migrating(mut self, truncate: bool) -> Self {
        self.options.truncate_wal = truncate;
        self
    }

    /// Whether [`SKIP_VARIABLE`](crate::SKIP_VARIABLE),
    /// [`CHECK_ONLY_VARIABLE`](crate::CHECK_ONLY_VARIABLE) and
    /// [`ON_REPLICA_VARIABLE`](crate::ON_REPLICA_VARIABLE) are read. Default on.
    pub fn read_environment(mut self, read: bool) -> Self {
        self.options.read_environment = read;
        self
    }

    /// Calls `hook` before and after each migration.
    pub fn on_event(mut self, hook: impl Fn(&Event<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Calls `setup` on each connection the migrator opens
    /// ([`Migrator::open`], the `cli` commands, `verify`'s replay) before it
    /// migrates: where the application registers the functions and loads
    /// the extensions its migrations call.
    ///
    /// ```no_run
    /// # migrate_runtime::embed_migrations!("tests/migrations");
    /// use migrate_runtime::rusqlite::functions::FunctionFlags;
    ///
    /// let migrator = migrations::MIGRATOR.clone().on_connect(|conn| {
    ///     conn.create_scalar_function("normalize", 1, FunctionFlags::SQLITE_DETERMINISTIC, |ctx| {
    ///         Ok(ctx.get::<String>(0)?.trim().to_lowercase())
    ///     })
    /// });
    /// let conn = migrator.open("app.db")?;
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn on_connect(
        mut self,
        setup: impl Fn(&Connection) -> rusqlite::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.connection_setup = Some(Arc::new(setup));
        self
    }
}

/// What the operations read of a migrator.
impl Migrator {
    /// Its options.
    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    /// Runs the application's connection setup on `conn`, if it gave one.
    pub(crate) fn set_up(&self, conn: &Connection) -> Result<(), Error> {
        match &self.connection_setup {
            Some(setup) => setup(conn).map_err(|source| Error::Database {
                action: "set up the connection (the `on_connect` hook)",
                source,
            }),
            None => Ok(()),
        }
    }

    /// Refuses `conn` when it lacks what the migrations need.
    pub(crate) fn check_requirements(&self, conn: &Connection) -> Result<(), Error> {
        crate::requirement::check(self.requirements, conn)
    }

    /// The fingerprint of the whole chain.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The schema recorded at compile time, if the macro recorded it.
    pub(crate) fn expected_schema(&self) -> Option<&'static [SchemaObject]> {
        self.expected_schema
    }

    /// What it lets a database differ in.
    pub(crate) fn allowances(&self) -> Allowances {
        Allowances {
            newer_database: self.options.allow_newer_database,
            out_of_order: self.options.allow_out_of_order,
        }
    }

    /// The migration with this version.
    pub(crate) fn find(&self, version: u64) -> Option<&'static Migration> {
        Migration::find(self.migrations, version)
    }

    /// This binary's migration `version`, or the error naming it.
    pub(crate) fn in_binary(
        &self,
        version: u64,
        operation: &'static str,
    ) -> Result<&'static Migration, Error> {
        plan::in_binary(self.migrations, version, operation)
    }

    /// Every version of the binary and of `applied`, with its state.
    pub(crate) fn classify<'h>(&self, applied: &'h [Recorded]) -> Vec<Standing<'h>> {
        plan::classify(self.migrations, applied)
    }

    /// The history of `conn`, whose file is `path`: its failures say what
    /// they say about the file first.
    pub(crate) fn read_history(
        &self,
        conn: &Connection,
        path: Option<&Path>,
    ) -> Result<Vec<Recorded>, Error> {
        history::read_at(conn, &self.options.history_table, path)
    }

    /// Refuses a binary that links an older SQLite than the one that
    /// validated the migrations: users who link a system SQLite instead of
    /// the bundled one can end up there.
    pub(crate) fn check_sqlite_version(&self) -> Result<(), Error> {
        match self.validated_with_sqlite {
            Some(validated) if rusqlite::version_number() < validated => Err(Error::SqliteTooOld {
                linked: rusqlite::version().to_string(),
                validated: version_text(validated),
            }),
            _ => Ok(()),
        }
    }

    /// Tells the hook of [`Migrator::on_event`].
    pub(crate) fn emit(&self, event: &Event<'_>) {
        if let Some(hook) = &self.hook {
            hook(event);
        }
    }

    /// This migrator, with `hook` called after the hook it has.
    #[cfg(feature = "cli")]
    pub(crate) fn also_on_event(
        &self,
        hook: impl Fn(&Event<'_>) + Send + Sync + 'static,
    ) -> Migrator {
        let previous = self.hook.clone();
        self.clone().on_event(move |event| {
            if let Some(previous) = &previous {
                previous(event);
            }
            hook(event);
        })
    }
}

impl fmt::Debug for Migrator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let options = &self.options;
        f.debug_struct("Migrator")
            .field("migrations", &self.migrations.len())
            .field("fingerprint", &self.fingerprint)
            .field("busy_timeout", &options.busy_timeout)
            .field("deadline", &options.deadline)
            .field("mode", &options.mode)
            .field("backups", &options.backups)
            .field("history_table", &options.history_table)
            .field("allow_newer_database", &options.allow_newer_database)
            .field("allow_out_of_order", &options.allow_out_of_order)
            .field("read_environment", &options.read_environment)
            .field("hook", &self.hook.is_some())
            .field("validated_with_sqlite", &self.validated_with_sqlite)
            .finish()
    }
}

/// `3054001` as `3.54.1`.
pub(crate) fn version_text(number: i32) -> String {
    format!(
        "{}.{}.{}",
        number / 1_000_000,
        number / 1000 % 1000,
        number % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_read_as_sqlite_writes_them() {
        assert_eq!(version_text(3_054_001), "3.54.1");
        assert_eq!(version_text(3_008_011), "3.8.11");
    }

    #[test]
    fn an_older_linked_sqlite_is_refused_with_both_versions() {
        let newer = rusqlite::version_number() + 1;
        let migrator = Migrator::new(&[]).validated_with_sqlite(newer);
        let Err(Error::SqliteTooOld { linked, validated }) = migrator.check_sqlite_version() else {
            panic!("an older SQLite must be refused");
        };
        assert_eq!(linked, rusqlite::version());
        assert_eq!(validated, version_text(newer));
        let same = Migrator::new(&[]).validated_with_sqlite(rusqlite::version_number());
        assert!(same.check_sqlite_version().is_ok());
        assert!(Migrator::new(&[]).check_sqlite_version().is_ok());
    }
}

#[cfg(test)]
mod properties {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use migrate_sqlite::{Checksum, Directives, Script};
    use proptest::collection::{btree_set, vec};
    use proptest::prelude::*;

    use super::*;

    fn chain(versions: &[u64]) -> &'static [Migration] {
        let migrations: Vec<_> = versions
            .iter()
            .map(|version| {
                let up = Script::embedded("SELECT 1;", Directives::NONE);
                let checksum = Checksum::from_bytes([*version as u8; 32]);
                Migration::new(*version, "m", up, None, checksum)
            })
            .collect();
        Box::leak(migrations.into_boxed_slice())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// `Migrator::new` takes exactly the chains ordered by version, each
        /// version once, and keeps their fingerprint.
        #[test]
        fn new_takes_exactly_the_strictly_ordered_chains(
            versions in prop_oneof![
                btree_set(1..=40u64, 0..8).prop_map(|set| set.into_iter().collect::<Vec<_>>()),
                vec(1..=40u64, 0..8),
            ],
        ) {
            let ordered = versions.windows(2).all(|pair| pair[0] < pair[1]);
            let migrations = chain(&versions);
            match catch_unwind(AssertUnwindSafe(|| Migrator::new(migrations))) {
                Ok(migrator) => {
                    prop_assert!(ordered, "{:?} was taken", versions);
                    prop_assert_eq!(migrator.fingerprint, Fingerprint::of(migrations));
                }
                Err(panic) => {
                    prop_assert!(!ordered, "{:?} was refused", versions);
                    let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
                    prop_assert!(message.contains("ordered by version"), "{}", message);
                }
            }
        }
    }
}
