//! The slow path, for both directions: under the migration lock and
//! `BEGIN IMMEDIATE`, read the history again, back up, apply or revert the
//! migrations in groups of transactions, record them, store the fingerprint.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use migrate_sqlite::apply::can_share_transaction;
use migrate_sqlite::{Applying, Directives, FailedAt, Failure};
use rusqlite::ffi::ErrorCode;
use rusqlite::{Connection, TransactionBehavior};

use crate::backup::restore_into;
use crate::connection::{self, condition, is_busy};
use crate::error::Recovery;
use crate::event::Event;
use crate::history::{self, Recorded};
use crate::lock::LockReport;
use crate::migration_lock::MigrationLock;
use crate::migrator::{Migrator, TransactionMode};
use crate::operation::{Direction, Operation, ScriptSource, Step};
use crate::plan::{self, Change, Goal, State};
use crate::Error;

/// What one [`Migrator::run`] or [`Migrator::execute`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The migrations applied by this run, in order; empty when the database
    /// was already up to date.
    pub applied: Vec<Applied>,
    /// The migrations reverted by this run, newest first.
    pub reverted: Vec<Reverted>,
    /// The backup taken before applying them, if one was.
    pub backup: Option<PathBuf>,
    /// This node may not write the database (a LiteFS replica, or read-only
    /// with a replica policy set): nothing was applied here; it waited for
    /// the primary's migrations, or started without them, as its policy
    /// ([`Migrator::on_replica`](crate::Migrator::on_replica)) says.
    pub followed_primary: bool,
}

/// One migration applied by a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// How long its SQL took.
    pub duration: Duration,
}

/// One migration reverted by a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reverted {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// How long its down script took.
    pub duration: Duration,
    /// Where its down script came from.
    pub source: ScriptSource,
}

/// What applying or reverting `goal` on `applied` takes, after the refusals.
fn changes(migrator: &Migrator, applied: &[Recorded], goal: Goal) -> Result<Vec<Change>, Error> {
    plan::changes(migrator.migrations(), applied, goal, migrator.allowances())
}

/// [`Migrator::dry_run`].
pub(crate) fn dry_run(
    migrator: &Migrator,
    conn: &Connection,
    operation: Operation,
) -> Result<Vec<Step>, Error> {
    migrator.check_sqlite_version()?;
    let path = connection::file_path(conn);
    let applied = migrator.read_history(conn, path.as_deref())?;
    let goal = plan::resolve(migrator.migrations(), operation, &applied)?;
    let changes = changes(migrator, &applied, goal)?;
    Ok(changes.iter().map(Change::step).collect())
}

/// The slow path: read the history, then apply or revert what `operation`
/// asks for.
pub(crate) fn migrate(
    migrator: &Migrator,
    conn: &mut Connection,
    operation: Operation,
    check_only: bool,
) -> Result<Report, Error> {
    let options = migrator.options();
    let path = connection::file_path(conn);
    let applied = migrator.read_history(conn, path.as_deref())?;
    let goal = plan::resolve(migrator.migrations(), operation, &applied)?;
    let changes = changes(migrator, &applied, goal)?;
    if changes.is_empty() {
        let standings = migrator.classify(&applied);
        let unknown = standings
            .iter()
            .any(|standing| standing.state == State::UnknownToBinary);
        if goal.direction() == Direction::Up && !unknown {
            refresh_fingerprint(migrator, conn);
        }
        log_nothing_to_do(goal, migrator.migrations().len());
        return Ok(Report::default());
    }
    if check_only {
        return Err(Error::PendingInCheckOnly {
            pending: changes.iter().map(Change::label).collect(),
        });
    }
    migrator.check_requirements(conn)?;
    tracing::info!(count = changes.len(), direction = ?goal.direction(), "migrating");
    if migrate_sqlite::rusqlite_versions::main_is_read_only(conn) {
        return Err(Error::ReadOnly {
            path: path.unwrap_or_else(|| PathBuf::from(":memory:")),
            detail: "the connection is read-only and migrations are to be applied or reverted"
                .into(),
        });
    }
    let started = Instant::now();
    let _one_migrator = migration_lock(migrator, path.as_deref())?;
    let applied = migrator.read_history(conn, path.as_deref())?;
    let mut run = LockedRun {
        migrator,
        path: path.as_deref(),
        started,
        deadline: started + options.deadline,
        // Resolved again under the lock: the steps of a revert count
        // from what is applied now.
        goal: plan::resolve(migrator.migrations(), operation, &applied)?,
        new_database: schema_is_empty(conn)?,
        backup: None,
        report: Report::default(),
    };
    let _ = conn.busy_timeout(options.busy_timeout.min(options.deadline));
    let result = run.run_changes(conn);
    let _ = conn.busy_timeout(options.busy_timeout);
    result?;
    tracing::info!(
        applied = run.report.applied.len(),
        reverted = run.report.reverted.len(),
        duration = ?started.elapsed(),
        "database migrated"
    );
    run.report.backup = run.backup.map(|(backup, _)| backup);
    if options.truncate_wal && !run.report.applied.is_empty() {
        // TRUNCATE waits for readers through the busy handler: never here.
        let _ = conn.busy_timeout(Duration::ZERO);
        truncate_wal(conn);
        let _ = conn.busy_timeout(options.busy_timeout);
    }
    Ok(run.report)
}

