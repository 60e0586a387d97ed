//! Compile-time validation against its floor.
//!
//! For N generated migrations, `check_folder` (read the folder, lint it, and
//! execute the chain on an empty and on a seeded in-memory SQLite: what
//! `embed_migrations!` does) is set next to raw rusqlite executing the same
//! SQL texts, each migration inside BEGIN/COMMIT, on a fresh in-memory
//! connection. Its two largest parts, `lint` (which replays the chain) and
//! `validate` (both runs), are measured alone on the parsed folder. The chain is
//! `migrate_tests::workload::migrations`, shared with the runtime's benchmarks.
//!
//! Run with `cargo bench -p migrate-build-support --bench validate`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use migrate_tests::workload;
use rusqlite::Connection;

/// The floor: the same texts, in order, on a fresh in-memory SQLite, each
/// migration in its own transaction, with foreign keys on as `validate` has.
fn raw_rusqlite(sqls: &[&str]) {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    for sql in sqls {
        conn.execute_batch("BEGIN").unwrap();
        conn.execute_batch(sql).unwrap();
        conn.execute_batch("COMMIT").unwrap();
    }
}

fn write_folder(base: &Path, files: &[(String, String)]) {
    let folder = base.join("migrations");
    std::fs::create_dir(&folder).unwrap();
    for (name, sql) in files {
        std::fs::write(folder.join(name), sql).unwrap();
    }
}

fn bench_validate(c: &mut Criterion) {
    for count in [100, 1000] {
        let files = workload::migrations(count);
        let sqls: Vec<&str> = files.iter().map(|(_, sql)| sql.as_str()).collect();
        let base = tempfile::tempdir().unwrap();
        write_folder(base.path(), &files);

        // Both sides must do the whole work, not stop at an error.
        let checked = migrate_build_support::check_folder(base.path(), "migrations")
            .unwrap_or_else(|diagnostics| {
                panic!("generated chain does not validate: {diagnostics:?}")
            });
        assert_eq!(checked.sources.len(), count);
        raw_rusqlite(&sqls);

        let mut group = c.benchmark_group(format!("validate/{count}"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(6));
        group.bench_function("check_folder", |b| {
            b.iter(|| {
                migrate_build_support::check_folder(black_box(base.path()), black_box("migrations"))
            })
        });
        group.bench_function("lint", |b| {
            b.iter(|| migrate_build_support::lint(black_box(&checked.sources)))
        });
        group.bench_function("validate", |b| {
            b.iter(|| migrate_build_support::validate(black_box(&checked.sources)))
        });
        group.bench_function("raw_rusqlite", |b| {
            b.iter(|| raw_rusqlite(black_box(&sqls)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench_validate);
criterion_main!(benches);
