//! The status report: what is applied, pending or amiss, read without
//! changing anything, even on databases that `run` refuses.

mod common;

use std::time::Duration;

use common::*;
use migrate_runtime::rusqlite::{Connection, TransactionBehavior};
use migrate_runtime::{MigrationStatus, State, Status};

/// (version, name, state) of each entry.
fn states(status: &Status) -> Vec<(u64, String, State)> {
    status
        .migrations
        .iter()
        .map(|m| (m.version, m.name.clone(), m.state))
        .collect()
}

fn entry(status: &Status, version: u64) -> &MigrationStatus {
    status
        .migrations
        .iter()
        .find(|m| m.version == version)
        .unwrap_or_else(|| panic!("no entry for {version} in {status:?}"))
}

#[test]
fn a_new_empty_database_has_every_migration_pending_and_is_left_empty() {
    let (_dir, path) = temp_db();
    let conn = Connection::open(&path).unwrap();

    let status = MIGRATOR.status(&conn).unwrap();

    let expected: Vec<_> = MIGRATIONS
        .iter()
        .map(|m| (m.version(), m.name().to_string(), State::Pending))
        .collect();
    assert_eq!(states(&status), expected);
    assert!(status
        .migrations
        .iter()
        .all(|m| m.applied_at.is_none() && m.duration.is_none()));
    assert_eq!(status.current_version(), None);
    assert!(!status.is_up_to_date());
    assert!(
        entry(&status, 2).has_down,
        "pending, and the binary has its down"
    );
    assert_eq!(
        tables(&conn),
        Vec::<String>::new(),
        "no history table created"
    );
    assert_eq!(user_version(&conn), 0);
    drop(conn);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "nothing written"
    );
}

#[test]
fn a_partly_migrated_database_shows_applied_and_pending_with_the_history() {
    let (_dir, path) = temp_db();
    drop(first(2).open(&path).unwrap());
    let conn = inspect(&path);
    let recorded = history(&conn);

    let status = MIGRATOR.status(&conn).unwrap();

    assert_eq!(
        states(&status),
        [
            (1, "create_users".to_string(), State::Applied),
            (2, "create_posts".to_string(), State::Applied),
            (3, "users_name_unique".to_string(), State::Pending),
            (4, "vacuum".to_string(), State::Pending),
        ]
    );
    for row in &recorded {
        let applied = entry(&status, row.version as u64);
        assert_eq!(applied.applied_at.as_deref(), Some(row.applied_at.as_str()));
        assert_eq!(
            applied.duration,
            Some(Duration::from_millis(row.duration_ms as u64))
        );
    }
    assert!(entry(&status, 2).has_down, "2 has a down script");
    assert!(!entry(&status, 1).has_down);
    assert_eq!(entry(&status, 3).applied_at, None);
    assert_eq!(status.current_version(), Some(2));
    let pending: Vec<u64> = status.pending().map(|m| m.version).collect();
    assert_eq!(pending, [3, 4]);
    let pending: Vec<u64> = MIGRATOR
        .pending(&conn)
        .unwrap()
        .iter()
        .map(|m| m.version())
        .collect();
    assert_eq!(pending, [3, 4]);
}

#[test]
fn a_fully_migrated_database_is_up_to_date() {
    let (_dir, path) = temp_db();
    let conn = MIGRATOR.open(&path).unwrap();

    let status = MIGRATOR.status(&conn).unwrap();

    assert!(status.is_up_to_date(), "{status:?}");
    assert_eq!(status.current_version(), Some(4));
    assert!(MIGRATOR.pending(&conn).unwrap().is_empty());
}

#[test]
fn an_edited_migration_shows_as_checksum_changed_where_run_refuses() {
    let (_dir, path) = temp_db();
    drop(
        migrator(vec![create_table(1, "tags"), create_table(2, "notes")])
            .open(&path)
            .unwrap(),
    );
    let edited = migrator(vec![
        migration(
            1,
            "tags",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
            0xee,
        ),
        create_table(2, "notes"),
    ]);
    let conn = inspect(&path);

    let status = edited.status(&conn).unwrap();

    assert_eq!(entry(&status, 1).state, State::ChecksumChanged);
    assert!(entry(&status, 1).applied_at.is_some());
    assert_eq!(entry(&status, 2).state, State::Applied);
    assert!(!status.is_up_to_date());
    assert!(edited.open(&path).is_err(), "run refuses it");
}

#[test]
fn a_newer_builds_migration_shows_as_unknown_to_the_binary() {
    let (_dir, path) = temp_db();
    drop(
        fixtures_then(4, vec![create_table(5, "tags")])
            .open(&path)
            .unwrap(),
    );
    let conn = inspect(&path);

    let status = MIGRATOR.status(&conn).unwrap();

    let unknown = entry(&status, 5);
    assert_eq!(
        (unknown.name.as_str(), unknown.state),
        ("tags", State::UnknownToBinary)
    );
    assert!(unknown.applied_at.is_some());
    assert!(!unknown.has_down, "create_table has no down script");
    assert!(status.migrations[..4]
        .iter()
        .all(|m| m.state == State::Applied));
    assert_eq!(status.current_version(), Some(5));
    assert!(!status.is_up_to_date());
}

#[test]
fn an_unknown_migration_kept_with_its_down_can_be_reverted() {
    let (_dir, path) = temp_db();
    let tags = with_down(5, "tags", "CREATE TABLE tags (x);", "DROP TABLE tags;", 5);
    drop(fixtures_then(4, vec![tags]).open(&path).unwrap());
    let conn = inspect(&path);

    let status = MIGRATOR.status(&conn).unwrap();

    let unknown = entry(&status, 5);
    assert_eq!(unknown.state, State::UnknownToBinary);
    assert!(unknown.has_down, "the history keeps its down script");
}

#[test]
fn a_pending_migration_below_the_newest_applied_is_out_of_order() {
    let (_dir, path) = temp_db();
    drop(
        migrator(vec![create_table(1, "users"), create_table(3, "tags")])
            .open(&path)
            .unwrap(),
    );
    let between = migrator(vec![
        create_table(1, "users"),
        create_table(2, "posts"),
        create_table(3, "tags"),
        create_table(4, "notes"),
    ]);
    let conn = inspect(&path);

    let status = between.status(&conn).unwrap();

    assert_eq!(
        states(&status),
        [
            (1, "users".to_string(), State::Applied),
            (2, "posts".to_string(), State::OutOfOrder),
            (3, "tags".to_string(), State::Applied),
            (4, "notes".to_string(), State::Pending),
        ]
    );
    let pending: Vec<u64> = between
        .pending(&conn)
        .unwrap()
        .iter()
        .map(|m| m.version())
        .collect();
    assert_eq!(pending, [2, 4]);
}

#[test]
fn status_needs_no_write_lock() {
    let (_dir, path) = temp_db();
    drop(first(2).open(&path).unwrap());
    let mut writer = Connection::open(&path).unwrap();
    let holding = writer
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    holding
        .execute("INSERT INTO users (name) VALUES ('ada')", [])
        .unwrap();

    let conn = inspect(&path);
    conn.busy_timeout(Duration::ZERO).unwrap();
    let status = MIGRATOR.status(&conn).unwrap();

    assert_eq!(status.current_version(), Some(2));
    drop(holding);
}
