//! One operation on the generated chain, once: for counting the
//! instructions it takes with `valgrind --tool=callgrind`, which gives the
//! same count run after run where wall-clock times on a shared machine do
//! not (see BENCHMARKS.md).
//!
//! ```text
//! cargo build --release -p migrate-benches --bin workload
//! valgrind --tool=callgrind target/release/workload check 200
//! ```
//!
//! `workload <operation> <count> [folder]`, the operations being `check`
//! (`check_folder`), `validate`, `lint`, `apply` (a start that applies every
//! migration to a new file), and the two halves of an incremental build:
//! `prepare` checks all but the last migration into `folder`, keeping the
//! saved run there, and `resume` adds the last one and checks again, which
//! is what a build does after a migration is added.

use std::env;
use std::path::{Path, PathBuf};

use migrate_benches::{workload, write_folder, Chain};

fn main() {
    let mut args = env::args().skip(1);
    let operation = args.next().unwrap_or_else(|| "check".into());
    let count: usize = args.next().map_or(200, |n| n.parse().expect("a count"));
    let folder = args.next().map(PathBuf::from);
    let files = workload::migrations(count);
    let temporary = tempfile::tempdir().expect("a temporary folder");
    let base = folder.as_deref().unwrap_or(temporary.path());
    let cache = base.join("cache");
    match operation.as_str() {
        "apply" => {
            let chain = Chain::new(&files);
            chain
                .migrator
                .open(base.join("app.db"))
                .expect("the chain applies");
        }
        "prepare" => {
            write_folder(base, "migrations", &files[..count - 1]);
            check(base, Some(&cache));
        }
        "resume" => {
            write_folder(base, "migrations", &files[count - 1..]);
            check(base, Some(&cache));
        }
        "validate" | "lint" => {
            write_folder(base, "migrations", &files);
            let sources =
                migrate_build_support::read_folder(base, "migrations").expect("the folder reads");
            if operation == "validate" {
                migrate_build_support::validate(&sources).expect("the chain passes");
            } else {
                migrate_build_support::lint(&sources);
            }
        }
        _ => {
            write_folder(base, "migrations", &files);
            check(base, None);
        }
    }
}

fn check(base: &Path, cache: Option<&Path>) {
    migrate_build_support::check_folder_cached(base, "migrations", cache)
        .expect("the generated chain passes");
}
