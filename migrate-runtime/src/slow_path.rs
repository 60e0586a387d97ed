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
use crate::history;
use crate::lock::{LockReport, MigrationLock};
use crate::migrator::{log_up_to_date, Applied, Migrator, Report, Reverted, TransactionMode};
use crate::operation::{Change, Direction, Goal, Operation};
use crate::Error;

impl Migrator {
    /// The slow path: read the history, then apply or revert what
    /// `operation` asks for.
    pub(crate) fn migrate(
        &self,
        conn: &mut Connection,
        operation: Operation,
        check_only: bool,
    ) -> Result<Report, Error> {
        let path = connection::file_path(conn);
        let applied = self.read_history(conn, path.as_deref())?;
        let goal = self.resolve(operation, &applied)?;
        let changes = self.changes(&applied, goal)?;
        if changes.is_empty() {
            if goal.direction() == Direction::Up {
                let unknown = applied.iter().any(|row| self.find(row.version).is_none());
                self.refresh_fingerprint(conn, unknown);
            }
            log_nothing_to_do(goal, self.migrations.len());
            return Ok(Report::default());
        }
        if check_only {
            return Err(Error::PendingInCheckOnly {
                pending: changes.iter().map(Change::label).collect(),
            });
        }
        tracing::info!(count = changes.len(), direction = ?goal.direction(), "migrating");
        if conn.is_readonly("main").unwrap_or(false) {
            return Err(Error::ReadOnly {
                path: path.unwrap_or_else(|| PathBuf::from(":memory:")),
                detail: "the connection is read-only and migrations are to be applied or reverted"
                    .into(),
            });
        }
        let started = Instant::now();
        let _one_migrator = self.migration_lock(path.as_deref())?;
        let mut run = Run {
            path: path.as_deref(),
            started,
            deadline: started + self.deadline,
            // Resolved again under the lock: the steps of a revert count
            // from what is applied now.
            goal: self.resolve(operation, &self.read_history(conn, path.as_deref())?)?,
            new_database: schema_is_empty(conn)?,
            backup: None,
            report: Report::default(),
        };
        let _ = conn.busy_timeout(self.busy_timeout.min(self.deadline));
        let result = self.run_changes(conn, &mut run);
        let _ = conn.busy_timeout(self.busy_timeout);
        result?;
        tracing::info!(
            applied = run.report.applied.len(),
            reverted = run.report.reverted.len(),
            duration = ?started.elapsed(),
            "database migrated"
        );
        run.report.backup = run.backup.map(|(backup, _)| backup);
        Ok(run.report)
    }

    /// One migrator at a time per file: waits for `<database>-migrate-lock`.
    pub(crate) fn migration_lock(
        &self,
        path: Option<&Path>,
    ) -> Result<Option<MigrationLock>, Error> {
        path.map(|path| MigrationLock::acquire(path, self.busy_timeout.min(self.deadline)))
            .transpose()
    }

    fn run_changes(&self, conn: &mut Connection, run: &mut Run<'_>) -> Result<(), Error> {
        loop {
            let changes = self.changes(&self.read_history(conn, run.path)?, run.goal)?;
            match next_group(&changes, self.mode) {
                None => return Ok(()),
                Some(Group::Alone(change)) => self.run_alone(conn, run, change)?,
                Some(Group::Transaction(group)) => self.run_in_transaction(conn, run, group)?,
            }
        }
    }

