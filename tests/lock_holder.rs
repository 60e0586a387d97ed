//! Another program keeps the write lock of the database (a `sqlite3` shell
//! left inside `BEGIN`, a stuck worker) while a start has migrations to
//! apply: the start gives up after its busy timeout with `Error::Locked`,
//! whose report names that program's process, its command line, and the
//! sizes of the -wal and -shm files; once the program is gone, the same
//! start migrates.
//!
//! The holder is a real process, `migrate-probe hold-lock <db> <millis>`:
//! `BEGIN IMMEDIATE`, a row written and not committed, `locked` printed,
//! a sleep, `ROLLBACK`. The lock is SQLite's own, between processes, and
//! the report is read from this machine's /proc.

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Checksum, Directives, Error, LockReport, Migration, Migrator, Script};
use migrate_tests::{history_versions, object_names, user_version, wait_until, Finished};

mod chain {
    migrate_runtime::embed_migrations!("fixtures/concurrent");
    pub use migrations::*;
}

const PROBE: &str = env!("CARGO_BIN_EXE_migrate-probe");
/// How long the holder keeps the lock unless killed: far longer than the
/// busy timeouts below, so that it is still holding when they run out.
const HOLD_MS: u64 = 5_000;
/// The busy timeout of the starts that must give up.
const BUSY: Duration = Duration::from_millis(500);
/// A start that gives up after `BUSY` and gathers its report well within this.
const GIVE_UP_WITHIN: Duration = Duration::from_secs(4);
/// A process that runs longer than this is hung.
const DEADLINE: Duration = Duration::from_secs(60);

/// `fixtures/concurrent` (versions 1 to 7) and one more migration, 8, built
/// at run time: a newer build of the app, with a migration pending on a
/// database that `migrate-probe chain` migrated.
fn chain_and_one_more() -> Migrator {
    let sql = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);";
    let extra = Migration::new(
        8,
        "create_notes",
        Script::owned(
            sql.to_string(),
            Directives::parse(sql).expect("no directives"),
        ),
        None,
        Checksum::from_bytes([8; 32]),
    );
    let mut migrations = chain::MIGRATIONS.to_vec();
    migrations.push(extra);
    Migrator::new(Box::leak(migrations.into_boxed_slice()))
}

/// A `migrate-probe hold-lock` process that has printed `locked` (it holds
/// the write lock), or a `migrate-probe hold-open` one that has printed
/// `open` (an idle reader). Killed when dropped, so that a failing test
/// does not leave it behind.
struct LockHolder {
    child: Option<Child>,
    pid: u32,
}

impl LockHolder {
    /// Starts a holder of the write lock of `db` and waits until it holds it.
    fn start(db: &Path, hold_ms: u64) -> Self {
        Self::spawn("hold-lock", "locked", db, hold_ms)
    }

    /// Starts an idle reader of `db` and waits until it has the file open.
    fn reader(db: &Path, hold_ms: u64) -> Self {
        Self::spawn("hold-open", "open", db, hold_ms)
    }

    fn spawn(mode: &str, ready: &str, db: &Path, hold_ms: u64) -> Self {
        let mut child = Command::new(PROBE)
            .arg(mode)
            .arg(db)
            .arg(hold_ms.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("start migrate-probe {mode}: {error}"));
        let pid = child.id();
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver.recv_timeout(DEADLINE).unwrap_or_default();
        if line.trim() != ready {
            let finished = wait_until(child, Instant::now());
            panic!("migrate-probe {mode} did not get ready: printed {line:?}, {finished:?}");
        }
        Self {
            child: Some(child),
            pid,
        }
    }

    /// Kills the holder (SIGKILL: its transaction is left for SQLite to
    /// roll back) and waits until it is gone.
    fn kill(mut self) {
        let mut child = self.child.take().expect("not killed yet");
        child.kill().expect("kill the lock holder");
        child.wait().expect("wait for the lock holder");
    }

