//! Applying migrations: a fresh file, an up-to-date one, the connection settings.

mod common;

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::Migration;

#[test]
fn open_on_a_fresh_file_applies_every_migration_in_order() {
    let (_dir, path) = temp_db();
    let conn = MIGRATOR.open(&path).unwrap();

    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
    assert_eq!(tables(&conn), ["_migrate_history", "posts", "users"]);
    let index: String = conn
        .query_row(
            "SELECT tbl_name FROM sqlite_master WHERE name = 'posts_user_id'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(index, "posts");
    // Migration 3 rebuilt users with a unique name.
    conn.execute("INSERT INTO users (name) VALUES ('ada')", [])
        .unwrap();
    assert!(conn
        .execute("INSERT INTO users (name) VALUES ('ada')", [])
        .is_err());
}

#[test]
fn history_records_each_migration() {
    let (_dir, path) = temp_db();
    let conn = MIGRATOR.open(&path).unwrap();
    let rows = history(&conn);

    assert_eq!(rows.len(), MIGRATIONS.len());
    for (row, migration) in rows.iter().zip(MIGRATIONS) {
        assert_eq!(row.version as u64, migration.version());
        assert_eq!(row.name, migration.name());
        assert_eq!(row.checksum, migration.checksum().to_hex());
        assert_eq!(
            row.down_sql.as_deref(),
            migration.down().map(|down| down.sql())
        );
        assert!(row.duration_ms >= 0, "{row:?}");
    }
    assert_eq!(rows[1].down_sql.as_deref(), Some("DROP TABLE posts;\n"));
    assert_eq!(rows[0].down_sql, None);
}

#[test]
fn applied_at_is_utc_iso_8601_and_now() {
    let (_dir, path) = temp_db();
    let conn = MIGRATOR.open(&path).unwrap();

    for row in history(&conn) {
        // 2025-09-19T14:04:43.123Z
        let at = &row.applied_at;
        assert_eq!(at.len(), 24, "{at}");
        assert!(at.ends_with('Z'), "{at}");
        assert_eq!(
            (&at[4..5], &at[10..11], &at[19..20]),
            ("-", "T", "."),
            "{at}"
        );
        let seconds_ago: f64 = conn
            .query_row(
                "SELECT (julianday('now') - julianday(?1)) * 86400",
                [at],
                |row| row.get(0),
            )
            .unwrap();
        assert!(
            (0.0..60.0).contains(&seconds_ago),
            "{at} is {seconds_ago} s ago"
        );
    }
}

#[test]
fn run_reports_the_applied_migrations_in_order() {
    let (_dir, path) = temp_db();
    let mut conn = Connection::open(&path).unwrap();
    let report = MIGRATOR.run(&mut conn).unwrap();

    let applied: Vec<(u64, &str)> = report
        .applied
        .iter()
        .map(|a| (a.version, a.name.as_str()))
        .collect();
    let expected: Vec<(u64, &str)> = MIGRATIONS.iter().map(|m| (m.version(), m.name())).collect();
    assert_eq!(applied, expected);
}

#[test]
fn second_open_applies_nothing() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());
    let before = dump(&path);

    let mut conn = MIGRATOR.open(&path).unwrap();
    assert_eq!(MIGRATOR.run(&mut conn).unwrap().applied, []);
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn open_applies_only_the_pending_migrations() {
    let (_dir, path) = temp_db();
    drop(first(2).open(&path).unwrap());
    let earlier = history(&inspect(&path));

    let mut conn = Connection::open(&path).unwrap();
    let report = MIGRATOR.run(&mut conn).unwrap();
    let versions: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, [3, 4]);
    let now = history(&conn);
    assert_eq!(now.len(), 4);
    assert_eq!(
        now[0].applied_at, earlier[0].applied_at,
        "applied rows are kept as they were"
    );
}

#[test]
fn open_configures_the_connection() {
    let (_dir, path) = temp_db();
    let conn = MIGRATOR.open(&path).unwrap();

    assert_eq!(pragma(&conn, "journal_mode"), "wal");
    assert_eq!(pragma(&conn, "foreign_keys"), "1");
    assert_eq!(pragma(&conn, "busy_timeout"), "60000");
}

#[test]
fn open_configures_a_database_that_is_already_up_to_date() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());

    let conn = MIGRATOR.open(&path).unwrap();
    assert_eq!(pragma(&conn, "journal_mode"), "wal");
    assert_eq!(pragma(&conn, "foreign_keys"), "1");
    assert_eq!(pragma(&conn, "busy_timeout"), "60000");
}

#[test]
fn no_transaction_migration_applies_and_is_recorded() {
    let vacuum: Migration = V4_VACUUM;
    assert!(vacuum.up().directives().no_transaction());
    let (_dir, path) = temp_db();
    let mut conn = first(3).open(&path).unwrap();

    // VACUUM fails inside a transaction: success means it ran alone.
    let report = MIGRATOR.run(&mut conn).unwrap();
    let versions: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, [4]);
    let rows = history(&conn);
    assert_eq!((rows[3].version, rows[3].name.as_str()), (4, "vacuum"));
    assert_eq!(rows[3].checksum, vacuum.checksum().to_hex());
}

#[test]
fn no_transaction_migration_between_others_applies_all() {
    let (_dir, path) = temp_db();
    let with_vacuum_between = fixtures_then(
        2,
        vec![
            migration(3, "vacuum", "-- migrate: no-transaction\nVACUUM;", 3),
            migration(4, "create_tags", "CREATE TABLE tags (name TEXT);", 4),
        ],
    );
    let conn = with_vacuum_between.open(&path).unwrap();

    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
    assert!(tables(&conn).contains(&"tags".to_string()));
}

#[test]
fn open_refuses_a_missing_folder_and_creates_nothing() {
    let (dir, _) = temp_db();
    let path = dir.path().join("missing-folder").join("app.db");
    let error = MIGRATOR.open(&path).unwrap_err();

    assert!(
        matches!(error, migrate_runtime::Error::MissingFolder { .. }),
        "{error}"
    );
    assert!(!dir.path().join("missing-folder").exists());
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
}

#[test]
fn migrations_after_a_no_transaction_one_run_without_a_deadline_cut() {
    // After a `no-transaction` migration is recorded the deadline watch is
    // set again: a long statement after it must run to the end.
    let (_dir, path) = temp_db();
    let chain = migrator(vec![
        migration(1, "numbers", "CREATE TABLE numbers (n INTEGER);", 1),
        migration(2, "vacuum", "-- migrate: no-transaction\nVACUUM;", 2),
        migration(
            3,
            "fill",
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 20000)\n\
             INSERT INTO numbers SELECT n FROM c;",
            3,
        ),
    ]);

    let conn = chain.open(&path).unwrap();

    let count: i64 = conn
        .query_row("SELECT count(*) FROM numbers", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 20000);
}
