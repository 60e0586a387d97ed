//! Turso (feature `turso`): the same embedded migrations for a database
//! that a Turso server keeps and every instance syncs a copy of.
//!
//! Every copy of a Turso database accepts writes and a push that loses a
//! race is not refused, so the migrations are not applied on a copy: they
//! are applied on the server, over its SQL-over-HTTP endpoint, in one
//! transaction with their history rows. Each row is written before its
//! migration's SQL, and the history's primary key is the version: of two
//! starts that race, the second one's insert fails, its transaction rolls
//! back on the server, and it reads the history again. The history table
//! decides what is applied, never `PRAGMA user_version`, which a copy does
//! not push.
//!
//! ```no_run
//! # migrate_runtime::embed_migrations!("tests/migrations");
//! use migrate_runtime::turso::Server;
//!
//! # async fn start() -> Result<(), Box<dyn std::error::Error>> {
//! let url = std::env::var("TURSO_DATABASE_URL")?;
//! let token = std::env::var("TURSO_AUTH_TOKEN")?;
//! let copy = turso::sync::Builder::new_remote("app.db")
//!     .with_remote_url(&url)
//!     .with_auth_token(&token)
//!     .build()
//!     .await?;
//! // Applies what is pending on the server (or waits for the start that
//! // does), then pulls until this copy carries every migration.
//! migrations::MIGRATOR
//!     .run_turso(&Server::new(&url).auth_token(&token), &copy)
//!     .await?;
//! let conn = copy.connect().await?;
//! # Ok(())
//! # }
//! ```

/// The `turso` crate this module is built with, so that the copy's type
/// always matches: `migrate_runtime::turso::client::sync::Builder`.
pub use ::turso as client;

mod copy;
mod hrana;
mod server;
mod snapshot;

use std::time::{Duration, Instant};

use migrate_sqlite::Migration;

use crate::event::Event;
use crate::history::Recorded;
use crate::migrate::{Applied, Report};
use crate::migrator::Migrator;
use crate::operation::{Operation, Step};
use crate::plan::{self, Change, Goal, State};
use crate::start;
use crate::{Error, Status, Verification, SKIP_VARIABLE};
use hrana::Hrana;
use server::Applying;

/// How often a start looks again: at a busy server, at a copy that has not
/// caught up.
const POLL: Duration = Duration::from_millis(100);

/// The Turso server that keeps the database: its URL (`libsql://…`,
/// `https://…`, or `http://…` for a server on the local network) and the
/// auth token, if it asks for one.
pub struct Server {
    url: String,
    hrana: Hrana,
}

impl Server {
    /// The server at `url`, without an auth token.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        Self {
            hrana: Hrana::new(&url, None),
            url,
        }
    }

    /// Sends `token` with every request.
    pub fn auth_token(self, token: impl AsRef<str>) -> Self {
        Self {
            hrana: Hrana::new(&self.url, Some(token.as_ref())),
            url: self.url,
        }
    }

    /// Its URL, as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn error(&self, action: &'static str, detail: String) -> Error {
        Error::Turso {
            action,
            url: self.url.clone(),
            detail,
        }
    }
}

impl Migrator {
    /// Brings `copy`, this instance's synced copy of the database `server`
    /// keeps, to this binary's migrations, within the deadline
    /// ([`Migrator::deadline`]).
    ///
    /// When the copy already carries every migration, that is all: nothing
    /// is sent. Otherwise the pending migrations are applied on the server
    /// ([`Migrator::apply_on_turso`]), or, when another start applied them
    /// first, nothing is; then the copy pulls until it carries them. The
    /// report lists what this start applied; `followed_primary` says that
    /// another start did.
    ///
    /// The checks of [`Migrator::run`] hold: an edited migration, and one
    /// the binary does not know (unless
    /// [`allow_newer_database`](Migrator::allow_newer_database)), are
    /// refused. So do the switches [`SKIP_VARIABLE`] and
    /// [`CHECK_ONLY_VARIABLE`](crate::CHECK_ONLY_VARIABLE), unless
    /// [`read_environment`](Migrator::read_environment) is off.
    pub async fn run_turso(
        &self,
        server: &Server,
        copy: &turso::sync::Database,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let switches = start::switches(self)?;
        if switches.skip {
            tracing::warn!("{SKIP_VARIABLE} is set: migrations not applied");
            return Ok(Report::default());
        }
        let table = &self.options().history_table;
        if let Ok(applied) = copy::read_history(copy, table).await {
            if self.carries_every_migration(&applied) {
                return Ok(Report::default());
            }
        }
        let mut report = self.apply_on_server(server, switches.check_only).await?;
        report.followed_primary = report.applied.is_empty();
        self.wait_for_copy(server, copy, started).await?;
        Ok(report)
    }

