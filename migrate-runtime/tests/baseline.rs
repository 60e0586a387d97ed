//! Baseline: a database whose schema was made by hand is recorded as
//! migrated up to a version, without running anything, once its schema is
//! shown to be the one those migrations make.

mod common;

use std::time::Duration;

use common::*;
use migrate_runtime::rusqlite::{Connection, TransactionBehavior};
use migrate_runtime::{Baselined, Error, Report, State, Status};

fn states(status: &Status) -> Vec<(u64, State)> {
    status
        .migrations
        .iter()
        .map(|m| (m.version, m.state))
        .collect()
}

#[test]
fn a_database_made_by_hand_is_baselined_then_migrated_from_there() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..2]);
    conn.execute("INSERT INTO users (name) VALUES ('ada')", [])
        .unwrap();

    let baselined = MIGRATOR.baseline(&mut conn, V2_CREATE_POSTS).unwrap();

    assert_eq!(
        baselined,
        Baselined {
            version: 2,
            recorded: vec![(1, "create_users".into()), (2, "create_posts".into())],
        }
    );
    let rows = history(&conn);
    assert_eq!(history_versions(&conn), [1, 2]);
    for (row, migration) in rows.iter().zip(MIGRATIONS) {
        assert_eq!(row.name, migration.name());
        assert_eq!(row.checksum, migration.checksum().to_hex());
        assert_eq!(row.duration_ms, 0);
        assert!(row.applied_at.ends_with('Z'), "{}", row.applied_at);
    }
    assert_eq!(rows[0].down_sql, None);
    assert_eq!(
        rows[1].down_sql.as_deref(),
        Some(MIGRATIONS[1].down().unwrap().sql())
    );
    assert_eq!(user_version(&conn), fingerprint_of(&MIGRATIONS[..2]));
    let status = MIGRATOR.status(&conn).unwrap();
    assert_eq!(
        states(&status),
        [
            (1, State::Applied),
            (2, State::Applied),
            (3, State::Pending),
            (4, State::Pending)
        ]
    );
    assert!(MIGRATOR.verify(&conn).unwrap().is_ok());

    let report = MIGRATOR.run(&mut conn).unwrap();

    let applied: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(applied, [3, 4]);
    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
    let name: String = conn
        .query_row("SELECT name FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(name, "ada");
    assert_eq!(user_version(&conn), fingerprint_of(MIGRATIONS));
    // The fast path: with the history gone, a start that read it would
    // apply migration 1 again and fail on the existing table.
    conn.execute_batch("DROP TABLE _migrate_history").unwrap();
    assert_eq!(MIGRATOR.run(&mut conn).unwrap(), Report::default());
}

#[test]
fn a_baseline_at_the_newest_migration_makes_the_next_start_a_no_op() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, MIGRATIONS);

    let baselined = MIGRATOR.baseline(&mut conn, 4).unwrap();

    assert_eq!(baselined.recorded.len(), 4);
    assert_eq!(user_version(&conn), fingerprint_of(MIGRATIONS));
    drop(conn);
    let before = dump(&path);
    let conn = MIGRATOR.open(&path).unwrap();
    assert!(MIGRATOR.status(&conn).unwrap().is_up_to_date());
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_schema_that_differs_is_refused_listing_the_differences() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..2]);
    conn.execute_batch(
        "DROP INDEX posts_user_id;
         ALTER TABLE users ADD COLUMN email TEXT;",
    )
    .unwrap();
    let before = dump(&path);

    let error = MIGRATOR.baseline(&mut conn, 2).unwrap_err();

    let Error::SchemaDiffers {
        ref operation,
        version,
        ref drift,
    } = error
    else {
        panic!("expected SchemaDiffers, got {error}");
    };
    assert_eq!(operation, "baseline at migration 2");
    assert_eq!(version, 2);
    assert_eq!(drift.len(), 2, "{drift:?}");
    let message = error.to_string();
    assert!(
        message.starts_with(
            "cannot baseline at migration 2: the migrations up to version 2 would be \
             recorded as applied without running, but the database's schema is not the one \
             they make:\n- table `users` differs\n    expected: CREATE TABLE users ("
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "\n- index `posts_user_id` is missing; expected:\n    \
             CREATE INDEX posts_user_id ON posts (user_id)\n"
        ),
        "{message}"
    );
    assert!(message.contains("Nothing was changed"), "{message}");
    assert!(!tables(&conn).contains(&"_migrate_history".to_string()));
    assert_eq!(user_version(&conn), 0);
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_database_with_a_history_is_refused_pointing_to_status_and_verify() {
    let (_dir, path) = temp_db();
    drop(first(2).open(&path).unwrap());
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let error = MIGRATOR.baseline(&mut conn, 2).unwrap_err();

    assert!(
        matches!(
            error,
            Error::AlreadyHasHistory {
                applied: 2,
                newest: 2,
                ..
            }
        ),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(
            "cannot baseline at migration 2: this database already has a migration history \
             in _migrate_history (2 migrations applied, the newest 2 (create_posts))"
        ),
        "{message}"
    );
    assert!(message.contains("Migrator::status"), "{message}");
    assert!(message.contains("Migrator::verify"), "{message}");
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_target_the_binary_does_not_contain_is_refused() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..1]);
    let before = dump(&path);

    let error = MIGRATOR.baseline(&mut conn, 7).unwrap_err();

    assert!(
        matches!(
            error,
            Error::NotInBinary {
                version: 7,
                operation: "baseline at"
            }
        ),
        "{error}"
    );
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_baseline_waits_for_the_write_lock_and_says_who_holds_it() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..1]);
    conn.busy_timeout(Duration::from_millis(100)).unwrap();
    let mut writer = Connection::open(&path).unwrap();
    let holding = writer
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();

    let error = MIGRATOR.baseline(&mut conn, 1).unwrap_err();

    assert!(matches!(error, Error::Locked(_)), "{error}");
    holding.rollback().unwrap();
    assert!(!tables(&conn).contains(&"_migrate_history".to_string()));
}

#[test]
fn a_schema_written_with_other_spacing_and_case_is_the_same_schema() {
    let (_dir, path) = temp_db();
    let users = migration(
        1,
        "users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        1,
    );
    let mut conn = Connection::open(&path).unwrap();
    conn.execute_batch("create table users(id integer primary key, name text not null);")
        .unwrap();
    let baselined = migrator(vec![users]).baseline(&mut conn, 1).unwrap();
    assert_eq!(baselined.version, 1);
}
