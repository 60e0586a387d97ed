//! How pending migrations are grouped into transactions: all together (the
//! default) or one at a time.

mod common;

use std::path::Path;

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migration, Migrator, Recovery, TransactionMode};

const CREATE_USERS: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);";

/// 1 creates users with ada, 2 creates tags, 3 adds ada again and fails.
fn third_fails() -> Vec<Migration> {
    vec![
        migration(
            1,
            "create_users",
            &format!("{CREATE_USERS}\nINSERT INTO users (name) VALUES ('ada');"),
            1,
        ),
        create_table(2, "tags"),
        migration(
            3,
            "add_ada_again",
            "INSERT INTO users (name) VALUES ('ada');",
            3,
        ),
    ]
}

/// The fixtures 1 to 3 (3 is the `foreign-keys-off` rebuild of users)
/// followed by a plain migration 4: the rebuild sits in the middle.
fn rebuild_in_the_middle() -> Migrator {
    fixtures_then(3, vec![create_table(4, "tags")])
}

/// A plain connection on a file not created yet.
fn fresh(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

#[test]
fn default_mode_is_all_pending() {
    assert_eq!(TransactionMode::default(), TransactionMode::AllPending);
}

#[test]
fn all_pending_applies_none_when_the_third_fails() {
    let (_dir, path) = temp_db();

    let error = migrator(third_fails()).open(&path).unwrap_err();

    assert!(
        matches!(
            error,
            Error::Migration {
                version: 3,
                recovery: Recovery::RolledBack,
                ..
            }
        ),
        "{error}"
    );
    let conn = inspect(&path);
    assert_eq!(tables(&conn), Vec::<String>::new());
    assert_eq!(user_version(&conn), 0);
}

#[test]
fn per_migration_keeps_the_first_two_when_the_third_fails() {
    let (_dir, path) = temp_db();
    let chain = migrator(third_fails()).transaction_mode(TransactionMode::PerMigration);

    let error = chain.open(&path).unwrap_err();

    let Error::Migration {
        version,
        ref name,
        ref recovery,
        ..
    } = error
    else {
        panic!("expected Migration, got {error}");
    };
    assert_eq!((version, name.as_str()), (3, "add_ada_again"));
    assert_eq!(*recovery, Recovery::RolledBack);
    assert!(
        error
            .to_string()
            .starts_with("migration 3 (add_ada_again) failed"),
        "{error}"
    );
    let conn = inspect(&path);
    assert_eq!(history_versions(&conn), [1, 2]);
    assert_eq!(tables(&conn), ["_migrate_history", "tags", "users"]);
}

#[test]
fn per_migration_failure_leaves_the_fingerprint_of_what_was_committed() {
    let (_dir, path) = temp_db();
    let migrations = third_fails();
    let chain = migrator(migrations.clone()).transaction_mode(TransactionMode::PerMigration);

    chain.open(&path).unwrap_err();

    assert_eq!(
        user_version(&inspect(&path)),
        fingerprint_of(&migrations[..2]),
        "a build with migrations 1 and 2 only takes the fast path"
    );
}

#[test]
fn per_migration_reports_each_migration() {
    let (_dir, path) = temp_db();
    let chain = MIGRATOR
        .clone()
        .transaction_mode(TransactionMode::PerMigration);

    let report = chain.run(&mut fresh(&path)).unwrap();

    let versions: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, [1, 2, 3, 4]);
    assert_eq!(history_versions(&inspect(&path)), [1, 2, 3, 4]);
}

fn rebuild_in_the_middle_applies(mode: TransactionMode) {
    let (_dir, path) = temp_db();
    {
        let conn = first(2).open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'bob');
             INSERT INTO posts (user_id, body) VALUES (1, 'notes'), (2, 'hello');",
        )
        .unwrap();
    }

    let conn = rebuild_in_the_middle()
        .transaction_mode(mode)
        .open(&path)
        .unwrap();

    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
    assert_eq!(
        tables(&conn),
        ["_migrate_history", "posts", "tags", "users"]
    );
    let posts: i64 = conn
        .query_row(
            "SELECT count(*) FROM posts JOIN users ON users.id = posts.user_id",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(posts, 2, "the rebuild kept the users the posts refer to");
    assert_eq!(pragma(&conn, "foreign_keys"), "1", "foreign keys back on");
    assert!(
        conn.execute("INSERT INTO posts (user_id, body) VALUES (99, 'x')", [])
            .is_err(),
        "foreign keys are enforced again"
    );
    // The rebuild made names unique.
    assert!(conn
        .execute("INSERT INTO users (name) VALUES ('ada')", [])
        .is_err());
}

