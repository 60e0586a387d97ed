//! The fast path: the fingerprint of the applied chain, kept in
//! `PRAGMA user_version`, lets an up-to-date start skip the history; any
//! difference falls through to the full check.

mod common;

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Fingerprint};
use migrate_sqlite::rusqlite_versions::Fallible;

/// The fixture database, fully migrated, the connection closed.
fn migrated(path: &std::path::Path) {
    drop(MIGRATOR.open(path).unwrap());
}

#[test]
fn open_stores_the_migrators_fingerprint_in_user_version() {
    let (_dir, path) = temp_db();
    let conn = MIGRATOR.open(&path).unwrap();

    let expected = Fingerprint::of(MIGRATIONS).to_user_version();
    assert_eq!(user_version(&conn), expected);
    assert_ne!(expected, 0, "0 is the value of an untouched database");
}

#[test]
fn second_open_trusts_the_header_without_reading_the_history() {
    let (_dir, path) = temp_db();
    migrated(&path);
    // Behind the migrator's back: were the history read, every migration
    // would look pending and migration 1 would fail on the existing users.
    inspect(&path)
        .execute_batch("DROP TABLE _migrate_history")
        .unwrap();
    let before = dump(&path);

    let conn = MIGRATOR.open(&path).unwrap();

    assert_eq!(tables(&conn), ["posts", "users"], "no history recreated");
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn run_on_an_up_to_date_database_reports_nothing_even_without_history() {
    let (_dir, path) = temp_db();
    migrated(&path);
    let mut conn = Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE _migrate_history").unwrap();

    let report = MIGRATOR.run(&mut conn).unwrap();

    assert_eq!(report, migrate_runtime::Report::default());
}

#[test]
fn one_more_migration_falls_through_and_is_applied() {
    let (_dir, path) = temp_db();
    migrated(&path);
    let newer = fixtures_then(4, vec![create_table(5, "tags")]);

    let mut conn = Connection::open(&path).unwrap();
    let report = newer.run(&mut conn).unwrap();

    let versions: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, [5]);
    assert_eq!(history_versions(&conn), [1, 2, 3, 4, 5]);
    assert_eq!(
        user_version(&conn),
        fingerprint_of(newer.migrations()),
        "the header holds the new chain's fingerprint"
    );
}

#[test]
fn edited_migration_falls_through_to_a_checksum_mismatch() {
    let (_dir, path) = temp_db();
    migrated(&path);
    let before = dump(&path);
    let mut edited = MIGRATIONS.to_vec();
    edited[1] = migration(2, "create_posts", MIGRATIONS[1].up().sql(), 0x77);

    let error = migrator(edited).open(&path).unwrap_err();

    assert!(
        matches!(error, Error::ChecksumMismatch { version: 2, .. }),
        "{error}"
    );
    assert_eq!(dump(&path), before);
}

#[test]
fn older_binary_falls_through_to_unknown_versions() {
    let (_dir, path) = temp_db();
    migrated(&path);
    let before = dump(&path);

    let error = first(3).open(&path).unwrap_err();

    let Error::UnknownVersions { ref versions } = error else {
        panic!("expected UnknownVersions, got {error}");
    };
    assert_eq!(versions, &[(4, "vacuum".to_string())]);
    assert_eq!(dump(&path), before);
}

#[test]
fn header_changed_by_hand_is_accepted_when_the_history_matches() {
    let (_dir, path) = temp_db();
    migrated(&path);
    inspect(&path)
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let report = MIGRATOR.run(&mut conn).unwrap();

    assert_eq!(report.applied, []);
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn header_changed_by_hand_is_restored_by_the_next_open() {
    let (_dir, path) = temp_db();
    migrated(&path);
    inspect(&path)
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();

    let conn = MIGRATOR.open(&path).unwrap();

    assert_eq!(user_version(&conn), fingerprint_of(MIGRATIONS));
    drop(conn);
    assert_eq!(
        user_version(&inspect(&path)),
        fingerprint_of(MIGRATIONS),
        "the refreshed header is committed"
    );
}

#[test]
fn refreshed_header_lets_the_following_start_take_the_fast_path() {
    let (_dir, path) = temp_db();
    migrated(&path);
    inspect(&path)
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();
    drop(MIGRATOR.open(&path).unwrap());

    // The history is gone: only the fast path can accept the database now.
    inspect(&path)
        .execute_batch("DROP TABLE _migrate_history")
        .unwrap();
    MIGRATOR.open(&path).unwrap();
}

/// The stale header is refreshed with this binary's fingerprint only if
/// the database still holds this binary's chain when the header is written.
/// Here a newer build migrates between the older build's read of the
/// history and its refresh of the header (the older build's connection
/// runs the newer build right before its `BEGIN` is prepared).
#[test]
fn stale_header_is_not_refreshed_over_a_newer_builds_migration() {
    use migrate_runtime::rusqlite::hooks::{AuthAction, Authorization, TransactionOperation};

    let (_dir, path) = temp_db();
    drop(first(3).open(&path).unwrap());
    inspect(&path)
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();
    let older = first(3);
    let newer = fixtures_then(3, vec![create_table(4, "tags")]);

    let mut conn = Connection::open(&path).unwrap();
    let newer_path = path.clone();
    let mut newer_ran = false;
    // `()` in older rusqlite versions, a `Result` in newer ones.
    #[allow(clippy::unit_arg)]
    conn.authorizer(Some(
        move |context: migrate_runtime::rusqlite::hooks::AuthContext<'_>| {
            if let AuthAction::Transaction {
                operation: TransactionOperation::Begin,
            } = context.action
            {
                if !newer_ran {
                    newer_ran = true;
                    drop(newer.open(&newer_path).expect("the newer build migrates"));
                }
            }
            Authorization::Allow
        },
    ))
    .fallible()
    .unwrap();
    older.run(&mut conn).unwrap();
    drop(conn);

    assert_eq!(history_versions(&inspect(&path)), [1, 2, 3, 4]);
    let error = older.open(&path).map(drop).unwrap_err();
    assert!(matches!(error, Error::UnknownVersions { .. }), "{error}");
}
