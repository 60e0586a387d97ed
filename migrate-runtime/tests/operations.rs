//! Operations asked for explicitly: apply up to a target, the dry run and
//! repair.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Direction, Error, Operation, ScriptSource, State, Step, Target};

fn applied_versions(report: &migrate_runtime::Report) -> Vec<u64> {
    report.applied.iter().map(|a| a.version).collect()
}

/// The database file and any -wal beside it, byte for byte.
fn file_bytes(path: &Path) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (fs::read(path).unwrap(), fs::read(wal).ok())
}

#[test]
fn up_to_a_version_applies_the_pending_migrations_up_to_it() {
    let (_dir, path) = temp_db();
    let mut conn = Connection::open(&path).unwrap();

    let report = MIGRATOR.up_to(&mut conn, 2).unwrap();

    assert_eq!(applied_versions(&report), [1, 2]);
    assert_eq!(history_versions(&conn), [1, 2]);
    assert_eq!(tables(&conn), ["_migrate_history", "posts", "users"]);
    assert_eq!(user_version(&conn), fingerprint_of(&MIGRATIONS[..2]));
    assert_eq!(applied_versions(&MIGRATOR.run(&mut conn).unwrap()), [3, 4]);
}

#[test]
fn up_to_a_migration_constant() {
    let (_dir, path) = temp_db();
    let mut conn = Connection::open(&path).unwrap();

    let report = MIGRATOR.up_to(&mut conn, V2_CREATE_POSTS).unwrap();

    assert_eq!(applied_versions(&report), [1, 2]);
    assert_eq!(Target::from(V2_CREATE_POSTS), Target::version(2));
    let report = MIGRATOR.up_to(&mut conn, V4_VACUUM).unwrap();
    assert_eq!(applied_versions(&report), [3, 4]);
    assert!(MIGRATOR.status(&conn).unwrap().is_up_to_date());
}