/// `PRAGMA wal_checkpoint(TRUNCATE)` after migrating, which a reader holding
/// the WAL (Litestream, while it replicates) answers busy: normal, not a
/// failure of the start.
fn truncate_wal(conn: &Connection) {
    let checkpoint = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
        row.get::<_, i64>(0)
    });
    match checkpoint {
        Ok(0) => tracing::info!("WAL checkpointed and truncated after migrating"),
        Err(error) if !connection::is_busy(&error) => {
            tracing::warn!(%error, "WAL not checkpointed after migrating")
        }
        // Busy, answered in the row or as the error.
        _ => tracing::info!(
            "WAL not truncated after migrating: a reader holds it (Litestream does while it \
             replicates); SQLite's own checkpoints will"
        ),
    }
}

/// One migrator at a time per file: waits for `<database>-migrate-lock`.
pub(crate) fn migration_lock(
    migrator: &Migrator,
    path: Option<&Path>,
) -> Result<Option<MigrationLock>, Error> {
    let options = migrator.options();
    path.map(|path| MigrationLock::acquire(path, options.busy_timeout.min(options.deadline)))
        .transpose()
}

/// Keeps the fingerprint of what the history now records in the header;
/// inside the caller's transaction.
pub(crate) fn store_fingerprint(migrator: &Migrator, conn: &Connection) -> Result<(), Error> {
    let applied = history::read(conn, &migrator.options().history_table)?;
    history::store_fingerprint(conn, history::fingerprint(&applied))
}

/// One run of the slow path, under the migration lock: what it is for, its
/// deadline, and what it has done.
struct LockedRun<'m, 'p> {
    migrator: &'m Migrator,
    path: Option<&'p Path>,
    started: Instant,
    deadline: Instant,
    /// The database had no schema when the run started.
    new_database: bool,
    /// What the run is for.
    goal: Goal,
    /// The backup taken before the first change, and the version it holds.
    backup: Option<(PathBuf, u64)>,
    report: Report,
}

impl LockedRun<'_, '_> {
    fn run_changes(&mut self, conn: &mut Connection) -> Result<(), Error> {
        loop {
            let applied = self.migrator.read_history(conn, self.path)?;
            let changes = changes(self.migrator, &applied, self.goal)?;
            match next_group(&changes, self.migrator.options().mode) {
                None => return Ok(()),
                Some(Group::Alone(change)) => self.run_alone(conn, change)?,
                Some(Group::Transaction(group)) => self.run_in_transaction(conn, group)?,
            }
        }
    }

