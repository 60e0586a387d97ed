//! The lock that makes one process migrate a database at a time.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::lock::{with_suffix, LockReport, LOCK_SUFFIX};
use crate::Error;

/// An exclusive lock on `<database>-migrate-lock`, held while migrations are
/// applied, so that one process migrates at a time even across the
/// `no-transaction` migrations that SQLite's own write lock cannot cover.
/// The operating system releases it if the process dies.
pub(crate) struct MigrationLock {
    _file: File,
}

impl MigrationLock {
    /// Waits up to `timeout` for the lock.
    pub(crate) fn acquire(database: &Path, timeout: Duration) -> Result<Self, Error> {
        let path = with_suffix(database, LOCK_SUFFIX);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            // A lock file left by a start as another user may not be
            // writable; locking needs no write access.
            .or_else(|_| File::open(&path))
            .map_err(|error| Error::ReadOnly {
                path: database.to_path_buf(),
                detail: format!(
                    "cannot create or open the lock file {}: {error}",
                    path.display()
                ),
            })?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < timeout => {
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked(Box::new(LockReport::gather(
                        database,
                        started.elapsed(),
                    ))));
                }
                Err(std::fs::TryLockError::Error(error)) => {
                    return Err(Error::ReadOnly {
                        path: database.to_path_buf(),
                        detail: format!("cannot lock {}: {error}", path.display()),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn a_second_lock_waits_and_then_reports_the_holder_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        fs::write(with_suffix(&db, "-wal"), [0u8; 10]).unwrap();
        let _held = MigrationLock::acquire(&db, Duration::from_millis(10)).unwrap();
        let Err(Error::Locked(report)) = MigrationLock::acquire(&db, Duration::from_millis(30))
        else {
            panic!("the second lock must time out");
        };
        assert!(report.waited >= Duration::from_millis(30));
        assert_eq!(report.wal_bytes, Some(10));
        assert_eq!(report.shm_bytes, None);
        let message = report.to_string();
        assert!(message.contains("-wal file: 10 bytes"), "{message}");
        assert!(message.contains("What to do"), "{message}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn finds_lock_holders_in_proc_locks() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let _held = MigrationLock::acquire(&db, Duration::from_millis(10)).unwrap();
        let inode = fs::metadata(with_suffix(&db, LOCK_SUFFIX)).unwrap().ino();
        assert!(crate::lock::write_locks().contains(&(std::process::id(), inode)));
    }
}
