//! Compile-time validation against its floor.
//!
//! For N generated migrations (`workload::migrations`), `check_folder` (read
//! the folder, lint it, execute the chain on an empty and on a seeded
//! in-memory SQLite, check the down scripts: what `embed_migrations!` does)
//! is set next to raw rusqlite executing the same SQL texts, each migration
//! inside BEGIN/COMMIT, on a fresh in-memory connection. Its two largest
//! parts, `lint` (which replays the chain) and `validate` (the empty and the
//! seeded run), are measured alone on the parsed folder.
//!
//! `check_folder_resumed` is what the macro does in a build after one
//! migration was added: `check_folder_cached` with a cache holding the run
//! of the other N - 1, as the build before left it.
//!
//! Run with `cargo bench -p migrate-benches --bench validate`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use migrate_benches::{measuring, raw_in_memory, workload, write_folder};

fn bench_validate(c: &mut Criterion) {
    // `cargo test --all-targets` runs each benchmark once: 10 migrations will do.
    let counts: &[usize] = if measuring() { &[100, 1000] } else { &[10] };
    for &count in counts {
        let files = workload::migrations(count);
        let sqls: Vec<&str> = files.iter().map(|(_, sql)| sql.as_str()).collect();
        let base = tempfile::tempdir().unwrap();
        write_folder(base.path(), "migrations", &files);

        // Every side must do the whole work, not stop at an error.
        let checked = migrate_build_support::check_folder(base.path(), "migrations")
            .unwrap_or_else(|diagnostics| {
                panic!("generated chain does not validate: {diagnostics:?}")
            });
        assert_eq!(checked.sources.len(), count);
        raw_in_memory(&sqls);

        let mut group = c.benchmark_group(format!("validate/{count}"));
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(if count >= 1000 { 20 } else { 3 }));
        group.bench_function("check_folder", |b| {
            b.iter(|| {
                migrate_build_support::check_folder(black_box(base.path()), black_box("migrations"))
            })
        });
        let saved = saved_run(&files);
        group.bench_function("check_folder_resumed", |b| {
            b.iter_batched(
                || copy_folder(saved.path()),
                |cache| {
                    migrate_build_support::check_folder_cached(
                        black_box(base.path()),
                        black_box("migrations"),
                        Some(cache.path()),
                    )
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function("lint", |b| {
            b.iter(|| migrate_build_support::lint(black_box(&checked.sources)))
        });
        group.bench_function("validate", |b| {
            b.iter(|| migrate_build_support::validate(black_box(&checked.sources)))
        });
        group.bench_function("raw_rusqlite", |b| {
            b.iter(|| raw_in_memory(black_box(&sqls)))
        });
        group.finish();
    }
}

/// A cache holding the checked run of all of `files` but the last.
fn saved_run(files: &[(String, String)]) -> tempfile::TempDir {
    let base = tempfile::tempdir().unwrap();
    write_folder(base.path(), "migrations", &files[..files.len() - 1]);
    let cache = tempfile::tempdir().unwrap();
    migrate_build_support::check_folder_cached(base.path(), "migrations", Some(cache.path()))
        .expect("the chain checks");
    cache
}

/// A copy of the folder `from`, in a new temporary folder.
fn copy_folder(from: &Path) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &to.join(entry.file_name()));
            } else {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    }
    let to = tempfile::tempdir().unwrap();
    copy(from, to.path());
    to
}

criterion_group!(benches, bench_validate);
criterion_main!(benches);