    /// Scripts that run in a transaction, all in one: plain ones, or a
    /// `foreign-keys-off` one alone, which [`Applying`] checks before the
    /// commit.
    fn run_in_transaction(&mut self, conn: &mut Connection, group: &[Change]) -> Result<(), Error> {
        let applying = self.begin(conn, group[0].script().directives())?;
        let still_to_do = self.to_do_under_lock(applying.conn())?;
        let to_run: Vec<&Change> = group
            .iter()
            .filter(|change| still_to_do.contains(&change.version()))
            .collect();
        if !to_run.is_empty() {
            self.backup_once(applying.conn(), false)?;
            self.create_history(applying.conn())?;
            for &change in &to_run {
                let (started, _span) = self.starting(change);
                applying.run(change.script().sql()).map_err(|failure| {
                    self.failure(Some((change, Recovery::RolledBack)), failure)
                })?;
                let duration = started.elapsed();
                self.record(applying.conn(), change, duration)?;
                self.finished(change, duration);
            }
            store_fingerprint(self.migrator, applying.conn())?;
        }
        // Only a `foreign-keys-off` script is checked at the commit: it runs
        // alone in its transaction.
        let checked = to_run.first().filter(|_| to_run.len() == 1);
        applying
            .commit()
            .map_err(|failure| match (&failure.at, checked) {
                (FailedAt::ForeignKeyCheck(_), Some(change)) => {
                    change.failed(failure, Recovery::RolledBack)
                }
                _ => self.failure(None, failure),
            })
    }

    /// A `no-transaction` script: its statements run outside any
    /// transaction; if one fails, the backup taken before is copied back.
    fn run_alone(&mut self, conn: &mut Connection, change: &Change) -> Result<(), Error> {
        {
            let checking = self.begin(conn, Directives::NONE)?;
            if !self
                .to_do_under_lock(checking.conn())?
                .contains(&change.version())
            {
                return checking
                    .commit()
                    .map_err(|failure| self.failure(None, failure));
            }
            self.backup_once(checking.conn(), true)?;
            checking
                .commit()
                .map_err(|failure| self.failure(None, failure))?;
        }
        let (started, _span) = self.starting(change);
        let script = change.script();
        let result =
            Applying::begin(conn, script.directives(), Some(self.deadline)).and_then(|applying| {
                applying.run(script.sql())?;
                applying.commit()
            });
        if let Err(failure) = result {
            let recovery = self.recover(conn);
            return Err(self.failure(Some((change, recovery)), failure));
        }
        let duration = started.elapsed();
        // The script has run, and its deadline with it: its record must not
        // be lost to the deadline, and if it cannot be written the backup
        // undoes the script, so that the next start does not run it again.
        let options = self.migrator.options();
        let _ = conn.busy_timeout(options.busy_timeout);
        let recorded = self.record_alone(conn, change, duration);
        let _ = conn.busy_timeout(options.busy_timeout.min(options.deadline));
        if let Err(source) = recorded {
            let recovery = self.recover(conn);
            return Err(change.failed(source.into(), recovery));
        }
        self.finished(change, duration);
        Ok(())
    }

