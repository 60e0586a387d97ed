//! `-- migrate: foreign-keys-off`: the 12-step rebuild of a parent table.

mod common;

use std::path::Path;

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migrator};

/// `tests/cascade_migrations`: users; posts `ON DELETE CASCADE`, seeded
/// with a system user and its post; a rebuild of users; and a migration
/// deleting the system user, relying on the cascade to delete its post.
mod cascade {
    migrate_runtime::embed_migrations!("tests/cascade_migrations");
    pub use migrations::{MIGRATIONS, MIGRATOR};
}

/// The 12-step rebuild of users in `tests/migrations/0003_…`, but copying
/// only ada: bob's post is left pointing nowhere.
const REBUILD_LOSING_BOB: &str = "-- migrate: foreign-keys-off
CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT INTO users_new (id, name) SELECT id, name FROM users WHERE name = 'ada';
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;";

/// A database at migration 2 (users, posts) with ada and bob, each with a post.
fn users_with_posts(path: &Path) -> Connection {
    let conn = first(2).open(path).unwrap();
    conn.execute_batch(
        "INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'bob');
         INSERT INTO posts (user_id, body) VALUES (1, 'notes'), (2, 'hello');",
    )
    .unwrap();
    conn
}

fn posts(conn: &Connection) -> Vec<(i64, String)> {
    conn.prepare("SELECT user_id, body FROM posts ORDER BY id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn rebuild_of_a_parent_with_children_succeeds() {
    let (_dir, path) = temp_db();
    drop(users_with_posts(&path));

    let conn = MIGRATOR.open(&path).unwrap();

    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
    assert_eq!(posts(&conn), [(1, "notes".into()), (2, "hello".into())]);
    let names: Vec<String> = conn
        .prepare("SELECT name FROM users ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names, ["ada", "bob"]);
    let violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0);
}

#[test]
fn foreign_keys_are_on_again_after_a_rebuild() {
    let (_dir, path) = temp_db();
    drop(users_with_posts(&path));

    let conn = MIGRATOR.open(&path).unwrap();

    assert_eq!(pragma(&conn, "foreign_keys"), "1");
    let dangling = conn.execute("INSERT INTO posts (user_id, body) VALUES (42, 'x')", []);
    assert!(
        dangling.is_err(),
        "a post of a missing user must be refused"
    );
    assert!(conn
        .execute("DELETE FROM users WHERE name = 'bob'", [])
        .is_err());
}

#[test]
fn the_same_rebuild_without_the_directive_fails() {
    let (_dir, path) = temp_db();
    drop(users_with_posts(&path));
    let before = dump(&path);
    let sql = MIGRATIONS[2]
        .up()
        .sql()
        .replace("-- migrate: foreign-keys-off\n", "");
    let without_directive = fixtures_then(2, vec![migration(3, "users_name_unique", &sql, 3)]);

    let error = without_directive.open(&path).unwrap_err();

    assert!(
        matches!(error, Error::Migration { version: 3, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("FOREIGN KEY constraint failed"),
        "{error}"
    );
    assert_eq!(dump(&path), before);
}

#[test]
fn rebuild_leaving_a_dangling_reference_fails_the_foreign_key_check() {
    let (_dir, path) = temp_db();
    let mut conn = users_with_posts(&path);
    let before = dump(&path);
    let losing_bob = fixtures_then(
        2,
        vec![migration(3, "users_name_unique", REBUILD_LOSING_BOB, 3)],
    );

    let error = losing_bob.run(&mut conn).unwrap_err();

    let Error::Migration {
        version, ref name, ..
    } = error
    else {
        panic!("expected Migration, got {error}");
    };
    assert_eq!((version, name.as_str()), (3, "users_name_unique"));
    let message = error.to_string();
    assert!(message.contains("foreign key check failed"), "{message}");
    assert!(
        message.contains("row 2 of `posts` refers to a missing row of `users`"),
        "{message}"
    );
    assert_eq!(dump(&path), before);
    assert_eq!(
        pragma(&conn, "foreign_keys"),
        "1",
        "foreign keys are on again after a failure too"
    );
}

#[test]
fn cascade_after_a_rebuild_works_one_start_at_a_time() {
    let (_dir, path) = temp_db();
    drop(
        Migrator::new(&cascade::MIGRATIONS[..3])
            .open(&path)
            .unwrap(),
    );

    let conn = cascade::MIGRATOR.open(&path).unwrap();

    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
    assert_eq!(posts(&conn), [], "the system user's post went with it");
}

/// Applied in one start, the rebuild (migration 3) gets a transaction of its
/// own, so foreign keys are on again for migration 4 and its
/// `ON DELETE CASCADE` fires, as it did at compile time.
#[test]
fn cascade_after_a_rebuild_works_on_a_fresh_file() {
    let (_dir, path) = temp_db();

    let conn = cascade::MIGRATOR.open(&path).unwrap();

    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
    assert_eq!(posts(&conn), []);
}

#[test]
fn rows_that_referred_nowhere_before_the_rebuild_do_not_fail_it() {
    let (_dir, path) = temp_db();
    let tables = migration(
        1,
        "tables",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);
         CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts (id));
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
        1,
    );
    let mut conn = migrator(vec![tables.clone()]).open(&path).unwrap();
    // From before foreign keys were enforced: SQLite leaves them off by default.
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; INSERT INTO comments VALUES (1, 99); PRAGMA foreign_keys = ON;",
    )
    .unwrap();
    let unique_names = migration(
        2,
        "unique_names",
        "-- migrate: foreign-keys-off
         CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
         INSERT INTO users_new SELECT * FROM users;
         DROP TABLE users;
         ALTER TABLE users_new RENAME TO users;",
        2,
    );
    migrator(vec![tables, unique_names]).run(&mut conn).unwrap();
    assert_eq!(history_versions(&conn), [1, 2]);
}

