//! `migrate status --db FILE`: the folder read at run time, a real database
//! file, and the status table of the CLI applications embed.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use migrate_build_support::read_folder;
use migrate_runtime::{Migration, Migrator};

/// A crate root with a `migrations` folder of three migrations, and a
/// database path beside it.
struct App {
    root: tempfile::TempDir,
}

impl App {
    fn new() -> Self {
        let app = App {
            root: tempfile::tempdir().expect("a temporary folder"),
        };
        app.write(
            "0001_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
        );
        app.write(
            "0002_posts.up.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id));\n\
             CREATE INDEX posts_user_id ON posts (user_id);\n",
        );
        app.write("0002_posts.down.sql", "DROP TABLE posts;\n");
        app.write(
            "0003_tags.sql",
            "CREATE TABLE tags (name TEXT PRIMARY KEY);\n",
        );
        app
    }

    fn write(&self, file: &str, sql: &str) {
        let folder = self.root.path().join("migrations");
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join(file), sql).unwrap();
    }

    fn db(&self) -> PathBuf {
        self.root.path().join("app.db")
    }

    /// The folder's migrations, as the application would embed them.
    fn migrator(&self) -> Migrator {
        let sources = read_folder(self.root.path(), "migrations").expect("a valid folder");
        let migrations: Vec<Migration> = sources.into_iter().map(|s| s.migration).collect();
        Migrator::new(Vec::leak(migrations))
    }

    /// Applies the first `count` migrations of the folder to the database.
    fn apply(&self, count: usize) {
        let all = self.migrator().migrations();
        Migrator::new(&all[..count]).open(self.db()).unwrap();
    }

    /// `migrate status --db <db> --root <root> <args>`: exit code and stdout.
    fn status(&self, args: &[&str]) -> (i32, String) {
        let output = Command::cargo_bin("migrate")
            .unwrap()
            .args(["status", "--db"])
            .arg(self.db())
            .arg("--root")
            .arg(self.root.path())
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.is_empty() || stderr.starts_with("note: "),
            "{stderr}"
        );
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
        )
    }
}

/// Times and durations filtered out of snapshots.
fn filtered() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "[time]");
    settings.add_filter(r"\b\d+ ms\b", "[duration]");
    settings
}

#[test]
fn status_shows_the_embeddable_clis_table_for_a_real_file() {
    let app = App::new();
    app.apply(2);

    let (code, stdout) = app.status(&[]);

    assert_eq!(code, 0);
    let conn = migrate_runtime::rusqlite::Connection::open(app.db()).unwrap();
    let table = migrate_runtime::cli::status_table(&app.migrator().status(&conn).unwrap());
    assert!(stdout.starts_with(&table), "{stdout}");
    filtered().bind(|| insta::assert_snapshot!("status_partial", stdout));
    assert_eq!(app.status(&["--check"]).0, 3);
    let (_, json) = app.status(&["--json"]);
    assert!(json.contains("\"state\": \"pending\""), "{json}");
}

#[test]
fn status_sees_an_edited_file_and_a_migration_the_folder_lost() {
    let app = App::new();
    app.apply(3);
    assert_eq!(app.status(&["--check"]).0, 0);

    app.write(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);\n",
    );
    fs::remove_file(app.root.path().join("migrations/0003_tags.sql")).unwrap();

    let (code, stdout) = app.status(&["--check"]);
    assert_eq!(code, 1, "{stdout}");
    filtered().bind(|| insta::assert_snapshot!("status_amiss", stdout));
}

#[test]
fn status_of_a_missing_file_creates_nothing() {
    let app = App::new();
    let (code, stdout) = app.status(&["--check"]);
    assert_eq!(code, 3);
    assert!(stdout.contains("3 pending"), "{stdout}");
    assert!(!Path::new(&app.db()).exists());
}

#[test]
fn status_needs_a_database() {
    let app = App::new();
    Command::cargo_bin("migrate")
        .unwrap()
        .args(["status", "--root"])
        .arg(app.root.path())
        .assert()
        .code(2);
}