    /// Records a `no-transaction` migration that has run, with the new
    /// fingerprint, in a transaction of its own.
    fn record_alone(
        &self,
        conn: &mut Connection,
        change: &Change,
        duration: Duration,
    ) -> Result<(), rusqlite::Error> {
        let unrecorded = |error: Error| {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(format!(
                    "the script ran, but recording it in the history failed: {error}"
                )),
            )
        };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        self.create_history(&tx).map_err(unrecorded)?;
        self.record(&tx, change, duration).map_err(unrecorded)?;
        store_fingerprint(self.migrator, &tx).map_err(unrecorded)?;
        tx.commit()
    }

    /// After a `no-transaction` script failed: copies back the backup taken
    /// before it, if there is one.
    fn recover(&self, conn: &mut Connection) -> Recovery {
        let Some((backup, version)) = &self.backup else {
            return Recovery::NotRecovered;
        };
        let path = self.path.expect("backups are only taken of files");
        match restore_into(conn, path, backup, self.migrator.options().busy_timeout) {
            Ok(()) => Recovery::Restored {
                backup: backup.clone(),
                version: *version,
            },
            Err(error) => Recovery::RestoreFailed {
                backup: backup.clone(),
                error: error.to_string(),
            },
        }
    }

    /// Before the first migration is applied to a database, its history table.
    fn create_history(&self, conn: &Connection) -> Result<(), Error> {
        match self.goal.direction() {
            Direction::Up => history::create(conn, &self.migrator.options().history_table),
            Direction::Down => Ok(()),
        }
    }

    /// Writes what `change` did into the history: a row for an applied
    /// migration, none any more for a reverted one.
    fn record(&self, conn: &Connection, change: &Change, duration: Duration) -> Result<(), Error> {
        let table = &self.migrator.options().history_table;
        match change {
            Change::Apply(migration) => history::record(conn, table, migration, duration),
            Change::Revert { version, .. } => history::remove(conn, table, *version),
        }
    }

    /// Announces a change; its tracing span lasts as long as the guard.
    fn starting(&self, change: &Change) -> (Instant, tracing::span::EnteredSpan) {
        let span = tracing::info_span!(
            "migration",
            version = change.version(),
            name = change.name(),
            direction = ?change.direction()
        );
        self.migrator.emit(&match change {
            Change::Apply(migration) => Event::Applying { migration },
            Change::Revert { version, name, .. } => Event::Reverting {
                version: *version,
                name,
            },
        });
        (Instant::now(), span.entered())
    }

    fn finished(&mut self, change: &Change, duration: Duration) {
        let (version, name) = change.label();
        match change {
            Change::Apply(migration) => {
                tracing::info!(version, name, ?duration, "applied migration");
                self.migrator.emit(&Event::Applied {
                    migration,
                    duration,
                });
                self.report.applied.push(Applied {
                    version,
                    name,
                    duration,
                });
            }
            Change::Revert { source, .. } => {
                tracing::info!(version, name, ?duration, ?source, "reverted migration");
                self.migrator.emit(&Event::Reverted {
                    version,
                    name: &name,
                    duration,
                });
                self.report.reverted.push(Reverted {
                    version,
                    name,
                    duration,
                    source: *source,
                });
            }
        }
    }

    /// What `directives` ask for, in `BEGIN IMMEDIATE` (none for a
    /// `no-transaction` script), with the deadline watched: takes the write
    /// lock, waiting at most the busy timeout, which [`migrate`] caps at the
    /// deadline.
    fn begin<'c>(
        &self,
        conn: &'c mut Connection,
        directives: Directives,
    ) -> Result<Applying<'c>, Error> {
        let waiting = Instant::now();
        Applying::begin(conn, directives, Some(self.deadline)).map_err(|failure| {
            match (is_busy(&failure.error), self.path) {
                (true, Some(path)) => {
                    Error::Locked(Box::new(LockReport::gather(path, waiting.elapsed())))
                }
                _ => self.failure(None, failure),
            }
        })
    }

    /// Versions still to apply or revert once the write lock is held:
    /// another process may have migrated while this one waited.
    fn to_do_under_lock(&self, conn: &Connection) -> Result<HashSet<u64>, Error> {
        let applied = self.migrator.read_history(conn, self.path)?;
        let changes = changes(self.migrator, &applied, self.goal)?;
        Ok(changes.iter().map(Change::version).collect())
    }

    /// Backs the file up before its first change in this run. A database
    /// that was new when the run started has nothing to lose, except before a
    /// `no-transaction` migration (`for_recovery`), whose failure is undone
    /// by copying the backup back.
    fn backup_once(&mut self, conn: &Connection, for_recovery: bool) -> Result<(), Error> {
        let Some(path) = self.path else { return Ok(()) };
        let backups = &self.migrator.options().backups;
        if self.backup.is_some() || !backups.enabled() || (self.new_database && !for_recovery) {
            return Ok(());
        }
        if schema_is_empty(conn)? {
            return Ok(());
        }
        let applied = self.migrator.read_history(conn, self.path)?;
        let from = applied.last().map_or(0, |row| row.version);
        let last = self
            .migrator
            .migrations()
            .last()
            .map_or(from, |m| m.version());
        let to = match self.goal {
            Goal::Up { to } => to.min(last),
            Goal::Down { to } => to.unwrap_or(0),
        };
        let started = Instant::now();
        self.migrator.emit(&Event::BackingUp { database: path });
        let backup = backups.create(path, (from, to), Some(self.deadline))?;
        self.migrator.emit(&Event::BackedUp {
            backup: &backup,
            duration: started.elapsed(),
        });
        self.backup = Some((backup, from));
        Ok(())
    }

    /// The typed error for a failure during a run: the file's own condition
    /// first, then the deadline and a full disk, then the migration's error.
    fn failure(&self, change: Option<(&Change, Recovery)>, failure: Failure) -> Error {
        if let Some(error) = self.path.and_then(|path| condition(path, &failure.error)) {
            return error;
        }
        let limit = self.migrator.options().deadline;
        let code = failure.error.sqlite_error_code();
        // Outside a transaction, what became of the database is the news:
        // the deadline's and the full disk's messages promise a rollback.
        let change = match change {
            Some((change, recovery)) if recovery != Recovery::RolledBack => {
                let failure = match code {
                    Some(ErrorCode::OperationInterrupted) => Failure {
                        error: rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_INTERRUPT),
                            Some(format!(
                                "stopped after {:.1?}, past the deadline of {limit:?} for \
                                 migrating at start-up (Migrator::deadline)",
                                self.started.elapsed(),
                            )),
                        ),
                        ..failure
                    },
                    _ => failure,
                };
                return change.failed(failure, recovery);
            }
            other => other,
        };
        let during = change
            .as_ref()
            .map_or("committing the migrations".to_string(), |(c, _)| c.during());
        match code {
            Some(ErrorCode::OperationInterrupted) => Error::Deadline {
                during,
                elapsed: self.started.elapsed(),
                limit,
            },
            Some(ErrorCode::DiskFull) => Error::DiskFull {
                path: self
                    .path
                    .map_or_else(|| PathBuf::from(":memory:"), Path::to_path_buf),
                during: format!("running {during} on"),
            },
            _ => match change {
                Some((change, recovery)) => change.failed(failure, recovery),
                None => Error::Database {
                    action: "commit the migrations",
                    source: failure.error,
                },
            },
        }
    }
}

