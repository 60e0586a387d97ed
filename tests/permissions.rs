//! A database the process may not write: a read-only file, a read-only
//! folder. With real operating-system permissions, so the probe runs as an
//! unprivileged user: as `nobody` (65534) when the tests run as root (root
//! ignores permissions), as the current user otherwise.
//!
//! A start with migrations pending must fail with a message that names the
//! database and says what to do, and leave the file as it was. A start with
//! nothing to do only reads: it opens a read-only file, but not a database
//! in a read-only folder, where SQLite cannot create the -shm file that WAL
//! needs even to read.
//!
//! The probe prints the error's message and then `error variant: <Variant>`.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::Migrator;
use migrate_tests::{history_versions, wait_until, Finished};
use tempfile::TempDir;

mod chain {
    migrate_runtime::embed_migrations!("fixtures/concurrent");
    pub use migrations::*;
}

const PROBE: &str = env!("CARGO_BIN_EXE_migrate-probe");
/// `nobody` on Linux.
const NOBODY: u32 = 65534;
/// A probe that runs longer than this is hung.
const DEADLINE: Duration = Duration::from_secs(60);

/// A temporary folder anyone may enter, a probe anyone may run, and the
/// user the probe runs as.
struct Sandbox {
    dir: TempDir,
    probe: PathBuf,
    /// `Some(uid)` when the probe switches to it (the tests run as root).
    run_as: Option<u32>,
}

impl Sandbox {
    /// `None`, with a note printed, when permissions cannot be tested here.
    fn new(test: &str) -> Option<Self> {
        let root = effective_uid() == 0;
        let dir = tempfile::tempdir().expect("temp dir");
        // tempfile creates it 0700: let the probe's user in.
        chmod(dir.path(), 0o755);
        let probe = if runnable_by_others(Path::new(PROBE)) {
            PathBuf::from(PROBE)
        } else {
            let copy = dir.path().join("migrate-probe");
            fs::copy(PROBE, &copy).expect("copy migrate-probe");
            chmod(&copy, 0o755);
            copy
        };
        let sandbox = Self {
            dir,
            probe,
            run_as: root.then_some(NOBODY),
        };
        // Can the probe run as that user, and do permissions bind it?
        let check = sandbox.path("permission-check");
        fs::write(&check, b"").unwrap();
        chmod(&check, 0o444);
        let writable = match sandbox.run_as {
            // Ask the shell, as that user, whether the file is writable.
            Some(uid) => {
                let status = Command::new("/bin/sh")
                    .arg("-c")
                    .arg("test -w \"$0\"")
                    .arg(&check)
                    .uid(uid)
                    .gid(uid)
                    .status();
                match status {
                    Ok(status) => status.success(),
                    Err(error) => {
                        eprintln!(
                            "NOTE: {test} skipped: cannot run a process as uid {uid} \
                             ({error}); permissions are not tested"
                        );
                        return None;
                    }
                }
            }
            None => fs::OpenOptions::new().write(true).open(&check).is_ok(),
        };
        if writable {
            eprintln!(
                "NOTE: {test} skipped: the probe's user (uid {}) can write a 0444 file, so \
                 permissions cannot be tested here",
                sandbox.run_as.unwrap_or_else(effective_uid)
            );
            return None;
        }
        if let Some(uid) = sandbox.run_as {
            // Without arguments the probe exits 2 (usage): it runs as that user.
            let usage = Command::new(&sandbox.probe)
                .uid(uid)
                .gid(uid)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            match usage {
                Ok(status) if status.code() == Some(2) => {}
                other => {
                    eprintln!(
                        "NOTE: {test} skipped: migrate-probe does not run as uid {uid}: \
                         {other:?}"
                    );
                    return None;
                }
            }
        }
        Some(sandbox)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A folder `name` in the sandbox with `mode`, holding `app.db` migrated
    /// by `migrator` with `file_mode`; its -wal and -shm files are gone.
    fn database(&self, name: &str, mode: u32, migrator: &Migrator, file_mode: u32) -> PathBuf {
        let folder = self.path(name);
        fs::create_dir(&folder).unwrap();
        let db = folder.join("app.db");
        drop(migrator.open(&db).expect("prepare the database"));
        for suffix in ["-wal", "-shm", "-journal"] {
            assert!(
                !sidecar(&db, suffix).exists(),
                "{suffix} left after the connection closed"
            );
        }
        chmod(&db, file_mode);
        chmod(&folder, mode);
        db
    }

    /// Runs `migrate-probe chain <db>` as the sandbox's user.
    fn probe_chain(&self, db: &Path) -> Finished {
        let mut command = Command::new(&self.probe);
        command
            .arg("chain")
            .arg(db)
            .args(["--busy-ms", "2000"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(uid) = self.run_as {
            command.uid(uid).gid(uid);
        }
        let child = command.spawn().expect("start migrate-probe");
        wait_until(child, Instant::now() + DEADLINE)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Let the TempDir remove what the folders hold, as any user.
        for entry in fs::read_dir(self.dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let _ = fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o755));
        }
    }
}

/// The effective uid of this process: the owner of /proc/self.
fn effective_uid() -> u32 {
    fs::metadata("/proc/self").expect("read /proc/self").uid()
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|error| panic!("chmod {mode:o} {}: {error}", path.display()));
}

