//! Importing the history of sqlx, refinery, diesel, golang-migrate, goose,
//! dbmate, Prisma and Drizzle: each tool's table made with the exact
//! `CREATE TABLE` the tool's SQLite driver runs, rows written as the tool
//! writes them, and the schema its migrations made.

mod common;

use std::path::Path;

use common::*;
use migrate_runtime::rusqlite::{params, Connection};
use migrate_runtime::{Error, ForeignHistory, Imported, Migration, Migrator, Report, State};
use sha2::{Digest, Sha256, Sha384};

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

/// golang-migrate's sqlite3 driver (`ensureVersionTable`).
const GOLANG_MIGRATE_TABLE: &str = "
CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);
CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);";

/// goose's sqlite3 dialect (`CreateTable`).
const GOOSE_TABLE: &str = "CREATE TABLE goose_db_version (
\t\tid INTEGER PRIMARY KEY AUTOINCREMENT,
\t\tversion_id INTEGER NOT NULL,
\t\tis_applied INTEGER NOT NULL,
\t\ttstamp TIMESTAMP DEFAULT (datetime('now'))
\t);";

/// dbmate's sqlite driver (`CreateMigrationsTable`).
const DBMATE_TABLE: &str =
    "create table if not exists schema_migrations (version varchar(128) primary key)";

/// Prisma's schema engine, on SQLite.
const PRISMA_TABLE: &str = r#"CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);"#;

/// drizzle-orm's SQLite `migrate()`.
const DRIZZLE_TABLE: &str = r#"
CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (
    id SERIAL PRIMARY KEY,
    hash text NOT NULL,
    created_at numeric
)"#;

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
    migrates_on(&MIGRATOR, conn, imported);
}

/// After an import of the first `imported` migrations of `chain`: verify
/// passes with the other tool's table still there, `run` applies the rest,
/// and the next start takes the fast path.
fn migrates_on(chain: &Migrator, conn: &mut Connection, imported: usize) {
    let verification = chain.verify(conn).unwrap();
    assert!(verification.is_ok(), "{verification}");
    let report = chain.run(conn).unwrap();
    let applied: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    let migrations = chain.migrations();
    let rest: Vec<u64> = migrations[imported..].iter().map(|m| m.version()).collect();
    assert_eq!(applied, rest);
    assert!(chain.status(conn).unwrap().is_up_to_date());
    assert_eq!(user_version(conn), fingerprint_of(migrations));
    assert_eq!(chain.run(conn).unwrap(), Report::default());
    assert!(chain.verify(conn).unwrap().is_ok());
}

/// Whether the database still has `table`.
fn has_table(conn: &Connection, table: &str) -> bool {
    tables(conn).iter().any(|name| name == table)
}

/// The history's `applied_at` of each row, in order.
fn applied_at(conn: &Connection) -> Vec<String> {
    history(conn)
        .into_iter()
        .map(|row| row.applied_at)
        .collect()
}

/// `text` as `record_at` stores a time SQLite reads: ISO 8601 in UTC.
fn iso(conn: &Connection, text: &str) -> String {
    conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1)", [text], |row| {
        row.get(0)
    })
    .unwrap()
}

/// A time recorded now, as `record_at` writes it.
fn is_recent(applied_at: &str, conn: &Connection) -> bool {
    let age: f64 = conn
        .query_row(
            "SELECT (julianday('now') - julianday(?1)) * 86400.0",
            [applied_at],
            |row| row.get(0),
        )
        .unwrap();
    (0.0..60.0).contains(&age)
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

/// The versions a `ForeignMigrationFailed` refusal names, and its message.
fn refused_as_failed(error: &Error, tool: ForeignHistory) -> (Vec<(u64, String)>, String) {
    let Error::ForeignMigrationFailed { from, versions } = error else {
        panic!("expected ForeignMigrationFailed, got {error}");
    };
    assert_eq!(*from, tool);
    (versions.clone(), error.to_string())
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

    let (versions, message) = refused_as_failed(&error, ForeignHistory::Sqlx);
    assert_eq!(versions, [(2, "create posts".to_string())]);
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
    for table in [
        GOOSE_TABLE,
        PRISMA_TABLE,
        DRIZZLE_TABLE,
        GOLANG_MIGRATE_TABLE,
    ] {
        conn.execute_batch(table).unwrap();
    }
    assert_eq!(
        ForeignHistory::detect(&conn).unwrap(),
        [
            ForeignHistory::Refinery,
            ForeignHistory::Diesel,
            ForeignHistory::GolangMigrate,
            ForeignHistory::Goose,
            ForeignHistory::Prisma,
            ForeignHistory::Drizzle
        ]
    );
    assert_eq!(ForeignHistory::Diesel.table(), "__diesel_schema_migrations");
    assert_eq!(ForeignHistory::Sqlx.to_string(), "sqlx");
}

// golang-migrate

/// Sets golang-migrate's one row as its `SetVersion` does: the table
/// emptied, then the version and whether it is dirty.
fn golang_migrate_version(conn: &Connection, version: i64, dirty: bool) {
    conn.execute("DELETE FROM schema_migrations", []).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, dirty) VALUES (?1, ?2)",
        params![version, dirty],
    )
    .unwrap();
}

