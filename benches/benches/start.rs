//! What a start costs: this toolkit's `Migrator::open`, refinery's runner,
//! and the floor, plain rusqlite, in one run.
//!
//! - `apply/{10,100,1000}`: a fresh file each iteration, all N migrations of
//!   `workload::migrations` applied.
//!   - `migrator_open`: `migrator.open(path)` (WAL, foreign keys on, all
//!     pending migrations in one transaction; backups off, a fresh file is
//!     never backed up anyway).
//!   - `refinery_grouped`: `Connection::open`, WAL and foreign keys on (as
//!     the floor), then refinery's runner built as its `embed_migrations!`
//!     builds it (`Migration::unapplied` per file, `Runner::new`) with
//!     `set_grouped(true)`: every migration and its history row in one
//!     transaction, as the toolkit and the floor do.
//!   - `refinery`: the same with refinery's defaults, a transaction for each
//!     migration and another for its history row (10 and 100 only: at 1000
//!     it is 2000 commits, each with its `fsync`).
//!   - `raw_rusqlite` (floor): `Connection::open`, WAL, foreign keys on, then
//!     every migration's SQL with `execute_batch` and one history row each,
//!     between one BEGIN and COMMIT.
//! - `apply/90+10`: a database holding the first 90 of the 100 migrations
//!   (copied from a template each iteration) gets the last 10, with backups
//!   off and on, beside the floor.
//! - `noop_start/{10,100,1000,1000_tables}`: the database is already fully
//!   migrated; one start on a freshly opened connection, then dropping it.
//!   `1000_tables` is a chain of 1000 migrations that each create a table
//!   (`workload::tables`).
//!   - `migrator_open`: `migrator.open(path)`.
//!   - `refinery`: `Connection::open`, WAL and foreign keys on, the runner
//!     built as `embed_migrations!` builds it, `run` (with its defaults:
//!     grouping makes no difference when nothing is pending). refinery
//!     compiles the regular expression that parses migration names once per
//!     process; here only the first iteration pays for it, an application
//!     pays on every start.
//!   - `raw_rusqlite` (floor): `Connection::open`, read `PRAGMA
//!     user_version`, drop.
//! - `noop_steps/1000_tables`: where the no-op start's time goes on the
//!   database of 1000 tables (its statements replayed by hand).
//!
//! The peer `rusqlite_migration` is not here: its newest release (2.6.0)
//! needs rusqlite 0.40, whose `libsqlite3-sys` cannot be linked beside the
//! workspace's rusqlite 0.41 (two packages with `links = "sqlite3"`).
//!
//! In `apply`, the connection is closed (and the directory deleted) outside
//! the timing, for every side.
//!
//! Run with `cargo bench -p migrate-benches --bench start`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, SamplingMode,
};
use migrate_benches::{
    configure, database, fresh, raw_apply, raw_noop, schema_size, workload, Chain,
};
use migrate_runtime::rusqlite::{self, Connection};
use migrate_runtime::{Backups, Migrator};

/// A chain as refinery's `embed_migrations!` embeds it: one `(file stem,
/// SQL)` per file, named `V{version}__{name}`.
struct RefineryChain {
    files: Vec<(String, String)>,
}

impl RefineryChain {
    fn new(files: &[(String, String)]) -> Self {
        let files = files
            .iter()
            .map(|(file, sql)| {
                let (version, name) = workload::version_and_name(file);
                (format!("V{version}__{name}"), sql.clone())
            })
            .collect();
        Self { files }
    }

    /// What the `runner()` that refinery's `embed_migrations!` generates
    /// does on every call: each embedded text copied into a `String`, each
    /// parsed into a `Migration` (name, version, checksum), then the runner.
    fn runner(&self) -> refinery::Runner {
        let quoted: Vec<(&str, String)> = self
            .files
            .iter()
            .map(|(stem, sql)| (stem.as_str(), sql.as_str().to_string()))
            .collect();
        let mut migrations = Vec::new();
        for (stem, sql) in quoted {
            migrations.push(refinery::Migration::unapplied(stem, &sql).unwrap());
        }
        refinery::Runner::new(&migrations)
    }

    /// A start: open, configure as the floor does, run the runner.
    fn start(&self, path: &Path, grouped: bool) -> Connection {
        let mut conn = Connection::open(path).unwrap();
        configure(&conn);
        self.runner().set_grouped(grouped).run(&mut conn).unwrap();
        conn
    }
}

fn applied_by_refinery(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM refinery_schema_history", [], |row| {
        row.get(0)
    })
    .unwrap()
}