    /// Applies this binary's pending migrations on the Turso `server`, in
    /// one transaction with their history rows (a migration marked
    /// `own-transaction` in one of its own), and returns once the server's
    /// history, read back, records them. A start that raced this one and
    /// applied them first leaves nothing to do; a busy server is asked
    /// again until the deadline.
    ///
    /// A migration marked `no-transaction` is refused: the server cannot
    /// run it with its history row in one transaction.
    pub async fn apply_on_turso(&self, server: &Server) -> Result<Report, Error> {
        self.apply_on_server(server, false).await
    }

    /// [`Migrator::apply_on_turso`]; with `check_only`, pending migrations
    /// are refused instead ([`CHECK_ONLY_VARIABLE`](crate::CHECK_ONLY_VARIABLE)).
    async fn apply_on_server(&self, server: &Server, check_only: bool) -> Result<Report, Error> {
        let started = Instant::now();
        let limit = self.options().deadline;
        let table = &self.options().history_table;
        let mut report = Report::default();
        let mut known = None;
        loop {
            let applied = match known.take() {
                Some(applied) => applied,
                None => within(started, limit, server::read_history(&server.hrana, table))
                    .await
                    .map_err(|detail| server.error("read the migration history", detail))?,
            };
            let pending = self.pending_on_server(&applied)?;
            if check_only && !pending.is_empty() {
                let pending = pending.iter().map(|m| (m.version(), m.name().to_string()));
                return Err(Error::PendingInCheckOnly {
                    pending: pending.collect(),
                });
            }
            let Some(batch) = next_batch(&pending, self.options().mode) else {
                break;
            };
            if let Some(migration) = batch.iter().find(|m| m.up().directives().no_transaction()) {
                return Err(no_transaction(server, migration));
            }
            for migration in &batch {
                self.emit(&Event::Applying { migration });
            }
            let outcome = within(started, limit, server::apply(&server.hrana, table, &batch))
                .await
                .map_err(|detail| {
                    let detail = format!(
                        "{detail}; the server may still commit them, in one transaction with \
                         their history rows: the next start reads its history and goes on"
                    );
                    server.error("apply the migrations", detail)
                })?;
            let waiting = match outcome {
                Applying::Committed(applied) => {
                    known = Some(self.confirm(server, table, &applied, started).await?);
                    for (migration, duration) in applied {
                        self.emit(&Event::Applied {
                            migration,
                            duration,
                        });
                        report.applied.push(Applied {
                            version: migration.version(),
                            name: migration.name().to_string(),
                            duration,
                        });
                    }
                    continue;
                }
                Applying::Failed(migration, detail) => {
                    return Err(Error::TursoMigration {
                        version: migration.version(),
                        name: migration.name().to_string(),
                        url: server.url.clone(),
                        detail,
                    })
                }
                Applying::Raced => {
                    tracing::info!(
                        server = server.url,
                        "another start applied these migrations first; reading the history again"
                    );
                    None
                }
                Applying::Busy(message) => Some(message),
            };
            if started.elapsed() >= limit {
                let detail = match waiting {
                    Some(message) => format!(
                        "the server stayed busy with another writer ({message}) until the \
                         deadline of {limit:?}; nothing was applied by this start: raise the \
                         deadline (Migrator::deadline) or find the writer"
                    ),
                    None => {
                        format!("past the deadline of {limit:?}; nothing was applied by this start")
                    }
                };
                return Err(server.error("apply the migrations", detail));
            }
            if waiting.is_some() {
                tokio::time::sleep(POLL).await;
            }
        }
        if !report.applied.is_empty() {
            tracing::info!(
                applied = report.applied.len(),
                server = server.url,
                duration = ?started.elapsed(),
                "database migrated"
            );
        }
        Ok(report)
    }