#[test]
fn golang_migrate_current_version_imports_every_migration_up_to_it() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..2]);
    conn.execute_batch(GOLANG_MIGRATE_TABLE).unwrap();
    golang_migrate_version(&conn, 2, false);
    assert_eq!(
        ForeignHistory::detect(&conn).unwrap(),
        [ForeignHistory::GolangMigrate]
    );

    let imported = MIGRATOR
        .import_history(&mut conn, ForeignHistory::GolangMigrate)
        .unwrap();

    assert_eq!(
        imported.recorded,
        [(1, "create_users".into()), (2, "create_posts".into())]
    );
    // golang-migrate keeps no time: they are recorded as applied now.
    assert!(applied_at(&conn).iter().all(|at| is_recent(at, &conn)));
    assert_this_binarys_rows(&conn);
    migrates_on_as_if_this_toolkit_had_migrated_it(&mut conn, 2);
    assert!(has_table(&conn, "schema_migrations"));
}

#[test]
fn golang_migrate_version_0_is_a_migration() {
    let (_dir, path) = temp_db();
    let chain = migrator(vec![
        create_table(0, "users"),
        create_table(1, "posts"),
        create_table(2, "tags"),
    ]);
    let mut conn = hand_made(&path, &chain.migrations()[..1]);
    conn.execute_batch(GOLANG_MIGRATE_TABLE).unwrap();
    golang_migrate_version(&conn, 0, false);

    let imported = chain
        .import_history(&mut conn, ForeignHistory::GolangMigrate)
        .unwrap();

    assert_eq!(imported.recorded, [(0, "users".into())]);
    assert_eq!(history_versions(&conn), [0]);
    migrates_on(&chain, &mut conn, 1);
}

#[test]
fn golang_migrate_without_a_row_has_applied_nothing() {
    let (_dir, path) = temp_db();
    let mut conn = Connection::open(&path).unwrap();
    // A failed first `migrate up` leaves the table empty.
    conn.execute_batch(GOLANG_MIGRATE_TABLE).unwrap();

    let imported = MIGRATOR
        .import_history(&mut conn, ForeignHistory::GolangMigrate)
        .unwrap();

    assert_eq!(imported.recorded, []);
    migrates_on_as_if_this_toolkit_had_migrated_it(&mut conn, 0);
}

#[test]
fn a_dirty_golang_migrate_version_is_refused_naming_it() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..2]);
    conn.execute_batch(GOLANG_MIGRATE_TABLE).unwrap();
    // `migrate up` marks the version dirty before running it, and clean
    // once it ran: migration 3 failed half-way.
    golang_migrate_version(&conn, 3, true);
    let before = dump(&path);

    let error = MIGRATOR
        .import_history(&mut conn, ForeignHistory::GolangMigrate)
        .unwrap_err();

    let (versions, message) = refused_as_failed(&error, ForeignHistory::GolangMigrate);
    assert_eq!(versions, [(3, "users_name_unique".to_string())]);
    assert!(
        message.starts_with(
            "cannot import the history of golang-migrate: its table schema_migrations records \
             migration 3 (users_name_unique) as failed"
        ),
        "{message}"
    );
    assert!(message.contains("migrate force"), "{message}");
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_golang_migrate_version_the_binary_does_not_contain_is_refused() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, MIGRATIONS);
    conn.execute_batch(GOLANG_MIGRATE_TABLE).unwrap();
    golang_migrate_version(&conn, 7, false);

    let error = MIGRATOR
        .import_history(&mut conn, ForeignHistory::GolangMigrate)
        .unwrap_err();

    let Error::ForeignVersionsUnknown { ref versions, .. } = error else {
        panic!("expected ForeignVersionsUnknown, got {error}");
    };
    assert_eq!(versions, &["7"]);
}

