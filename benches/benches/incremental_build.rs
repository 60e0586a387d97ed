//! What `cargo build` costs after adding one migration to an application
//! with 1000, with this toolkit's `embed_migrations!` (which executes and
//! lints the whole chain while the crate compiles) and with refinery's
//! (which embeds the files and checks nothing).
//!
//! Each tool gets a scratch crate in a temporary folder, outside the
//! workspace, with the workspace's lock file: a `main.rs` that embeds
//! `migrations/` and applies it, the 1000 migrations of
//! `workload::migrations` (named as each tool wants them), and the one-line
//! build script each tool needs for cargo to notice an added file. The crate
//! is built once, untimed; then each sample adds the next migration of the
//! chain and times `cargo build` (the default dev profile, as a developer
//! builds). A no-change `cargo build` is timed too: cargo's own fixed cost.
//!
//! Both crates build in one shared target folder (`target/scratch`, also
//! used by the tests that build scratch crates), so the dependencies are
//! compiled once.
//!
//! Not a criterion benchmark: a build takes seconds and criterion wants at
//! least 10 samples, so this harness takes 5 and reports their median, min
//! and max. It understands criterion's filter argument (a substring of
//! `incremental_build/1000/<tool>`), and under `cargo test --all-targets`,
//! which runs it without `--bench`, does nothing.
//!
//! With `MIGRATE_BENCH_OPT_MACROS=1`, the scratch crates set
//! `[profile.dev.build-override] opt-level = 3`, as the README recommends for
//! long chains: the macro and the SQLite it runs are then compiled optimised.
//!
//! Run with `cargo bench -p migrate-benches --bench incremental_build`.

use std::fs;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use migrate_benches::{filter, measuring, scratch_target, workload, workspace_root, write_summary};

const MIGRATIONS: usize = 1000;
const SAMPLES: usize = 5;

#[derive(Clone, Copy)]
enum Tool {
    /// This toolkit: `migrate_runtime::embed_migrations!`.
    Ours,
    /// refinery 0.10 with rusqlite: `refinery::embed_migrations!`.
    Refinery,
}

impl Tool {
    fn id(self) -> String {
        let name = match self {
            Tool::Ours => "migrate_runtime",
            Tool::Refinery => "refinery",
        };
        format!("incremental_build/{MIGRATIONS}/{name}")
    }

    /// Package names differ: cargo would otherwise take the two scratch
    /// crates in the shared target folder for one.
    fn package(self) -> &'static str {
        match self {
            Tool::Ours => "bench-incremental-ours",
            Tool::Refinery => "bench-incremental-refinery",
        }
    }

    fn file_name(self, file: &str) -> String {
        match self {
            Tool::Ours => file.to_string(),
            Tool::Refinery => {
                let (version, name) = workload::version_and_name(file);
                format!("V{version}__{name}.sql")
            }
        }
    }

    fn manifest(self) -> String {
        let root = workspace_root();
        let dependencies = match self {
            Tool::Ours => format!(
                "[dependencies]\nmigrate-runtime = {{ path = {:?} }}\n\n\
                 [build-dependencies]\nmigrate-build-support = {{ path = {:?} }}\n",
                root.join("migrate-runtime"),
                root.join("build-support"),
            ),
            Tool::Refinery => "[dependencies]\n\
                 refinery = { version = \"0.10\", default-features = false, features = [\"rusqlite\"] }\n\
                 rusqlite = { version = \"0.41\", features = [\"bundled\"] }\n"
                .to_string(),
        };
        format!(
            "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             {dependencies}\n{}[workspace]\n",
            self.package(),
            if std::env::var_os("MIGRATE_BENCH_OPT_MACROS").is_some() {
                "[profile.dev.build-override]\nopt-level = 3\n\n"
            } else {
                ""
            }
        )
    }

    fn main_rs(self) -> &'static str {
        match self {
            Tool::Ours => {
                "migrate_runtime::embed_migrations!(\"migrations\");\n\n\
                 fn main() {\n    \
                 let path = std::env::args().nth(1).unwrap_or_else(|| \"app.db\".into());\n    \
                 let conn = migrations::MIGRATOR.open(path).unwrap();\n    \
                 drop(conn);\n}\n"
            }
            Tool::Refinery => {
                "mod embedded {\n    refinery::embed_migrations!(\"migrations\");\n}\n\n\
                 fn main() {\n    \
                 let path = std::env::args().nth(1).unwrap_or_else(|| \"app.db\".into());\n    \
                 let mut conn = rusqlite::Connection::open(path).unwrap();\n    \
                 embedded::migrations::runner().run(&mut conn).unwrap();\n}\n"
            }
        }
    }

    /// What makes cargo notice an added file: this toolkit's helper, and
    /// for refinery (whose macro only tracks the files it saw) the same
    /// directive written out.
    fn build_rs(self) -> &'static str {
        match self {
            Tool::Ours => {
                "fn main() { migrate_build_support::track_migrations(\"migrations\"); }\n"
            }
            Tool::Refinery => "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); }\n",
        }
    }
}