    /// [`Migrator::status`] of the database `server` keeps: its history
    /// against this binary.
    pub async fn status_turso(&self, server: &Server) -> Result<Status, Error> {
        self.status(&self.turso_snapshot(server).await?)
    }

    /// [`Migrator::verify`] of the database `server` keeps: its history
    /// against this binary, its schema against the one the migrations make.
    pub async fn verify_turso(&self, server: &Server) -> Result<Verification, Error> {
        self.verify(&self.turso_snapshot(server).await?)
    }

    /// [`Migrator::dry_run`] on the database `server` keeps: the SQL that
    /// `operation` would run there, in order, with nothing changed.
    pub async fn dry_run_turso(
        &self,
        server: &Server,
        operation: Operation,
    ) -> Result<Vec<Step>, Error> {
        self.dry_run(&self.turso_snapshot(server).await?, operation)
    }

    /// The server's schema and history in an in-memory database.
    pub(crate) async fn turso_snapshot(
        &self,
        server: &Server,
    ) -> Result<rusqlite::Connection, Error> {
        let table = &self.options().history_table;
        snapshot::snapshot(&server.hrana, table)
            .await
            .map_err(|detail| server.error("read the schema and the migration history", detail))
    }

    /// Every migration of the binary is in `applied`, unchanged, and
    /// nothing there is refused.
    fn carries_every_migration(&self, applied: &[Recorded]) -> bool {
        let standings = self.classify(applied);
        plan::refusal(&standings, self.allowances()).is_none()
            && standings
                .iter()
                .all(|s| matches!(s.state, State::Applied | State::UnknownToBinary))
    }