/// The next migrations to apply or revert together.
enum Group<'a> {
    /// Scripts in one transaction: plain ones, or one `foreign-keys-off`.
    Transaction(&'a [Change]),
    /// A `no-transaction` script, alone.
    Alone(&'a Change),
}

/// Up and down alike: the directives of the script that runs decide.
fn next_group(changes: &[Change], mode: TransactionMode) -> Option<Group<'_>> {
    let first = changes.first()?;
    if first.script().directives().no_transaction() {
        return Some(Group::Alone(first));
    }
    let shares = |change: &&Change| can_share_transaction(change.script().directives());
    let len = match mode {
        TransactionMode::AllPending if shares(&first) => changes.iter().take_while(shares).count(),
        _ => 1,
    };
    Some(Group::Transaction(&changes[..len]))
}

/// Nothing is pending but the header does not say so (a database migrated
/// before fingerprints were kept, or whose `user_version` was changed):
/// store it, so that the next start takes the fast path. Only when the
/// database holds this binary's chain exactly, and only if the write lock
/// is free; failing here costs the fast path, nothing else.
fn refresh_fingerprint(migrator: &Migrator, conn: &mut Connection) {
    // Never wait for it: an application writer holding the lock wins.
    let _ = conn.busy_timeout(Duration::ZERO);
    let result = refresh_fingerprint_under_lock(migrator, conn);
    let _ = conn.busy_timeout(migrator.options().busy_timeout);
    if let Err(error) = result {
        tracing::debug!(%error, "could not store the fingerprint of the applied migrations");
    }
}

fn refresh_fingerprint_under_lock(migrator: &Migrator, conn: &mut Connection) -> Result<(), Error> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|source| Error::Database {
            action: "take the write lock",
            source,
        })?;
    // Read again under the lock: a newer build may have migrated since.
    let applied = migrator.read_history(&tx, None)?;
    let standings = migrator.classify(&applied);
    if standings
        .iter()
        .all(|standing| standing.state == State::Applied)
    {
        history::store_fingerprint(&tx, migrator.fingerprint())?;
    }
    tx.commit().map_err(|source| Error::Database {
        action: "store the fingerprint of the applied migrations",
        source,
    })
}

pub(crate) fn log_up_to_date(migrations: usize) {
    tracing::info!(migrations, "database is up to date; no migration to apply");
}

fn log_nothing_to_do(goal: Goal, migrations: usize) {
    match goal {
        Goal::ALL => log_up_to_date(migrations),
        Goal::Up { to } => tracing::info!(to, "no migration to apply up to the target"),
        Goal::Down { to: Some(to) } => {
            tracing::info!(to, "no migration to revert above the target")
        }
        Goal::Down { to: None } => tracing::info!("no migration to revert"),
    }
}

fn schema_is_empty(conn: &Connection) -> Result<bool, Error> {
    migrate_sqlite::schema::is_empty(conn).map_err(|source| Error::Database {
        action: "read the schema",
        source,
    })
}
