//! What `Migrator::open` costs at launch, set next to its floor.
//!
//! - `noop_start/{10,100,1000}`: the database is already fully migrated (by
//!   N generated migrations, `migrate_tests::workload::migrations`); one
//!   start is `migrator.open(path)` then dropping the connection. Floor,
//!   `raw_rusqlite`: `Connection::open(path)`, read `PRAGMA user_version`,
//!   drop. `noop_start/1000_tables` is the same on a database whose 1000
//!   migrations each created a table (`workload::tables`).
//! - `noop_steps/1000_tables`: diagnostics for the no-op start on that
//!   database: the fast path's statements replayed by hand, with the WAL
//!   check done by `PRAGMA journal_mode` (which parses the whole schema) and
//!   by reading the file header, and the floor plus a first query.
//! - `apply/{100,1000}`: a fresh file each iteration, all N migrations
//!   applied by `migrator.open(path)` (backups off). Floor, `raw_rusqlite`:
//!   `Connection::open`, `PRAGMA journal_mode = WAL`, `PRAGMA foreign_keys =
//!   ON`, then every migration's SQL with `execute_batch` and one history row
//!   each (a prepared INSERT into a table like the migrator's), all between
//!   one BEGIN and COMMIT. `apply/100` also has `migrator_open_backups_on`
//!   (the default, 5 backups kept), where a fresh file is never backed up.
//! - `apply/90+10`: a database holding the first 90 of the 100 migrations
//!   (copied from a template each iteration) gets the last 10: with backups
//!   off, with backups on (a backup of the 90 is taken first), and the floor.
//!
//! In `apply`, the connection is closed (and the directory deleted) outside
//! the timing, for both sides.
//!
//! Run with `cargo bench -p migrate-runtime --bench start`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, SamplingMode,
};
use migrate_runtime::rusqlite::{self, Connection};
use migrate_runtime::{Backups, Directives, Migration, Migrator, Script};
use migrate_tests::workload;
use tempfile::TempDir;

/// A generated chain as the runtime sees it, and as the floor does.
struct Chain {
    /// Backups off.
    migrator: Migrator,
    /// `(version, name, SQL, checksum hex)` per migration, in order.
    rows: Vec<(i64, String, String, String)>,
}

impl Chain {
    fn new(files: &[(String, String)]) -> Self {
        let migrations: Vec<Migration> = files
            .iter()
            .map(|(file, sql)| {
                let (version, name) = workload::version_and_name(file);
                Migration::new(
                    version,
                    name.to_string(),
                    Script::owned(sql.clone(), Directives::NONE),
                    None,
                    migrate_build_support::checksum(sql),
                )
            })
            .collect();
        let rows = migrations
            .iter()
            .map(|m| {
                (
                    m.version() as i64,
                    m.name().to_string(),
                    m.up().sql().to_string(),
                    m.checksum().to_hex(),
                )
            })
            .collect();
        let migrations: &'static [Migration] = Box::leak(migrations.into_boxed_slice());
        Self {
            migrator: Migrator::new(migrations).backups(Backups::disabled()),
            rows,
        }
    }

    /// The first `count` migrations only, with the same checksums.
    fn prefix(files: &[(String, String)], count: usize) -> Self {
        Self::new(&files[..count])
    }
}

