//! rusqlite_migration beside its floor: apply and no-op start.
//!
//! Its newest release (2.6) needs rusqlite 0.40, whose `libsqlite3-sys`
//! cannot link beside the workspace's (cargo allows one `links = "sqlite3"`
//! per dependency graph). So it runs in a scratch crate of its own, built in
//! release mode in `target/scratch`: a program that times rusqlite_migration
//! and, in the same process, with the same SQLite, the floors that
//! `benches/src/lib.rs` defines for the toolkit (its code is repeated in the
//! program, on rusqlite 0.40). Each sample alternates the two sides.
//!
//! - apply: `Migrations::new(…).to_latest` on a fresh file after WAL and
//!   foreign keys on (rusqlite_migration applies every pending migration in
//!   one transaction and records them in `user_version`), against the same
//!   SQL in one transaction with a history row each;
//! - no-op start: open, WAL and foreign keys on, `to_latest` with nothing
//!   pending, close; against open, read `user_version`, close.
//!
//! Not criterion (the program is not in the workspace): medians of 21 samples
//! (5 for applying 1000), printed and written to
//! `target/criterion/rusqlite_migration/summary.tsv`. Under `cargo test
//! --all-targets`, which runs it without `--bench`, it does nothing.
//!
//! Run with `cargo bench -p migrate-benches --bench rusqlite_migration`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use migrate_benches::{filter, measuring, scratch_target, workload, write_folder, write_summary};

const MANIFEST: &str = r#"[package]
name = "bench-rusqlite-migration"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
rusqlite = { version = "0.40", features = ["bundled"] }
rusqlite_migration = "2.6"

[workspace]
"#;

const MAIN: &str = r#"
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let folder = PathBuf::from(&args[1]);
    let scratch = PathBuf::from(&args[2]);
    let case = &args[3];
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let sqls: Vec<&'static str> = files
        .iter()
        .map(|file| &*std::fs::read_to_string(file).unwrap().leak())
        .collect();
    let samples = if case == "apply" && sqls.len() >= 1000 { 5 } else { 21 };
    let (mut peer, mut floor) = (Vec::new(), Vec::new());
    let database = scratch.join("bench.db");
    if case == "noop" {
        let _ = std::fs::remove_file(&database);
        migrate(&database, &sqls);
        for _ in 0..samples {
            floor.push(time(|| raw_noop(&database)));
            peer.push(time(|| migrate(&database, &sqls)));
        }
    } else {
        for _ in 0..samples {
            floor.push(fresh(&database, || raw_apply(&database, &sqls)));
            peer.push(fresh(&database, || migrate(&database, &sqls)));
        }
    }
    println!("{}\t{}\t{}", rusqlite::version(), median(peer), median(floor));
}

/// What an application does at start with rusqlite_migration.
fn migrate(path: &Path, sqls: &[&'static str]) {
    let mut conn = Connection::open(path).unwrap();
    configure(&conn);
    let migrations = Migrations::new(sqls.iter().map(|sql| M::up(sql)).collect());
    migrations.to_latest(&mut conn).unwrap();
}

fn configure(conn: &Connection) {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
}

fn raw_noop(path: &Path) {
    let conn = Connection::open(path).unwrap();
    let _: i32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
}

fn raw_apply(path: &Path, sqls: &[&'static str]) {
    let conn = Connection::open(path).unwrap();
    configure(&conn);
    conn.execute_batch("BEGIN").unwrap();
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS raw_history (
            version     INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            checksum    TEXT NOT NULL,
            applied_at  TEXT NOT NULL,
            duration_ms INTEGER NOT NULL,
            down_sql    TEXT
        )",
    )
    .unwrap();
    let mut insert = conn
        .prepare(
            "INSERT INTO raw_history (version, name, checksum, applied_at, duration_ms, down_sql)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 0, NULL)",
        )
        .unwrap();
    for (index, sql) in sqls.iter().enumerate() {
        conn.execute_batch(sql).unwrap();
        insert.execute(rusqlite::params![index as i64 + 1, "m", "0".repeat(64)]).unwrap();
    }
    drop(insert);
    conn.execute_batch("COMMIT").unwrap();
}

/// Times `work` on a database file that does not exist yet.
fn fresh(path: &Path, work: impl FnOnce()) -> Duration {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    time(work)
}

fn time(work: impl FnOnce()) -> Duration {
    let started = Instant::now();
    work();
    started.elapsed()
}

fn median(mut samples: Vec<Duration>) -> u128 {
    samples.sort();
    samples[samples.len() / 2].as_nanos()
}
"#;

/// A measurement: its group, the program's case (`apply` or `noop`) and
/// the workload, as `(file name, SQL)`.
type Case = (String, &'static str, Vec<(String, String)>);

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for n in [10, 100, 1000] {
        cases.push((format!("apply/{n}"), "apply", workload::migrations(n)));
    }
    for n in [10, 100, 1000] {
        cases.push((format!("noop_start/{n}"), "noop", workload::migrations(n)));
    }
    cases.push((
        "noop_start/1000_tables".to_string(),
        "noop",
        workload::tables(1000),
    ));
    cases
}

/// Builds the program and returns its path.
fn build(crate_dir: &Path) -> PathBuf {
    fs::create_dir_all(crate_dir.join("src")).unwrap();
    fs::write(crate_dir.join("Cargo.toml"), MANIFEST).unwrap();
    fs::write(crate_dir.join("src/main.rs"), MAIN).unwrap();
    let target = scratch_target();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "the rusqlite_migration program does not build"
    );
    target.join("release").join("bench-rusqlite-migration")
}

fn main() {
    if !measuring() {
        println!("rusqlite_migration: runs only under `cargo bench`");
        return;
    }
    let filter = filter();
    let work = tempfile::tempdir().unwrap();
    let program = build(&work.path().join("crate"));
    let mut lines = Vec::new();
    for (group, case, files) in cases() {
        let id = format!("{group}/rusqlite_migration");
        if !id.contains(&filter) {
            continue;
        }
        let folder = work.path().join("migrations");
        let _ = fs::remove_dir_all(&folder);
        write_folder(work.path(), "migrations", &files);
        let output = Command::new(&program)
            .arg(&folder)
            .arg(work.path())
            .arg(case)
            .output()
            .expect("run the rusqlite_migration program");
        assert!(
            output.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        let fields: Vec<&str> = text.trim().split('\t').collect();
        let (sqlite, peer, floor) = (fields[0], fields[1], fields[2]);
        let (peer, floor): (f64, f64) = (peer.parse().unwrap(), floor.parse().unwrap());
        println!(
            "{id}: {} (floor {}, {:.2}×, SQLite {sqlite})",
            shown(peer),
            shown(floor),
            peer / floor
        );
        lines.push(format!(
            "{id}\t{sqlite}\t{peer}\t{floor}\t{:.3}",
            peer / floor
        ));
    }
    write_summary(
        "rusqlite_migration",
        "id\tsqlite\tpeer_ns\tfloor_ns\tratio",
        &lines,
    );
}

fn shown(nanos: f64) -> String {
    match nanos {
        n if n >= 1e9 => format!("{:.3} s", n / 1e9),
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n => format!("{:.1} µs", n / 1e3),
    }
}
