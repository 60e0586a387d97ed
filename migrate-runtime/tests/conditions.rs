//! Files the runtime cannot migrate: not a database, corrupted, full,
//! read-only, in a folder that does not exist. Each is a typed error and the
//! database is left as it was.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use migrate_runtime::rusqlite::{Connection, OpenFlags};
use migrate_runtime::{Backups, Error, Migrator};

/// A database at migration 2 with 2 000 users: several pages.
fn at_v2_with_users(path: &Path) {
    let conn = first(2).open(path).unwrap();
    conn.execute_batch(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
         INSERT INTO users (name) SELECT 'user ' || x FROM c;",
    )
    .unwrap();
}

/// Overwrites `len` bytes at `offset` with text, and returns the file's bytes.
fn scribble(path: &Path, offset: usize, len: usize) -> Vec<u8> {
    let mut bytes = fs::read(path).unwrap();
    assert!(offset + len <= bytes.len(), "the file is too short");
    for (i, byte) in bytes[offset..offset + len].iter_mut().enumerate() {
        *byte = b"garbage!"[i % 8];
    }
    fs::write(path, &bytes).unwrap();
    bytes
}

fn page_size(path: &Path) -> usize {
    inspect(path)
        .query_row("PRAGMA page_size", [], |row| row.get::<_, i64>(0))
        .unwrap() as usize
}

/// The root page of a table, as recorded in the schema.
fn root_page(path: &Path, table: &str) -> usize {
    inspect(path)
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = ?1",
            [table],
            |row| row.get::<_, i64>(0),
        )
        .unwrap() as usize
}

// Not a database.

#[test]
fn text_file_is_not_a_database_and_is_left_as_it_is() {
    let (dir, path) = temp_db();
    let text = "these are my notes, not a database\n".repeat(120);
    let text = &text.as_bytes()[..4096];
    fs::write(&path, text).unwrap();

    let error = MIGRATOR.open(&path).unwrap_err();

    let Error::NotADatabase { path: ref named } = error else {
        panic!("expected NotADatabase, got {error}");
    };
    assert_eq!(named, &path);
    assert_eq!(fs::read(&path).unwrap(), text);
    assert_eq!(file_names(dir.path()), ["app.db"], "no -wal, no backup");
}

#[test]
fn not_a_database_message_names_the_file_and_says_it_was_left_alone() {
    let (_dir, path) = temp_db();
    fs::write(&path, "x".repeat(4096)).unwrap();

    let message = MIGRATOR.open(&path).unwrap_err().to_string();

    assert!(
        message.contains(&format!("{} is not a SQLite database", path.display())),
        "{message}"
    );
    assert!(message.contains("left as it is"), "{message}");
}

#[test]
fn run_on_a_text_file_is_not_a_database() {
    let (_dir, path) = temp_db();
    fs::write(&path, "x".repeat(4096)).unwrap();
    let mut conn = Connection::open(&path).unwrap();

    let error = MIGRATOR.run(&mut conn).unwrap_err();

    assert!(matches!(error, Error::NotADatabase { .. }), "{error}");
}

