//! The deadline on one start's migrations: a migration running past it is
//! interrupted and rolled back.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migrator, TransactionMode};

const DEADLINE: Duration = Duration::from_millis(300);

/// Far longer than the deadline: a hundred million rows counted.
const ENDLESS_SQL: &str = "CREATE TABLE counted AS
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000)
    SELECT count(*) AS n FROM c;";

/// The fixtures 1 and 2, a quick migration 3, then the endless migration 4.
fn endless() -> Migrator {
    fixtures_then(
        2,
        vec![
            create_table(3, "tags"),
            migration(4, "count_forever", ENDLESS_SQL, 4),
        ],
    )
    .deadline(DEADLINE)
}

/// A database at migration 1 with ada.
fn at_v1_with_ada(path: &Path) {
    first(1)
        .open(path)
        .unwrap()
        .execute("INSERT INTO users (name) VALUES ('ada')", [])
        .unwrap();
}

#[test]
fn migration_past_the_deadline_is_stopped_and_named() {
    let (_dir, path) = temp_db();
    at_v1_with_ada(&path);

    let started = Instant::now();
    let error = endless().open(&path).unwrap_err();
    let took = started.elapsed();

    let Error::Deadline {
        ref during,
        elapsed,
        limit,
    } = error
    else {
        panic!("expected Deadline, got {error}");
    };
    assert_eq!(during, "migration 4 (count_forever)");
    assert_eq!(limit, DEADLINE);
    assert!(elapsed >= DEADLINE, "stopped after {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(3),
        "stopped after {elapsed:?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "open returned after {took:?}"
    );
}

#[test]
fn migrations_stopped_at_the_deadline_leave_the_database_as_it_was() {
    let (_dir, path) = temp_db();
    at_v1_with_ada(&path);
    let before = dump(&path);
    let header = user_version(&inspect(&path));

    endless().open(&path).unwrap_err();

    assert_eq!(
        dump(&path),
        before,
        "migrations 2 and 3 were rolled back too"
    );
    assert_eq!(user_version(&inspect(&path)), header);
}

#[test]
fn deadline_message_says_what_to_do() {
    let (_dir, path) = temp_db();
    at_v1_with_ada(&path);

    let message = endless().open(&path).unwrap_err().to_string();

    assert!(
        message.starts_with("migration 4 (count_forever) was stopped after"),
        "{message}"
    );
    assert!(message.contains("deadline of 300ms"), "{message}");
    assert!(message.contains("rolled back"), "{message}");
    assert!(message.contains("Migrator::deadline"), "{message}");
    assert!(message.contains("make it faster"), "{message}");
}

#[test]
fn per_migration_keeps_the_migrations_committed_before_the_deadline() {
    let (_dir, path) = temp_db();
    at_v1_with_ada(&path);

    let error = endless()
        .transaction_mode(TransactionMode::PerMigration)
        .open(&path)
        .unwrap_err();

    assert!(matches!(error, Error::Deadline { .. }), "{error}");
    assert_eq!(history_versions(&inspect(&path)), [1, 2, 3]);
}

#[test]
fn callers_connection_is_not_interrupted_after_a_deadline() {
    let (_dir, path) = temp_db();
    at_v1_with_ada(&path);
    let mut conn = Connection::open(&path).unwrap();
    endless().run(&mut conn).unwrap_err();

    // Longer than the deadline: the interrupting handler must be gone.
    std::thread::sleep(DEADLINE);
    let started = Instant::now();
    let n: i64 = conn
        .query_row(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
             SELECT count(*) FROM c",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(n, 200000, "after {:?}", started.elapsed());
}

#[test]
fn quick_migrations_finish_well_within_the_deadline() {
    let (_dir, path) = temp_db();
    at_v1_with_ada(&path);

    let conn = MIGRATOR.clone().deadline(DEADLINE).open(&path).unwrap();

    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
}

/// A `no-transaction` migration: a table created, then the endless count.
fn endless_alone() -> Migrator {
    fixtures_then(
        1,
        vec![migration(
            2,
            "partial_then_count",
            &format!("-- migrate: no-transaction\nCREATE TABLE partial (x);\n{ENDLESS_SQL}"),
            2,
        )],
    )
    .deadline(DEADLINE)
}

#[test]
fn no_transaction_migration_past_the_deadline_is_restored_from_the_backup() {
    let (_dir, path) = temp_db();
    at_v1_with_ada(&path);
    let before = dump(&path);

    let error = endless_alone().open(&path).unwrap_err();

    assert!(
        matches!(
            error,
            Error::Migration {
                recovery: migrate_runtime::Recovery::Restored { version: 1, .. },
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("past the deadline"), "{error}");
    assert_eq!(dump(&path), before, "the backup was copied back");
}

#[test]
fn no_transaction_migration_past_the_deadline_without_backup_does_not_claim_a_rollback() {
    let (_dir, path) = temp_db();
    at_v1_with_ada(&path);

    let error = endless_alone()
        .backups(migrate_runtime::Backups::disabled())
        .open(&path)
        .unwrap_err();

    assert!(
        matches!(
            error,
            Error::Migration {
                recovery: migrate_runtime::Recovery::NotRecovered,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("past the deadline"), "{error}");
    assert!(
        tables(&inspect(&path)).contains(&"partial".to_string()),
        "outside a transaction, what ran stays"
    );
    let message = error.to_string();
    assert!(
        !message.contains("rolled back") && !message.contains("as it was"),
        "the message claims a rollback that did not happen: {message}"
    );
}
