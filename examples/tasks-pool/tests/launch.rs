//! The app as its users run it: a real process on a real file.

use std::path::Path;
use std::process::{Command, Output};

use migrate_runtime::rusqlite::Connection;

fn tasks(db: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_tasks-pool"))
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

migrate_runtime::embed_migrations!("migrations");

#[test]
fn the_pooled_connection_migrates_a_first_release_database_and_the_threads_share_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tasks.db");
    // A database of the first release, with a task in it.
    let mut conn = Connection::open(&db).unwrap();
    migrations::MIGRATOR
        .up_to(&mut conn, migrations::V1_CREATE_TASKS)
        .unwrap();
    conn.execute("INSERT INTO tasks (title) VALUES ('older')", [])
        .unwrap();
    drop(conn);

    let first = tasks(&db, &["add", "ana", "write", "the", "report"]);
    assert_eq!(
        String::from_utf8_lossy(&first.stderr),
        "applied 1 migration(s)\n"
    );
    let second = tasks(&db, &["add", "ben", "file", "taxes"]);
    assert_eq!(
        String::from_utf8_lossy(&second.stderr),
        "",
        "nothing pending"
    );
    tasks(&db, &["add", "ana", "call", "the", "bank"]);

    let listed = tasks(&db, &["list"]);
    assert_eq!(
        String::from_utf8(listed.stdout).unwrap(),
        "ana: write the report, call the bank\nben: file taxes\n"
    );
    let conn = Connection::open(&db).unwrap();
    let (older, versions): (String, i64) = conn
        .query_row(
            "SELECT (SELECT title FROM tasks WHERE id = 1), (SELECT count(*) FROM _migrate_history)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((older.as_str(), versions), ("older", 2));
}