/// Whether anyone may run the file: it and every folder above it are
/// executable by others.
fn runnable_by_others(file: &Path) -> bool {
    let others_x = |path: &Path| {
        fs::metadata(path)
            .map(|meta| meta.mode() & 0o001 != 0)
            .unwrap_or(false)
    };
    file.ancestors().all(others_x)
}

/// `path` with `suffix` appended to its file name.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// The names of the files in `folder`, sorted, with their owner's uid and mode.
fn listing(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            format!(
                "{} (uid {}, {:o}, {} bytes)",
                entry.file_name().to_string_lossy(),
                meta.uid(),
                meta.mode() & 0o7777,
                meta.len()
            )
        })
        .collect();
    names.sort();
    names
}

/// An older build migrated the first three migrations of `chain`: four are pending.
fn older_build() -> Migrator {
    Migrator::new(&chain::MIGRATIONS[..3])
}

fn exit_code(finished: &Finished) -> Option<i32> {
    finished.status.and_then(|status| status.code())
}

#[test]
fn pending_migrations_on_a_read_only_file_fail_and_leave_it_unchanged() {
    let Some(sandbox) = Sandbox::new("read-only file") else {
        return;
    };
    // The folder is writable by anyone: only the file is read-only.
    let db = sandbox.database("writable-folder", 0o777, &older_build(), 0o444);
    let before = fs::read(&db).unwrap();

    let finished = sandbox.probe_chain(&db);
    eprintln!(
        "read-only file, pending: {finished:?}\nfolder after: {:#?}",
        listing(db.parent().unwrap())
    );
    assert_eq!(exit_code(&finished), Some(1), "{finished:?}");
    let message = finished.stderr.trim();
    assert!(
        message.contains(&format!("cannot write the database {}", db.display())),
        "{message}"
    );
    assert!(
        message.contains("the process needs write access to the file and to its folder"),
        "{message}"
    );
    assert!(message.contains("Nothing was changed"), "{message}");
    assert!(message.ends_with("error variant: ReadOnly"), "{message}");
    assert_eq!(fs::read(&db).unwrap(), before, "the database changed");
    assert_eq!(
        history_versions(&Connection::open(&db).unwrap()).unwrap(),
        [1, 2, 3]
    );
}

#[test]
fn pending_migrations_in_a_read_only_folder_fail_and_leave_the_file_unchanged() {
    let Some(sandbox) = Sandbox::new("read-only folder") else {
        return;
    };
    // The file is writable by anyone: only its folder is read-only, so
    // SQLite cannot create the -wal and -shm files beside it.
    let db = sandbox.database("read-only-folder", 0o555, &older_build(), 0o666);
    let before = fs::read(&db).unwrap();
    let folder_before = listing(db.parent().unwrap());

    let finished = sandbox.probe_chain(&db);
    let folder_after = listing(db.parent().unwrap());
    eprintln!("read-only folder, pending: {finished:?}\nfolder after: {folder_after:#?}");
    assert_eq!(exit_code(&finished), Some(1), "{finished:?}");
    check_read_only_folder_message(&finished, &db);
    assert_eq!(fs::read(&db).unwrap(), before, "the database changed");
    assert_eq!(folder_after, folder_before, "the folder changed");
}

/// `open` promises a writable, migrated database: a file this process
/// cannot write is refused before SQLite opens it, even when up to date, so
/// that SQLite's read-only fallback leaves no read-only -wal and -shm behind.
#[test]
fn an_up_to_date_database_in_a_read_only_file_is_refused_and_nothing_is_created() {
    let Some(sandbox) = Sandbox::new("up-to-date read-only file") else {
        return;
    };
    let db = sandbox.database("writable-folder", 0o777, &chain::MIGRATOR, 0o444);
    let before = fs::read(&db).unwrap();
    let listed = listing(db.parent().unwrap());

    let finished = sandbox.probe_chain(&db);
    assert_eq!(exit_code(&finished), Some(1), "{finished:?}");
    assert!(
        finished.stderr.contains("error variant: ReadOnly"),
        "{finished:?}"
    );
    assert!(
        finished
            .stderr
            .contains("the file is not writable by this process"),
        "{finished:?}"
    );
    assert_eq!(fs::read(&db).unwrap(), before, "the database changed");
    assert_eq!(listing(db.parent().unwrap()), listed, "files were created");
}