    /// The migrations the server lacks, in order, after the refusals of a
    /// start.
    fn pending_on_server(&self, applied: &[Recorded]) -> Result<Vec<&'static Migration>, Error> {
        let changes = plan::changes(self.migrations(), applied, Goal::ALL, self.allowances())?;
        Ok(changes
            .into_iter()
            .filter_map(|change| match change {
                Change::Apply(migration) => Some(migration),
                Change::Revert { .. } => None,
            })
            .collect())
    }

    /// Reads the server's history back, and returns it: the start is not
    /// done until it records what the batch committed. Then sets their
    /// durations, when the server reported any.
    async fn confirm(
        &self,
        server: &Server,
        table: &str,
        applied: &[(&'static Migration, Duration)],
        started: Instant,
    ) -> Result<Vec<Recorded>, Error> {
        let limit = self.options().deadline;
        let history = within(started, limit, server::read_history(&server.hrana, table))
            .await
            .map_err(|detail| server.error("read the history back", detail))?;
        let missing: Vec<String> = applied
            .iter()
            .filter(|(m, _)| !history.iter().any(|row| row.version == m.version()))
            .map(|(m, _)| format!("{} ({})", m.version(), m.name()))
            .collect();
        if !missing.is_empty() {
            let detail = format!(
                "the server said the transaction committed, but its history does not \
                 record {}; nothing is known to be applied: start again",
                missing.join(", ")
            );
            return Err(server.error("confirm the migrations", detail));
        }
        // Only timing: a failure here loses no migration.
        let timed = applied.iter().any(|(_, duration)| !duration.is_zero());
        if timed {
            if let Err(detail) = server::record_durations(&server.hrana, table, applied).await {
                tracing::warn!(detail, "cannot record how long the migrations took");
            }
        }
        Ok(history)
    }

    /// Pulls `copy` until it carries every migration, within the deadline.
    async fn wait_for_copy(
        &self,
        server: &Server,
        copy: &turso::sync::Database,
        started: Instant,
    ) -> Result<(), Error> {
        let limit = self.options().deadline;
        let table = &self.options().history_table;
        let mut last_error;
        loop {
            // A pull waits (long-polls) for changes the server does not have yet.
            let left = limit.saturating_sub(started.elapsed());
            let pulled = match tokio::time::timeout(left, copy.pull()).await {
                Ok(pulled) => pulled.map_err(|error| error.to_string()),
                Err(_) => Err("it was still waiting for changes at the deadline".to_string()),
            };
            match pulled {
                Ok(_) => match copy::read_history(copy, table).await {
                    Ok(applied) if self.carries_every_migration(&applied) => return Ok(()),
                    Ok(_) => last_error = None,
                    Err(error) => last_error = Some(error),
                },
                Err(error) => last_error = Some(error),
            }
            if started.elapsed() >= limit {
                let missing = match copy::read_history(copy, table).await {
                    Ok(applied) => self.missing_from(&applied),
                    Err(_) => self.missing_from(&[]),
                };
                return Err(Error::TursoBehind {
                    url: server.url.clone(),
                    waited: started.elapsed(),
                    missing,
                    last_error,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The binary's migrations that `applied` does not record.
    fn missing_from(&self, applied: &[Recorded]) -> Vec<(u64, String)> {
        self.classify(applied)
            .iter()
            .filter(|s| matches!(s.state, State::Pending | State::OutOfOrder))
            .filter_map(|s| s.migration)
            .map(|m| (m.version(), m.name().to_string()))
            .collect()
    }
}

/// The next migrations to apply in one transaction: all the pending ones,
/// or, per migration or for one marked `own-transaction`, the first alone.
fn next_batch(
    pending: &[&'static Migration],
    mode: crate::TransactionMode,
) -> Option<Vec<&'static Migration>> {
    let alone = |m: &&Migration| {
        m.up().directives().own_transaction() || m.up().directives().no_transaction()
    };
    let first = pending.first()?;
    if mode == crate::TransactionMode::PerMigration || alone(first) {
        return Some(vec![first]);
    }
    Some(pending.iter().copied().take_while(|m| !alone(m)).collect())
}

fn no_transaction(server: &Server, migration: &Migration) -> Error {
    Error::TursoMigration {
        version: migration.version(),
        name: migration.name().to_string(),
        url: server.url.clone(),
        detail: "it is marked `-- migrate: no-transaction`, and the server runs a \
                 migration only in a transaction with its history row; remove the \
                 directive, and move what cannot run in a transaction (VACUUM, some \
                 PRAGMAs) out of the migration"
            .to_string(),
    }
}

/// `work`, stopped at the deadline: what is left of `limit` since `started`.
async fn within<T>(
    started: Instant,
    limit: Duration,
    work: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    let left = limit.saturating_sub(started.elapsed());
    tokio::time::timeout(left, work).await.unwrap_or_else(|_| {
        Err(format!(
            "no answer within the deadline of {limit:?} (Migrator::deadline)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use migrate_sqlite::{Directive, Directives, Script};

    use super::*;
    use crate::TransactionMode;

    fn migration(version: u64, directives: Directives) -> &'static Migration {
        Box::leak(Box::new(Migration::new(
            version,
            format!("m{version}"),
            Script::owned(format!("CREATE TABLE t{version} (x);"), directives),
            None,
            migrate_sqlite::Checksum::from_bytes([version as u8; 32]),
        )))
    }

    #[test]
    fn pending_migrations_share_a_transaction_but_for_one_that_asks_for_its_own() {
        let own = Directives::NONE.with(Directive::OwnTransaction);
        let pending = [
            migration(1, Directives::NONE),
            migration(2, Directives::NONE),
            migration(3, own),
            migration(4, Directives::NONE),
        ];
        let versions = |batch: Option<Vec<&Migration>>| {
            batch
                .unwrap()
                .iter()
                .map(|m| m.version())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            versions(next_batch(&pending, TransactionMode::AllPending)),
            [1, 2]
        );
        assert_eq!(
            versions(next_batch(&pending[2..], TransactionMode::AllPending)),
            [3]
        );
        assert_eq!(
            versions(next_batch(&pending[3..], TransactionMode::AllPending)),
            [4]
        );
        assert_eq!(
            versions(next_batch(&pending, TransactionMode::PerMigration)),
            [1]
        );
        assert!(next_batch(&[], TransactionMode::AllPending).is_none());
    }
}