#[test]
fn a_no_transaction_script_that_turns_foreign_keys_off_leaves_the_connection_as_it_was() {
    let (_dir, path) = temp_db();
    let tables = migration(
        1,
        "tables",
        "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INTEGER REFERENCES p (id));",
        1,
    );
    let failing = migration(
        2,
        "by_hand",
        "-- migrate: no-transaction
         PRAGMA foreign_keys = OFF;
         CREATE TABLE p_new (id INTEGER PRIMARY KEY);
         INSERT INTO p_new SELECT * FROM missing_table;
         PRAGMA foreign_keys = ON;",
        2,
    );
    let mut conn = migrator(vec![tables.clone()]).open(&path).unwrap();
    let error = migrator(vec![tables.clone(), failing])
        .run(&mut conn)
        .unwrap_err();
    assert!(
        matches!(error, Error::Migration { version: 2, .. }),
        "{error}"
    );
    assert_eq!(pragma(&conn, "foreign_keys"), "1");

    let left_off = migration(
        2,
        "left_off",
        "-- migrate: no-transaction\nPRAGMA foreign_keys = OFF;\nCREATE TABLE t (x);",
        3,
    );
    migrator(vec![tables, left_off]).run(&mut conn).unwrap();
    assert_eq!(pragma(&conn, "foreign_keys"), "1");
}

#[test]
fn the_foreign_key_check_names_five_rows_and_counts_the_rest() {
    // Posts of users 3 to 9, who do not exist: 7 dangling rows, or 5.
    for (orphans, tail) in [(7, Some(" and 2 more")), (5, None)] {
        let (_dir, path) = temp_db();
        let mut conn = first(2).open(&path).unwrap();
        let orphaning = migration(
            3,
            "orphans",
            &format!(
                "-- migrate: foreign-keys-off\n\
                 WITH RECURSIVE n(id) AS (SELECT 3 UNION ALL SELECT id + 1 FROM n WHERE id < {})\n\
                 INSERT INTO posts (user_id, body) SELECT id, 'orphan' FROM n;",
                orphans + 2
            ),
            3,
        );

        let error = fixtures_then(2, vec![orphaning])
            .run(&mut conn)
            .unwrap_err();

        let message = error.to_string();
        assert_eq!(
            message.matches("refers to a missing row").count(),
            5,
            "{message}"
        );
        match tail {
            Some(tail) => assert!(message.contains(tail), "{message}"),
            None => assert!(!message.contains("more"), "{message}"),
        }
    }
}