    /// Waits for the holder to roll back and exit by itself.
    fn finish(mut self) -> Finished {
        let child = self.child.take().expect("not killed yet");
        wait_until(child, Instant::now() + DEADLINE)
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `path` with `suffix` appended to its file name.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Runs `migrate-probe` with `args` until it exits.
fn probe(args: &[&std::ffi::OsStr]) -> Finished {
    let child = Command::new(PROBE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start migrate-probe");
    wait_until(child, Instant::now() + DEADLINE)
}

/// Checks what a report says about a database held by `holder_pid`: the holder is found in /proc with its lock and its
/// command line, the wait lasted the busy timeout, the -wal and -shm files
/// are measured.
fn check_report(report: &LockReport, db: &Path, holder_pid: u32) {
    assert_eq!(report.path, db, "{report:#?}");
    let holder = report
        .holders
        .iter()
        .find(|holder| holder.pid == holder_pid)
        .unwrap_or_else(|| panic!("the holder {holder_pid} is not reported: {report:#?}"));
    assert!(holder.holds_write_lock, "{report:#?}");
    assert!(
        holder.command.contains("migrate-probe") && holder.command.contains("hold-lock"),
        "the holder's command line: {report:#?}"
    );
    assert!(
        holder.command.contains(&db.display().to_string()),
        "the command line has its arguments: {report:#?}"
    );
    // Nobody else has this temporary file open.
    assert_eq!(report.holders.len(), 1, "{report:#?}");
    assert!(
        report.waited >= BUSY && report.waited < GIVE_UP_WITHIN,
        "waited {:?} with a busy timeout of {BUSY:?}",
        report.waited
    );
    // The file exists; the holder's uncommitted row is in its page cache,
    // not in the WAL, so its size says nothing here.
    assert!(report.wal_bytes.is_some(), "{report:#?}");
    assert!(report.shm_bytes.is_some(), "{report:#?}");
}

/// Checks that a Locked message names the database, the holder and what to do.
fn check_message(message: &str, db: &Path, holder_pid: u32) {
    for expected in [
        format!("the database {} is locked", db.display()),
        format!("{holder_pid} ("),
        "migrate-probe hold-lock".to_string(),
        "holds the write lock".to_string(),
        "-wal file: ".to_string(),
        "What to do: let that process finish its write, or stop it".to_string(),
        "raise the busy timeout (Migrator::busy_timeout)".to_string(),
    ] {
        assert!(
            message.contains(&expected),
            "the message lacks {expected:?}: {message}"
        );
    }
}

#[test]
fn a_start_blocked_by_a_held_write_lock_names_the_holder_then_migrates_once_it_is_gone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("app.db");
    drop(chain::MIGRATOR.open(&db).expect("migrate with the chain"));

    let holder = LockHolder::start(&db, HOLD_MS);
    let migrator = chain_and_one_more().busy_timeout(BUSY);
    let started = Instant::now();
    let error = migrator
        .open(&db)
        .expect_err("the write lock is held by another process");
    let elapsed = started.elapsed();
    let Error::Locked(report) = &error else {
        panic!("expected Error::Locked, got {error}");
    };
    eprintln!("the report: {report:#?}\nthe message: {error}");
    check_report(report, &db, holder.pid);
    check_message(&error.to_string(), &db, holder.pid);
    assert_eq!(
        format!("{error:?}"),
        error.to_string(),
        "Debug prints the message"
    );
    assert!(
        elapsed < GIVE_UP_WITHIN,
        "the start gave up after {elapsed:?}"
    );
    {
        // Nothing was applied, and no backup was taken: it never had the lock.
        let conn = Connection::open(&db).unwrap();
        assert_eq!(history_versions(&conn).unwrap(), [1, 2, 3, 4, 5, 6, 7]);
        assert!(!object_names(&conn, "table")
            .unwrap()
            .contains(&"notes".to_string()));
    }
    assert!(!dir.path().join("backups").exists(), "a backup was taken");

    holder.kill();
    let conn = migrator
        .open(&db)
        .expect("the same start once the holder is gone");
    assert_eq!(history_versions(&conn).unwrap(), [1, 2, 3, 4, 5, 6, 7, 8]);
    let tables = object_names(&conn, "table").unwrap();
    assert!(tables.contains(&"notes".to_string()), "{tables:?}");
    assert!(
        !tables.contains(&"held".to_string()),
        "the killed holder's uncommitted table survived: {tables:?}"
    );
    assert_eq!(
        user_version(&conn).unwrap(),
        i64::from(migrate_runtime::Fingerprint::of(migrator.migrations()).to_user_version())
    );
}

#[test]
fn a_start_waits_for_a_holder_that_finishes_within_the_busy_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("app.db");
    drop(chain::MIGRATOR.open(&db).expect("migrate with the chain"));

    let hold = Duration::from_millis(800);
    let holder = LockHolder::start(&db, hold.as_millis() as u64);
    let started = Instant::now();
    let conn = chain_and_one_more()
        .busy_timeout(Duration::from_secs(30))
        .open(&db)
        .expect("the start waits for the holder to roll back");
    let waited = started.elapsed();
    let finished = holder.finish();
    assert!(finished.success(), "the holder: {finished:?}");
    assert_eq!(history_versions(&conn).unwrap(), [1, 2, 3, 4, 5, 6, 7, 8]);
    // It started waiting after the holder printed `locked`, so it waited
    // most of the hold; far less than its busy timeout.
    assert!(
        waited >= hold / 2 && waited < Duration::from_secs(10),
        "waited {waited:?} for a holder that kept the lock {hold:?}"
    );
}

#[test]
fn a_migrating_process_blocked_by_a_held_write_lock_exits_naming_the_holder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("app.db");
    // An older build migrated the first three: four are pending for `chain`.
    drop(
        Migrator::new(&chain::MIGRATIONS[..3])
            .open(&db)
            .expect("migrate with the first three"),
    );