// goose

/// goose's table as goose leaves it once created: with its own row of
/// version 0.
fn goose_table(conn: &Connection) {
    conn.execute_batch(GOOSE_TABLE).unwrap();
    goose_row(conn, 0, true);
}

/// A row as goose inserts it (`InsertVersion`): `tstamp` left to its default.
fn goose_row(conn: &Connection, version: i64, is_applied: bool) {
    conn.execute(
        "INSERT INTO goose_db_version (version_id, is_applied) VALUES (?1, ?2)",
        params![version, is_applied],
    )
    .unwrap();
}

/// The `tstamp` of the latest row of `version`, as the history stores it.
fn goose_tstamp(conn: &Connection, version: i64) -> String {
    conn.query_row(
        "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', tstamp) FROM goose_db_version
         WHERE version_id = ?1 ORDER BY id DESC LIMIT 1",
        [version],
        |row| row.get(0),
    )
    .unwrap()
}

#[test]
fn goose_history_is_imported_with_its_times_but_not_its_own_row() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..3]);
    goose_table(&conn);
    for version in 1..=3 {
        goose_row(&conn, version, true);
    }
    conn.execute(
        "UPDATE goose_db_version SET tstamp = '2024-05-01 10:20:31' WHERE version_id = 2",
        [],
    )
    .unwrap();
    assert_eq!(
        ForeignHistory::detect(&conn).unwrap(),
        [ForeignHistory::Goose]
    );

    let imported = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Goose)
        .unwrap();

    assert_eq!(imported.recorded.len(), 3);
    assert_eq!(history_versions(&conn), [1, 2, 3]);
    let times = applied_at(&conn);
    assert_eq!(times[0], goose_tstamp(&conn, 1));
    assert_eq!(times[1], "2024-05-01T10:20:31.000Z");
    assert_this_binarys_rows(&conn);
    migrates_on_as_if_this_toolkit_had_migrated_it(&mut conn, 3);
    assert!(has_table(&conn, "goose_db_version"));
}

#[test]
fn a_version_goose_rolled_back_is_not_imported() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..2]);
    goose_table(&conn);
    // goose before v3 records `goose down` as a row with is_applied = 0:
    // 2 was rolled back and applied again, 3 rolled back.
    for (version, is_applied) in [(1, true), (2, true), (2, false), (2, true)] {
        goose_row(&conn, version, is_applied);
    }
    goose_row(&conn, 3, true);
    goose_row(&conn, 3, false);
    let before = dump(&path);

    let imported = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Goose)
        .unwrap();

    assert_eq!(
        imported.recorded,
        [(1, "create_users".into()), (2, "create_posts".into())]
    );
    assert_eq!(applied_at(&conn)[1], goose_tstamp(&conn, 2));
    migrates_on_as_if_this_toolkit_had_migrated_it(&mut conn, 2);
    drop(conn);
    let goose_rows = |dump: &[String]| -> Vec<String> {
        let rows = dump
            .iter()
            .filter(|line| line.contains("goose_db_version ["));
        rows.cloned().collect()
    };
    assert_eq!(goose_rows(&dump(&path)), goose_rows(&before));
}

// dbmate

#[test]
fn dbmate_history_is_imported_from_its_versions() {
    let (_dir, path) = temp_db();
    let mut conn = hand_made(&path, &MIGRATIONS[..3]);
    conn.execute_batch(DBMATE_TABLE).unwrap();
    // dbmate records the digits that start the file name: `0001_create_users.sql`.
    for version in ["0001", "0002", "0003"] {
        conn.execute(
            "insert into schema_migrations (version) values (?)",
            [version],
        )
        .unwrap();
    }
    assert_eq!(
        ForeignHistory::detect(&conn).unwrap(),
        [ForeignHistory::Dbmate]
    );

    let imported = MIGRATOR
        .import_history(&mut conn, ForeignHistory::Dbmate)
        .unwrap();

    assert_eq!(imported.from, ForeignHistory::Dbmate);
    assert_eq!(history_versions(&conn), [1, 2, 3]);
    // dbmate keeps no time: they are recorded as applied now.
    assert!(applied_at(&conn).iter().all(|at| is_recent(at, &conn)));
    assert_this_binarys_rows(&conn);
    migrates_on_as_if_this_toolkit_had_migrated_it(&mut conn, 3);
    assert!(has_table(&conn, "schema_migrations"));
}