/// The noop floor: open the file, read the header's `user_version`, close.
fn raw_noop(path: &Path) -> i32 {
    let conn = Connection::open(path).unwrap();
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

/// The apply floor: WAL, foreign keys on, then `rows` with their history
/// rows in one transaction.
fn raw_apply(path: &Path, rows: &[(i64, String, String, String)]) -> Connection {
    let conn = Connection::open(path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
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
    {
        let mut insert = conn
            .prepare(
                "INSERT INTO raw_history (version, name, checksum, applied_at, duration_ms, down_sql)
                 VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 0, NULL)",
            )
            .unwrap();
        for (version, name, sql, checksum) in rows {
            conn.execute_batch(sql).unwrap();
            insert
                .execute(rusqlite::params![version, name, checksum])
                .unwrap();
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    conn
}

/// `(tables + indexes + views)` of the database, the history tables left out.
fn schema_size(conn: &Connection) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master
         WHERE name NOT IN ('_migrate_history', 'raw_history')
           AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        [],
        |row| row.get(0),
    )
    .unwrap()
}

fn user_version(path: &Path) -> i32 {
    raw_noop(path)
}

fn noop_group(c: &mut Criterion, label: &str, files: &[(String, String)]) {
    let chain = Chain::new(files);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    // Prepared once, outside the timing; the next opens take the fast path.
    let conn = chain.migrator.open(&path).unwrap();
    assert!(schema_size(&conn) > 0);
    drop(conn);
    let fingerprint = user_version(&path);
    assert_ne!(fingerprint, 0);

    let mut group = c.benchmark_group(format!("noop_start/{label}"));
    group.sample_size(30);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("migrator_open", |b| {
        b.iter(|| drop(chain.migrator.open(black_box(&path)).unwrap()))
    });
    group.bench_function("raw_rusqlite", |b| {
        b.iter(|| black_box(raw_noop(black_box(&path))))
    });
    group.finish();
    // Still the fast path: nothing was written by the starts.
    assert_eq!(user_version(&path), fingerprint);
}

fn bench_noop_start(c: &mut Criterion) {
    eprintln!("SQLite {} (bundled)", rusqlite::version());
    for count in [10, 100, 1000] {
        noop_group(c, &count.to_string(), &workload::migrations(count));
    }
    noop_group(c, "1000_tables", &workload::tables(1000));
}

/// Where a no-op start's time goes, on the database of 1000 tables: the
/// migrator's statements replayed by hand, step by step, each variant
/// opening and closing the connection.
fn bench_noop_steps(c: &mut Criterion) {
    let chain = Chain::new(&workload::tables(1000));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    drop(chain.migrator.open(&path).unwrap());

    let mut group = c.benchmark_group("noop_steps/1000_tables");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("open_close", |b| {
        b.iter(|| drop(Connection::open(black_box(&path)).unwrap()))
    });
    // What `Migrator::open` ran on the fast path until commit 1775f91:
    // `PRAGMA journal_mode` needs the schema, so SQLite parsed all of it
    // (and freed it on close) on every start.
    group.bench_function("open_user_version_journal_mode_foreign_keys", |b| {
        b.iter(|| {
            let conn = Connection::open(black_box(&path)).unwrap();
            conn.busy_timeout(Duration::from_secs(60)).unwrap();
            let version: i32 = conn
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .unwrap();
            let mode: String = conn
                .query_row("PRAGMA journal_mode", [], |row| row.get(0))
                .unwrap();
            conn.pragma_update(None, "foreign_keys", true).unwrap();
            black_box((version, mode));
        })
    });
    // The same with WAL read from the file header (bytes 18-19 are 2 in WAL
    // mode) instead of `PRAGMA journal_mode`, as the fast path does since:
    // nothing needs the schema.
    group.bench_function("open_user_version_header_foreign_keys", |b| {
        b.iter(|| {
            let conn = Connection::open(black_box(&path)).unwrap();
            conn.busy_timeout(Duration::from_secs(60)).unwrap();
            let version: i32 = conn
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .unwrap();
            let mut header = [0; 100];
            std::io::Read::read_exact(&mut std::fs::File::open(&path).unwrap(), &mut header)
                .unwrap();
            assert_eq!((header[18], header[19]), (2, 2), "not WAL");
            conn.pragma_update(None, "foreign_keys", true).unwrap();
            black_box(version);
        })
    });
    // The floor plus an application's first statement, which loads the
    // schema whoever opened the connection.
    group.bench_function("raw_rusqlite_first_query", |b| {
        b.iter(|| {
            let conn = Connection::open(black_box(&path)).unwrap();
            let version: i32 = conn
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .unwrap();
            let rows: i64 = conn
                .query_row("SELECT count(*) FROM t_1", [], |row| row.get(0))
                .unwrap();
            black_box((version, rows));
        })
    });
    group.finish();
}

/// A new, empty folder under `base`; deleted, with the database, when dropped.
fn fresh(base: &Path) -> TempDir {
    tempfile::tempdir_in(base).unwrap()
}

fn database(dir: &TempDir) -> PathBuf {
    dir.path().join("app.db")
}

/// Both sides build the same schema from the same chain.
fn check_same_schema(chain: &Chain, migrator: &Migrator, base: &Path) {
    let ours = fresh(base);
    let raw = fresh(base);
    let ours = migrator.open(database(&ours)).unwrap();
    let raw = raw_apply(&database(&raw), &chain.rows);
    assert_eq!(schema_size(&ours), schema_size(&raw));
    let applied: i64 = ours
        .query_row("SELECT count(*) FROM _migrate_history", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(applied as usize, chain.rows.len());
}

fn apply_settings(group: &mut BenchmarkGroup<'_, WallTime>, measurement: Duration) {
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(measurement);
}

fn bench_apply(c: &mut Criterion) {
    let base = tempfile::tempdir().unwrap();
    for (count, measurement) in [(100, 4), (1000, 8)] {
        let chain = Chain::new(&workload::migrations(count));
        let backups_on = chain.migrator.clone().backups(Backups::default());
        check_same_schema(&chain, &chain.migrator, base.path());

        let mut group = c.benchmark_group(format!("apply/{count}"));
        apply_settings(&mut group, Duration::from_secs(measurement));
        group.bench_function("migrator_open", |b| {
            b.iter_batched(
                || fresh(base.path()),
                |dir| (chain.migrator.open(database(&dir)).unwrap(), dir),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("raw_rusqlite", |b| {
            b.iter_batched(
                || fresh(base.path()),
                |dir| (raw_apply(&database(&dir), &chain.rows), dir),
                BatchSize::PerIteration,
            )
        });
        if count == 100 {
            group.bench_function("migrator_open_backups_on", |b| {
                b.iter_batched(
                    || fresh(base.path()),
                    |dir| (backups_on.open(database(&dir)).unwrap(), dir),
                    BatchSize::PerIteration,
                )
            });
        }
        group.finish();
    }
}

/// The last 10 of 100 migrations on a database holding the first 90.
fn bench_apply_pending(c: &mut Criterion) {
    let base = tempfile::tempdir().unwrap();
    let files = workload::migrations(100);
    let full = Chain::new(&files);
    let backups_on = full.migrator.clone().backups(Backups::default());
    // The raw floor starts from its own template, with its own history table.
    let ours = base.path().join("template-ours.db");
    drop(Chain::prefix(&files, 90).migrator.open(&ours).unwrap());
    let raw = base.path().join("template-raw.db");
    drop(raw_apply(&raw, &full.rows[..90]));
    // Closing the last connection checkpointed the WAL: each template is one file.
    assert!(!ours.with_file_name("template-ours.db-wal").exists());

    let copy = |template: &Path| {
        let dir = fresh(base.path());
        std::fs::copy(template, database(&dir)).unwrap();
        dir
    };
    let mut group = c.benchmark_group("apply/90+10");
    apply_settings(&mut group, Duration::from_secs(3));
    group.bench_function("migrator_open", |b| {
        b.iter_batched(
            || copy(&ours),
            |dir| (full.migrator.open(database(&dir)).unwrap(), dir),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("migrator_open_backups_on", |b| {
        b.iter_batched(
            || copy(&ours),
            |dir| {
                let conn = backups_on.open(database(&dir)).unwrap();
                (conn, dir)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("raw_rusqlite", |b| {
        b.iter_batched(
            || copy(&raw),
            |dir| (raw_apply(&database(&dir), &full.rows[90..]), dir),
            BatchSize::PerIteration,
        )
    });
    group.finish();
    // The backups-on side did take a backup.
    let dir = copy(&ours);
    drop(backups_on.open(database(&dir)).unwrap());
    assert_eq!(backups_on.backups_of(database(&dir)).unwrap().len(), 1);
}

criterion_group!(
    benches,
    bench_noop_start,
    bench_noop_steps,
    bench_apply,
    bench_apply_pending
);
criterion_main!(benches);
