use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::functions::FunctionFlags;

use super::*;
use crate::{Directive, Directives};

fn db(sql: &str) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    set_foreign_keys(&conn, true).unwrap();
    conn.execute_batch(sql).unwrap();
    conn
}

fn tables(conn: &Connection) -> Vec<String> {
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap();
    let names = statement.query_map([], |row| row.get(0)).unwrap();
    names.collect::<rusqlite::Result<_>>().unwrap()
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    })
    .unwrap()
}

const OFF: Directives = Directives::NONE.with(Directive::ForeignKeysOff);
const ALONE: Directives = Directives::NONE.with(Directive::NoTransaction);

const PARENT_AND_CHILD: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
     CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users ON DELETE CASCADE);
     INSERT INTO users VALUES (1, 'a'), (2, 'b');
     INSERT INTO posts VALUES (1, 1), (2, 2);";

/// The 12-step rebuild of `users`.
const REBUILD: &str = "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
     INSERT INTO users_new SELECT id, name FROM users;
     DROP TABLE users;
     ALTER TABLE users_new RENAME TO users;";

#[test]
fn a_failing_statement_rolls_back_the_whole_script_and_says_where() {
    let mut conn = db("");
    let sql = "CREATE TABLE a (x);\n\nINSERT INTO a (y) VALUES (1);";
    let failure = apply(&mut conn, sql, Directives::NONE).unwrap_err();
    assert_eq!(failure.message(), "table a has no column named y");
    let FailedAt::Statement { range, offset } = &failure.at else {
        panic!("{failure:?}");
    };
    assert_eq!(&sql[range.clone()], "INSERT INTO a (y) VALUES (1);");
    assert_eq!(lex::line_col(sql, *offset), (3, 16));
    assert!(tables(&conn).is_empty(), "rolled back");
    assert!(conn.is_autocommit());

    let syntax = apply(
        &mut conn,
        "CREATE TABLE b (x);\nSELECT * FROM b WHERE;",
        Directives::NONE,
    )
    .unwrap_err();
    assert_eq!(
        syntax
            .offset()
            .map(|o| lex::line_col("CREATE TABLE b (x);\nSELECT * FROM b WHERE;", o)),
        Some((2, 22))
    );
}

#[test]
fn a_foreign_keys_off_rebuild_keeps_the_children_and_turns_them_back_on() {
    let mut conn = db(PARENT_AND_CHILD);
    apply(&mut conn, REBUILD, OFF).unwrap();
    assert_eq!(count(&conn, "posts"), 2, "ON DELETE CASCADE did not run");
    assert!(foreign_keys(&conn).unwrap());
    // With foreign keys on, the same rebuild deletes the children.
    let mut on = db(PARENT_AND_CHILD);
    apply(&mut on, REBUILD, Directives::NONE).unwrap();
    assert_eq!(count(&on, "posts"), 0);
}

#[test]
fn a_foreign_keys_off_script_fails_on_the_references_it_breaks_only() {
    // A row that referred to nothing before the script is not its doing.
    let mut conn = db(PARENT_AND_CHILD);
    set_foreign_keys(&conn, false).unwrap();
    conn.execute_batch("INSERT INTO posts VALUES (3, 42);")
        .unwrap();
    set_foreign_keys(&conn, true).unwrap();
    apply(&mut conn, REBUILD, OFF).unwrap();

    let failure = apply(&mut conn, "DELETE FROM users WHERE id = 1;", OFF).unwrap_err();
    let FailedAt::ForeignKeyCheck(violations) = &failure.at else {
        panic!("{failure:?}");
    };
    assert_eq!(
        violations.0,
        [Violation {
            table: "posts".into(),
            rowid: Some(1),
            parent: "users".into()
        }]
    );
    assert_eq!(
        failure.code(),
        Some(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
    );
    assert!(
        failure.message().starts_with(
            "foreign key check failed after the migration: row 1 of `posts` refers to a missing row of `users` (the migration must keep"
        ),
        "{failure}"
    );
    assert_eq!(count(&conn, "users"), 2, "rolled back");
    assert!(foreign_keys(&conn).unwrap(), "put back after a failure too");
}

#[test]
fn many_broken_references_are_counted_past_the_first_five() {
    let violations = Violations(
        (1..=7)
            .map(|rowid| Violation {
                table: "t".into(),
                rowid: Some(rowid),
                parent: "p".into(),
            })
            .collect(),
    );
    let text = violations.to_string();
    assert!(
        text.contains("row 5 of `t`") && !text.contains("row 6"),
        "{text}"
    );
    assert!(text.ends_with(" and 2 more"), "{text}");
}

#[test]
fn a_no_transaction_script_keeps_what_ran_and_its_pragma_is_undone() {
    let mut conn = db("");
    let sql = "PRAGMA foreign_keys = OFF;\nCREATE TABLE a (x);\nCREATE TABLE a (x);";
    let failure = apply(&mut conn, sql, ALONE).unwrap_err();
    assert!(failure.message().contains("already exists"), "{failure}");
    assert_eq!(tables(&conn), ["a"], "no transaction: what ran stays");
    assert!(
        foreign_keys(&conn).unwrap(),
        "the connection keeps its setting"
    );
    apply(&mut conn, "VACUUM;", ALONE).unwrap();
}

#[test]
fn scripts_applied_together_commit_together() {
    let mut conn = db("");
    let applying = Applying::begin(&mut conn, Directives::NONE, None).unwrap();
    applying.run("CREATE TABLE a (x);").unwrap();
    applying
        .conn()
        .execute("CREATE TABLE history (v)", [])
        .unwrap();
    applying.run("CREATE TABLE b (x);").unwrap();
    assert!(applying.run("CREATE TABLE a (x);").is_err());
    drop(applying);
    assert!(
        tables(&conn).is_empty(),
        "dropped without commit: rolled back"
    );

    let applying = Applying::begin(&mut conn, Directives::NONE, None).unwrap();
    applying.run("CREATE TABLE a (x);").unwrap();
    applying.roll_back().unwrap();
    assert!(tables(&conn).is_empty());
}

#[test]
fn past_the_deadline_a_statement_is_interrupted_and_rolled_back() {
    let mut conn = db("CREATE TABLE t (x);");
    let deadline = Instant::now() + Duration::from_millis(50);
    let applying = Applying::begin(&mut conn, Directives::NONE, Some(deadline)).unwrap();
    applying.run("INSERT INTO t VALUES (1);").unwrap();
    let endless =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;";
    let failure = applying.run(endless).unwrap_err();
    assert_eq!(
        failure.error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::OperationInterrupted)
    );
    drop(applying);
    assert_eq!(count(&conn, "t"), 0);
    // The deadline goes with the script.
    conn.query_row(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 100000) SELECT count(*) FROM n",
        [],
        |_| Ok(()),
    )
    .unwrap();
}