    let holder = LockHolder::start(&db, HOLD_MS);
    let started = Instant::now();
    let finished = probe(&[
        "chain".as_ref(),
        db.as_ref(),
        "--busy-ms".as_ref(),
        "500".as_ref(),
    ]);
    let elapsed = started.elapsed();
    eprintln!("migrate-probe chain --busy-ms 500: {finished:?} after {elapsed:?}");
    assert_eq!(
        finished.status.and_then(|status| status.code()),
        Some(1),
        "{finished:?}"
    );
    assert_eq!(finished.stdout, "", "{finished:?}");
    check_message(&finished.stderr, &db, holder.pid);
    assert!(
        finished.stderr.contains("error variant: Locked"),
        "{finished:?}"
    );
    assert!(
        elapsed < GIVE_UP_WITHIN + Duration::from_secs(2),
        "{elapsed:?}"
    );
    // The waiting process named the time it waited.
    assert!(
        finished.stderr.contains("stayed locked for the "),
        "{finished:?}"
    );
    {
        let conn = Connection::open(&db).unwrap();
        assert_eq!(history_versions(&conn).unwrap(), [1, 2, 3]);
    }

    holder.kill();
    let finished = probe(&[
        "chain".as_ref(),
        db.as_ref(),
        "--busy-ms".as_ref(),
        "500".as_ref(),
    ]);
    assert!(
        finished.success() && finished.stdout.trim() == "ok",
        "once the holder is gone: {finished:?}"
    );
    let conn = Connection::open(&db).unwrap();
    assert_eq!(history_versions(&conn).unwrap(), [1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn a_rollback_journal_database_held_by_another_program_cannot_switch_to_wal_and_says_who() {
    // A database from before the toolkit: rollback journal, one table.
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("legacy.db");
    {
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE legacy (id INTEGER PRIMARY KEY); INSERT INTO legacy VALUES (1);",
        )
        .unwrap();
        assert_eq!(migrate_tests::journal_mode(&conn).unwrap(), "delete");
    }
    let before = fs::read(&db).unwrap();

    let holder = LockHolder::start(&db, HOLD_MS);
    let started = Instant::now();
    let error = chain::MIGRATOR
        .clone()
        .busy_timeout(BUSY)
        .open(&db)
        .expect_err("the switch to WAL needs the holder gone");
    let elapsed = started.elapsed();
    let Error::Locked(report) = &error else {
        panic!("expected Error::Locked, got {error}");
    };
    eprintln!("the report: {report:#?}\nthe message: {error}");
    let found = report
        .holders
        .iter()
        .find(|holder_| holder_.pid == holder.pid)
        .unwrap_or_else(|| panic!("the holder is not reported: {report:#?}"));
    assert!(found.holds_write_lock, "{report:#?}");
    assert!(found.command.contains("hold-lock"), "{report:#?}");
    assert!(
        report.waited >= BUSY && elapsed < GIVE_UP_WITHIN,
        "waited {:?}, gave up after {elapsed:?}",
        report.waited
    );
    assert_eq!(report.wal_bytes, None, "not in WAL mode: {report:#?}");
    let message = error.to_string();
    assert!(message.contains(&format!("{} (", holder.pid)), "{message}");
    assert!(message.contains("no -wal file"), "{message}");
    assert!(message.contains("What to do"), "{message}");

    holder.kill();
    assert_eq!(fs::read(&db).unwrap(), before, "the file changed");
    // The killed holder left a hot journal behind; SQLite rolls it back.
    let conn = chain::MIGRATOR
        .open(&db)
        .expect("the start once the holder is gone");
    assert_eq!(migrate_tests::journal_mode(&conn).unwrap(), "wal");
    assert_eq!(history_versions(&conn).unwrap(), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(migrate_tests::count(&conn, "legacy").unwrap(), 1);
    drop(conn);
    assert!(!sidecar(&db, "-journal").exists());
}

/// Whether `pid` holds a `flock` lock on the file at `path`, as /proc/locks
/// lists it (Linux).
fn holds_flock(pid: u32, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(inode) = fs::metadata(path).map(|meta| meta.ino()) else {
        return false;
    };
    let locks = fs::read_to_string("/proc/locks").expect("read /proc/locks");
    locks.lines().any(|line| {
        // `1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF`
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(1) == Some(&"FLOCK")
            && fields.get(4) == Some(&pid.to_string().as_str())
            && fields
                .get(5)
                .and_then(|device_inode| device_inode.rsplit(':').next())
                == Some(inode.to_string().as_str())
    })
}

#[test]
fn a_start_queued_behind_another_migrator_names_it_and_the_program_both_wait_for() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("app.db");
    drop(
        Migrator::new(&chain::MIGRATIONS[..3])
            .open(&db)
            .expect("migrate with the first three"),
    );

    // A program holds the write lock; a first migrator takes the migration
    // lock and waits for the write lock, with a busy timeout long enough.
    let holder = LockHolder::start(&db, HOLD_MS);
    let first = Command::new(PROBE)
        .arg("chain")
        .arg(&db)
        .args(["--busy-ms", "4000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start migrate-probe chain");
    let first_pid = first.id();
    let lock_file = sidecar(&db, "-migrate-lock");
    let waiting = Instant::now();
    while !holds_flock(first_pid, &lock_file) {
        assert!(
            waiting.elapsed() < DEADLINE,
            "the first migrator never took the migration lock"
        );
        thread::sleep(Duration::from_millis(2));
    }

    // A second start gives up on the migration lock and names both.
    let error = chain::MIGRATOR
        .clone()
        .busy_timeout(BUSY)
        .open(&db)
        .expect_err("another migrator holds the migration lock");
    let Error::Locked(report) = &error else {
        panic!("expected Error::Locked, got {error}");
    };
    eprintln!("the report: {report:#?}\nthe message: {error}");
    // The program holds SQLite's write lock; the first migrator holds the
    // migration lock and waits for the program.
    let pids: Vec<(u32, bool, bool)> = report
        .holders
        .iter()
        .map(|holder| (holder.pid, holder.holds_write_lock, holder.is_migrating))
        .collect();
    let mut expected = vec![(holder.pid, true, false), (first_pid, false, true)];
    expected.sort();
    assert_eq!(pids, expected, "{report:#?}");
    let first_holder = report
        .holders
        .iter()
        .find(|holder| holder.pid == first_pid)
        .unwrap();
    assert!(
        first_holder.command.contains("migrate-probe chain"),
        "{report:#?}"
    );
    assert!(
        report.waited >= BUSY && report.waited < GIVE_UP_WITHIN,
        "{report:#?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&format!("{first_pid} ("))
            && message.contains(&format!("{} (", holder.pid)),
        "{message}"
    );

    // Once the program is gone, the first migrator migrates within its
    // busy timeout, and the next start has nothing to do.
    holder.kill();
    let finished = wait_until(first, Instant::now() + DEADLINE);
    assert!(
        finished.success() && finished.stdout.trim() == "ok",
        "the first migrator: {finished:?}"
    );
    let conn = chain::MIGRATOR
        .clone()
        .busy_timeout(BUSY)
        .open(&db)
        .expect("the second start, now that the first is done");
    assert_eq!(history_versions(&conn).unwrap(), [1, 2, 3, 4, 5, 6, 7]);
}

/// In WAL mode every connection keeps a shared lock on the database file
/// and on the -shm file for as long as it is open, so /proc/locks lists an
/// idle reader as well as the writer.
fn writer_and_idle_reader() -> (
    tempfile::TempDir,
    PathBuf,
    LockHolder,
    LockHolder,
    Box<LockReport>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("app.db");
    drop(chain::MIGRATOR.open(&db).expect("migrate with the chain"));
    let reader = LockHolder::reader(&db, HOLD_MS);
    let writer = LockHolder::start(&db, HOLD_MS);
    let error = chain_and_one_more()
        .busy_timeout(BUSY)
        .open(&db)
        .expect_err("the write lock is held by another process");
    let Error::Locked(report) = error else {
        panic!("expected Error::Locked, got {error}");
    };
    eprintln!("the report: {report:#?}\nthe message: {report}");
    (dir, db, reader, writer, report)
}

#[test]
fn an_idle_reader_is_listed_beside_the_writer() {
    let (_dir, _db, reader, writer, report) = writer_and_idle_reader();
    let pids: Vec<u32> = report.holders.iter().map(|holder| holder.pid).collect();
    let mut expected = vec![reader.pid, writer.pid];
    expected.sort();
    assert_eq!(pids, expected, "{report:#?}");
    let writer_found = report.holders.iter().find(|h| h.pid == writer.pid).unwrap();
    assert!(writer_found.holds_write_lock, "{report:#?}");
    let reader_found = report.holders.iter().find(|h| h.pid == reader.pid).unwrap();
    assert!(reader_found.command.contains("hold-open"), "{report:#?}");
}

#[test]
fn only_the_writer_is_said_to_hold_the_lock() {
    let (_dir, _db, reader, writer, report) = writer_and_idle_reader();
    let reader_found = report.holders.iter().find(|h| h.pid == reader.pid).unwrap();
    let writer_found = report.holders.iter().find(|h| h.pid == writer.pid).unwrap();
    assert!(writer_found.holds_write_lock, "{report:#?}");
    assert!(
        !reader_found.holds_write_lock,
        "an idle reader is said to hold the lock: {report:#?}"
    );
    let message = report.to_string();
    assert!(
        !message.contains(&format!(
            "{} ({}, holds the write lock)",
            reader.pid, reader_found.command
        )),
        "{message}"
    );
}