    /// Scripts that run in a transaction, all in one: plain ones, or a
    /// `foreign-keys-off` one alone, which [`Applying`] checks before the
    /// commit.
    fn run_in_transaction(
        &self,
        conn: &mut Connection,
        run: &mut Run<'_>,
        group: &[Change],
    ) -> Result<(), Error> {
        let applying = self.begin(conn, run, group[0].script().directives())?;
        let still_to_do = self.to_do_under_lock(applying.conn(), run)?;
        let to_run: Vec<&Change> = group
            .iter()
            .filter(|change| still_to_do.contains(&change.version()))
            .collect();
        if !to_run.is_empty() {
            self.backup_once(applying.conn(), run, false)?;
            self.create_history(applying.conn(), run)?;
            for change in &to_run {
                let (started, _span) = self.starting(change);
                applying.run(change.script().sql()).map_err(|failure| {
                    self.failure(run, Some((change, Recovery::RolledBack)), failure)
                })?;
                let duration = started.elapsed();
                self.record(applying.conn(), change, duration)?;
                self.finished(run, change, duration);
            }
            self.store_fingerprint(applying.conn())?;
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
                _ => self.failure(run, None, failure),
            })
    }

    /// A `no-transaction` script: its statements run outside any
    /// transaction; if one fails, the backup taken before is copied back.
    fn run_alone(
        &self,
        conn: &mut Connection,
        run: &mut Run<'_>,
        change: &Change,
    ) -> Result<(), Error> {
        {
            let checking = self.begin(conn, run, Directives::NONE)?;
            if !self
                .to_do_under_lock(checking.conn(), run)?
                .contains(&change.version())
            {
                return checking
                    .commit()
                    .map_err(|failure| self.failure(run, None, failure));
            }
            self.backup_once(checking.conn(), run, true)?;
            checking
                .commit()
                .map_err(|failure| self.failure(run, None, failure))?;
        }
        let (started, _span) = self.starting(change);
        let script = change.script();
        let result =
            Applying::begin(conn, script.directives(), Some(run.deadline)).and_then(|applying| {
                applying.run(script.sql())?;
                applying.commit()
            });
        if let Err(failure) = result {
            let recovery = self.recover(conn, run);
            return Err(self.failure(run, Some((change, recovery)), failure));
        }
        let duration = started.elapsed();
        // The script has run, and the deadline with it: its record must not
        // be lost to the deadline, and if it cannot be written the backup
        // undoes the script, so that the next start does not run it again.
        let _ = conn.busy_timeout(self.busy_timeout);
        let recorded = self.record_alone(conn, run, change, duration);
        let _ = conn.busy_timeout(self.busy_timeout.min(self.deadline));
        if let Err(source) = recorded {
            let recovery = self.recover(conn, run);
            return Err(change.failed(source.into(), recovery));
        }
        self.finished(run, change, duration);
        Ok(())
    }

    /// Records a `no-transaction` migration that has run, with the new
    /// fingerprint, in a transaction of its own.
    fn record_alone(
        &self,
        conn: &mut Connection,
        run: &Run<'_>,
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
        self.create_history(&tx, run).map_err(unrecorded)?;
        self.record(&tx, change, duration).map_err(unrecorded)?;
        self.store_fingerprint(&tx).map_err(unrecorded)?;
        tx.commit()
    }

    /// After a `no-transaction` script failed: copies back the backup taken
    /// before it, if there is one.
    fn recover(&self, conn: &mut Connection, run: &Run<'_>) -> Recovery {
        let Some((backup, version)) = &run.backup else {
            return Recovery::NotRecovered;
        };
        let path = run.path.expect("backups are only taken of files");
        match restore_into(conn, path, backup, self.busy_timeout) {
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
    fn create_history(&self, conn: &Connection, run: &Run<'_>) -> Result<(), Error> {
        match run.goal.direction() {
            Direction::Up => history::create(conn, &self.history_table),
            Direction::Down => Ok(()),
        }
    }

    /// Writes what `change` did into the history: a row for an applied
    /// migration, none any more for a reverted one.
    fn record(&self, conn: &Connection, change: &Change, duration: Duration) -> Result<(), Error> {
        match change {
            Change::Apply(migration) => {
                history::record(conn, &self.history_table, migration, duration)
            }
            Change::Revert { version, .. } => history::remove(conn, &self.history_table, *version),
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
        self.emit(&match change {
            Change::Apply(migration) => Event::Applying { migration },
            Change::Revert { version, name, .. } => Event::Reverting {
                version: *version,
                name,
            },
        });
        (Instant::now(), span.entered())
    }

    fn finished(&self, run: &mut Run<'_>, change: &Change, duration: Duration) {
        let (version, name) = change.label();
        match change {
            Change::Apply(migration) => {
                tracing::info!(version, name, ?duration, "applied migration");
                self.emit(&Event::Applied {
                    migration,
                    duration,
                });
                run.report.applied.push(Applied {
                    version,
                    name,
                    duration,
                });
            }
            Change::Revert { source, .. } => {
                tracing::info!(version, name, ?duration, ?source, "reverted migration");
                self.emit(&Event::Reverted {
                    version,
                    name: &name,
                    duration,
                });
                run.report.reverted.push(Reverted {
                    version,
                    name,
                    duration,
                    source: *source,
                });
            }
        }
    }

    pub(crate) fn emit(&self, event: &Event<'_>) {
        if let Some(hook) = &self.hook {
            hook(event);
        }
    }

    /// What `directives` ask for, in `BEGIN IMMEDIATE` (none for a
    /// `no-transaction` script), with the deadline watched: takes the write
    /// lock, waiting at most the busy timeout, which [`Migrator::migrate`]
    /// caps at the deadline.
    fn begin<'c>(
        &self,
        conn: &'c mut Connection,
        run: &Run<'_>,
        directives: Directives,
    ) -> Result<Applying<'c>, Error> {
        let waiting = Instant::now();
        Applying::begin(conn, directives, Some(run.deadline)).map_err(|failure| {
            match (is_busy(&failure.error), run.path) {
                (true, Some(path)) => {
                    Error::Locked(Box::new(LockReport::gather(path, waiting.elapsed())))
                }
                _ => self.failure(run, None, failure),
            }
        })
    }

    /// Versions still to apply or revert once the write lock is held:
    /// another process may have migrated while this one waited.
    fn to_do_under_lock(&self, conn: &Connection, run: &Run<'_>) -> Result<HashSet<u64>, Error> {
        let changes = self.changes(&self.read_history(conn, run.path)?, run.goal)?;
        Ok(changes.iter().map(Change::version).collect())
    }

    /// Backs the file up before its first change in this run. A database
    /// that was new when the run started has nothing to lose, except before a
    /// `no-transaction` migration (`for_recovery`), whose failure is undone
    /// by copying the backup back.
    fn backup_once(
        &self,
        conn: &Connection,
        run: &mut Run<'_>,
        for_recovery: bool,
    ) -> Result<(), Error> {
        let Some(path) = run.path else { return Ok(()) };
        if run.backup.is_some() || !self.backups.enabled() || (run.new_database && !for_recovery) {
            return Ok(());
        }
        if schema_is_empty(conn)? {
            return Ok(());
        }
        let applied = self.read_history(conn, run.path)?;
        let from = applied.last().map_or(0, |row| row.version);
        let last = self.migrations.last().map_or(from, |m| m.version());
        let to = match run.goal {
            Goal::Up { to } => to.min(last),
            Goal::Down { to } => to,
        };
        let started = Instant::now();
        self.emit(&Event::BackingUp { database: path });
        let backup = self.backups.create(path, (from, to), Some(run.deadline))?;
        self.emit(&Event::BackedUp {
            backup: &backup,
            duration: started.elapsed(),
        });
        run.backup = Some((backup, from));
        Ok(())
    }

    pub(crate) fn store_fingerprint(&self, conn: &Connection) -> Result<(), Error> {
        let applied = history::read(conn, &self.history_table)?;
        history::store_fingerprint(conn, history::fingerprint(&applied))
    }

    /// The typed error for a failure during a run: the file's own condition
    /// first, then the deadline and a full disk, then the migration's error.
    fn failure(
        &self,
        run: &Run<'_>,
        change: Option<(&Change, Recovery)>,
        failure: Failure,
    ) -> Error {
        if let Some(error) = run.path.and_then(|path| condition(path, &failure.error)) {
            return error;
        }
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
                                "stopped after {:.1?}, past the deadline of {:?} for migrating \
                                 at start-up (Migrator::deadline)",
                                run.started.elapsed(),
                                self.deadline
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
                elapsed: run.started.elapsed(),
                limit: self.deadline,
            },
            Some(ErrorCode::DiskFull) => Error::DiskFull {
                path: run
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

/// The state of one slow-path run.
struct Run<'p> {
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
    let directives = first.script().directives();
    if directives.no_transaction() {
        return Some(Group::Alone(first));
    }
    let shares = |change: &&Change| can_share_transaction(change.script().directives());
    let len = match mode {
        TransactionMode::AllPending if shares(&first) => changes.iter().take_while(shares).count(),
        _ => 1,
    };
    Some(Group::Transaction(&changes[..len]))
}

fn log_nothing_to_do(goal: Goal, migrations: usize) {
    match goal {
        Goal::ALL => log_up_to_date(migrations),
        Goal::Up { to } => tracing::info!(to, "no migration to apply up to the target"),
        Goal::Down { to } => tracing::info!(to, "no migration to revert above the target"),
    }
}

fn schema_is_empty(conn: &Connection) -> Result<bool, Error> {
    migrate_sqlite::schema::is_empty(conn).map_err(|source| Error::Database {
        action: "read the schema",
        source,
    })
}
