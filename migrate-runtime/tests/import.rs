//! Importing the history of sqlx, refinery and diesel: each tool's table
//! made with the exact `CREATE TABLE` the tool runs, rows written as the
//! tool writes them, and the schema its migrations made.

mod common;

use std::path::Path;

use common::*;
use migrate_runtime::rusqlite::{params, Connection};
use migrate_runtime::{Error, ForeignHistory, Imported, Migration, Report, State};
use sha2::{Digest, Sha384};

/// sqlx-sqlite's `ensure_migrations_table`.
const SQLX_TABLE: &str = "
CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);";

/// refinery's `ASSERT_MIGRATIONS_TABLE_QUERY`, as its rusqlite driver runs it.
const REFINERY_TABLE: &str = "CREATE TABLE IF NOT EXISTS refinery_schema_history(
             version INT4 PRIMARY KEY,
             name VARCHAR(255),
             applied_on VARCHAR(255),
             checksum VARCHAR(255));";

/// diesel's `setup_migration_table.sql`.
const DIESEL_TABLE: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);";

/// A database that sqlx migrated with `migrations`: their SQL, and a row
/// per migration as sqlx writes it (description from the file name,
/// SHA-384 of the SQL, the time in nanoseconds), installed at `10:20:3<n>`.
fn sqlx_migrated(path: &Path, migrations: &[Migration]) -> Connection {
    let conn = hand_made(path, migrations);
    conn.execute_batch(SQLX_TABLE).unwrap();
    for (n, migration) in migrations.iter().enumerate() {
        sqlx_row(
            &conn,
            migration.version(),
            migration.name(),
            migration.up().sql(),
            n,
        );
    }
    conn
}

fn sqlx_row(conn: &Connection, version: u64, name: &str, sql: &str, n: usize) {
    conn.execute(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (?1, ?2, ?3, TRUE, ?4, -1)",
        params![
            version as i64,
            name.replace('_', " "),
            format!("2024-05-01 10:20:3{n}"),
            Sha384::digest(sql.as_bytes()).to_vec()
        ],
    )
    .unwrap();
    conn.execute(
        "UPDATE _sqlx_migrations SET execution_time = ?1 WHERE version = ?2",
        params![2_500_000 * (n as i64 + 1), version as i64],
    )
    .unwrap();
}

/// The states of the fixture migrations.
fn states(conn: &Connection) -> Vec<State> {
    let status = MIGRATOR.status(conn).unwrap();
    status.migrations.iter().map(|m| m.state).collect()
}

/// After an import: verify passes, `run` applies the rest, and the next
/// start takes the fast path.
fn migrates_on_as_if_this_toolkit_had_migrated_it(conn: &mut Connection, imported: usize) {
    let verification = MIGRATOR.verify(conn).unwrap();
    assert!(verification.is_ok(), "{verification}");
    let report = MIGRATOR.run(conn).unwrap();
    let applied: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    let rest: Vec<u64> = MIGRATIONS[imported..].iter().map(|m| m.version()).collect();
    assert_eq!(applied, rest);
    assert!(MIGRATOR.status(conn).unwrap().is_up_to_date());
    assert_eq!(user_version(conn), fingerprint_of(MIGRATIONS));
    assert_eq!(MIGRATOR.run(conn).unwrap(), Report::default());
    assert!(MIGRATOR.verify(conn).unwrap().is_ok());
}

fn assert_this_binarys_rows(conn: &Connection) {
    for row in history(conn) {
        let migration = MIGRATIONS
            .iter()
            .find(|m| m.version() as i64 == row.version);
        let migration = migration.unwrap();
        assert_eq!(row.name, migration.name());
        assert_eq!(row.checksum, migration.checksum().to_hex());
        assert_eq!(row.down_sql.as_deref(), migration.down().map(|d| d.sql()));
    }
}