#[test]
fn up_to_an_applied_version_does_nothing() {
    let (_dir, path) = temp_db();
    drop(first(3).open(&path).unwrap());
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let report = MIGRATOR.up_to(&mut conn, 2).unwrap();

    assert_eq!(report, Default::default());
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn up_to_a_version_the_binary_does_not_contain_is_refused_naming_it() {
    let (_dir, path) = temp_db();
    drop(first(1).open(&path).unwrap());
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let error = MIGRATOR.up_to(&mut conn, 7).unwrap_err();

    assert!(
        matches!(
            error,
            Error::NotInBinary {
                version: 7,
                operation: "apply migrations up to"
            }
        ),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("migration 7"), "{message}");
    assert!(message.contains("V<version>_<NAME>"), "{message}");
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn up_to_takes_a_backup_named_for_the_target() {
    let (dir, path) = temp_db();
    drop(first(1).open(&path).unwrap());
    inspect(&path)
        .execute("INSERT INTO users (name) VALUES ('ada')", [])
        .unwrap();

    let mut conn = Connection::open(&path).unwrap();
    MIGRATOR.up_to(&mut conn, 2).unwrap();

    let backups = file_names(&dir.path().join("backups"));
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(backups[0].ends_with(".v1-to-v2.sqlite"), "{backups:?}");
}

#[test]
fn dry_run_up_returns_the_exact_sql_in_order_and_changes_nothing() {
    let (_dir, path) = temp_db();
    drop(first(1).open(&path).unwrap());
    let before = file_bytes(&path);

    let conn = Connection::open(&path).unwrap();
    let steps = MIGRATOR
        .dry_run(&conn, Operation::UpTo(Target::version(3)))
        .unwrap();

    let expected: Vec<Step> = MIGRATIONS[1..3]
        .iter()
        .map(|m| Step {
            version: m.version(),
            name: m.name().to_string(),
            direction: Direction::Up,
            sql: m.up().sql().to_string(),
            directives: m.up().directives(),
            source: ScriptSource::Binary,
        })
        .collect();
    assert_eq!(steps, expected);
    assert!(steps[1].directives.foreign_keys_off());
    let all = MIGRATOR.dry_run(&conn, Operation::Up).unwrap();
    assert_eq!(all.iter().map(|s| s.version).collect::<Vec<_>>(), [2, 3, 4]);
    drop(conn);
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn dry_run_revert_returns_the_down_scripts_newest_first_and_changes_nothing() {
    let (_dir, path) = temp_db();
    let chain = migrator(vec![
        with_down(
            1,
            "users",
            "CREATE TABLE users (id INTEGER);",
            "DROP TABLE users;",
            1,
        ),
        with_down(
            2,
            "posts",
            "CREATE TABLE posts (id INTEGER);",
            "DROP TABLE posts;",
            2,
        ),
        with_down(
            3,
            "tags",
            "CREATE TABLE tags (id INTEGER);",
            "DROP TABLE tags;",
            3,
        ),
    ]);
    drop(chain.open(&path).unwrap());
    let before = file_bytes(&path);

    let conn = Connection::open(&path).unwrap();
    let steps = chain.dry_run(&conn, Operation::RevertSteps(2)).unwrap();
    // An older binary: migration 3 comes from the history.
    let older = migrator(chain.migrations()[..2].to_vec());
    let from_history = older.dry_run(&conn, Operation::RevertTo(1.into())).unwrap();

    let summary = |steps: &[Step]| -> Vec<(u64, Direction, String, ScriptSource)> {
        steps
            .iter()
            .map(|s| (s.version, s.direction, s.sql.clone(), s.source))
            .collect()
    };
    assert_eq!(
        summary(&steps),
        [
            (
                3,
                Direction::Down,
                "DROP TABLE tags;".into(),
                ScriptSource::Binary
            ),
            (
                2,
                Direction::Down,
                "DROP TABLE posts;".into(),
                ScriptSource::Binary
            ),
        ]
    );
    assert_eq!(
        summary(&from_history),
        [
            (
                3,
                Direction::Down,
                "DROP TABLE tags;".into(),
                ScriptSource::History
            ),
            (
                2,
                Direction::Down,
                "DROP TABLE posts;".into(),
                ScriptSource::Binary
            ),
        ]
    );
    drop(conn);
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn dry_run_refuses_what_the_operation_would_refuse() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());
    let conn = inspect(&path);

    // Migrations 3 and 4 of the fixtures have no down script.
    let error = MIGRATOR
        .dry_run(&conn, Operation::RevertTo(1.into()))
        .unwrap_err();
    let Error::NoDownScript { ref migrations } = error else {
        panic!("expected NoDownScript, got {error}");
    };
    assert_eq!(
        migrations,
        &[
            (4, "vacuum".to_string()),
            (3, "users_name_unique".to_string())
        ]
    );
    let steps = MIGRATOR.dry_run(&conn, Operation::Up).unwrap();
    assert_eq!(steps, []);
}

#[test]
fn repair_accepts_the_binarys_checksum_and_the_next_start_proceeds() {
    let (_dir, path) = temp_db();
    drop(
        migrator(vec![create_table(1, "tags"), create_table(2, "notes")])
            .open(&path)
            .unwrap(),
    );
    // Migration 1 reformatted after it was applied; migration 3 is new.
    let edited = migrator(vec![
        migration(
            1,
            "tags",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY,   body TEXT);",
            0xee,
        ),
        create_table(2, "notes"),
        create_table(3, "labels"),
    ]);
    let mut conn = Connection::open(&path).unwrap();
    assert!(matches!(
        edited.run(&mut conn).unwrap_err(),
        Error::ChecksumMismatch { version: 1, .. }
    ));

    let repaired = edited.repair(&mut conn, 1).unwrap();

    assert_eq!((repaired.version, repaired.name.as_str()), (1, "tags"));
    assert_eq!(repaired.previous, "01".repeat(32));
    assert_eq!(repaired.checksum.to_hex(), "ee".repeat(32));
    assert_eq!(history(&conn)[0].checksum, "ee".repeat(32));
    assert_eq!(history_versions(&conn), [1, 2], "nothing applied by repair");
    let status = edited.status(&conn).unwrap();
    assert_eq!(status.migrations[0].state, State::Applied);
    assert_eq!(applied_versions(&edited.run(&mut conn).unwrap()), [3]);
    assert_eq!(user_version(&conn), fingerprint_of(edited.migrations()));
    drop(conn);
    // Only the fast path can accept the database without its history.
    inspect(&path)
        .execute_batch("DROP TABLE _migrate_history")
        .unwrap();
    edited.open(&path).unwrap();
}

#[test]
fn repair_of_the_last_change_restores_the_fast_path_at_once() {
    let (_dir, path) = temp_db();
    drop(migrator(vec![create_table(1, "tags")]).open(&path).unwrap());
    let edited = migrator(vec![migration(1, "tags", "CREATE TABLE tags (id);", 0xee)]);

    let mut conn = Connection::open(&path).unwrap();
    edited.repair(&mut conn, 1).unwrap();

    assert_eq!(user_version(&conn), fingerprint_of(edited.migrations()));
}

#[test]
fn repair_of_a_migration_not_applied_or_not_in_the_binary_is_refused() {
    let (_dir, path) = temp_db();
    drop(first(2).open(&path).unwrap());
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let not_applied = MIGRATOR.repair(&mut conn, 3).unwrap_err();
    let not_in_binary = first(2).repair(&mut conn, 3).unwrap_err();

    let Error::NotApplied { version, ref name } = not_applied else {
        panic!("expected NotApplied, got {not_applied}");
    };
    assert_eq!((version, name.as_str()), (3, "users_name_unique"));
    assert!(not_applied.to_string().contains("apply it instead"));
    assert!(
        matches!(
            not_in_binary,
            Error::NotInBinary {
                version: 3,
                operation: "repair"
            }
        ),
        "{not_in_binary}"
    );
    drop(conn);
    assert_eq!(dump(&path), before);
}
