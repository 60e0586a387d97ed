//! Backups taken before migrating, and copying one back.

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::connection::{self, is_busy};
use crate::event::Event;
use crate::lock::LockReport;
use crate::migrator::Migrator;
use crate::Error;

/// Where backups go and how many are kept.
///
/// The default keeps the last 5, in a `backups` folder beside the database,
/// named `<database file>.<UTC time>.v<from>-to-v<to>.sqlite`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backups {
    keep: usize,
    folder: Option<PathBuf>,
}

impl Default for Backups {
    fn default() -> Self {
        Self::keep(5)
    }
}

impl Backups {
    /// Keep the last `count` backups of each database; 0 turns backups off.
    pub const fn keep(count: usize) -> Self {
        Self {
            keep: count,
            folder: None,
        }
    }

    /// No backups.
    pub const fn disabled() -> Self {
        Self::keep(0)
    }

    /// Put the backups in `folder` instead of `backups` beside the database.
    pub fn in_folder(mut self, folder: impl Into<PathBuf>) -> Self {
        self.folder = Some(folder.into());
        self
    }

    /// Whether backups are taken.
    pub const fn enabled(&self) -> bool {
        self.keep > 0
    }

    /// How many backups of each database are kept; 0 when backups are off.
    pub const fn kept(&self) -> usize {
        self.keep
    }

    /// The folder holding the backups of `database`.
    pub fn folder_for(&self, database: &Path) -> PathBuf {
        self.folder.clone().unwrap_or_else(|| {
            let parent = database.parent().filter(|p| !p.as_os_str().is_empty());
            parent.unwrap_or(Path::new(".")).join("backups")
        })
    }

    /// The backups of `database`, oldest first.
    pub fn list(&self, database: &Path) -> Result<Vec<PathBuf>, Error> {
        let folder = self.folder_for(database);
        let prefix = backup_prefix(database);
        let entries = match fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => {
                return Err(Error::Backup {
                    path: folder,
                    detail: format!("cannot list the folder: {error}"),
                })
            }
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.strip_prefix(&prefix).is_some_and(is_backup_name)
            })
            .map(|entry| entry.path())
            .collect();
        // Names start with a sortable UTC time, so name order is age order.
        found.sort();
        Ok(found)
    }

    /// Copies `database` into the backups folder and drops the oldest backups
    /// beyond the number kept. `conn` must hold the write lock, so that the
    /// copy is exactly the state the migrations start from.
    pub(crate) fn create(
        &self,
        database: &Path,
        versions: (u64, u64),
        deadline: Option<Instant>,
    ) -> Result<PathBuf, Error> {
        let path = self.copy(database, versions, deadline)?;
        self.prune(database)?;
        Ok(path)
    }

    /// Writes a consistent copy of `database`, named for the versions it goes
    /// `from` and `to`, into the backups folder; prunes nothing.
    pub(crate) fn copy(
        &self,
        database: &Path,
        (from, to): (u64, u64),
        deadline: Option<Instant>,
    ) -> Result<PathBuf, Error> {
        let folder = self.folder_for(database);
        let failed = |path: &Path, detail: String| Error::Backup {
            path: path.to_path_buf(),
            detail,
        };
        fs::create_dir_all(&folder)
            .map_err(|e| failed(&folder, format!("cannot create the folder: {e}")))?;
        // A second, read-only connection: it reads the last committed state
        // while the migrating connection holds the write lock.
        let mut reader = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| failed(&folder, e.to_string()))?;
        let time: String = reader
            .query_row("SELECT strftime('%Y-%m-%dT%H-%M-%fZ', 'now')", [], |row| {
                row.get(0)
            })
            .map_err(|e| failed(&folder, e.to_string()))?;
        let path = folder.join(format!(
            "{}{time}.v{from}-to-v{to}.sqlite",
            backup_prefix(database)
        ));
        if let Some(deadline) = deadline {
            let interrupt = Some(move || Instant::now() >= deadline);
            let _ =
                migrate_sqlite::rusqlite_versions::progress_handler(&mut reader, 1000, interrupt);
        }
        let started = Instant::now();
        let result = reader.execute("VACUUM INTO ?1", [path.to_string_lossy()]);
        if let Err(error) = result {
            let _ = fs::remove_file(&path);
            return Err(match error.sqlite_error_code() {
                Some(rusqlite::ffi::ErrorCode::OperationInterrupted) => Error::Deadline {
                    during: "the backup before migrating".into(),
                    elapsed: started.elapsed(),
                    limit: deadline
                        .map_or(Duration::ZERO, |d| d.saturating_duration_since(started)),
                },
                _ => failed(&path, error.to_string()),
            });
        }
        tracing::info!(backup = %path.display(), duration = ?started.elapsed(), "database backed up");
        Ok(path)
    }

    /// Removes the oldest backups of `database` beyond the number kept.
    pub(crate) fn prune(&self, database: &Path) -> Result<(), Error> {
        let backups = self.list(database)?;
        let excess = backups.len().saturating_sub(self.keep);
        for old in &backups[..excess] {
            fs::remove_file(old).map_err(|error| Error::Backup {
                path: old.clone(),
                detail: format!("cannot remove an old backup: {error}"),
            })?;
        }
        Ok(())
    }
}