/// SQLite cannot create the -wal and -shm files: ReadOnly, naming the
/// database and saying that its folder must be writable.
fn check_read_only_folder_message(finished: &Finished, db: &Path) {
    let message = finished.stderr.trim();
    for expected in [
        format!("cannot write the database {}: ", db.display()),
        "the process needs write access to the file and to its folder, where SQLite keeps \
         the -wal and -shm files"
            .to_string(),
        "Nothing was changed".to_string(),
    ] {
        assert!(message.contains(&expected), "lacks {expected:?}: {message}");
    }
    assert!(message.ends_with("error variant: ReadOnly"), "{message}");
}

/// A WAL database needs its -shm file even to be read: in a folder where it
/// cannot be created, even a start with nothing to do fails, with the same
/// message.
#[test]
fn an_up_to_date_database_in_a_read_only_folder_is_read_only_too() {
    let Some(sandbox) = Sandbox::new("up-to-date read-only folder") else {
        return;
    };
    let db = sandbox.database("read-only-folder", 0o555, &chain::MIGRATOR, 0o666);
    let before = fs::read(&db).unwrap();

    let finished = sandbox.probe_chain(&db);
    eprintln!(
        "read-only folder, up to date: {finished:?}\nfolder after: {:#?}",
        listing(db.parent().unwrap())
    );
    assert_eq!(exit_code(&finished), Some(1), "{finished:?}");
    check_read_only_folder_message(&finished, &db);
    assert_eq!(fs::read(&db).unwrap(), before, "the database changed");
}

/// A start on a read-only file with migrations pending, failed as
/// expected; then the operator makes the file writable, and removes the lock
/// file the preparing start (root) left, which is the next test's subject.
fn failed_on_a_read_only_file_then_fixed(sandbox: &Sandbox) -> PathBuf {
    let db = sandbox.database("writable-folder", 0o777, &older_build(), 0o444);
    let failed = sandbox.probe_chain(&db);
    assert_eq!(exit_code(&failed), Some(1), "{failed:?}");
    eprintln!(
        "after the failure the folder holds {:#?}",
        listing(db.parent().unwrap())
    );
    chmod(&db, 0o666);
    fs::remove_file(sidecar(&db, "-migrate-lock")).unwrap();
    db
}

#[test]
fn making_the_file_writable_after_a_read_only_failure_lets_the_next_start_migrate() {
    let Some(sandbox) = Sandbox::new("read-only file, then fixed") else {
        return;
    };
    let db = failed_on_a_read_only_file_then_fixed(&sandbox);
    let finished = sandbox.probe_chain(&db);
    eprintln!(
        "once the file is writable: {finished:?}\nfolder after: {:#?}",
        listing(db.parent().unwrap())
    );
    assert!(
        finished.success() && finished.stdout.trim() == "ok",
        "{finished:?}"
    );
    assert_eq!(
        history_versions(&Connection::open(&db).unwrap()).unwrap(),
        [1, 2, 3, 4, 5, 6, 7]
    );
}

#[test]
fn a_failed_start_on_a_read_only_file_leaves_no_wal_or_shm() {
    let Some(sandbox) = Sandbox::new("read-only file leaves nothing") else {
        return;
    };
    let db = sandbox.database("writable-folder", 0o777, &older_build(), 0o444);
    let listed = listing(db.parent().unwrap());
    let finished = sandbox.probe_chain(&db);
    assert_eq!(exit_code(&finished), Some(1), "{finished:?}");
    assert_eq!(listing(db.parent().unwrap()), listed, "files were created");
    for suffix in ["-wal", "-shm"] {
        assert!(!sidecar(&db, suffix).exists(), "{suffix} left: {listed:#?}");
    }
}

#[test]
fn a_lock_file_left_by_a_start_as_another_user_does_not_stop_migrating() {
    let Some(sandbox) = Sandbox::new("lock file of another user") else {
        return;
    };
    // Migrated once by root (the tests' user), as by a deploy step run as
    // root: the lock file stays, root's, 0644. Database and folder are
    // writable by anyone.
    let db = sandbox.database("writable-folder", 0o777, &older_build(), 0o666);
    let lock = fs::metadata(sidecar(&db, "-migrate-lock")).expect("the lock file stays");
    eprintln!(
        "the lock file: uid {}, mode {:o}",
        lock.uid(),
        lock.mode() & 0o777
    );

    let finished = sandbox.probe_chain(&db);
    eprintln!("{finished:?}");
    assert!(
        finished.success() && finished.stdout.trim() == "ok",
        "{finished:?}"
    );
    assert_eq!(
        history_versions(&Connection::open(&db).unwrap()).unwrap(),
        [1, 2, 3, 4, 5, 6, 7]
    );
}