#[test]
fn sqlx_history_is_imported_with_its_times_and_the_database_migrates_on() {
    let (_dir, path) = temp_db();
    let mut conn = sqlx_migrated(&path, &MIGRATIONS[..2]);
    conn.execute("INSERT INTO users (name) VALUES ('ada')", [])
        .unwrap();
    assert_eq!(
        ForeignHistory::detect(&conn).unwrap(),
        [ForeignHistory::Sqlx]
    );

    let imported = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Sqlx)
        .unwrap();

    assert_eq!(
        imported,
        Imported {
            from: ForeignHistory::Sqlx,
            recorded: vec![(1, "create_users".into()), (2, "create_posts".into())],
        }
    );
    let rows = history(&conn);
    assert_eq!(rows[0].applied_at, "2024-05-01T10:20:30.000Z");
    assert_eq!(rows[1].applied_at, "2024-05-01T10:20:31.000Z");
    assert_eq!((rows[0].duration_ms, rows[1].duration_ms), (2, 5));
    assert_this_binarys_rows(&conn);
    assert_eq!(user_version(&conn), fingerprint_of(&MIGRATIONS[..2]));
    assert_eq!(
        states(&conn),
        [
            State::Applied,
            State::Applied,
            State::Pending,
            State::Pending
        ]
    );
    migrates_on_as_if_this_toolkit_had_migrated_it(&mut conn, 2);
    let sqlx_rows: i64 = conn
        .query_row("SELECT count(*) FROM _sqlx_migrations", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(sqlx_rows, 2, "sqlx's table is left as it was");
}

#[test]
fn refinery_history_is_imported_with_its_times_in_utc() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..3]);
    conn.execute_batch(REFINERY_TABLE).unwrap();
    // RFC 3339 as refinery formats it: in UTC now, in local time before.
    for (version, name, applied_on, checksum) in [
        (
            1,
            "create_users",
            "2024-05-01T10:20:30.123456789Z",
            "13238373616212401541",
        ),
        (
            2,
            "create_posts",
            "2024-05-01T12:20:31+02:00",
            "5480216436420370532",
        ),
        (
            3,
            "users_name_unique",
            "2024-05-02T08:00:00Z",
            "17001297353417316474",
        ),
    ] {
        conn.execute(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
             VALUES (?1, ?2, ?3, ?4)",
            params![version, name, applied_on, checksum],
        )
        .unwrap();
    }

    let imported = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Refinery)
        .unwrap();

    assert_eq!(imported.recorded.len(), 3);
    let applied_at: Vec<String> = history(&conn).into_iter().map(|r| r.applied_at).collect();
    assert_eq!(
        applied_at,
        [
            "2024-05-01T10:20:30.123Z",
            "2024-05-01T10:20:31.000Z",
            "2024-05-02T08:00:00.000Z"
        ]
    );
    assert_this_binarys_rows(&conn);
    migrates_on_as_if_this_toolkit_had_migrated_it(&mut conn, 3);
}

#[test]
fn diesel_history_is_imported_from_its_folder_versions() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..2]);
    conn.execute_batch(DIESEL_TABLE).unwrap();
    // diesel records the folder name's leading part: `0001_create_users/`.
    for version in ["0001", "0002"] {
        conn.execute(
            "INSERT INTO __diesel_schema_migrations (version) VALUES (?1)",
            [version],
        )
        .unwrap();
    }
    let run_on: String = conn
        .query_row(
            "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', run_on) FROM __diesel_schema_migrations
             WHERE version = '0001'",
            [],
            |row| row.get(0),
        )
        .unwrap();

    let imported = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Diesel)
        .unwrap();

    assert_eq!(
        imported.recorded,
        [(1, "create_users".into()), (2, "create_posts".into())]
    );
    assert_eq!(history(&conn)[0].applied_at, run_on);
    assert_this_binarys_rows(&conn);
    migrates_on_as_if_this_toolkit_had_migrated_it(&mut conn, 2);
}

#[test]
fn diesel_timestamps_with_or_without_dashes_are_the_binarys_versions() {
    let (_dir, path) = temp_db();
    let chain = migrator(vec![
        create_table(20250919140443, "posts"),
        create_table(20250920093000, "tags"),
        create_table(20250921000000, "comments"),
    ]);
    let mut conn = hand_made(&path, &chain.migrations()[..2]);
    conn.execute_batch(DIESEL_TABLE).unwrap();
    conn.execute_batch(
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('20250919140443');
         INSERT INTO __diesel_schema_migrations (version) VALUES ('2025-09-20-093000');",
    )
    .unwrap();

    let imported = chain
        .import_history(&mut conn, ForeignHistory::Diesel)
        .unwrap();

    assert_eq!(
        imported.recorded,
        [
            (20250919140443, "posts".into()),
            (20250920093000, "tags".into())
        ]
    );
    let applied: Vec<u64> = chain
        .run(&mut conn)
        .unwrap()
        .applied
        .iter()
        .map(|a| a.version)
        .collect();
    assert_eq!(applied, [20250921000000]);
}