#[test]
fn all_pending_applies_a_rebuild_in_the_middle() {
    rebuild_in_the_middle_applies(TransactionMode::AllPending);
}

#[test]
fn per_migration_applies_a_rebuild_in_the_middle() {
    rebuild_in_the_middle_applies(TransactionMode::PerMigration);
}

fn rebuild_in_the_middle_on_a_fresh_file(mode: TransactionMode) {
    let (_dir, path) = temp_db();

    let report = rebuild_in_the_middle()
        .transaction_mode(mode)
        .run(&mut fresh(&path))
        .unwrap();

    let versions: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, [1, 2, 3, 4]);
    let conn = inspect(&path);
    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
    assert_eq!(
        user_version(&conn),
        fingerprint_of(rebuild_in_the_middle().migrations())
    );
}

#[test]
fn all_pending_applies_a_rebuild_in_the_middle_of_a_fresh_file() {
    rebuild_in_the_middle_on_a_fresh_file(TransactionMode::AllPending);
}

#[test]
fn per_migration_applies_a_rebuild_in_the_middle_of_a_fresh_file() {
    rebuild_in_the_middle_on_a_fresh_file(TransactionMode::PerMigration);
}

/// The rebuild gets a transaction of its own (foreign keys can only be
/// switched off outside one), so "all pending" means all pending between
/// such migrations: what came before the rebuild is committed first.
#[test]
fn all_pending_commits_before_a_rebuild_when_a_later_migration_fails() {
    let (_dir, path) = temp_db();
    let chain = fixtures_then(
        3,
        vec![migration(
            4,
            "missing_table",
            "INSERT INTO missing (x) VALUES (1);",
            4,
        )],
    );

    let error = chain.run(&mut fresh(&path)).unwrap_err();

    assert!(
        matches!(error, Error::Migration { version: 4, .. }),
        "{error}"
    );
    assert_eq!(history_versions(&inspect(&path)), [1, 2, 3]);
}

/// `-- migrate: own-transaction` commits one migration on its own under
/// the default mode: what came before it commits first, it commits alone,
/// and a later failure rolls back only what came after.
#[test]
fn an_own_transaction_migration_commits_alone_when_a_later_one_fails() {
    let (_dir, path) = temp_db();
    let mut chain = third_fails();
    chain.insert(
        2,
        migration(
            3,
            "backfill",
            "-- migrate: own-transaction\nCREATE TABLE big (x);\nINSERT INTO big VALUES (1);",
            9,
        ),
    );
    chain[3] = migration(
        4,
        "add_ada_again",
        "INSERT INTO users (name) VALUES ('ada');",
        3,
    );

    let error = migrator(chain).open(&path).unwrap_err();

    assert!(
        matches!(error, Error::Migration { version: 4, .. }),
        "{error}"
    );
    let conn = inspect(&path);
    assert_eq!(history_versions(&conn), [1, 2, 3]);
    assert_eq!(tables(&conn), ["_migrate_history", "big", "tags", "users"]);
}

fn wal_bytes(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

/// With `truncate_wal_after_migrating`, the WAL a migration wrote is
/// checkpointed and truncated; a reader holding it (as Litestream does
/// while it replicates) makes that busy, which is no failure.
#[test]
fn the_wal_is_truncated_after_migrating_unless_a_reader_holds_it() {
    let (_dir, path) = temp_db();
    let tables = |count: usize| {
        let extra = ["a", "b", "c"][..count]
            .iter()
            .enumerate()
            .map(|(k, name)| create_table(k as u64 + 2, name))
            .collect();
        fixtures_then(1, extra)
    };
    drop(tables(0).open(&path).unwrap());
    // Another connection keeps the WAL from going away when a start closes.
    let keep = Connection::open(&path).unwrap();
    keep.query_row("SELECT count(*) FROM _migrate_history", [], |_| Ok(()))
        .unwrap();
    drop(tables(1).open(&path).unwrap());
    assert!(wal_bytes(&path) > 0, "a migration leaves its WAL");

    drop(
        tables(2)
            .truncate_wal_after_migrating(true)
            .open(&path)
            .unwrap(),
    );
    assert_eq!(wal_bytes(&path), 0);

    // A reader inside a read transaction holds the WAL.
    keep.execute_batch("BEGIN; SELECT count(*) FROM _migrate_history;")
        .unwrap();
    drop(
        tables(3)
            .truncate_wal_after_migrating(true)
            .open(&path)
            .unwrap(),
    );
    assert!(wal_bytes(&path) > 0, "left for SQLite's own checkpoints");
    keep.execute_batch("COMMIT").unwrap();
    assert_eq!(history_versions(&inspect(&path)), [1, 2, 3, 4]);
}
