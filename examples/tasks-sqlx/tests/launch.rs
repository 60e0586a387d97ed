//! The app as its users run it: a real process on a real file.

use std::path::Path;
use std::process::{Command, Output};

use migrate_runtime::rusqlite::Connection;

fn tasks(db: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_tasks-sqlx"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn history(db: &Path) -> Vec<(i64, String)> {
    let conn = Connection::open(db).unwrap();
    let mut statement = conn
        .prepare("SELECT version, name FROM _migrate_history ORDER BY version")
        .unwrap();
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)));
    rows.unwrap().map(Result::unwrap).collect()
}

#[test]
fn the_first_launch_migrates_before_sqlx_queries_and_later_ones_find_it_done() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tasks.db");

    tasks(&db, &["add", "write", "the", "report"]);
    assert_eq!(
        history(&db),
        [
            (20240105093000, "create_tasks".to_string()),
            (20240212181500, "add_done".to_string())
        ]
    );
    tasks(&db, &["add", "file", "taxes"]);
    tasks(&db, &["done", "1"]);
    let listed = tasks(&db, &["list"]);
    assert_eq!(
        String::from_utf8(listed.stdout).unwrap(),
        "[ ] 2 file taxes\n[x] 1 write the report\n"
    );
    // The migrator left the file in WAL mode, which sqlx's pool keeps.
    let conn = Connection::open(&db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(history(&db).len(), 2);
}

// The app's own migrations, to make a database of its first release.
migrate_runtime::embed_migrations!("migrations");

#[test]
fn a_database_of_the_first_release_is_brought_up_to_date_at_launch() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tasks.db");
    let mut conn = Connection::open(&db).unwrap();
    migrations::MIGRATOR
        .up_to(&mut conn, migrations::V20240105093000_CREATE_TASKS)
        .unwrap();
    conn.execute(
        "INSERT INTO tasks (title) VALUES ('from the first release')",
        [],
    )
    .unwrap();
    drop(conn);

    let listed = tasks(&db, &["list"]);

    assert_eq!(history(&db).len(), 2);
    assert_eq!(
        String::from_utf8(listed.stdout).unwrap(),
        "[ ] 1 from the first release\n"
    );
}
