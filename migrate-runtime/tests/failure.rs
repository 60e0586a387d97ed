//! A migration that fails at run time: nothing of the run stays applied,
//! and the error reads as a sentence.

mod common;

use common::*;
use migrate_runtime::rusqlite::{Connection, ErrorCode};
use migrate_runtime::Error;

const CREATE_USERS: &str = "CREATE TABLE users (name TEXT NOT NULL UNIQUE);";
const INSERT_ADA: &str = "INSERT INTO users (name) VALUES ('ada');";
const CREATE_TAGS: &str = "CREATE TABLE tags (name TEXT NOT NULL);";

/// A database at migration 1, with ada in it.
fn database_with_ada(path: &std::path::Path) {
    let conn = migrator(vec![migration(1, "create_users", CREATE_USERS, 1)])
        .open(path)
        .unwrap();
    conn.execute_batch(INSERT_ADA).unwrap();
}

#[test]
fn failing_migration_on_a_fresh_file_leaves_it_empty() {
    let (_dir, path) = temp_db();
    let chain = migrator(vec![
        migration(
            1,
            "create_users",
            &format!("{CREATE_USERS}\n{INSERT_ADA}"),
            1,
        ),
        migration(2, "add_ada_again", INSERT_ADA, 2),
    ]);
    let error = chain.open(&path).unwrap_err();

    let Error::Migration {
        version,
        ref name,
        ref source,
        ref recovery,
    } = error
    else {
        panic!("expected Migration, got {error}");
    };
    assert_eq!((version, name.as_str()), (2, "add_ada_again"));
    assert_eq!(*recovery, migrate_runtime::Recovery::RolledBack);
    assert_eq!(
        source.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation)
    );
    assert_eq!(
        tables(&inspect(&path)),
        Vec::<String>::new(),
        "not even the history table"
    );
}

#[test]
fn failing_migration_rolls_back_the_earlier_ones_of_the_run() {
    let (_dir, path) = temp_db();
    database_with_ada(&path);
    let before = dump(&path);

    let chain = migrator(vec![
        migration(1, "create_users", CREATE_USERS, 1),
        migration(2, "create_tags", CREATE_TAGS, 2),
        migration(3, "add_ada_again", INSERT_ADA, 3),
    ]);
    let error = chain.open(&path).unwrap_err();

    assert!(
        matches!(error, Error::Migration { version: 3, .. }),
        "{error}"
    );
    let conn = inspect(&path);
    assert_eq!(
        history_versions(&conn),
        [1],
        "no history row of migration 2"
    );
    assert!(
        !tables(&conn).contains(&"tags".to_string()),
        "no table of migration 2"
    );
    assert_eq!(dump(&path), before);
}

#[test]
fn failed_run_can_be_retried_once_the_data_is_fixed() {
    let (_dir, path) = temp_db();
    database_with_ada(&path);
    let chain = migrator(vec![
        migration(1, "create_users", CREATE_USERS, 1),
        migration(2, "create_tags", CREATE_TAGS, 2),
        migration(3, "add_ada_again", INSERT_ADA, 3),
    ]);
    chain.open(&path).unwrap_err();

    inspect(&path).execute_batch("DELETE FROM users").unwrap();
    let conn = chain.open(&path).unwrap();
    assert_eq!(history_versions(&conn), [1, 2, 3]);
}

#[test]
fn migration_error_message_names_the_migration_and_the_rollback() {
    let (_dir, path) = temp_db();
    database_with_ada(&path);
    let chain = migrator(vec![
        migration(1, "create_users", CREATE_USERS, 1),
        migration(2, "add_ada_again", INSERT_ADA, 2),
    ]);
    let message = chain.open(&path).unwrap_err().to_string();

    assert!(
        message.starts_with("migration 2 (add_ada_again) failed: "),
        "{message}"
    );
    assert!(
        message.contains("UNIQUE constraint failed: users.name"),
        "{message}"
    );
    assert!(message.contains("rolled back"), "{message}");
}

#[test]
fn debug_output_is_the_display_message() {
    let (_dir, path) = temp_db();
    database_with_ada(&path);
    let from_a_run = migrator(vec![
        migration(1, "create_users", CREATE_USERS, 1),
        migration(2, "add_ada_again", INSERT_ADA, 2),
    ])
    .open(&path)
    .unwrap_err();
    let edited = migrator(vec![migration(1, "create_users", CREATE_USERS, 9)])
        .open(&path)
        .unwrap_err();
    let built = Error::UnknownVersions {
        versions: vec![(7, "add_tags".into()), (8, "add_likes".into())],
    };

    for error in [from_a_run, edited, built] {
        assert_eq!(format!("{error:?}"), error.to_string());
        assert!(!format!("{error:?}").contains('{'), "{error:?}");
    }
}

/// Migration 1, then a `no-transaction` migration 2 whose last statement fails.
fn vacuum_then_failure() -> migrate_runtime::Migrator {
    migrator(vec![
        migration(
            1,
            "create_users",
            &format!("{CREATE_USERS}\n{INSERT_ADA}"),
            1,
        ),
        migration(
            2,
            "vacuum_then_ada",
            &format!("-- migrate: no-transaction\nVACUUM;\n{CREATE_TAGS}\n{INSERT_ADA}"),
            2,
        ),
    ])
}

/// A `no-transaction` migration cannot be rolled back: the backup taken
/// before its first statement is copied back, and the error says so.
#[test]
fn failing_no_transaction_migration_is_restored_from_the_backup() {
    let (dir, path) = temp_db();
    let error = vacuum_then_failure().open(&path).unwrap_err();
    let Error::Migration {
        version: 2,
        recovery:
            migrate_runtime::Recovery::Restored {
                ref backup,
                version: 1,
            },
        ..
    } = error
    else {
        panic!("expected migration 2 restored at 1, got {error}");
    };
    assert!(
        backup.starts_with(dir.path().join("backups")),
        "{}",
        backup.display()
    );
    assert!(backup.is_file());

    // Back at migration 1: the tags table of migration 2's first statements is gone.
    let conn = Connection::open(&path).unwrap();
    assert_eq!(history_versions(&conn), [1]);
    assert_eq!(tables(&conn), ["_migrate_history", "users"]);
    let message = error.to_string();
    assert!(message.contains("restored from the backup"), "{message}");
    assert!(message.contains("back at migration 1"), "{message}");
}

/// Without backups, what ran of a `no-transaction` migration stays, and the
/// error says so instead of claiming a rollback.
#[test]
fn failing_no_transaction_migration_without_backups_says_what_stays() {
    let (_dir, path) = temp_db();
    let chain = vacuum_then_failure().backups(migrate_runtime::Backups::disabled());
    let error = chain.open(&path).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Migration {
                version: 2,
                recovery: migrate_runtime::Recovery::NotRecovered,
                ..
            }
        ),
        "{error}"
    );
    let conn = Connection::open(&path).unwrap();
    assert_eq!(history_versions(&conn), [1]);
    assert_eq!(tables(&conn), ["_migrate_history", "tags", "users"]);
    let message = error.to_string();
    assert!(!message.contains("rolled back"), "{message}");
    assert!(message.contains("outside a transaction"), "{message}");
}
