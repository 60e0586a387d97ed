//! Cargo rebuilds, and the macro sees the change, when a migration is edited
//! (tracked by the macro itself) or added or removed (tracked by the one-line
//! build.rs helper). Proven on a scratch crate built by real cargo.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use std::{fs, thread};

use migrate_tests::workspace_root;

/// A crate outside the workspace that embeds `migrations/` and prints what it embedded.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        let scratch = Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let runtime = workspace_root().join("migrate-runtime");
        scratch.write(
            "Cargo.toml",
            &format!(
                "[package]\nname = \"scratch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nmigrate-runtime = {{ path = {runtime:?} }}\n\n[workspace]\n"
            ),
        );
        scratch.write(
            "src/main.rs",
            "migrate_runtime::embed_migrations!(\"migrations\");\n\n\
             fn main() {\n    for m in migrations::MIGRATIONS {\n        \
             println!(\"{} {} {}\", m.version(), m.name(), m.checksum());\n    }\n}\n",
        );
        // The workspace's lock file: the same dependency versions, already downloaded.
        fs::copy(
            workspace_root().join("Cargo.lock"),
            scratch.path("Cargo.lock"),
        )
        .expect("copy lock file");
        scratch.write("migrations/0001_init.sql", "CREATE TABLE t (x);\n");
        scratch
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file, after a pause so that its modification time is later
    /// than the last build's even on file systems with coarse timestamps.
    fn write(&self, relative: &str, contents: &str) {
        thread::sleep(Duration::from_millis(1100));
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    fn remove(&self, relative: &str) {
        thread::sleep(Duration::from_millis(1100));
        fs::remove_file(self.path(relative)).unwrap();
    }

    fn add_build_script(&self) {
        let build_support = workspace_root().join("build-support");
        let manifest = fs::read_to_string(self.path("Cargo.toml")).unwrap().replace(
            "[workspace]",
            &format!("[build-dependencies]\nmigrate-build-support = {{ path = {build_support:?} }}\n\n[workspace]"),
        );
        self.write("Cargo.toml", &manifest);
        self.write(
            "build.rs",
            "fn main() { migrate_build_support::track_migrations(\"migrations\"); }\n",
        );
    }

    /// Builds (as needed) and runs the crate; one line per embedded migration.
    fn embedded(&self) -> Vec<String> {
        let output = Command::new(env!("CARGO"))
            .args(["run", "--quiet", "--manifest-path"])
            .arg(self.path("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir())
            .env_remove("MIGRATE_MANIFEST_DIR")
            .output()
            .expect("run cargo");
        assert!(
            output.status.success(),
            "scratch crate failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Kept between runs, so that only the first run compiles the dependencies.
fn target_dir() -> PathBuf {
    workspace_root().join("target").join("scratch")
}

fn names(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .map(|line| line.rsplit_once(' ').unwrap().0)
        .collect()
}

#[test]
fn editing_adding_and_removing_migrations_is_seen_by_the_next_build() {
    let scratch = Scratch::new();
    let first = scratch.embedded();
    assert_eq!(names(&first), ["1 init"]);

    // An edit is tracked by the macro itself: no build script yet.
    scratch.write("migrations/0001_init.sql", "CREATE TABLE t (x, y);\n");
    let edited = scratch.embedded();
    assert_eq!(names(&edited), ["1 init"]);
    assert_ne!(edited, first, "the edited migration's checksum is embedded");

    // Adding and removing files is tracked by the build.rs helper.
    scratch.add_build_script();
    assert_eq!(scratch.embedded(), edited);
    scratch.write("migrations/0002_more.sql", "CREATE TABLE u (y);\n");
    assert_eq!(names(&scratch.embedded()), ["1 init", "2 more"]);
    scratch.remove("migrations/0002_more.sql");
    assert_eq!(scratch.embedded(), edited);
}

#[test]
fn build_helper_names_the_folder_and_itself() {
    let printed = migrate_build_support::track_migrations_directives("db/migrations");
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines,
        [
            "cargo:rerun-if-changed=db/migrations",
            "cargo:rerun-if-changed=build.rs"
        ]
    );
    assert!(Path::new(&workspace_root()).join("build-support").is_dir());
}
