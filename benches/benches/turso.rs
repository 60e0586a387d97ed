//! What a start on a Turso database costs (feature `turso`), against a
//! `tursodb` sync server on loopback, beside the floor: the `turso` crate
//! doing the least that gives the same result.
//!
//! - `turso/noop_start`: the copy already carries every migration of
//!   `fixtures/concurrent` (7).
//!   - `run_turso`: `migrator.run_turso(&server, &copy)`, which reads the
//!     copy's history and sends nothing.
//!   - `raw_turso` (floor): `copy.connect()` and one read of the history
//!     table, every row.
//! - `turso/after_another_migrated`: a new copy of a database another
//!   instance migrated, built from the server each iteration (outside the
//!   timing), then the start.
//!   - `run_turso`, as above;
//!   - `raw_turso` (floor), as above.
//! - `turso/apply`: the seven migrations applied on a fresh server
//!   database each iteration (the server is started, and a synced copy
//!   bootstrapped from it, outside the timing).
//!   - `apply_on_turso`: reads the history, sends one batch, reads the
//!     history back;
//!   - `raw_batch` (floor): the `turso` crate's own way to write: the seven
//!     migrations' SQL in one transaction on a new synced copy (built
//!     outside the timing), then one push; no history, nothing checked.
//!
//! Needs `TURSODB` (the `tursodb` binary, which `.ci/turso` installs).
//! Run with `TURSODB=… cargo bench -p migrate-benches --features turso --bench turso`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use migrate_runtime::turso::Server;
use migrate_tests::turso_server::TursoServer;
use tokio::runtime::Runtime;

migrate_runtime::embed_migrations!("../tests/fixtures/concurrent");

async fn copy_of(server: &TursoServer, path: &std::path::Path) -> turso::sync::Database {
    turso::sync::Builder::new_remote(path.to_str().unwrap())
        .with_remote_url(&server.url)
        .build()
        .await
        .unwrap()
}

/// The floor of a start with nothing pending: connect, read the history.
async fn raw_read(copy: &turso::sync::Database) -> usize {
    let conn = copy.connect().await.unwrap();
    let mut rows = conn
        .query("SELECT version, checksum FROM _migrate_history", ())
        .await
        .unwrap();
    let mut count = 0;
    while rows.next().await.unwrap().is_some() {
        count += 1;
    }
    count
}

fn starts(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let server = TursoServer::start();
    let remote = Server::new(&server.url);
    let dir = tempfile::tempdir().unwrap();
    let copy = runtime.block_on(copy_of(&server, &dir.path().join("copy.db")));
    runtime
        .block_on(migrations::MIGRATOR.run_turso(&remote, &copy))
        .unwrap();

    let mut group = c.benchmark_group("turso/noop_start");
    group.bench_function("run_turso", |b| {
        b.iter(|| {
            runtime
                .block_on(migrations::MIGRATOR.run_turso(&remote, &copy))
                .unwrap()
        })
    });
    group.bench_function("raw_turso", |b| {
        b.iter(|| black_box(runtime.block_on(raw_read(&copy))))
    });
    group.finish();

    let mut group = c.benchmark_group("turso/after_another_migrated");
    group.sample_size(20);
    let mut n = 0;
    let mut fresh = || {
        n += 1;
        runtime.block_on(copy_of(&server, &dir.path().join(format!("new-{n}.db"))))
    };
    group.bench_function("run_turso", |b| {
        b.iter_batched(
            &mut fresh,
            |copy| {
                runtime
                    .block_on(migrations::MIGRATOR.run_turso(&remote, &copy))
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("raw_turso", |b| {
        b.iter_batched(
            &mut fresh,
            |copy| black_box(runtime.block_on(raw_read(&copy))),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn apply(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let mut group = c.benchmark_group("turso/apply");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    // Both sides start from the same server: fresh, and warmed by a copy
    // bootstrapped from it.
    let setup = || {
        let server = TursoServer::start();
        let dir = tempfile::tempdir().unwrap();
        let copy = runtime.block_on(copy_of(&server, &dir.path().join("c.db")));
        (server, dir, copy)
    };
    group.bench_function("apply_on_turso", |b| {
        b.iter_batched(
            setup,
            |(server, dir, copy)| {
                let report = runtime
                    .block_on(migrations::MIGRATOR.apply_on_turso(&Server::new(&server.url)))
                    .unwrap();
                assert_eq!(report.applied.len(), 7);
                (server, dir, copy)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("raw_batch", |b| {
        b.iter_batched(
            setup,
            |(server, dir, copy)| {
                runtime.block_on(async {
                    let conn = copy.connect().await.unwrap();
                    conn.execute("BEGIN IMMEDIATE", ()).await.unwrap();
                    for migration in migrations::MIGRATIONS {
                        conn.execute_batch(migration.up().sql()).await.unwrap();
                    }
                    conn.execute("COMMIT", ()).await.unwrap();
                    copy.push().await.unwrap();
                });
                (server, dir)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, starts, apply);
criterion_main!(benches);
