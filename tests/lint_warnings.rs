//! Warning lints reach `cargo build` on stable Rust, where a proc macro
//! cannot emit a warning itself: the macro uses a deprecated item whose note
//! is the warning. Proven on a scratch crate built by real cargo.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use migrate_tests::workspace_root;

/// A crate outside the workspace that embeds `migrations/`. Each has a
/// package name of its own: cargo would otherwise take two scratch crates in
/// the shared target folder for one, and replay the first one's warnings.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new(name: &str, migrations: &[(&str, &str)]) -> Self {
        let scratch = Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let runtime = workspace_root().join("migrate-runtime");
        scratch.write(
            "Cargo.toml",
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nmigrate-runtime = {{ path = {runtime:?} }}\n\n[workspace]\n"
            ),
        );
        scratch.write(
            "src/main.rs",
            "migrate_runtime::embed_migrations!(\"migrations\");\n\n\
             fn main() {\n    println!(\"{}\", migrations::MIGRATIONS.len());\n}\n",
        );
        // The workspace's lock file: the same dependency versions, already downloaded.
        fs::copy(
            workspace_root().join("Cargo.lock"),
            scratch.dir.path().join("Cargo.lock"),
        )
        .expect("copy lock file");
        for (name, sql) in migrations {
            scratch.write(&format!("migrations/{name}"), sql);
        }
        scratch
    }

    fn write(&self, relative: &str, contents: &str) {
        let path = self.dir.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    /// `cargo build`'s stderr; the build must succeed.
    fn build(&self) -> String {
        let output = Command::new(env!("CARGO"))
            .args(["build", "--manifest-path"])
            .arg(self.dir.path().join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir())
            .env("CARGO_TERM_COLOR", "never")
            .env_remove("MIGRATE_MANIFEST_DIR")
            .env_remove("RUSTFLAGS")
            .output()
            .expect("run cargo");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "scratch crate failed:\n{stderr}");
        stderr
    }
}

/// Kept between runs, so that only the first run compiles the dependencies.
fn target_dir() -> PathBuf {
    workspace_root().join("target").join("scratch")
}

const USERS: (&str, &str) = (
    "0001_users.sql",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
);

#[test]
fn an_unindexed_foreign_key_is_one_warning_line_in_cargo_build() {
    let scratch = Scratch::new("lint_warning", &[
        USERS,
        (
            "0002_posts.sql",
            "-- Posts by their author.\nCREATE TABLE posts (\n    id      INTEGER PRIMARY KEY,\n    user_id INTEGER NOT NULL REFERENCES users (id)\n);\n",
        ),
        ("0003_postgres_only.sql", "-- Only for PostgreSQL: nothing to do on SQLite.\n"),
    ]);
    let stderr = scratch.build();
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("warning: "))
        .collect();
    let expected = "migrations/0002_posts.sql:4:30: foreign key `posts` (user_id) → `users` has no index on `posts` (user_id)";
    let lines: Vec<&&str> = warnings
        .iter()
        .filter(|line| line.contains(expected))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "one warning line names the problem:\n{stderr}"
    );
    let line = lines[0];
    assert!(line.contains("[unindexed-foreign-key]"), "{line}");
    assert!(
        line.contains("help: add `CREATE INDEX posts_user_id ON posts (user_id);`")
            && line.contains("`-- migrate: allow unindexed-foreign-key`"),
        "{line}"
    );
    // And it points at the invocation.
    assert!(stderr.contains("src/main.rs:1:36"), "{stderr}");
    // A migration of comments alone builds, with a warning.
    let empty = "migrations/0003_postgres_only.sql:1:1: the migration holds no SQL statement: applying it changes nothing [empty-migration]";
    assert_eq!(
        warnings.iter().filter(|line| line.contains(empty)).count(),
        1,
        "{stderr}"
    );
}

#[test]
fn an_allowed_or_fixed_warning_is_not_shown() {
    let allowed = Scratch::new("lint_warning_allowed", &[
        USERS,
        (
            "0002_posts.sql",
            "-- migrate: allow unindexed-foreign-key\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\n",
        ),
    ]);
    let stderr = allowed.build();
    assert!(!stderr.contains("warning:"), "{stderr}");
    let indexed = Scratch::new("lint_warning_indexed", &[
        USERS,
        (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\nCREATE INDEX posts_user_id ON posts (user_id);\n",
        ),
    ]);
    let stderr = indexed.build();
    assert!(!stderr.contains("warning:"), "{stderr}");
    assert!(Path::new(&workspace_root()).join("tests").is_dir());
}

#[test]
fn how_a_file_runs_where_it_says_so_itself_is_a_note_in_cargo_build() {
    let scratch = Scratch::new("lint_note", &[
        USERS,
        (
            "0002_tags.sql",
            "-- Written for a runner without transactions.\nBEGIN;\nCREATE TABLE tags (name TEXT NOT NULL);\nCOMMIT;\n",
        ),
    ]);
    let stderr = scratch.build();
    assert!(
        stderr.contains("note: migrations/0002_tags.sql:2:1: the file's own `BEGIN` and `COMMIT` are left out: its statements run in the runner's transaction"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("warning:"),
        "a note is no warning:\n{stderr}"
    );
}
