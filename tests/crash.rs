//! A start killed at any moment (SIGKILL: no destructor, no rollback by the
//! process) leaves the database either exactly as it was or fully migrated,
//! never half-way; and the next start finishes the job.
//!
//! `migrate-probe long` applies `fixtures/long` to a copy of a database that
//! has its first migration only; its second migration runs for a good part
//! of a second (a 100 000-row table, two indexes, a new column filled in), and
//! the process is killed after a pseudo-random delay. A hundred kills, on two
//! threads. The seed is printed; `CRASH_SEED=<seed>` replays the delays.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::Migrator;
use migrate_tests::{
    columns, count, history_versions, integrity_check, quick_check, schema, user_version,
    wait_until, Finished, Lcg, SchemaEntry,
};

mod long {
    migrate_runtime::embed_migrations!("fixtures/long");
    pub use migrations::*;
}

const PROBE: &str = env!("CARGO_BIN_EXE_migrate-probe");
/// Kills run on this many threads, each on its own files.
const WORKERS: usize = 2;
const ITERATIONS_PER_WORKER: usize = 50;
/// Rows of `items`, created by migration 1.
const ITEMS: i64 = 2_000;
/// Rows of `big`, created by migration 2.
const BIG_ROWS: i64 = 100_000;
/// A start that takes longer than this is hung.
const DEADLINE: Duration = Duration::from_secs(120);