#[test]
fn a_version_the_binary_does_not_contain_is_refused_naming_it() {
    let (_dir, path) = temp_db();
    let mut conn = sqlx_migrated(&path, &MIGRATIONS[..2]);
    sqlx_row(&conn, 9, "add_tags", "CREATE TABLE tags (id INTEGER);", 2);
    conn.execute_batch("CREATE TABLE tags (id INTEGER);")
        .unwrap();
    let before = dump(&path);

    let error = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Sqlx)
        .unwrap_err();

    let Error::ForeignVersionsUnknown { from, ref versions } = error else {
        panic!("expected ForeignVersionsUnknown, got {error}");
    };
    assert_eq!(from, ForeignHistory::Sqlx);
    assert_eq!(versions, &["9 (add tags)"]);
    let message = error.to_string();
    assert!(
        message.starts_with(
            "cannot import the history of sqlx: its table _sqlx_migrations records migration \
             this binary does not contain: 9 (add tags);"
        ),
        "{message}"
    );
    assert!(message.contains("Nothing was changed"), "{message}");
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_failed_sqlx_migration_is_refused() {
    let (_dir, path) = temp_db();
    let mut conn = sqlx_migrated(&path, &MIGRATIONS[..2]);
    conn.execute_batch("UPDATE _sqlx_migrations SET success = FALSE WHERE version = 2")
        .unwrap();
    let before = dump(&path);

    let error = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Sqlx)
        .unwrap_err();

    let Error::ForeignMigrationFailed { ref versions, .. } = error else {
        panic!("expected ForeignMigrationFailed, got {error}");
    };
    assert_eq!(versions, &[(2, "create posts".to_string())]);
    let message = error.to_string();
    assert!(
        message.starts_with(
            "cannot import the history of sqlx: its table _sqlx_migrations records migration \
             2 (create posts) as failed"
        ),
        "{message}"
    );
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_schema_the_recorded_migrations_do_not_make_is_refused() {
    let (_dir, path) = temp_db();
    let mut conn = sqlx_migrated(&path, &MIGRATIONS[..1]);
    sqlx_row(&conn, 2, MIGRATIONS[1].name(), MIGRATIONS[1].up().sql(), 1);
    let before = dump(&path);

    let error = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Sqlx)
        .unwrap_err();

    let Error::SchemaDiffers { version: 2, .. } = error else {
        panic!("expected SchemaDiffers, got {error}");
    };
    let message = error.to_string();
    assert!(
        message.starts_with("cannot import the history of sqlx: the migrations up to version 2"),
        "{message}"
    );
    assert!(
        message.contains("\n- table `posts` is missing"),
        "{message}"
    );
    assert!(
        message.contains("\n- index `posts_user_id` is missing"),
        "{message}"
    );
    assert!(!tables(&conn).contains(&"_migrate_history".to_string()));
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_database_without_the_tools_table_is_refused() {
    let (_dir, path) = temp_db();
    let mut conn = sqlx_migrated(&path, &MIGRATIONS[..1]);
    let before = dump(&path);

    let error = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Refinery)
        .unwrap_err();

    assert!(
        matches!(
            error,
            Error::NoForeignHistory {
                from: ForeignHistory::Refinery
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("this database has no table refinery_schema_history"),
        "{error}"
    );
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_database_this_toolkit_already_migrated_is_not_imported_again() {
    let (_dir, path) = temp_db();
    let mut conn = sqlx_migrated(&path, &MIGRATIONS[..2]);
    MIGRATOR
        .import_history(&mut conn, ForeignHistory::Sqlx)
        .unwrap();
    let before = dump(&path);

    let error = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Sqlx)
        .unwrap_err();

    assert!(
        matches!(error, Error::AlreadyHasHistory { applied: 2, .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("cannot import the history of sqlx: this database already has"),
        "{error}"
    );
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn detect_lists_the_histories_a_database_holds() {
    let (_dir, path) = temp_db();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(ForeignHistory::detect(&conn).unwrap(), []);
    conn.execute_batch(DIESEL_TABLE).unwrap();
    conn.execute_batch(REFINERY_TABLE).unwrap();
    assert_eq!(
        ForeignHistory::detect(&conn).unwrap(),
        [ForeignHistory::Refinery, ForeignHistory::Diesel]
    );
    assert_eq!(ForeignHistory::Diesel.table(), "__diesel_schema_migrations");
    assert_eq!(ForeignHistory::Sqlx.to_string(), "sqlx");
}
