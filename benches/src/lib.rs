//! The workload setup shared by the benchmarks of this crate: a generated
//! chain as this toolkit's runtime sees it, as plain rusqlite runs it (the
//! floors), and written out as a migrations folder.
//!
//! The chains themselves come from `migrate_tests::workload`
//! (`tests/workload.rs`): the same deterministic migrations on every run.

use std::path::{Path, PathBuf};

use migrate_runtime::rusqlite::{self, Connection};
use migrate_runtime::{Backups, Directives, Migration, Migrator, Script};
use tempfile::TempDir;

pub use migrate_tests::workload;

/// One generated migration as the floor runs it: `(version, name, SQL,
/// checksum hex)`.
pub type Row = (i64, String, String, String);

/// A generated chain as the runtime sees it, and as the floor does.
pub struct Chain {
    /// Backups off: a fresh database is never backed up, and the floors
    /// take none.
    pub migrator: Migrator,
    /// Every migration, in order.
    pub rows: Vec<Row>,
}

impl Chain {
    /// The chain of `files` (`(file name, SQL)`, as `workload` makes them).
    pub fn new(files: &[(String, String)]) -> Self {
        let migrations: Vec<Migration> = files
            .iter()
            .map(|(file, sql)| {
                let (version, name) = workload::version_and_name(file);
                let directives = Directives::parse(sql).expect("generated directives parse");
                Migration::new(
                    version,
                    name.to_string(),
                    Script::owned(sql.clone(), directives),
                    None,
                    migrate_runtime::Checksum::of(sql),
                )
            })
            .collect();
        let rows = migrations
            .iter()
            .map(|m| {
                (
                    m.version() as i64,
                    m.name().to_string(),
                    m.up().sql().to_string(),
                    m.checksum().to_hex(),
                )
            })
            .collect();
        // A `Migrator` wants `'static` migrations, as the macro embeds them.
        let migrations: &'static [Migration] = Box::leak(migrations.into_boxed_slice());
        Self {
            migrator: Migrator::new(migrations).backups(Backups::disabled()),
            rows,
        }
    }

    /// The first `count` migrations only, with the same checksums.
    pub fn prefix(files: &[(String, String)], count: usize) -> Self {
        Self::new(&files[..count])
    }
}

/// The no-op start's floor: open the file, read the header's `user_version`,
/// close.
pub fn raw_noop(path: &Path) -> i32 {
    let conn = Connection::open(path).unwrap();
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

/// What every floor and every peer does to a connection first, as
/// `Migrator::open` does: WAL and foreign keys on.
pub fn configure(conn: &Connection) {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
}

/// The apply floor: WAL, foreign keys on, then `rows` with one history row
/// each (a prepared INSERT into a table like the migrator's), all in one
/// transaction.
pub fn raw_apply(path: &Path, rows: &[Row]) -> Connection {
    let conn = Connection::open(path).unwrap();
    configure(&conn);
    conn.execute_batch("BEGIN").unwrap();
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS raw_history (
            version     INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            checksum    TEXT NOT NULL,
            applied_at  TEXT NOT NULL,
            duration_ms INTEGER NOT NULL,
            down_sql    TEXT
        )",
    )
    .unwrap();
    {
        let mut insert = conn
            .prepare(
                "INSERT INTO raw_history (version, name, checksum, applied_at, duration_ms, down_sql)
                 VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 0, NULL)",
            )
            .unwrap();
        for (version, name, sql, checksum) in rows {
            conn.execute_batch(sql).unwrap();
            insert
                .execute(rusqlite::params![version, name, checksum])
                .unwrap();
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    conn
}

/// The validation floor: the same texts, in order, on a fresh in-memory
/// SQLite, each migration in its own transaction, with foreign keys on as
/// validation has them.
pub fn raw_in_memory(sqls: &[&str]) {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    for sql in sqls {
        conn.execute_batch("BEGIN").unwrap();
        conn.execute_batch(sql).unwrap();
        conn.execute_batch("COMMIT").unwrap();
    }
}

/// `(tables + indexes + views)` of the database, the history tables of the
/// toolkit, of the floor and of the peers left out.
pub fn schema_size(conn: &Connection) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master
         WHERE name NOT IN ('_migrate_history', 'raw_history', 'refinery_schema_history')
           AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        [],
        |row| row.get(0),
    )
    .unwrap()
}

/// Writes `files` into `base/<dir>`, which must not exist yet.
pub fn write_folder(base: &Path, dir: &str, files: &[(String, String)]) {
    let folder = base.join(dir);
    std::fs::create_dir_all(&folder).unwrap();
    for (name, sql) in files {
        std::fs::write(folder.join(name), sql).unwrap();
    }
}

/// A new, empty folder under `base`; deleted, with the database, when dropped.
pub fn fresh(base: &Path) -> TempDir {
    tempfile::tempdir_in(base).unwrap()
}

/// The database file of a folder made by [`fresh`].
pub fn database(dir: &TempDir) -> PathBuf {
    dir.path().join("app.db")
}

/// Whether the bench binary was started by `cargo bench` (criterion's
/// `--bench` flag) rather than by `cargo test --all-targets`, which runs
/// each benchmark once as a smoke test. The setups that take seconds (a
/// million rows, a thousand-file crate) are made small in that case.
pub fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// The workspace root, where the scratch crates find `migrate-runtime` and
/// the lock file.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ is inside the workspace")
        .to_path_buf()
}

/// Where the scratch crates build: `target/scratch` (under
/// `CARGO_TARGET_DIR` when set), shared with the tests that build scratch
/// crates, so that their dependencies are compiled once.
pub fn scratch_target() -> PathBuf {
    target_folder().join("scratch")
}

/// Criterion's filter, for the benchmarks that are not criterion's: the
/// first argument that is not a flag, or "" for all.
pub fn filter() -> String {
    std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .unwrap_or_default()
}

/// Writes `header` and `lines` to `target/criterion/<group>/summary.tsv`,
/// beside criterion's own figures, and says where.
pub fn write_summary(group: &str, header: &str, lines: &[String]) {
    let folder = target_folder().join("criterion").join(group);
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("summary.tsv");
    let mut text = format!("{header}\n");
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    eprintln!("written to {}", path.display());
}

fn target_folder() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}