/// What the database holds before migration 2 and after it.
struct Expected {
    /// A database with migration 1 only, in one file.
    template: PathBuf,
    old_schema: Vec<SchemaEntry>,
    new_schema: Vec<SchemaEntry>,
    /// The header's `user_version` before and after (the runtime keeps the
    /// fingerprint of the applied chain there).
    old_user_version: i64,
    new_user_version: i64,
    /// `items` (id, payload), which migration 2 must leave alone.
    items: Vec<(i64, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Migration 1 only, as the template.
    Old,
    /// Both migrations, completely.
    New,
}

#[test]
fn a_start_killed_at_any_moment_leaves_the_old_schema_or_the_new_one() {
    let test_started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let template = dir.path().join("template.db");
    make_template(&template);
    let items = {
        let conn = Connection::open(&template).expect("open the template");
        let mut statement = conn
            .prepare("SELECT id, payload FROM items ORDER BY id")
            .unwrap();
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap();
        rows.collect::<Result<Vec<_>, _>>().unwrap()
    };
    assert_eq!(items.len() as i64, ITEMS, "rows of items in the template");
    let (old_schema, old_user_version) = {
        let conn = Connection::open(&template).unwrap();
        (schema(&conn).unwrap(), user_version(&conn).unwrap())
    };

    // One start to completion: how long a start takes, and the new schema.
    let measured = dir.path().join("measured.db");
    fs::copy(&template, &measured).expect("copy the template");
    let started = Instant::now();
    let finished = run_to_completion(&measured);
    let full_start = started.elapsed();
    assert!(
        finished.success(),
        "migrate-probe long failed on a copy of the template: {finished:?}"
    );
    let (new_schema, new_user_version) = {
        let conn = Connection::open(&measured).unwrap();
        (schema(&conn).unwrap(), user_version(&conn).unwrap())
    };
    let expected = Expected {
        template,
        old_schema,
        new_schema,
        old_user_version,
        new_user_version,
        items,
    };
    assert_eq!(
        classify(&measured, &expected, Check::Full),
        Ok(State::New),
        "a start run to completion"
    );
    remove_database(&measured);

    let seed = Lcg::seed_from_env_or_time("CRASH_SEED");
    eprintln!(
        "crash: seed {seed} (replay the delays with CRASH_SEED={seed}); \
         a full start takes {full_start:?}"
    );
    // A worker that finds a problem stops the others.
    let stop = AtomicBool::new(false);
    let results: Vec<Result<Tally, String>> = thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let (expected, dir, stop) = (&expected, dir.path(), &stop);
                scope.spawn(move || {
                    let result = kill_starts(worker, seed, full_start, dir, expected, stop);
                    if result.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    result
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a worker panicked"))
            .collect()
    });
    let mut total = Tally::new(full_start);
    let mut problems = Vec::new();
    for result in results {
        match result {
            Ok(tally) => total.add(&tally),
            Err(problem) => problems.push(problem),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let Tally {
        old,
        new_killed,
        new_exited,
        latest_old,
        earliest_new,
        ..
    } = total;
    eprintln!(
        "crash: {} kills: {old} left the old schema, {} the new one \
         ({new_killed} killed after the commit, {new_exited} exited before the kill); \
         latest kill leaving the old schema {latest_old:?}, earliest leaving the new \
         {earliest_new:?}; {:?} in all",
        WORKERS * ITERATIONS_PER_WORKER,
        new_killed + new_exited,
        test_started.elapsed()
    );
    assert!(
        old > 0 && new_killed + new_exited > 0,
        "with kills spread over 0..1.2 × a full start, both outcomes should occur \
         (seed {seed}): {old} old, {} new",
        new_killed + new_exited
    );
}

/// What one worker saw.
struct Tally {
    /// Kills that left the old schema.
    old: u32,
    /// Kills that came after the commit and left the new schema.
    new_killed: u32,
    /// Starts that finished before their kill came.
    new_exited: u32,
    latest_old: Duration,
    earliest_new: Duration,
    /// The latest estimate of how long a full start takes.
    typical: Duration,
}

impl Tally {
    fn new(typical: Duration) -> Self {
        Tally {
            old: 0,
            new_killed: 0,
            new_exited: 0,
            latest_old: Duration::ZERO,
            earliest_new: Duration::MAX,
            typical,
        }
    }

    fn add(&mut self, other: &Tally) {
        self.old += other.old;
        self.new_killed += other.new_killed;
        self.new_exited += other.new_exited;
        self.latest_old = self.latest_old.max(other.latest_old);
        self.earliest_new = self.earliest_new.min(other.earliest_new);
    }
}

/// One worker's share of the kills, each on a fresh copy of the template:
/// start, kill after a random delay, check what is left, start again to
/// completion and check that the database is migrated.
fn kill_starts(
    worker: usize,
    seed: u64,
    full_start: Duration,
    dir: &Path,
    expected: &Expected,
    stop: &AtomicBool,
) -> Result<Tally, String> {
    let mut random = Lcg::new(seed.wrapping_add(worker as u64));
    let mut tally = Tally::new(full_start);
    for iteration in 0..ITERATIONS_PER_WORKER {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let db = dir.join(format!("worker-{worker}-run-{iteration}.db"));
        fs::copy(&expected.template, &db).expect("copy the template");
        // Kills are spread over 0..1.2 × a full start; the estimate follows
        // the machine's speed through the starts that migrate from the old schema.
        let window = tally.typical.mul_f64(1.2).as_micros() as u64;
        let delay = Duration::from_micros(random.below(window + 1));
        let context =
            format!("worker {worker}, iteration {iteration} (seed {seed}), kill after {delay:?}");

        let (status, stderr) = start_and_kill(&db, delay);
        let exited = status.success();
        if !exited && !killed(status) {
            return Err(format!(
                "{context}: migrate-probe failed by itself ({status}): {stderr}"
            ));
        }

        // Inspect a copy, so that the next start meets what the killed one left.
        let inspected = dir.join(format!("worker-{worker}-inspected.db"));
        remove_database(&inspected);
        fs::copy(&db, &inspected).expect("copy the killed database");
        if sidecar(&db, "-wal").exists() {
            fs::copy(sidecar(&db, "-wal"), sidecar(&inspected, "-wal")).expect("copy its WAL");
        }
        let state = classify(&inspected, expected, Check::Full)
            .map_err(|problem| format!("{context}: after the kill, {problem}"))?;
        remove_database(&inspected);
        match state {
            State::Old => {
                tally.old += 1;
                tally.latest_old = tally.latest_old.max(delay);
            }
            State::New => {
                if exited {
                    tally.new_exited += 1;
                } else {
                    tally.new_killed += 1;
                }
                tally.earliest_new = tally.earliest_new.min(delay);
            }
        }

        // The next start, on the files as the killed one left them.
        let started = Instant::now();
        let finished = run_to_completion(&db);
        let elapsed = started.elapsed();
        if !finished.success() {
            return Err(format!(
                "{context}: the start after the kill failed: {finished:?}"
            ));
        }
        match classify(&db, expected, Check::Quick) {
            Ok(State::New) => {}
            other => {
                return Err(format!(
                    "{context}: after the start that followed the kill, expected the new \
                     schema, found {other:?}"
                ))
            }
        }
        if state == State::Old {
            tally.typical = tally.typical.mul_f64(0.8) + elapsed.mul_f64(0.2);
        }
        remove_database(&db);
    }
    Ok(tally)
}

/// A database with the first migration of `fixtures/long` only, in one
/// file: its WAL checkpointed into it and removed.
fn make_template(path: &Path) {
    let conn = Migrator::new(&long::MIGRATIONS[..1])
        .open(path)
        .expect("apply migration 1 to the template");
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
        .expect("checkpoint the template");
    assert_eq!(busy, 0, "the template's checkpoint was blocked");
    conn.close()
        .map_err(|(_, error)| error)
        .expect("close the template");
    let wal = sidecar(path, "-wal");
    assert!(
        fs::metadata(&wal).map_or(true, |meta| meta.len() == 0),
        "the template's WAL still holds frames"
    );
    assert_eq!(
        history_versions(&Connection::open(path).unwrap()).unwrap(),
        [1],
        "the template's history"
    );
}

/// Starts `migrate-probe long` on `db`, kills it (SIGKILL on Unix) after
/// `delay`, and waits for it: its exit status and stderr.
fn start_and_kill(db: &Path, delay: Duration) -> (ExitStatus, String) {
    let mut child = Command::new(PROBE)
        .arg("long")
        .arg(db)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start migrate-probe");
    thread::sleep(delay);
    // Fails only when the process was already reaped, which it was not.
    child.kill().expect("kill migrate-probe");
    let finished = wait_until(child, Instant::now() + DEADLINE);
    let status = finished.status.expect("a killed process ends");
    (status, finished.stderr)
}

/// Runs `migrate-probe long` on `db` until it exits.
fn run_to_completion(db: &Path) -> Finished {
    let child = Command::new(PROBE)
        .arg("long")
        .arg(db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start migrate-probe");
    wait_until(child, Instant::now() + DEADLINE)
}

#[cfg(unix)]
fn killed(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

#[cfg(not(unix))]
fn killed(status: ExitStatus) -> bool {
    !status.success()
}

/// How thoroughly [`classify`] checks the file itself.
#[derive(Clone, Copy, Debug)]
enum Check {
    /// `PRAGMA integrity_check`: also every index against its table
    /// (a third of a second for `big` in a debug build).
    Full,
    /// `PRAGMA quick_check`: the file's structure, in a tenth of that.
    Quick,
}

/// Which state the database at `path` is in, or what is wrong with it.
fn classify(path: &Path, expected: &Expected, check: Check) -> Result<State, String> {
    let conn = Connection::open(path).map_err(|error| format!("cannot open it: {error}"))?;
    let sql = |error| format!("reading it failed: {error}");
    let (pragma, integrity) = match check {
        Check::Full => ("integrity_check", integrity_check(&conn).map_err(sql)?),
        Check::Quick => ("quick_check", quick_check(&conn).map_err(sql)?),
    };
    if integrity != ["ok"] {
        return Err(format!("{pragma} reports {integrity:?}"));
    }
    let versions = history_versions(&conn).map_err(sql)?;
    let state = match versions.as_slice() {
        [1] => State::Old,
        [1, 2] => State::New,
        _ => return Err(format!("the history holds versions {versions:?}")),
    };
    let (schema_expected, user_version_expected, item_columns) = match state {
        State::Old => (
            &expected.old_schema,
            expected.old_user_version,
            "id payload",
        ),
        State::New => (
            &expected.new_schema,
            expected.new_user_version,
            "id payload weight",
        ),
    };
    let user_version_actual = user_version(&conn).map_err(sql)?;
    if user_version_actual != user_version_expected {
        return Err(format!(
            "history {versions:?} but user_version is {user_version_actual}, \
             expected {user_version_expected}"
        ));
    }
    let actual_schema = schema(&conn).map_err(sql)?;
    if &actual_schema != schema_expected {
        return Err(format!(
            "history {versions:?} but the schema is neither the old one nor the new one: \
             {actual_schema:#?}"
        ));
    }
    let item_columns_actual = columns(&conn, "items").map_err(sql)?.join(" ");
    if item_columns_actual != item_columns {
        return Err(format!("items has the columns {item_columns_actual}"));
    }
    let mut statement = conn
        .prepare("SELECT id, payload FROM items ORDER BY id")
        .map_err(sql)?;
    let items = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .and_then(|rows| rows.collect::<Result<Vec<(i64, String)>, _>>())
        .map_err(sql)?;
    if items != expected.items {
        return Err(format!(
            "the rows of items changed: {} rows, expected {}",
            items.len(),
            expected.items.len()
        ));
    }
    if state == State::New {
        let big = count(&conn, "big").map_err(sql)?;
        let (weighed, weights): (i64, i64) = conn
            .query_row(
                "SELECT count(weight), coalesce(sum(weight), 0) FROM items",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(sql)?;
        if (big, weighed, weights) != (BIG_ROWS, ITEMS, BIG_ROWS) {
            return Err(format!(
                "half migrated: big has {big} rows (expected {BIG_ROWS}), {weighed} items of \
                 {ITEMS} have a weight, weights add up to {weights} (expected {BIG_ROWS})"
            ));
        }
    }
    Ok(state)
}

/// `path` with `suffix` appended to its file name: SQLite's `-wal` and `-shm` files.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a database file with its WAL, shared-memory and lock files.
fn remove_database(path: &Path) {
    for file in [
        path.to_path_buf(),
        sidecar(path, "-wal"),
        sidecar(path, "-shm"),
        sidecar(path, "-migrate-lock"),
    ] {
        let _ = fs::remove_file(file);
    }
}

/// A backfill in chunks (`migrate_runtime::backfill`) killed between two
/// batches keeps every batch it committed; run again, it does the rest, and
/// no row is done twice.
#[test]
fn a_backfill_killed_between_batches_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("app.db");
    Connection::open(&db)
        .unwrap()
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE notes (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0, words INTEGER);
             WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 400)
             INSERT INTO notes (id) SELECT i FROM k;",
        )
        .unwrap();
    // 20 rows a batch, 2 ms a row: a batch takes some 40 ms.
    let sql = "UPDATE notes SET n = n + 1, words = pause(2) \
               WHERE id IN (SELECT id FROM notes WHERE words IS NULL LIMIT 20)";
    let done = |conn: &Connection| -> (i64, i64) {
        conn.query_row(
            "SELECT count(words), count(*) FILTER (WHERE n > 1) FROM notes",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap()
    };
    let backfill = || {
        Command::new(PROBE)
            .arg("backfill")
            .arg(&db)
            .arg(sql)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start migrate-probe backfill")
    };

    let mut first = backfill();
    let watching = Connection::open(&db).unwrap();
    let began = Instant::now();
    while done(&watching).0 < 60 {
        assert!(began.elapsed() < DEADLINE, "the backfill makes no progress");
        thread::sleep(Duration::from_millis(2));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let (after_kill, twice) = done(&watching);
    assert!(
        after_kill % 20 == 0 && (60..400).contains(&after_kill),
        "whole batches only, and not all: {after_kill}"
    );
    assert_eq!(twice, 0);

    let second = wait_until(backfill(), Instant::now() + DEADLINE);

    assert!(second.success(), "{second:?}");
    assert_eq!(
        second.stdout,
        format!(
            "backfilled {} rows in {} batches\n",
            400 - after_kill,
            (400 - after_kill) / 20
        )
    );
    assert_eq!(done(&watching), (400, 0), "every row, each once");
}
