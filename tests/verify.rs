//! `Migrator::verify` on real database files: the schema the migrations make
//! against the one found, and the history against the binary.

use migrate_runtime::{Drift, Migration, Migrator};

migrate_runtime::embed_migrations!("fixtures/real_world");

fn migrated() -> (tempfile::TempDir, migrate_runtime::rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = migrations::MIGRATOR
        .open(dir.path().join("app.db"))
        .unwrap();
    (dir, conn)
}

fn names(drift: &[Drift]) -> Vec<String> {
    drift
        .iter()
        .map(|d| match d {
            Drift::Missing(o) => format!("missing {}", o.name),
            Drift::Unexpected(o) => format!("unexpected {}", o.name),
            Drift::Changed { found, .. } => format!("changed {}", found.name),
        })
        .collect()
}

#[test]
fn a_migrated_database_matches_the_schema_recorded_at_compile_time() {
    let (_dir, conn) = migrated();
    let verification = migrations::MIGRATOR.verify(&conn).unwrap();
    assert!(verification.is_ok(), "{verification}");
    assert_eq!(verification.compared_at, Some(6));
    assert!(!migrations::FINAL_SCHEMA.is_empty());
    assert_eq!(
        verification.to_string(),
        "schema matches what the migrations up to version 6 make\n"
    );
}

#[test]
fn changes_by_hand_are_named_and_other_tools_tables_are_not() {
    let (_dir, conn) = migrated();
    conn.execute_batch(
        "CREATE INDEX audit_action ON audit (action);
         DROP INDEX documents_language;
         ALTER TABLE audit ADD COLUMN note TEXT;
         CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER);
         CREATE TABLE _litestream_lock (id INTEGER);
         CREATE TABLE turso_cdc (change_id INTEGER PRIMARY KEY AUTOINCREMENT, change_time INTEGER, change_type INTEGER, table_name TEXT, id, before BLOB, after BLOB, updates BLOB);
         CREATE TABLE turso_sync_last_change_id (client_id TEXT PRIMARY KEY, pull_gen INTEGER, change_id INTEGER);
         CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL);
         CREATE TABLE refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255));
         CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL);
         CREATE TABLE legacy_import (x);",
    )
    .unwrap();
    let verification = migrations::MIGRATOR.verify(&conn).unwrap();
    assert!(!verification.is_ok());
    assert_eq!(
        names(&verification.drift),
        [
            "missing documents_language",
            "changed audit",
            "unexpected audit_action",
            "unexpected legacy_import"
        ]
    );
    let report = verification.to_string();
    assert!(
        report.starts_with("schema differs from what the migrations up to version 6 make (changed by hand?):\n- index `documents_language` is missing; expected:\n    CREATE INDEX documents_language ON documents (language)\n- table `audit` differs\n    expected: CREATE TABLE audit ("),
        "{report}"
    );
    assert!(
        report.contains("\n    found:    CREATE TABLE audit ("),
        "{report}"
    );
    assert!(report.contains(", note TEXT)"), "{report}");

    // An ignored table's indexes and triggers are its own too.
    conn.execute_batch(
        "CREATE INDEX legacy_x ON legacy_import (x);
         CREATE TRIGGER legacy_t AFTER INSERT ON legacy_import BEGIN SELECT 1; END;",
    )
    .unwrap();
    let ignoring = migrations::MIGRATOR
        .clone()
        .ignore_tables(["legacy_import"]);
    let drift = ignoring.verify(&conn).unwrap().drift;
    assert_eq!(
        names(&drift),
        [
            "missing documents_language",
            "changed audit",
            "unexpected audit_action"
        ]
    );
}

#[test]
fn a_database_behind_the_binary_is_compared_with_what_its_migrations_make() {
    let dir = tempfile::tempdir().unwrap();
    let first_three: &'static [Migration] =
        Box::leak(migrations::MIGRATIONS[..3].to_vec().into_boxed_slice());
    let older = Migrator::new(first_three);
    let conn = older.open(dir.path().join("app.db")).unwrap();
    let verification = migrations::MIGRATOR.verify(&conn).unwrap();
    assert!(verification.is_ok(), "{verification}");
    assert_eq!(verification.compared_at, Some(3));

    conn.execute_batch("DROP TRIGGER documents_fts_update")
        .unwrap();
    let drift = migrations::MIGRATOR.verify(&conn).unwrap().drift;
    assert_eq!(names(&drift), ["missing documents_fts_update"]);
}

#[test]
fn edited_and_unknown_migrations_are_reported() {
    let (_dir, conn) = migrated();
    conn.execute_batch(
        "UPDATE _migrate_history SET checksum = replace(checksum, substr(checksum, 1, 1), 'x') WHERE version = 2;",
    )
    .unwrap();
    let verification = migrations::MIGRATOR.verify(&conn).unwrap();
    assert_eq!(
        verification.checksum_changed,
        [(2, "documents".to_string())]
    );
    assert!(verification
        .to_string()
        .starts_with("migration 2 (documents) was applied with other SQL than this binary holds"));

    conn.execute_batch(
        "CREATE TEMP TABLE newer AS SELECT * FROM _migrate_history WHERE version = 1;
         UPDATE newer SET version = 7, name = 'newer';
         INSERT INTO _migrate_history SELECT * FROM newer;",
    )
    .unwrap();
    let verification = migrations::MIGRATOR.verify(&conn).unwrap();
    assert_eq!(verification.unknown, [(7, "newer".to_string())]);
    assert_eq!(verification.compared_at, None);
}

#[test]
fn a_schema_made_by_hand_is_compared_by_what_it_is_not_how_it_is_spelled() {
    let (_dir, conn) = migrated();
    conn.execute_batch(
        "DROP INDEX documents_language;
         create index \"Documents_Language\" on [documents](\"language\");",
    )
    .unwrap();
    let verification = migrations::MIGRATOR.verify(&conn).unwrap();
    assert!(verification.is_ok(), "{verification}");

    conn.execute_batch(
        "DROP INDEX documents_language;
         CREATE INDEX documents_language ON documents (language COLLATE NOCASE);",
    )
    .unwrap();
    let drift = migrations::MIGRATOR.verify(&conn).unwrap().drift;
    assert_eq!(names(&drift), ["changed documents_language"]);
}
