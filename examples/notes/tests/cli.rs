//! Runs the built `notes` binary on databases in a temporary folder: the
//! migrations are applied on the first start only, recorded in the history
//! table, and the rebuild of `notes` (migration 5) really took place.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::Migrator;

// The same folder the binary embeds, to migrate a database part of the way.
migrate_runtime::embed_migrations!("migrations");

/// What one run of the binary printed.
struct Run {
    stdout: String,
    stderr: String,
}

/// Runs `notes --db <db> <args>`, logging at the default level, and returns
/// what it printed; panics with its stderr if it failed.
fn notes(db: &Path, args: &[&str]) -> Run {
    let output = command(db, args);
    let run = Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        output.status.success(),
        "notes {args:?} failed:\n{}",
        run.stderr
    );
    run
}

/// Runs `notes --db <db> <args>` with no `RUST_LOG` or `NOTES_DB` from outside.
fn command(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_notes"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("NOTES_DB")
        .output()
        .expect("the notes binary runs")
}

/// `(version, name)` of every migration file in `migrations/`, by version.
fn migration_files() -> Vec<(i64, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut found: Vec<(i64, String)> = std::fs::read_dir(dir)
        .expect("the migrations folder is readable")
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|file| file.ends_with(".sql") && !file.ends_with(".down.sql"))
        .map(|file| {
            let stem = file.trim_end_matches(".sql").trim_end_matches(".up");
            let (version, name) = stem.split_once('_').expect("NNNN_description.sql");
            (
                version.parse().expect("a numeric version"),
                name.to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

/// A database path in a fresh temporary folder, kept alive by the guard.
fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("notes.db");
    (dir, db)
}

#[test]
fn first_start_migrates_and_second_start_has_nothing_to_do() {
    let (_dir, db) = temp_db();
    let files = migration_files();
    assert!(
        files.len() >= 5,
        "expected at least five migrations, found {files:?}"
    );

    let first = notes(&db, &["add", "buy", "milk", "--tag", "Home"]);
    assert!(
        first.stdout.contains("added note 1: buy milk #home"),
        "{}",
        first.stdout
    );
    assert_eq!(
        first.stderr.matches("applied migration").count(),
        files.len(),
        "{}",
        first.stderr
    );
    for (_, name) in &files {
        assert!(
            first.stderr.contains(name.as_str()),
            "{name} not logged:\n{}",
            first.stderr
        );
    }

    let second = notes(&db, &["list"]);
    assert!(
        second.stdout.contains("buy milk #home"),
        "{}",
        second.stdout
    );
    assert!(
        second
            .stderr
            .contains("database is up to date; no migration to apply"),
        "{}",
        second.stderr
    );
    assert!(
        !second.stderr.contains("applied migration"),
        "{}",
        second.stderr
    );

    let conn = Connection::open(&db).expect("the database opens");
    let mut statement = conn
        .prepare("SELECT version, name FROM _migrate_history ORDER BY version")
        .expect("the history table exists");
    let history: Vec<(i64, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("the history is readable")
        .collect::<Result<_, _>>()
        .expect("the history rows are readable");
    assert_eq!(history, files);
}

#[test]
fn the_rebuilt_table_enforces_its_new_constraints() {
    let (_dir, db) = temp_db();
    notes(&db, &["add", "water", "plants"]);
    let conn = Connection::open(&db).expect("the database opens");
    for bad in [
        "INSERT INTO notes (title) VALUES (NULL)",
        "INSERT INTO notes (title) VALUES ('   ')",
        "INSERT INTO notes (title, done) VALUES ('call mom', 2)",
    ] {
        let error = conn.execute(bad, []).expect_err(bad).to_string();
        assert!(error.contains("constraint failed"), "{bad}: {error}");
    }
    conn.execute("INSERT INTO notes (title) VALUES ('call mom')", [])
        .expect("a valid note is accepted");
}

#[test]
fn the_rebuild_keeps_existing_notes_and_their_tags() {
    let (_dir, db) = temp_db();
    let before_rebuild = Migrator::new(&migrations::MIGRATIONS[..4]);
    let conn = before_rebuild.open(&db).expect("migrations 1 to 4 apply");
    conn.execute_batch(
        "INSERT INTO notes (id, title) VALUES (1, 'buy milk'), (2, NULL), (3, '  ');
         INSERT INTO tags (id, name) VALUES (1, 'home');
         INSERT INTO note_tags (note_id, tag_id) VALUES (1, 1), (2, 1);
         UPDATE notes SET done = 7 WHERE id = 3;",
    )
    .expect("rows fit the schema of migration 4");
    drop(conn);

    let run = notes(&db, &["list", "--all"]);
    assert_eq!(
        run.stderr.matches("applied migration").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rebuild_notes_with_checks"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("   1 [ ] buy milk #home"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("   2 [ ] (untitled) #home"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("   3 [x] (untitled)"), "{}", run.stdout);

    let conn = Connection::open(&db).expect("the database opens");
    let links: i64 = conn
        .query_row("SELECT count(*) FROM note_tags", [], |row| row.get(0))
        .expect("note_tags is readable");
    assert_eq!(
        links, 2,
        "dropping the old table must not cascade to note_tags"
    );
    let parent: String = conn
        .query_row(
            "SELECT \"table\" FROM pragma_foreign_key_list('note_tags') WHERE \"from\" = 'note_id'",
            [],
            |row| row.get(0),
        )
        .expect("note_tags still has its foreign key");
    assert_eq!(parent, "notes");
}

#[test]
fn errors_are_sentences_and_fail_the_run() {
    let (_dir, db) = temp_db();
    let output = command(&db, &["done", "42"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: there is no note 42"), "{stderr}");
}