/// `2026-11-21T20-39-46.123Z.v3-to-v5.sqlite`: what follows the database's
/// name in its backups' names. Checked in full, so that the backups of
/// `app.db` are not taken for those of `app`.
fn is_backup_name(rest: &str) -> bool {
    const TIME: &[u8] = b"dddd-dd-ddTdd-dd-dd.dddZ.v";
    let bytes = rest.as_bytes();
    let time_matches = bytes.len() > TIME.len()
        && TIME.iter().zip(bytes).all(|(want, got)| match want {
            b'd' => got.is_ascii_digit(),
            other => other == got,
        });
    let Some(versions) = rest
        .get(TIME.len()..)
        .and_then(|r| r.strip_suffix(".sqlite"))
    else {
        return false;
    };
    let mut parts = versions.split("-to-v");
    let number = |part: Option<&str>| {
        part.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    time_matches && number(parts.next()) && number(parts.next()) && parts.next().is_none()
}

fn backup_prefix(database: &Path) -> String {
    let name = database
        .file_name()
        .map_or("database".into(), |n| n.to_string_lossy());
    format!("{name}.")
}

/// [`Migrator::backup`].
pub(crate) fn backup_now(migrator: &Migrator, path: &Path) -> Result<PathBuf, Error> {
    let backups = &migrator.options().backups;
    let conn = connection::open_existing(path, migrator.options().busy_timeout)?;
    let applied = migrator.read_history(&conn, Some(path))?;
    drop(conn);
    let version = applied.last().map_or(0, |row| row.version);
    let started = Instant::now();
    migrator.emit(&Event::BackingUp { database: path });
    let backup = backups.copy(path, (version, version), None)?;
    if backups.enabled() {
        backups.prune(path)?;
    }
    migrator.emit(&Event::BackedUp {
        backup: &backup,
        duration: started.elapsed(),
    });
    Ok(backup)
}

/// [`Migrator::restore`].
pub(crate) fn restore(migrator: &Migrator, path: &Path, backup: &Path) -> Result<(), Error> {
    let busy_timeout = migrator.options().busy_timeout;
    let mut conn = connection::open(path, busy_timeout)?;
    restore_into(&mut conn, path, backup, busy_timeout)
}

/// Copies `backup` over the database of `conn`, page by page through SQLite,
/// so that other connections to the database see either the old or the
/// restored content, never a torn file.
pub(crate) fn restore_into(
    conn: &mut Connection,
    database: &Path,
    backup: &Path,
    timeout: Duration,
) -> Result<(), Error> {
    let failed = |detail: String| Error::Restore {
        database: database.to_path_buf(),
        backup: backup.to_path_buf(),
        detail,
    };
    if !backup.is_file() {
        return Err(failed("there is no such backup file".into()));
    }
    let source = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| failed(e.to_string()))?;
    let copy = Backup::new(&source, conn).map_err(|e| failed(e.to_string()))?;
    let started = Instant::now();
    loop {
        match copy.step(-1) {
            Ok(StepResult::Done) => break,
            Ok(StepResult::More) => {}
            Ok(StepResult::Busy | StepResult::Locked) => {
                if started.elapsed() >= timeout {
                    return Err(Error::Locked(Box::new(LockReport::gather(
                        database,
                        started.elapsed(),
                    ))));
                }
                thread::sleep(Duration::from_millis(10));
            }
            Ok(_) => {}
            Err(error) if is_busy(&error) && started.elapsed() < timeout => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(error) => return Err(failed(error.to_string())),
        }
    }
    tracing::warn!(database = %database.display(), backup = %backup.display(), "database restored from a backup");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_its_own_backup_names() {
        assert!(is_backup_name("2026-11-21T20-39-46.123Z.v3-to-v5.sqlite"));
        assert!(is_backup_name(
            "2026-11-21T20-39-46.123Z.v0-to-v20250919140443.sqlite"
        ));
        // `app.db`'s backup seen from `app`: the rest starts with `db.`.
        assert!(!is_backup_name(
            "db.2026-11-21T20-39-46.123Z.v3-to-v5.sqlite"
        ));
        assert!(!is_backup_name(
            "2026-11-21T20-39-46.123Z.v3-to-v5.sqlite-journal"
        ));
        assert!(!is_backup_name("2026-11-21T20-39-46.123Z.v3.sqlite"));
        assert!(!is_backup_name("notes.sqlite"));
    }
}
