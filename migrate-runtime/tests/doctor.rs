//! `Migrator::diagnose`: what an operator looks at, read without changing
//! the database.

mod common;

use common::*;
use migrate_runtime::{Error, State, WriteLock};

#[test]
fn a_sound_database_up_to_date() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());
    let before = dump(&path);

    let diagnosis = MIGRATOR.diagnose(&path).unwrap();

    assert!(diagnosis.is_sound(), "{diagnosis:?}");
    assert_eq!(diagnosis.journal_mode, "wal");
    assert_eq!(diagnosis.write_lock, WriteLock::Free);
    assert_eq!(diagnosis.integrity, ["ok"]);
    assert!(diagnosis.status.is_up_to_date());
    assert_eq!(diagnosis.files.path, path);
    assert!(diagnosis.file_bytes > 0);
    assert!(diagnosis.files.holders.is_empty(), "{diagnosis:?}");
    assert_eq!(dump(&path), before);
}

#[test]
fn a_held_write_lock_dangling_rows_and_pending_migrations_are_seen() {
    let (_dir, path) = temp_db();
    drop(first(2).open(&path).unwrap());
    let conn = inspect(&path);
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO posts (user_id, body) VALUES (99, 'orphan');
         BEGIN IMMEDIATE;",
    )
    .unwrap();

    let diagnosis = MIGRATOR.clone().diagnose(&path).unwrap();

    assert_eq!(diagnosis.write_lock, WriteLock::Held);
    assert_eq!(diagnosis.foreign_key_violations.len(), 1);
    assert_eq!(diagnosis.foreign_key_violations[0].table, "posts");
    assert_eq!(diagnosis.foreign_key_violations[0].parent, "users");
    assert!(!diagnosis.is_sound());
    let pending: Vec<State> = diagnosis.status.pending().map(|m| m.state).collect();
    assert_eq!(pending, [State::Pending, State::Pending]);
    conn.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_missing_file_is_an_error_and_is_not_created() {
    let (_dir, path) = temp_db();
    let error = MIGRATOR.diagnose(&path).unwrap_err();
    assert!(matches!(error, Error::NoDatabase { .. }), "{error}");
    assert!(
        error.to_string().starts_with("there is no database at "),
        "{error}"
    );
    assert!(!path.exists());
}
