//! The rollback of a bad deploy: a newer build of an app migrates the
//! database, then the OLDER build, which does not contain the newer
//! migrations, reverts them with `app migrate down --to <its version> --yes`,
//! using the down scripts the history recorded when they were applied.
//! Both builds are real binaries, built by real cargo from one scratch crate
//! whose migrations folder grows between the two builds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use std::{fs, thread};

use migrate_runtime::rusqlite::Connection;
use migrate_tests::{columns, history_versions, object_names, workspace_root};

/// The app: `--db FILE start` migrates at launch as apps do; `--db FILE
/// migrate <command>` is the operator CLI.
const MAIN: &str = r#"use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

migrate_runtime::embed_migrations!("migrations");

#[derive(Parser)]
struct Cli {
    #[arg(long)]
    db: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start as the app does: apply the pending migrations
    Start,
    /// The operator commands
    Migrate(migrate_runtime::cli::MigrateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate(args) => migrate_runtime::cli::run(&migrations::MIGRATOR, &cli.db, args),
        Command::Start => match migrations::MIGRATOR.open(&cli.db) {
            Ok(_) => {
                let newest = migrations::MIGRATIONS.last().map_or(0, |m| m.version());
                println!("started at migration {newest}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        },
    }
}
"#;

/// The first release's migrations.
const OLD: &[(&str, &str)] = &[
    (
        "0001_create_notes.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\n",
    ),
    (
        "0002_add_tags.up.sql",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n",
    ),
    ("0002_add_tags.down.sql", "DROP TABLE tags;\n"),
];

/// What the second release adds, each with a down script.
const NEW: &[(&str, &str)] = &[
    (
        "0003_add_priority.up.sql",
        "ALTER TABLE notes ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;\n\
         CREATE INDEX notes_priority ON notes (priority);\n",
    ),
    (
        "0003_add_priority.down.sql",
        "DROP INDEX notes_priority;\nALTER TABLE notes DROP COLUMN priority;\n",
    ),
    (
        "0004_archive.up.sql",
        "CREATE TABLE archive (\n    note_id INTEGER PRIMARY KEY REFERENCES notes (id),\n    \
         archived_at TEXT NOT NULL\n);\n",
    ),
    ("0004_archive.down.sql", "DROP TABLE archive;\n"),
];

/// The scratch crate, and where its two builds are kept.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        let scratch = Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let runtime = workspace_root().join("migrate-runtime");
        let build_support = workspace_root().join("build-support");
        scratch.write(
            "Cargo.toml",
            &format!(
                "[package]\nname = \"rollback_app\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nclap = {{ version = \"4\", features = [\"derive\"] }}\n\
                 migrate-runtime = {{ path = {runtime:?}, features = [\"cli\"] }}\n\n\
                 [build-dependencies]\nmigrate-build-support = {{ path = {build_support:?} }}\n\n\
                 [workspace]\n"
            ),
        );
        scratch.write(
            "build.rs",
            "fn main() { migrate_build_support::track_migrations(\"migrations\"); }\n",
        );
        scratch.write("src/main.rs", MAIN);
        // The workspace's lock file: the same dependency versions, already downloaded.
        fs::copy(
            workspace_root().join("Cargo.lock"),
            scratch.path("Cargo.lock"),
        )
        .expect("copy lock file");
        scratch
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn write(&self, relative: &str, contents: &str) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    fn add_migrations(&self, migrations: &[(&str, &str)]) {
        // Later than the last build's timestamps, even on coarse file systems.
        thread::sleep(Duration::from_millis(1100));
        for (name, sql) in migrations {
            self.write(&format!("migrations/{name}"), sql);
        }
    }

    /// Builds the crate as it is now and keeps its binary as `name`.
    fn build(&self, name: &str) -> PathBuf {
        let started = Instant::now();
        let output = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--manifest-path"])
            .arg(self.path("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir())
            .env_remove("MIGRATE_MANIFEST_DIR")
            .env_remove("RUSTFLAGS")
            .output()
            .expect("run cargo");
        assert!(
            output.status.success(),
            "the {name} build failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!("{name} build: {:.1?}", started.elapsed());
        let kept = self.path(name);
        let built = target_dir().join("debug").join("rollback_app");
        fs::copy(built, &kept).expect("keep the binary");
        kept
    }
}

/// Kept between runs, and shared with the other scratch crates, so that
/// only the first build compiles the dependencies.
fn target_dir() -> PathBuf {
    workspace_root().join("target").join("scratch")
}

/// Runs `binary --db <db> <args>`, off a terminal.
fn app(binary: &Path, db: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run the app")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the app, which must exit with `code`; returns its stdout.
fn expect(binary: &Path, db: &Path, args: &[&str], code: i32) -> String {
    let output = app(binary, db, args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}\nstdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn titles(conn: &Connection) -> Vec<String> {
    let mut statement = conn.prepare("SELECT title FROM notes ORDER BY id").unwrap();
    let rows = statement.query_map([], |row| row.get(0)).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn the_older_build_reverts_the_newer_builds_migrations_with_the_recorded_down_scripts() {
    let scratch = Scratch::new();
    scratch.add_migrations(OLD);
    let old = scratch.build("app-old");
    scratch.add_migrations(NEW);
    let new = scratch.build("app-new");
    let db = scratch.path("app.db");

    // Release 1 runs and has data.
    assert_eq!(expect(&old, &db, &["start"], 0), "started at migration 2\n");
    Connection::open(&db)
        .unwrap()
        .execute_batch(
            "INSERT INTO notes (title) VALUES ('buy milk'), ('call mom');
             INSERT INTO tags (name) VALUES ('home');",
        )
        .unwrap();

    // Release 2 is deployed and migrates.
    assert_eq!(expect(&new, &db, &["start"], 0), "started at migration 4\n");
    Connection::open(&db)
        .unwrap()
        .execute_batch(
            "UPDATE notes SET priority = 2 WHERE title = 'call mom';
             INSERT INTO archive (note_id, archived_at) VALUES (1, '2026-01-01');",
        )
        .unwrap();

    // Release 2 is bad: release 1 refuses the database it left...
    let refused = app(&old, &db, &["start"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("this database has migrations that this binary does not know: 3 (add_priority), 4 (archive)"),
        "{}",
        text(&refused.stderr)
    );
    let status = expect(&old, &db, &["migrate", "status", "--check"], 1);
    assert!(
        status.contains("unknown to this binary") && status.contains("`down --to 2`"),
        "{status}"
    );

    // ...shows what it would run, then reverts it, with no migration 3 or 4 of its own.
    let dry_run = expect(&old, &db, &["migrate", "down", "--to", "2", "--dry-run"], 0);
    assert!(
        dry_run.starts_with(
            "-- [1/2] revert migration 4 (archive), with the down script recorded in the history\n\
             DROP TABLE archive;\n\n\
             -- [2/2] revert migration 3 (add_priority), with the down script recorded in the history\n\
             DROP INDEX notes_priority;\nALTER TABLE notes DROP COLUMN priority;\n"
        ),
        "{dry_run}"
    );
    let reverted = expect(&old, &db, &["migrate", "down", "--to", "2", "--yes"], 0);
    assert!(
        reverted.starts_with(
            "reverted 2 migration(s): 4 (archive, with the down script recorded in the history), \
             3 (add_priority, with the down script recorded in the history)\n"
        ),
        "{reverted}"
    );

    // The schema is release 1's again, the data is kept, and release 1 starts.
    let conn = Connection::open(&db).unwrap();
    assert_eq!(history_versions(&conn).unwrap(), [1, 2]);
    assert_eq!(
        object_names(&conn, "table").unwrap(),
        ["_migrate_history", "notes", "tags"]
    );
    assert_eq!(object_names(&conn, "index").unwrap(), Vec::<String>::new());
    assert_eq!(columns(&conn, "notes").unwrap(), ["id", "title"]);
    assert_eq!(titles(&conn), ["buy milk", "call mom"]);
    drop(conn);
    assert_eq!(
        expect(&old, &db, &["migrate", "verify"], 0),
        "schema matches what the migrations up to version 2 make\n"
    );
    expect(&old, &db, &["migrate", "status", "--check"], 0);
    assert_eq!(expect(&old, &db, &["start"], 0), "started at migration 2\n");

    // Fixed later, release 2 applies its migrations again.
    assert_eq!(expect(&new, &db, &["start"], 0), "started at migration 4\n");
}