fn noop_group(c: &mut Criterion, label: &str, files: &[(String, String)]) {
    let chain = Chain::new(files);
    let refinery = RefineryChain::new(files);
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.db");
    let theirs = dir.path().join("refinery.db");
    // Migrated once, outside the timing; the starts below find nothing to do.
    let conn = chain.migrator.open(&ours).unwrap();
    let size = schema_size(&conn);
    assert!(size > 0);
    drop(conn);
    let conn = refinery.start(&theirs, true);
    assert_eq!(schema_size(&conn), size);
    assert_eq!(applied_by_refinery(&conn) as usize, files.len());
    drop(conn);
    let fingerprint = raw_noop(&ours);
    assert_ne!(fingerprint, 0);

    let mut group = c.benchmark_group(format!("noop_start/{label}"));
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.bench_function("migrator_open", |b| {
        b.iter(|| drop(chain.migrator.open(black_box(&ours)).unwrap()))
    });
    group.bench_function("refinery", |b| {
        b.iter(|| drop(refinery.start(black_box(&theirs), false)))
    });
    group.bench_function("raw_rusqlite", |b| {
        b.iter(|| black_box(raw_noop(black_box(&ours))))
    });
    group.finish();
    // Nothing was written by the starts.
    assert_eq!(raw_noop(&ours), fingerprint);
    assert_eq!(
        applied_by_refinery(&Connection::open(&theirs).unwrap()) as usize,
        files.len()
    );
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
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(1));
    group.bench_function("open_close", |b| {
        b.iter(|| drop(Connection::open(black_box(&path)).unwrap()))
    });
    // `PRAGMA journal_mode` needs the schema, so SQLite parses all of it
    // (and frees it on close) on every start.
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
    // mode) instead of `PRAGMA journal_mode`, as the fast path does: nothing
    // needs the schema.
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

/// Every side builds the same schema from the same chain.
fn check_same_schema(chain: &Chain, refinery: &RefineryChain, base: &Path) {
    let (ours, raw, theirs) = (fresh(base), fresh(base), fresh(base));
    let ours = chain.migrator.open(database(&ours)).unwrap();
    let raw = raw_apply(&database(&raw), &chain.rows);
    let theirs = refinery.start(&database(&theirs), true);
    assert_eq!(schema_size(&ours), schema_size(&raw));
    assert_eq!(schema_size(&ours), schema_size(&theirs));
    let applied: i64 = ours
        .query_row("SELECT count(*) FROM _migrate_history", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(applied as usize, chain.rows.len());
    assert_eq!(applied_by_refinery(&theirs) as usize, chain.rows.len());
}

fn apply_settings(group: &mut BenchmarkGroup<'_, WallTime>, measurement: Duration) {
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(measurement);
}

fn bench_apply(c: &mut Criterion) {
    let base = tempfile::tempdir().unwrap();
    for (count, measurement) in [(10, 1), (100, 2), (1000, 8)] {
        let files = workload::migrations(count);
        let chain = Chain::new(&files);
        let refinery = RefineryChain::new(&files);
        check_same_schema(&chain, &refinery, base.path());

        let mut group = c.benchmark_group(format!("apply/{count}"));
        apply_settings(&mut group, Duration::from_secs(measurement));
        group.bench_function("migrator_open", |b| {
            b.iter_batched(
                || fresh(base.path()),
                |dir| (chain.migrator.open(database(&dir)).unwrap(), dir),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("refinery_grouped", |b| {
            b.iter_batched(
                || fresh(base.path()),
                |dir| (refinery.start(&database(&dir), true), dir),
                BatchSize::PerIteration,
            )
        });
        if count <= 100 {
            group.bench_function("refinery", |b| {
                b.iter_batched(
                    || fresh(base.path()),
                    |dir| (refinery.start(&database(&dir), false), dir),
                    BatchSize::PerIteration,
                )
            });
        }
        group.bench_function("raw_rusqlite", |b| {
            b.iter_batched(
                || fresh(base.path()),
                |dir| (raw_apply(&database(&dir), &chain.rows), dir),
                BatchSize::PerIteration,
            )
        });
        group.finish();
    }
}

/// The last 10 of 100 migrations on a database holding the first 90.
fn bench_apply_pending(c: &mut Criterion) {
    let base = tempfile::tempdir().unwrap();
    let files = workload::migrations(100);
    let full = Chain::new(&files);
    let backups_on: Migrator = full.migrator.clone().backups(Backups::default());
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
    apply_settings(&mut group, Duration::from_secs(2));
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
            |dir| (backups_on.open(database(&dir)).unwrap(), dir),
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
    bench_apply,
    bench_apply_pending,
    bench_noop_start,
    bench_noop_steps
);
criterion_main!(benches);
