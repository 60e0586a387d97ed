//! Helpers shared by the runtime's integration tests.
//!
//! Each test binary uses a part of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use migrate_runtime::rusqlite::types::Value;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Checksum, Directives, Migration, Migrator, Script};
use tempfile::TempDir;

// `tests/migrations`: 1 create_users, 2 create_posts (with a down script),
// 3 users_name_unique (a foreign-keys-off rebuild of users), 4 vacuum
// (no-transaction).
migrate_runtime::embed_migrations!("tests/migrations");

// Not every test binary uses all of them.
#[allow(unused_imports)]
pub use migrations::{MIGRATIONS, MIGRATOR, V2_CREATE_POSTS, V4_VACUUM};

/// A temporary folder and the path of a database file in it, not created yet.
/// The folder is deleted when the `TempDir` is dropped.
pub fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    let path = dir.path().join("app.db");
    (dir, path)
}

/// A migrator for the first `count` fixture migrations: a database migrated
/// by an older build of the application.
pub fn first(count: usize) -> Migrator {
    Migrator::new(&MIGRATIONS[..count])
}

/// A migration built at run time, with the directives of its SQL.
///
/// `checksum` stands for the content: the same version with another
/// `checksum` is an edited migration.
pub fn migration(version: u64, name: &'static str, sql: &str, checksum: u8) -> Migration {
    let directives = Directives::parse(sql).expect("valid directives");
    Migration::new(
        version,
        name,
        Script::owned(sql.to_string(), directives),
        None,
        Checksum::from_bytes([checksum; 32]),
    )
}

/// A migration built at run time with a down script.
pub fn with_down(
    version: u64,
    name: &'static str,
    up: &str,
    down: &str,
    checksum: u8,
) -> Migration {
    let up_migration = migration(version, name, up, checksum);
    let directives = Directives::parse(down).expect("valid directives");
    Migration::new(
        version,
        name,
        up_migration.up().clone(),
        Some(Script::owned(down.to_string(), directives)),
        up_migration.checksum(),
    )
}

/// A migrator for migrations built at run time.
pub fn migrator(migrations: Vec<Migration>) -> Migrator {
    Migrator::new(Box::leak(migrations.into_boxed_slice()))
}

/// The fixture migrations `..count` followed by `extra`.
pub fn fixtures_then(count: usize, extra: Vec<Migration>) -> Migrator {
    let mut migrations = MIGRATIONS[..count].to_vec();
    migrations.extend(extra);
    migrator(migrations)
}

/// A database whose schema was made without this toolkit: the up scripts of
/// `migrations` run by hand, in order, with no history. The connection is
/// returned open.
pub fn hand_made(path: &Path, migrations: &[Migration]) -> Connection {
    let conn = Connection::open(path).expect("create the database");
    for migration in migrations {
        conn.execute_batch(migration.up().sql())
            .unwrap_or_else(|error| panic!("run migration {migration} by hand: {error}"));
    }
    conn
}

/// Opens a plain connection, as a tool inspecting the file would.
pub fn inspect(path: &Path) -> Connection {
    Connection::open(path).expect("open the database to inspect it")
}

/// Everything in the database: each schema object with its SQL and, for
/// tables, every row. Two equal dumps mean an unchanged database.
pub fn dump(path: &Path) -> Vec<String> {
    let conn = inspect(path);
    let objects: Vec<(String, String, Option<String>)> = conn
        .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut dump = Vec::new();
    for (kind, name, sql) in objects {
        dump.push(format!("{kind} {name}: {sql:?}"));
        if kind == "table" {
            let mut rows = rows(&conn, &name);
            rows.sort();
            dump.extend(rows.into_iter().map(|row| format!("  {name} {row}")));
        }
    }
    dump
}

fn rows(conn: &Connection, table: &str) -> Vec<String> {
    let mut statement = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            let values = (0..columns)
                .map(|index| row.get::<_, Value>(index))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("{values:?}"))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The names of the tables, sorted.
pub fn tables(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// One row of `_migrate_history`.
#[derive(Debug)]
pub struct HistoryRow {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub applied_at: String,
    pub duration_ms: i64,
    pub down_sql: Option<String>,
}

/// The history table, ordered by version.
pub fn history(conn: &Connection) -> Vec<HistoryRow> {
    conn.prepare(
        "SELECT version, name, checksum, applied_at, duration_ms, down_sql
         FROM _migrate_history ORDER BY version",
    )
    .unwrap()
    .query_map([], |row| {
        Ok(HistoryRow {
            version: row.get(0)?,
            name: row.get(1)?,
            checksum: row.get(2)?,
            applied_at: row.get(3)?,
            duration_ms: row.get(4)?,
            down_sql: row.get(5)?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The versions recorded in the history table.
pub fn history_versions(conn: &Connection) -> Vec<i64> {
    history(conn).iter().map(|row| row.version).collect()
}

/// A pragma's value as text.
pub fn pragma(conn: &Connection, name: &str) -> String {
    conn.pragma_query_value(None, name, |row| row.get::<_, Value>(0))
        .map(|value| match value {
            Value::Integer(n) => n.to_string(),
            Value::Text(text) => text,
            other => format!("{other:?}"),
        })
        .unwrap()
}

/// `PRAGMA user_version`: where the runtime keeps the fingerprint of the
/// applied chain.
pub fn user_version(conn: &Connection) -> i32 {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

/// The fingerprint a migrator for `migrations` keeps in `user_version`.
pub fn fingerprint_of(migrations: &[Migration]) -> i32 {
    migrate_runtime::Fingerprint::of(migrations).to_user_version()
}

/// The names of the files in `folder`, sorted; none when it does not exist.
pub fn file_names(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A migration creating an empty table `name`.
pub fn create_table(version: u64, name: &'static str) -> Migration {
    migration(
        version,
        name,
        &format!("CREATE TABLE {name} (id INTEGER PRIMARY KEY, body TEXT);"),
        version as u8,
    )
}