#[test]
fn damaged_header_is_not_a_database() {
    let (_dir, path) = temp_db();
    at_v2_with_users(&path);
    // Bytes 16-17: the page size, here made impossible.
    let bytes = scribble(&path, 16, 2);

    let error = MIGRATOR.open(&path).unwrap_err();

    assert!(matches!(error, Error::NotADatabase { .. }), "{error}");
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

// Corrupted.

#[test]
fn corrupted_history_page_is_reported_and_the_file_left_as_it_is() {
    let (dir, path) = temp_db();
    at_v2_with_users(&path);
    let size = page_size(&path);
    let root = root_page(&path, "_migrate_history");
    let bytes = scribble(&path, (root - 1) * size, size);

    // Migrations are pending: the history must be read.
    let error = MIGRATOR.open(&path).unwrap_err();

    let Error::Corrupt {
        path: ref named,
        ref detail,
    } = error
    else {
        panic!("expected Corrupt, got {error}");
    };
    assert_eq!(named, &path);
    assert!(detail.contains("malformed"), "{detail}");
    assert_eq!(fs::read(&path).unwrap(), bytes);
    assert!(
        !dir.path().join("backups").exists(),
        "no backup of a corrupted file"
    );
}

#[test]
fn corrupted_schema_page_is_reported_and_the_file_left_as_it_is() {
    let (_dir, path) = temp_db();
    at_v2_with_users(&path);
    // Page 1 after the 100-byte header: the root of sqlite_master.
    let bytes = scribble(&path, 100, page_size(&path) - 100);

    let error = MIGRATOR.open(&path).unwrap_err();

    assert!(matches!(error, Error::Corrupt { .. }), "{error}");
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

/// The fast path reads the header only, never the schema (that is what
/// keeps it flat in the number of tables), so an up-to-date database with a
/// corrupted schema page opens; the application's first query reports it.
/// The file is not touched either way.
#[test]
fn corrupted_schema_page_of_an_up_to_date_database_is_reported_by_the_first_query() {
    let (_dir, path) = temp_db();
    at_v2_with_users(&path);
    let bytes = scribble(&path, 100, page_size(&path) - 100);

    let conn = first(2)
        .open(&path)
        .expect("the fast path does not read the schema");
    let error = conn
        .query_row("SELECT count(*) FROM users", [], |row| row.get::<_, i64>(0))
        .unwrap_err();

    assert_eq!(
        error.sqlite_error_code(),
        Some(migrate_runtime::rusqlite::ErrorCode::DatabaseCorrupt),
        "{error}"
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

#[test]
fn corrupt_message_points_at_the_backups() {
    let (_dir, path) = temp_db();
    at_v2_with_users(&path);
    scribble(&path, 100, page_size(&path) - 100);

    let message = MIGRATOR.open(&path).unwrap_err().to_string();

    assert!(message.contains("is corrupted"), "{message}");
    assert!(message.contains("Migrator::restore"), "{message}");
    assert!(message.contains("Nothing was changed"), "{message}");
}

// Disk full.

/// Migration 2 adds about 10 MB of rows.
fn filling() -> Migrator {
    fixtures_then(
        1,
        vec![migration(
            2,
            "fill",
            "CREATE TABLE filler (x INTEGER, blob BLOB);
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
             INSERT INTO filler SELECT x, randomblob(500) FROM c;",
            2,
        )],
    )
}

/// A database at migration 1 with ada, and a connection that cannot grow it
/// by more than one page.
fn nearly_full(path: &Path) -> Connection {
    first(1)
        .open(path)
        .unwrap()
        .execute("INSERT INTO users (name) VALUES ('ada')", [])
        .unwrap();
    let conn = Connection::open(path).unwrap();
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .unwrap();
    let max: i64 = conn
        .query_row(
            &format!("PRAGMA max_page_count = {}", pages + 1),
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(max, pages + 1);
    conn
}

#[test]
fn full_database_is_disk_full_and_rolled_back() {
    let (_dir, path) = temp_db();
    let mut conn = nearly_full(&path);
    let before = dump(&path);

    let error = filling().run(&mut conn).unwrap_err();

    let Error::DiskFull {
        path: ref named,
        ref during,
    } = error
    else {
        panic!("expected DiskFull, got {error}");
    };
    assert_eq!(named, &path);
    assert!(during.contains("migration 2 (fill)"), "{during}");
    assert_eq!(dump(&path), before);
    assert_eq!(
        history_versions(&conn),
        [1],
        "the caller's connection agrees"
    );
}

#[test]
fn disk_full_message_says_what_to_do() {
    let (_dir, path) = temp_db();
    let mut conn = nearly_full(&path);

    let message = filling().run(&mut conn).unwrap_err().to_string();

    assert!(message.contains("the disk is full"), "{message}");
    assert!(message.contains("rolled back"), "{message}");
    assert!(message.contains("Free some space"), "{message}");
}

#[test]
fn full_database_keeps_its_fingerprint() {
    let (_dir, path) = temp_db();
    let mut conn = nearly_full(&path);
    let header = user_version(&conn);

    filling()
        .backups(Backups::disabled())
        .run(&mut conn)
        .unwrap_err();

    assert_eq!(user_version(&inspect(&path)), header);
    // The build at migration 1 still takes its fast path.
    first(1).open(&path).unwrap();
}

/// Migration 2 runs outside a transaction: a table created, then the filling.
fn filling_alone() -> Migrator {
    fixtures_then(
        1,
        vec![migration(
            2,
            "partial_then_fill",
            "-- migrate: no-transaction
             CREATE TABLE partial (x);
             CREATE TABLE filler (x INTEGER, blob BLOB);
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
             INSERT INTO filler SELECT x, randomblob(500) FROM c;",
            2,
        )],
    )
}

#[test]
fn full_database_in_a_no_transaction_migration_is_restored_from_the_backup() {
    let (_dir, path) = temp_db();
    let mut conn = nearly_full(&path);
    let before = dump(&path);

    let error = filling_alone().run(&mut conn).unwrap_err();

    // Outside a transaction the news is what became of the database.
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
    assert!(error.to_string().contains("disk is full"), "{error}");
    assert_eq!(dump(&path), before);
}

#[test]
fn full_database_in_a_no_transaction_migration_without_backup_does_not_claim_a_rollback() {
    let (_dir, path) = temp_db();
    let mut conn = nearly_full(&path);

    let error = filling_alone()
        .backups(Backups::disabled())
        .run(&mut conn)
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
    assert!(error.to_string().contains("disk is full"), "{error}");
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

// Read-only.

/// A database at migration 1 with ada, opened read-only.
fn read_only(path: &Path) -> Connection {
    first(1)
        .open(path)
        .unwrap()
        .execute("INSERT INTO users (name) VALUES ('ada')", [])
        .unwrap();
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

#[test]
fn read_only_connection_with_pending_migrations_is_read_only() {
    let (_dir, path) = temp_db();
    let mut conn = read_only(&path);
    let before = dump(&path);

    let error = MIGRATOR.run(&mut conn).unwrap_err();

    let Error::ReadOnly {
        path: ref named, ..
    } = error
    else {
        panic!("expected ReadOnly, got {error}");
    };
    assert_eq!(named, &path);
    assert!(error.to_string().contains("write access"), "{error}");
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn read_only_connection_to_an_up_to_date_database_is_fine() {
    let (_dir, path) = temp_db();
    let mut conn = read_only(&path);

    let report = first(1).run(&mut conn).unwrap();

    assert_eq!(report.applied, []);
}

#[test]
fn read_only_connection_with_a_stale_header_is_accepted() {
    let (_dir, path) = temp_db();
    drop(read_only(&path));
    inspect(&path)
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();
    let mut conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();

    // Refreshing the header fails, which costs the fast path, nothing else.
    let report = first(1).run(&mut conn).unwrap();

    assert_eq!(report.applied, []);
    assert_eq!(user_version(&conn), 42);
}

// Missing folder.

#[test]
fn missing_folder_is_refused_and_nothing_is_created() {
    let (dir, _) = temp_db();
    let path = dir.path().join("data").join("app").join("app.db");

    let error = MIGRATOR.open(&path).unwrap_err();

    let Error::MissingFolder { path: ref named } = error else {
        panic!("expected MissingFolder, got {error}");
    };
    assert_eq!(named, &path);
    assert_eq!(file_names(dir.path()), Vec::<String>::new());
    assert!(error.to_string().contains("create it first"), "{error}");
}
