//! Opening a database file and making SQLite's failures typed errors.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::ffi::ErrorCode;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::lock::LockReport;
use crate::Error;

/// Opens (or creates) the database at `path`, refusing a missing folder
/// rather than failing later with SQLite's "unable to open database file".
pub(crate) fn open(path: &Path, busy_timeout: Duration) -> Result<Connection, Error> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !folder.is_dir() {
            return Err(Error::MissingFolder {
                path: path.to_path_buf(),
            });
        }
    }
    refuse_unwritable(path)?;
    opened(path, Connection::open(path), busy_timeout)
}

/// Opens the database at `path`, which must exist: for reading and
/// operating on a database without creating one by mistake.
pub(crate) fn open_existing(path: &Path, busy_timeout: Duration) -> Result<Connection, Error> {
    if !path.is_file() {
        return Err(Error::NoDatabase {
            path: path.to_path_buf(),
        });
    }
    // Read-write without create; SQLite opens a write-protected file read-only.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    opened(path, Connection::open_with_flags(path, flags), busy_timeout)
}

/// A connection just opened, with its busy timeout set; an error names the
/// file's condition (not a database, read-only, …) where SQLite's says it.
fn opened(
    path: &Path,
    opened: rusqlite::Result<Connection>,
    busy_timeout: Duration,
) -> Result<Connection, Error> {
    let conn = opened.map_err(|source| {
        condition(path, &source).unwrap_or(Error::Open {
            path: path.to_path_buf(),
            source,
        })
    })?;
    conn.busy_timeout(busy_timeout)
        .map_err(|source| Error::Configure {
            setting: "busy_timeout",
            source,
        })?;
    Ok(conn)
}

/// An existing file this process cannot write is refused before SQLite
/// opens it: SQLite would fall back to reading it and leave read-only -wal
/// and -shm files behind, which break the next start once the file is fixed.
fn refuse_unwritable(path: &Path) -> Result<(), Error> {
    if !path.is_file() {
        return Ok(());
    }
    match OpenOptions::new().write(true).open(path) {
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(Error::ReadOnly {
                path: path.to_path_buf(),
                detail: format!("the file is not writable by this process ({error})"),
            })
        }
        _ => Ok(()),
    }
}

/// The path of the connection's main database; `None` in memory.
pub(crate) fn file_path(conn: &Connection) -> Option<PathBuf> {
    conn.path().filter(|p| !p.is_empty()).map(PathBuf::from)
}

/// Switches the file to WAL, only when it is not WAL already.
///
/// WAL is kept in the file, so the switch happens once in the file's life.
/// It needs a moment with no other connection reading, which the busy
/// handler does not wait for: SQLite answers "database is locked" at once.
/// So the switch is retried here, with growing pauses, up to `timeout`.
pub(crate) fn ensure_wal(conn: &Connection, path: &Path, timeout: Duration) -> Result<(), Error> {
    if header_says_wal(path) {
        return Ok(());
    }
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match journal_mode(conn, "PRAGMA journal_mode") {
            Ok(mode) if mode == "wal" || mode == "memory" => return Ok(()),
            Ok(_) => match journal_mode(conn, "PRAGMA journal_mode = WAL") {
                Ok(mode) if mode == "wal" => return Ok(()),
                Ok(_) | Err(Busy) => {}
                Err(Failed(source)) => return Err(configure_error(path, source)),
            },
            Err(Busy) => {}
            Err(Failed(source)) => return Err(configure_error(path, source)),
        }
        if started.elapsed() >= timeout {
            return Err(Error::Locked(Box::new(LockReport::gather(
                path,
                started.elapsed(),
            ))));
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Whether the file header marks the database as WAL (bytes 18 and 19, the
/// file format versions, are 2). Read from the file rather than with
/// `PRAGMA journal_mode`, which makes SQLite parse the whole schema first:
/// 3 ms at a thousand tables, on every start.
fn header_says_wal(path: &Path) -> bool {
    let mut header = [0u8; 20];
    File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .is_ok_and(|()| header[18] == 2 && header[19] == 2)
}

enum Attempt {
    Busy,
    Failed(rusqlite::Error),
}
use Attempt::{Busy, Failed};

fn journal_mode(conn: &Connection, sql: &str) -> Result<String, Attempt> {
    conn.query_row(sql, [], |row| row.get::<_, String>(0))
        .map(|mode| mode.to_ascii_lowercase())
        .map_err(|error| if is_busy(&error) { Busy } else { Failed(error) })
}

fn configure_error(path: &Path, source: rusqlite::Error) -> Error {
    condition(path, &source).unwrap_or(Error::Configure {
        setting: "journal_mode = WAL",
        source,
    })
}

/// Sets `PRAGMA foreign_keys`; outside a transaction, where it takes effect.
pub(crate) fn set_foreign_keys(conn: &Connection, on: bool) -> Result<(), Error> {
    migrate_sqlite::apply::set_foreign_keys(conn, on).map_err(|source| Error::Configure {
        setting: if on {
            "foreign_keys = ON"
        } else {
            "foreign_keys = OFF"
        },
        source,
    })
}

/// `BEGIN IMMEDIATE`, waiting at most the connection's busy timeout, for a
/// change made outside the slow path (a repair, a baseline, an import): a
/// lock still held past it is reported with who holds it, any other failure
/// as what it says about the file or as failing to `action`.
pub(crate) fn begin_immediate<'c>(
    conn: &'c mut Connection,
    path: Option<&Path>,
    action: &'static str,
) -> Result<Transaction<'c>, Error> {
    let waiting = Instant::now();
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|source| match (is_busy(&source), path) {
            (true, Some(path)) => {
                Error::Locked(Box::new(LockReport::gather(path, waiting.elapsed())))
            }
            _ => failed(path, action, source),
        })
}

/// The typed error for failing to `action`: what it says about the file
/// first (not a database, corrupted, read-only), else SQLite's error.
pub(crate) fn failed(path: Option<&Path>, action: &'static str, source: rusqlite::Error) -> Error {
    path.and_then(|path| condition(path, &source))
        .unwrap_or(Error::Database { action, source })
}

/// `database is locked` or `database table is locked`.
pub(crate) fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// The typed error for a failure that says something about the file itself,
/// whatever was being done: not a database, corrupted, read-only.
pub(crate) fn condition(path: &Path, error: &rusqlite::Error) -> Option<Error> {
    let path = path.to_path_buf();
    let detail = error.to_string();
    match error.sqlite_error_code()? {
        ErrorCode::NotADatabase => Some(Error::NotADatabase { path }),
        ErrorCode::DatabaseCorrupt => Some(Error::Corrupt { path, detail }),
        ErrorCode::ReadOnly => {
            let detail = detail + &stale_shared_memory_hint(&path);
            Some(Error::ReadOnly { path, detail })
        }
        _ => None,
    }
}

/// A -shm this process cannot write, left by a start as another user or on
/// a read-only file, keeps the database read-only until it is removed.
fn stale_shared_memory_hint(path: &Path) -> String {
    let mut shm = path.as_os_str().to_owned();
    shm.push("-shm");
    let shm = PathBuf::from(shm);
    match OpenOptions::new().write(true).open(&shm) {
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => format!(
            " (its {} is not writable by this process: remove it and the -wal file while no \
             process uses the database)",
            shm.display()
        ),
        _ => String::new(),
    }
}
