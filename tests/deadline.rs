//! A start whose migrations run past the deadline: a real process on a real
//! file stops, exits non-zero naming the migration and the deadline, and
//! leaves the database exactly as it was; the next start with time enough
//! completes it.

use std::process::Command;
use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::Migrator;
use migrate_tests::{count, history_versions, integrity_check, object_names, user_version};

const PROBE: &str = env!("CARGO_BIN_EXE_migrate-probe");

mod long {
    migrate_runtime::embed_migrations!("fixtures/long");
    pub use migrations::*;
}

/// What must not change: history, tables, the header's fingerprint, rows.
fn state(conn: &Connection) -> (Vec<i64>, Vec<String>, i64, i64) {
    (
        history_versions(conn).unwrap(),
        object_names(conn, "table").unwrap(),
        user_version(conn).unwrap(),
        count(conn, "items").unwrap(),
    )
}

#[test]
fn a_start_past_its_deadline_exits_naming_it_and_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    drop(Migrator::new(&long::MIGRATIONS[..1]).open(&db).unwrap());
    let before = state(&Connection::open(&db).unwrap());

    let started = Instant::now();
    let output = Command::new(PROBE)
        .args([
            "long".as_ref(),
            db.as_os_str(),
            "--deadline-ms".as_ref(),
            "50".as_ref(),
        ])
        .output()
        .expect("run the probe");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error variant: Deadline"), "{stderr}");
    assert!(
        stderr.starts_with("migration 2 (build_big) was stopped after"),
        "{stderr}"
    );
    assert!(stderr.contains("past the deadline of 50ms"), "{stderr}");
    assert!(
        elapsed < Duration::from_secs(5),
        "stopped only after {elapsed:?}"
    );
    let conn = Connection::open(&db).unwrap();
    assert_eq!(integrity_check(&conn).unwrap(), ["ok"]);
    assert_eq!(state(&conn), before);

    let finished = Command::new(PROBE)
        .args(["long".as_ref(), db.as_os_str()])
        .output()
        .unwrap();
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert_eq!(history_versions(&conn).unwrap(), [1, 2]);
}