#[test]
fn dbmate_timestamps_are_the_binarys_versions() {
    let (_dir, path) = temp_db();
    let chain = migrator(vec![
        create_table(20151129054053, "posts"),
        create_table(20151130000000, "tags"),
    ]);
    let mut conn = hand_made(&path, &chain.migrations()[..1]);
    // Before dbmate 2, the column was varchar(255).
    conn.execute_batch(
        "create table if not exists schema_migrations (version varchar(255) primary key);
         insert into schema_migrations (version) values ('20151129054053');",
    )
    .unwrap();

    let imported = chain
        .import_history(&mut conn, ForeignHistory::Dbmate)
        .unwrap();

    assert_eq!(imported.recorded, [(20151129054053, "posts".into())]);
    migrates_on(&chain, &mut conn, 1);
}

#[test]
fn schema_migrations_is_golang_migrates_with_a_dirty_column_and_dbmates_without() {
    let (_dir, golang_path) = temp_db();
    let mut golang = hand_made(&golang_path, &MIGRATIONS[..1]);
    golang.execute_batch(GOLANG_MIGRATE_TABLE).unwrap();
    golang_migrate_version(&golang, 1, false);
    let (_other_dir, dbmate_path) = temp_db();
    let mut dbmate = hand_made(&dbmate_path, &MIGRATIONS[..1]);
    dbmate.execute_batch(DBMATE_TABLE).unwrap();
    dbmate
        .execute("insert into schema_migrations (version) values ('1')", [])
        .unwrap();

    assert_eq!(
        ForeignHistory::detect(&golang).unwrap(),
        [ForeignHistory::GolangMigrate]
    );
    assert_eq!(
        ForeignHistory::detect(&dbmate).unwrap(),
        [ForeignHistory::Dbmate]
    );
    let error = MIGRATOR
        .import_history(&mut golang, ForeignHistory::Dbmate)
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::NoForeignHistory {
                from: ForeignHistory::Dbmate
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains(
            "has no table schema_migrations without a `dirty` column (golang-migrate's has one)"
        ),
        "{error}"
    );
    let error = MIGRATOR
        .import_history(&mut dbmate, ForeignHistory::GolangMigrate)
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("has no table schema_migrations with a `dirty` column"),
        "{error}"
    );
    assert!(!has_table(&golang, "_migrate_history"));
    assert!(!has_table(&dbmate, "_migrate_history"));
}

// Prisma

/// Three migrations in Prisma's folders: `20240101120000_init`,
/// `20240102093000_add_tags`, `20240103000000_add_comments`.
fn prisma_chain() -> Migrator {
    migrator(vec![
        create_table(20240101120000, "init"),
        create_table(20240102093000, "add_tags"),
        create_table(20240103000000, "add_comments"),
    ])
}

