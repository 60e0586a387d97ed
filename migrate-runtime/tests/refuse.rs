//! Databases the binary refuses to migrate: it changes nothing and says why.

mod common;

use common::*;
use migrate_runtime::Error;

const CREATE_USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
const CREATE_POSTS: &str = "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT NOT NULL);";
const CREATE_TAGS: &str = "CREATE TABLE tags (name TEXT NOT NULL);";

#[test]
fn edited_migration_is_a_checksum_mismatch() {
    let (_dir, path) = temp_db();
    drop(
        migrator(vec![migration(1, "create_users", CREATE_USERS, 1)])
            .open(&path)
            .unwrap(),
    );
    let before = dump(&path);

    let edited = migrator(vec![
        migration(1, "create_users", CREATE_USERS, 0xee),
        migration(2, "create_posts", CREATE_POSTS, 2),
    ]);
    let error = edited.open(&path).unwrap_err();

    let Error::ChecksumMismatch {
        version,
        ref name,
        ref applied,
        ref embedded,
    } = error
    else {
        panic!("expected ChecksumMismatch, got {error}");
    };
    assert_eq!((version, name.as_str()), (1, "create_users"));
    assert_eq!(applied, &"01".repeat(32));
    assert_eq!(embedded, &"ee".repeat(32));
    assert_eq!(dump(&path), before, "migration 2 must not be applied");
}

#[test]
fn checksum_mismatch_message_says_what_to_do() {
    let (_dir, path) = temp_db();
    drop(
        migrator(vec![migration(1, "create_users", CREATE_USERS, 1)])
            .open(&path)
            .unwrap(),
    );

    let edited = migrator(vec![migration(1, "create_users", CREATE_USERS, 2)]);
    let message = edited.open(&path).unwrap_err().to_string();

    assert!(
        message.contains("migration 1 (create_users) was changed"),
        "{message}"
    );
    assert!(message.contains("restore the migration file"), "{message}");
    assert!(
        message.contains("put the change in a new migration"),
        "{message}"
    );
}

#[test]
fn edited_fixture_migration_is_refused() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());
    let before = dump(&path);

    let mut changed = MIGRATIONS.to_vec();
    changed[1] = migration(
        2,
        "create_posts",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        7,
    );
    let error = migrator(changed).open(&path).unwrap_err();

    assert!(
        matches!(error, Error::ChecksumMismatch { version: 2, .. }),
        "{error}"
    );
    assert_eq!(dump(&path), before);
}

#[test]
fn newer_database_lists_the_unknown_versions() {
    let (_dir, path) = temp_db();
    let newer = fixtures_then(1, vec![migration(99, "from_the_future", CREATE_TAGS, 99)]);
    drop(newer.open(&path).unwrap());
    let before = dump(&path);

    // This binary knows 1 and has 2, 3 and 4 pending.
    let error = MIGRATOR.open(&path).unwrap_err();

    let Error::UnknownVersions { ref versions } = error else {
        panic!("expected UnknownVersions, got {error}");
    };
    assert_eq!(versions, &[(99, "from_the_future".to_string())]);
    let message = error.to_string();
    assert!(message.contains("99 (from_the_future)"), "{message}");
    assert!(message.contains("newer build"), "{message}");
    assert_eq!(dump(&path), before, "no pending migration may be applied");
}

#[test]
fn pending_migration_older_than_the_newest_applied_is_out_of_order() {
    let (_dir, path) = temp_db();
    let users = || migration(1, "create_users", CREATE_USERS, 1);
    let tags = || migration(3, "create_tags", CREATE_TAGS, 3);
    drop(migrator(vec![users(), tags()]).open(&path).unwrap());
    let before = dump(&path);

    let with_posts_between = migrator(vec![
        users(),
        migration(2, "create_posts", CREATE_POSTS, 2),
        tags(),
    ]);
    let error = with_posts_between.open(&path).unwrap_err();

    let Error::OutOfOrder {
        pending,
        ref pending_name,
        applied,
        ref applied_name,
    } = error
    else {
        panic!("expected OutOfOrder, got {error}");
    };
    assert_eq!((pending, pending_name.as_str()), (2, "create_posts"));
    assert_eq!((applied, applied_name.as_str()), (3, "create_tags"));
    assert!(error.to_string().contains("renaming its file"), "{error}");
    assert_eq!(dump(&path), before);
}
