use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use migrate_core::Migration;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::history;
use crate::Error;

/// Applies a fixed, ordered set of migrations to SQLite databases.
///
/// `embed_migrations!` defines one as `migrations::MIGRATOR`.
#[derive(Clone, Debug)]
pub struct Migrator {
    migrations: &'static [Migration],
    busy_timeout: Duration,
}

/// What one [`Migrator::run`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The migrations applied by this run, in order; empty when the database
    /// was already up to date.
    pub applied: Vec<Applied>,
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

impl Migrator {
    /// A migrator for `migrations`, which must be ordered by version, each
    /// version once, as the macro orders them.
    ///
    /// # Panics
    ///
    /// If they are not; in a `static` or `const` that is a compile error.
    pub const fn new(migrations: &'static [Migration]) -> Self {
        let mut index = 1;
        while index < migrations.len() {
            assert!(
                migrations[index - 1].version() < migrations[index].version(),
                "migrations must be ordered by version, each version once"
            );
            index += 1;
        }
        Self {
            migrations,
            busy_timeout: Duration::from_secs(60),
        }
    }

    /// Every migration, ordered by version.
    pub const fn migrations(&self) -> &'static [Migration] {
        self.migrations
    }

    /// Opens (or creates) the database at `path`, configures the connection
    /// and applies the pending migrations.
    ///
    /// The connection gets `journal_mode = WAL` (readers keep reading while
    /// a writer writes), a 60 s busy timeout (waits for other writers instead
    /// of failing with "database is locked") and `foreign_keys = ON`.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Connection, Error> {
        let path = path.as_ref();
        let mut conn = Connection::open(path).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        self.configure(&conn)?;
        self.run(&mut conn)?;
        Ok(conn)
    }

    fn configure(&self, conn: &Connection) -> Result<(), Error> {
        conn.busy_timeout(self.busy_timeout)
            .map_err(|source| Error::Configure {
                setting: "busy_timeout",
                source,
            })?;
        // WAL is stored in the file: switch only when it is not WAL already.
        let journal_mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .map_err(|source| Error::Configure {
                setting: "journal_mode = WAL",
                source,
            })?;
        if !journal_mode.eq_ignore_ascii_case("wal") && !journal_mode.eq_ignore_ascii_case("memory")
        {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| {
                row.get::<_, String>(0)
            })
            .map_err(|source| Error::Configure {
                setting: "journal_mode = WAL",
                source,
            })?;
        }
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(|source| Error::Configure {
                setting: "foreign_keys = ON",
                source,
            })
    }

    /// Applies the pending migrations to `conn`.
    ///
    /// Transactional migrations are applied together in one `BEGIN IMMEDIATE`
    /// transaction, so the application never sees half a schema; the history
    /// is read again once the write lock is held, so that concurrent starts
    /// apply each migration once. A migration marked `no-transaction` runs
    /// alone, outside any transaction.
    ///
    /// Refuses, without changing anything, a database whose applied
    /// migrations differ from this binary's or include versions it does not know.
    pub fn run(&self, conn: &mut Connection) -> Result<Report, Error> {
        let pending = self.pending(&history::read(conn)?)?;
        let mut report = Report::default();
        if pending.is_empty() {
            tracing::info!(
                migrations = self.migrations.len(),
                "database is up to date; no migration to apply"
            );
            return Ok(report);
        }
        tracing::info!(pending = pending.len(), "applying migrations");
        for group in groups(&pending) {
            self.apply_group(conn, group, &mut report)?;
        }
        tracing::info!(applied = report.applied.len(), "database migrated");
        Ok(report)
    }

    /// The migrations not yet applied, after checking that what was applied
    /// is what this binary has.
    fn pending(&self, applied: &[history::Applied]) -> Result<Vec<&'static Migration>, Error> {
        let mut unknown = Vec::new();
        for row in applied {
            match self.find(row.version) {
                None => unknown.push((row.version, row.name.clone())),
                Some(migration) if migration.checksum().to_hex() != row.checksum => {
                    return Err(Error::ChecksumMismatch {
                        version: row.version,
                        name: migration.name().to_string(),
                        applied: row.checksum.clone(),
                        embedded: migration.checksum().to_hex(),
                    });
                }
                Some(_) => {}
            }
        }
        if !unknown.is_empty() {
            return Err(Error::UnknownVersions { versions: unknown });
        }
        let applied_versions: HashSet<u64> = applied.iter().map(|row| row.version).collect();
        let pending: Vec<_> = self
            .migrations
            .iter()
            .filter(|m| !applied_versions.contains(&m.version()))
            .collect();
        if let (Some(newest), Some(first)) = (applied.last(), pending.first()) {
            if first.version() < newest.version {
                return Err(Error::OutOfOrder {
                    pending: first.version(),
                    pending_name: first.name().to_string(),
                    applied: newest.version,
                    applied_name: newest.name.clone(),
                });
            }
        }
        Ok(pending)
    }

    /// The migration with this version; the list is ordered by version.
    fn find(&self, version: u64) -> Option<&'static Migration> {
        let index = self
            .migrations
            .binary_search_by_key(&version, Migration::version)
            .ok()?;
        Some(&self.migrations[index])
    }

    fn apply_group(
        &self,
        conn: &mut Connection,
        group: &[&'static Migration],
        report: &mut Report,
    ) -> Result<(), Error> {
        let applied = match group {
            [alone] if alone.up().directives().no_transaction() => vec![apply_alone(conn, alone)?],
            [rebuild] if rebuild.up().directives().foreign_keys_off() => {
                // PRAGMA foreign_keys is a no-op inside a transaction: the
                // 12-step rebuild needs it off before BEGIN.
                let before = foreign_keys(conn)?;
                set_foreign_keys(conn, false)?;
                let result = self.apply_in_transaction(conn, group, true);
                set_foreign_keys(conn, before)?;
                result?
            }
            _ => self.apply_in_transaction(conn, group, false)?,
        };
        report.applied.extend(applied);
        Ok(())
    }

    fn apply_in_transaction(
        &self,
        conn: &mut Connection,
        group: &[&'static Migration],
        check_foreign_keys: bool,
    ) -> Result<Vec<Applied>, Error> {
        let writing = |source| Error::History {
            action: "write",
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(writing)?;
        history::create(&tx)?;
        // Another process may have migrated while this one waited for the lock.
        let still_pending: HashSet<u64> = self
            .pending(&history::read(&tx)?)?
            .iter()
            .map(|m| m.version())
            .collect();
        let mut applied = Vec::new();
        for migration in group
            .iter()
            .filter(|m| still_pending.contains(&m.version()))
        {
            applied.push(apply_one(&tx, migration)?);
            if check_foreign_keys {
                check_foreign_keys_after(&tx, migration)?;
            }
        }
        tx.commit().map_err(writing)?;
        Ok(applied)
    }
}

/// Consecutive transactional migrations form one group, applied in one
/// transaction. A `no-transaction` migration, and a `foreign-keys-off` one,
/// is a group of its own: the first cannot be in a transaction, and the
/// second switches foreign keys off for its whole transaction, which would
/// change what `ON DELETE CASCADE` does in the migrations beside it.
fn groups<'a>(pending: &'a [&'static Migration]) -> Vec<&'a [&'static Migration]> {
    let mut groups = Vec::new();
    let mut start = 0;
    for (index, migration) in pending.iter().enumerate() {
        let directives = migration.up().directives();
        if directives.no_transaction() || directives.foreign_keys_off() {
            if start < index {
                groups.push(&pending[start..index]);
            }
            groups.push(&pending[index..=index]);
            start = index + 1;
        }
    }
    if start < pending.len() {
        groups.push(&pending[start..]);
    }
    groups
}

fn apply_one(conn: &Connection, migration: &'static Migration) -> Result<Applied, Error> {
    let started = Instant::now();
    conn.execute_batch(migration.up().sql())
        .map_err(|source| failed(migration, source, true))?;
    let duration = started.elapsed();
    history::record(conn, migration, duration)?;
    Ok(logged(migration, duration))
}

/// A `no-transaction` migration: its statements run one by one, outside any transaction.
fn apply_alone(conn: &Connection, migration: &'static Migration) -> Result<Applied, Error> {
    let started = Instant::now();
    conn.execute_batch(migration.up().sql())
        .map_err(|source| failed(migration, source, false))?;
    let duration = started.elapsed();
    history::create(conn)?;
    history::record(conn, migration, duration)?;
    Ok(logged(migration, duration))
}

fn failed(migration: &Migration, source: rusqlite::Error, rolled_back: bool) -> Error {
    tracing::error!(
        version = migration.version(),
        name = migration.name(),
        error = %source,
        "migration failed"
    );
    Error::Migration {
        version: migration.version(),
        name: migration.name().to_string(),
        source,
        rolled_back,
    }
}

fn logged(migration: &Migration, duration: Duration) -> Applied {
    tracing::info!(
        version = migration.version(),
        name = migration.name(),
        ?duration,
        "applied migration"
    );
    Applied {
        version: migration.version(),
        name: migration.name().to_string(),
        duration,
    }
}

fn foreign_keys(conn: &Connection) -> Result<bool, Error> {
    conn.pragma_query_value(None, "foreign_keys", |row| row.get(0))
        .map_err(|source| Error::Configure {
            setting: "foreign_keys",
            source,
        })
}

fn set_foreign_keys(conn: &Connection, on: bool) -> Result<(), Error> {
    conn.pragma_update(None, "foreign_keys", on)
        .map_err(|source| Error::Configure {
            setting: if on {
                "foreign_keys = ON"
            } else {
                "foreign_keys = OFF"
            },
            source,
        })
}

/// Fails the rebuild, naming the first offending row, when it left rows
/// whose foreign keys point nowhere.
fn check_foreign_keys_after(conn: &Connection, rebuild: &Migration) -> Result<(), Error> {
    let violation = conn
        .query_row("PRAGMA foreign_key_check", [], |row| {
            Ok(format!(
                "row {} of `{}` refers to a missing row of `{}`",
                row.get::<_, Option<i64>>(1)?.unwrap_or(0),
                row.get::<_, String>(0)?,
                row.get::<_, String>(2)?
            ))
        })
        .optional()
        .map_err(|source| failed(rebuild, source, true))?;
    match violation {
        None => Ok(()),
        Some(what) => Err(failed(
            rebuild,
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                Some(format!(
                    "foreign key check failed after the migration: {what}"
                )),
            ),
            true,
        )),
    }
}