/// A row as Prisma's `migrate deploy` writes it: recorded as started (times
/// in milliseconds since the epoch, as Prisma stores them on SQLite), then,
/// once `migration.sql` ran, as finished.
fn prisma_row(conn: &Connection, id: &str, migration: &Migration, finished_at: Option<i64>) {
    let name = format!("{}_{}", migration.version(), migration.name());
    let started_at = finished_at.unwrap_or(1_704_110_400_000) - 250;
    conn.execute(
        "INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name, applied_steps_count)
         VALUES (?1, ?2, ?3, ?4, 0)",
        params![id, sha256_hex(migration.up().sql()), started_at, name],
    )
    .unwrap();
    match finished_at {
        Some(finished_at) => conn.execute(
            "UPDATE _prisma_migrations SET finished_at = ?1, applied_steps_count = 1 WHERE id = ?2",
            params![finished_at, id],
        ),
        None => conn.execute(
            "UPDATE _prisma_migrations SET logs = 'Database error: table already exists' WHERE id = ?1",
            [id],
        ),
    }
    .unwrap();
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[test]
fn prisma_history_is_imported_with_its_times_and_rolled_back_rows_ignored() {
    let (_dir, path) = temp_db();
    let chain = prisma_chain();
    let migrations = chain.migrations();
    let mut conn = hand_made(&path, &migrations[..2]);
    conn.execute_batch(PRISMA_TABLE).unwrap();
    prisma_row(&conn, "a1", &migrations[0], Some(1_704_110_400_123));
    // add_tags failed, was marked `prisma migrate resolve --rolled-back`,
    // then applied again with a new row.
    prisma_row(&conn, "b1", &migrations[1], None);
    conn.execute(
        "UPDATE _prisma_migrations SET rolled_back_at = 1704190000000 WHERE id = 'b1'",
        [],
    )
    .unwrap();
    prisma_row(&conn, "b2", &migrations[1], Some(1_704_191_400_000));
    assert_eq!(
        ForeignHistory::detect(&conn).unwrap(),
        [ForeignHistory::Prisma]
    );

    let imported = chain
        .import_history(&mut conn, ForeignHistory::Prisma)
        .unwrap();

    assert_eq!(
        imported.recorded,
        [
            (20240101120000, "init".into()),
            (20240102093000, "add_tags".into())
        ]
    );
    assert_eq!(
        applied_at(&conn),
        ["2024-01-01T12:00:00.123Z", "2024-01-02T10:30:00.000Z"]
    );
    migrates_on(&chain, &mut conn, 2);
    assert!(has_table(&conn, "_prisma_migrations"));
}

#[test]
fn prisma_times_written_as_text_are_read_too() {
    let (_dir, path) = temp_db();
    let chain = prisma_chain();
    let mut conn = hand_made(&path, &chain.migrations()[..1]);
    conn.execute_batch(PRISMA_TABLE).unwrap();
    conn.execute(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES ('a1', 'x', '2024-01-01 12:00:00', '20240101120000_init', 1)",
        [],
    )
    .unwrap();

    chain
        .import_history(&mut conn, ForeignHistory::Prisma)
        .unwrap();

    assert_eq!(applied_at(&conn), [iso(&conn, "2024-01-01 12:00:00")]);
}

#[test]
fn a_failed_prisma_migration_is_refused() {
    let (_dir, path) = temp_db();
    let chain = prisma_chain();
    let migrations = chain.migrations();
    let mut conn = hand_made(&path, &migrations[..1]);
    conn.execute_batch(PRISMA_TABLE).unwrap();
    prisma_row(&conn, "a1", &migrations[0], Some(1_704_110_400_000));
    prisma_row(&conn, "b1", &migrations[1], None);
    let before = dump(&path);

    let error = chain
        .import_history(&mut conn, ForeignHistory::Prisma)
        .unwrap_err();

    let (versions, message) = refused_as_failed(&error, ForeignHistory::Prisma);
    assert_eq!(versions, [(20240102093000, "add_tags".to_string())]);
    assert!(
        message.starts_with(
            "cannot import the history of prisma: its table _prisma_migrations records \
             migration 20240102093000 (add_tags) as failed"
        ),
        "{message}"
    );
    assert!(message.contains("prisma migrate resolve"), "{message}");
    drop(conn);
    assert_eq!(dump(&path), before);
}

// Drizzle

/// Drizzle's folder: `0000_tough_storm.sql`, `0001_brave_wolf.sql`,
/// `0002_calm_moon.sql`, each split by `--> statement-breakpoint`.
fn drizzle_chain() -> Migrator {
    let sql = |table: &str| {
        format!(
            "CREATE TABLE `{table}` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`body` text\n);\n\
             --> statement-breakpoint\n\
             CREATE INDEX `{table}_body` ON `{table}` (`body`);"
        )
    };
    migrator(vec![
        migration(0, "tough_storm", &sql("users"), 10),
        migration(1, "brave_wolf", &sql("posts"), 11),
        migration(2, "calm_moon", &sql("tags"), 12),
    ])
}

/// A row as Drizzle's `migrate()` inserts it: the SHA-256 of the file and
/// the journal's `when` of the migration.
fn drizzle_row(conn: &Connection, sql: &str, when: i64) {
    conn.execute(
        r#"INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES(?1, ?2)"#,
        params![sha256_hex(sql), when],
    )
    .unwrap();
}

#[test]
fn drizzle_history_is_imported_by_the_hash_of_each_file() {
    let (_dir, path) = temp_db();
    let chain = drizzle_chain();
    let migrations = chain.migrations();
    let mut conn = hand_made(&path, &migrations[..2]);
    conn.execute_batch(DRIZZLE_TABLE).unwrap();
    drizzle_row(&conn, migrations[0].up().sql(), 1_714_558_830_123);
    // Migrated from a Windows checkout of the same files.
    let crlf = migrations[1].up().sql().replace('\n', "\r\n");
    drizzle_row(&conn, &crlf, 1_714_558_890_000);
    assert_eq!(
        ForeignHistory::detect(&conn).unwrap(),
        [ForeignHistory::Drizzle]
    );

    let imported = chain
        .import_history(&mut conn, ForeignHistory::Drizzle)
        .unwrap();

    assert_eq!(
        imported.recorded,
        [(0, "tough_storm".into()), (1, "brave_wolf".into())]
    );
    assert_eq!(
        applied_at(&conn),
        ["2024-05-01T10:20:30.123Z", "2024-05-01T10:21:30.000Z"]
    );
    migrates_on(&chain, &mut conn, 2);
    assert!(has_table(&conn, "__drizzle_migrations"));
}

#[test]
fn a_drizzle_hash_no_migration_has_is_refused() {
    let (_dir, path) = temp_db();
    let chain = drizzle_chain();
    let migrations = chain.migrations();
    let mut conn = hand_made(&path, &migrations[..2]);
    conn.execute_batch(DRIZZLE_TABLE).unwrap();
    drizzle_row(&conn, migrations[0].up().sql(), 1_714_558_830_123);
    // The file was edited after Drizzle ran it.
    let edited = format!("{}\n", migrations[1].up().sql());
    drizzle_row(&conn, &edited, 1_714_558_890_000);
    let before = dump(&path);

    let error = chain
        .import_history(&mut conn, ForeignHistory::Drizzle)
        .unwrap_err();

    let Error::ForeignVersionsUnknown { from, ref versions } = error else {
        panic!("expected ForeignVersionsUnknown, got {error}");
    };
    assert_eq!(from, ForeignHistory::Drizzle);
    let label = format!("{} (created_at 1714558890000)", &sha256_hex(&edited)[..12]);
    assert_eq!(versions, std::slice::from_ref(&label));
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot import the history of drizzle: its table __drizzle_migrations records \
             migration this binary does not contain: {label};"
        )),
        "{message}"
    );
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn drizzle_files_of_the_same_text_are_each_matched_once() {
    let (_dir, path) = temp_db();
    // `drizzle-kit generate --custom` writes this file, left as it is twice.
    let custom = "-- Custom SQL migration file, put your code below! --";
    let chain = migrator(vec![
        migration(0, "tough_storm", "CREATE TABLE `users` (`id` integer);", 10),
        migration(1, "brave_wolf", custom, 11),
        migration(2, "calm_moon", custom, 12),
    ]);
    let migrations = chain.migrations();
    let mut conn = hand_made(&path, migrations);
    conn.execute_batch(DRIZZLE_TABLE).unwrap();
    drizzle_row(&conn, migrations[0].up().sql(), 1_714_558_830_000);
    drizzle_row(&conn, custom, 1_714_558_890_000);
    drizzle_row(&conn, custom, 1_714_558_950_000);

    let imported = chain
        .import_history(&mut conn, ForeignHistory::Drizzle)
        .unwrap();

    assert_eq!(history_versions(&conn), [0, 1, 2]);
    assert_eq!(imported.recorded.len(), 3);
    assert_eq!(applied_at(&conn)[2], "2024-05-01T10:22:30.000Z");
    migrates_on(&chain, &mut conn, 3);
}

#[test]
fn every_tool_is_listed_once_with_its_table() {
    let tables: Vec<(&str, &str)> = ForeignHistory::ALL
        .iter()
        .map(|tool| (tool.tool(), tool.table()))
        .collect();
    assert_eq!(
        tables,
        [
            ("sqlx", "_sqlx_migrations"),
            ("refinery", "refinery_schema_history"),
            ("diesel", "__diesel_schema_migrations"),
            ("golang-migrate", "schema_migrations"),
            ("goose", "goose_db_version"),
            ("dbmate", "schema_migrations"),
            ("prisma", "_prisma_migrations"),
            ("drizzle", "__drizzle_migrations"),
        ]
    );
}