#[test]
fn every_row_of_every_statement_is_stepped() {
    let mut conn = db("");
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    conn.create_scalar_function("tick", 0, FunctionFlags::SQLITE_UTF8, move |_| {
        Ok(counted.fetch_add(1, Ordering::SeqCst) as i64)
    })
    .unwrap();
    apply(
        &mut conn,
        "SELECT tick() FROM (VALUES (1), (2), (3));\nSELECT tick();",
        Directives::NONE,
    )
    .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[test]
fn a_trigger_body_is_one_statement() {
    let mut conn = db("CREATE TABLE t (x); CREATE TABLE log (x);");
    apply(
        &mut conn,
        "CREATE TRIGGER t_log AFTER INSERT ON t BEGIN\n  INSERT INTO log VALUES (new.x);\n  UPDATE log SET x = x + 1;\nEND;\nINSERT INTO t VALUES (1);",
        Directives::NONE,
    )
    .unwrap();
    assert_eq!(
        conn.query_row("SELECT x FROM log", [], |row| row.get::<_, i64>(0))
            .unwrap(),
        2
    );
}

#[test]
fn the_help_names_what_to_do_about_views_and_triggers() {
    let mut conn = db("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
                       CREATE VIEW names AS SELECT name FROM users;");
    let failure = apply(&mut conn, REBUILD, OFF).unwrap_err();
    assert!(
        failure.message().starts_with("error in view names"),
        "{failure}"
    );
    assert!(failure.help().unwrap().contains("drop the views"));
}

#[test]
fn the_object_a_message_names_is_found_in_the_statement() {
    let statement = "INSERT INTO users (id, nmae) VALUES (2, 'nmae')";
    let offset = offset_of_named_object(statement, "table users has no column named nmae");
    assert_eq!(offset, Some(statement.find("nmae").unwrap()));
    let statement = "CREATE INDEX posts_user ON post (user_id)";
    let offset = offset_of_named_object(statement, "no such table: main.post");
    assert_eq!(offset, Some(statement.find("post (").unwrap()));
    assert_eq!(
        offset_of_named_object(statement, "UNIQUE constraint failed: t.x"),
        None
    );
}

#[test]
fn a_script_wrapped_in_its_own_transaction_runs_in_the_one_opened_for_it() {
    let mut conn = db(PARENT_AND_CHILD);
    let wrapped =
        "BEGIN TRANSACTION;\nCREATE TABLE tags (x);\nINSERT INTO tags VALUES (1);\nCOMMIT;\n";
    let applying = Applying::begin(&mut conn, Directives::NONE, None).unwrap();
    applying.run(wrapped).unwrap();
    applying.roll_back().unwrap();
    // Its COMMIT did not commit: the runner's rollback undid it all.
    assert!(!tables(&conn).contains(&"tags".to_string()));
    apply(&mut conn, wrapped, Directives::NONE).unwrap();
    assert_eq!(count(&conn, "tags"), 1);
    // A failure inside rolls the whole script back.
    let failing = "BEGIN;\nCREATE TABLE more (x);\nINSERT INTO nowhere VALUES (1);\nCOMMIT;";
    let failure = apply(&mut conn, failing, Directives::NONE).unwrap_err();
    assert!(
        failure.message().contains("no such table: nowhere"),
        "{failure}"
    );
    assert!(!tables(&conn).contains(&"more".to_string()));
}

#[test]
fn a_pragma_turning_foreign_keys_off_runs_the_script_as_foreign_keys_off() {
    // As Prisma writes a rebuild: the PRAGMA after other statements.
    let rebuild = "CREATE TABLE audit (x);\nPRAGMA defer_foreign_keys=ON;\nPRAGMA foreign_keys=OFF;\n\
                   CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);\n\
                   INSERT INTO new_users (id, name) SELECT id, name FROM users;\nDROP TABLE users;\n\
                   ALTER TABLE new_users RENAME TO users;\nPRAGMA foreign_keys=ON;\nPRAGMA defer_foreign_keys=OFF;";
    let directives = Directives::parse(rebuild).unwrap();
    assert!(directives.foreign_keys_off());
    let mut conn = db(PARENT_AND_CHILD);
    apply(&mut conn, rebuild, directives).unwrap();
    // No child row went with the old table through ON DELETE CASCADE.
    assert_eq!(count(&conn, "posts"), 2);
    assert!(foreign_keys(&conn).unwrap());
}