struct Scratch {
    tool: Tool,
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new(tool: Tool, files: &[(String, String)]) -> Self {
        let scratch = Scratch {
            tool,
            dir: tempfile::tempdir().expect("temp dir"),
        };
        scratch.write("Cargo.toml", &tool.manifest());
        scratch.write("build.rs", tool.build_rs());
        scratch.write("src/main.rs", tool.main_rs());
        // The workspace's lock file: the same dependency versions, already
        // downloaded (refinery is a dev-dependency of this crate).
        fs::copy(
            workspace_root().join("Cargo.lock"),
            scratch.dir.path().join("Cargo.lock"),
        )
        .expect("copy lock file");
        for (file, sql) in files {
            scratch.add(file, sql);
        }
        scratch
    }

    fn write(&self, relative: &str, contents: &str) {
        let path = self.dir.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    fn add(&self, file: &str, sql: &str) {
        self.write(&format!("migrations/{}", self.tool.file_name(file)), sql);
    }

    /// Runs `cargo build` and returns how long it took; it must succeed.
    fn build(&self) -> Duration {
        let started = Instant::now();
        let output = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--manifest-path"])
            .arg(self.dir.path().join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", scratch_target())
            .env("CARGO_TERM_COLOR", "never")
            .env_remove("MIGRATE_MANIFEST_DIR")
            .env_remove("RUSTFLAGS")
            .output()
            .expect("run cargo");
        let elapsed = started.elapsed();
        assert!(
            output.status.success(),
            "{} failed to build:\n{}",
            self.tool.package(),
            String::from_utf8_lossy(&output.stderr)
        );
        elapsed
    }
}

struct Summary {
    median: Duration,
    min: Duration,
    max: Duration,
}

fn summary(mut samples: Vec<Duration>) -> Summary {
    samples.sort();
    Summary {
        median: samples[samples.len() / 2],
        min: samples[0],
        max: samples[samples.len() - 1],
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

fn measure(tool: Tool, chain: &[(String, String)]) -> (Summary, Summary) {
    let scratch = Scratch::new(tool, &chain[..MIGRATIONS]);
    let first = scratch.build();
    eprintln!(
        "{}: first build {} (dependencies included when not built yet)",
        tool.id(),
        seconds(first)
    );
    let mut added = Vec::new();
    let mut unchanged = Vec::new();
    for (file, sql) in &chain[MIGRATIONS..] {
        // A later modification time than the last build's, even on file
        // systems with coarse timestamps.
        thread::sleep(Duration::from_millis(1100));
        scratch.add(file, sql);
        added.push(scratch.build());
        unchanged.push(scratch.build());
    }
    (summary(added), summary(unchanged))
}

fn main() {
    if !measuring() {
        println!("incremental_build: runs only under `cargo bench`");
        return;
    }
    let filter = filter();
    let chain = workload::migrations(MIGRATIONS + SAMPLES);
    let mut lines = Vec::new();
    for tool in [Tool::Ours, Tool::Refinery] {
        let id = tool.id();
        if !id.contains(&filter) {
            continue;
        }
        let (added, unchanged) = measure(tool, &chain);
        for (case, summary) in [("add_one", added), ("no_change", unchanged)] {
            println!(
                "{id}/{case}: median {} (min {}, max {}, {SAMPLES} samples)",
                seconds(summary.median),
                seconds(summary.min),
                seconds(summary.max)
            );
            lines.push(format!(
                "{id}\t{case}\t{:.3}\t{:.3}\t{:.3}",
                summary.median.as_secs_f64(),
                summary.min.as_secs_f64(),
                summary.max.as_secs_f64()
            ));
        }
    }
    if !lines.is_empty() {
        write_summary(
            "incremental_build",
            "id\tcase\tmedian_s\tmin_s\tmax_s",
            &lines,
        );
    }
}
