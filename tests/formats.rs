//! One folder per migration tool (`fixtures/formats/<tool>`), written the
//! way that tool and its generator write them, with the traps real folders
//! have: messy names, comment-only and empty scripts, files that run outside
//! a transaction, files wrapped in their own `BEGIN` … `COMMIT`, years of
//! `DROP`s and table rebuilds, and a rebuild of a parent table whose
//! children refer to it `ON DELETE CASCADE`. The folders with findings that
//! would fail a new migration are sealed (`migrate.toml`), as a project
//! adopting this toolkit seals what it has shipped; `sqlx` and `drizzle`
//! compile without a seal.
//!
//! For each tool: the folder embeds as it is, with the versions the tool
//! would run, in its order; a new database reaches the last version without
//! drift; a database holding rows at the version before the parent rebuild
//! climbs through it without losing a child row; and a database the tool
//! itself migrated part of the way (its scripts run as the tool runs them,
//! its history table written as the tool writes it) is adopted with
//! `import_history` and migrated on.

use std::fs;
use std::path::PathBuf;

use migrate_build_support::check_folder;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, ForeignHistory, Migration, Migrator};
use migrate_tests::{columns, count, crate_root, history_versions, integrity_check, object_names};
use sha2::{Digest, Sha256, Sha384};
use tempfile::TempDir;

// Helpers shared by the tools.

/// A temporary folder and the path of a database file in it, not created yet.
fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    let path = dir.path().join("app.db");
    (dir, path)
}

/// The versions of `migrations`, in order.
fn versions(migrations: &[Migration]) -> Vec<u64> {
    migrations.iter().map(Migration::version).collect()
}

/// The versions of the migrations without a down script.
fn irreversible(migrations: &[Migration]) -> Vec<u64> {
    let without_down = migrations.iter().filter(|m| m.down().is_none());
    without_down.map(Migration::version).collect()
}

/// The migration of `version`.
fn migration(migrations: &'static [Migration], version: u64) -> &'static Migration {
    migrations
        .iter()
        .find(|m| m.version() == version)
        .unwrap_or_else(|| panic!("no migration {version}"))
}

/// The index of the migration of `version`.
fn position(migrations: &[Migration], version: u64) -> usize {
    migrations
        .iter()
        .position(|m| m.version() == version)
        .unwrap_or_else(|| panic!("no migration {version}"))
}

/// The fixture folder of `tool`.
fn fixture_dir(tool: &str) -> PathBuf {
    crate_root().join("fixtures/formats").join(tool)
}

/// A text file of a fixture folder, as the tool reads it.
fn fixture_text(tool: &str, file: &str) -> String {
    let path = fixture_dir(tool).join(file);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The note on a file wrapped in its own `BEGIN` … `COMMIT`.
const WRAPPER_LEFT_OUT: &str = "the file's own `BEGIN` and `COMMIT` are left out";
/// The note on a file that turns foreign keys off itself.
const FOREIGN_KEYS_OFF: &str = "runs as `foreign-keys-off`";
/// The note on a sealed table rebuild written for a runner with foreign
/// keys off.
const SEALED_REBUILD: &str = "this sealed table rebuild runs as `foreign-keys-off`";
/// The note on a down script that rebuilds a table.
const DOWN_REBUILD: &str = "this down script rebuilds a table, and runs as `foreign-keys-off`";

/// The folder of `tool`, checked as `embed_migrations!` checks it: the
/// macro embedded exactly what the check read (with the directives the
/// notes speak of), and the check notes `notes`, each given as the file
/// (relative to the folder, with the line and column where the note has
/// them) and how the note begins.
fn checked_as_the_build_checks(tool: &str, embedded: &[Migration], notes: &[(&str, &str)]) {
    let dir = format!("fixtures/formats/{tool}");
    let checked = check_folder(crate_root(), &dir).unwrap_or_else(|e| panic!("{e:#?}"));
    let read: Vec<&Migration> = checked.sources.iter().map(|s| &s.migration).collect();
    let embedded: Vec<&Migration> = embedded.iter().collect();
    assert_eq!(embedded, read);
    let mut found: Vec<String> = checked
        .notes
        .iter()
        .map(|note| note.to_string().lines().next().unwrap().to_string())
        .collect();
    found.sort();
    let mut expected: Vec<String> = notes
        .iter()
        .map(|(file, message)| format!("{dir}/{file}: {message}"))
        .collect();
    expected.sort();
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (found, expected) in found.iter().zip(&expected) {
        assert!(
            found.starts_with(expected),
            "{found}\ndoes not start with\n{expected}"
        );
    }
}

/// What `PRAGMA foreign_key_check` reports, one line per row.
fn foreign_key_check(conn: &Connection) -> Vec<String> {
    let mut statement = conn.prepare("PRAGMA foreign_key_check").unwrap();
    let rows = statement.query_map([], |row| {
        let table: String = row.get(0)?;
        let rowid: Option<i64> = row.get(1)?;
        let parent: String = row.get(2)?;
        Ok(format!("{table} row {rowid:?} -> {parent}"))
    });
    rows.unwrap().collect::<Result<_, _>>().unwrap()
}

fn foreign_keys_on(conn: &Connection) -> bool {
    conn.pragma_query_value(None, "foreign_keys", |row| row.get(0))
        .unwrap()
}

fn assert_no_drift(migrator: &Migrator, conn: &Connection) {
    let verification = migrator.verify(conn).unwrap();
    assert!(verification.is_ok(), "{verification}");
}

fn has_column(conn: &Connection, table: &str, column: &str) -> bool {
    columns(conn, table).unwrap().iter().any(|c| c == column)
}

/// A new file, opened as an application opens it: every migration is
/// applied in order, `verify` finds no drift, and the next start applies
/// nothing.
fn a_new_database_reaches_the_last_version(migrator: &Migrator) {
    let (_dir, path) = temp_db();
    let conn = migrator.open(&path).unwrap();
    let all: Vec<i64> = versions(migrator.migrations())
        .into_iter()
        .map(|v| v as i64)
        .collect();
    assert_eq!(history_versions(&conn).unwrap(), all);
    assert!(migrator.status(&conn).unwrap().is_up_to_date());
    assert_no_drift(migrator, &conn);
    assert_eq!(integrity_check(&conn).unwrap(), ["ok"]);
    assert_eq!(foreign_key_check(&conn), Vec::<String>::new());
    assert!(foreign_keys_on(&conn));
    drop(conn);
    let mut conn = migrator.open(&path).unwrap();
    assert_eq!(migrator.run(&mut conn).unwrap().applied, []);
    assert_no_drift(migrator, &conn);
}

/// A database an application opened (foreign keys on) and migrated up to
/// `before`, the version just before a table rebuild, gets `rows`; the rest
/// of the chain is applied. Every row of the tables `kept` is still there,
/// nothing refers to a missing row, foreign keys are still on and the
/// schema is the one the migrations make. The connection is returned for
/// further checks.
fn climbing_through_the_rebuild_keeps_every_row(
    migrator: &Migrator,
    path: &std::path::Path,
    before: u64,
    rows: &str,
    kept: &[&str],
) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    let report = migrator.up_to(&mut conn, before).unwrap();
    assert_eq!(report.applied.last().map(|a| a.version), Some(before));
    conn.execute_batch(rows).unwrap();
    let counts = |conn: &Connection| -> Vec<i64> {
        kept.iter()
            .map(|table| count(conn, table).unwrap())
            .collect()
    };
    let before_rebuild = counts(&conn);
    assert!(
        before_rebuild.iter().all(|n| *n > 0),
        "{kept:?}: {before_rebuild:?}"
    );

    let report = migrator.run(&mut conn).unwrap();

    let all = versions(migrator.migrations());
    let rest = &all[position(migrator.migrations(), before) + 1..];
    let applied: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(applied, rest);
    assert_eq!(counts(&conn), before_rebuild, "rows of {kept:?} were lost");
    assert_eq!(foreign_key_check(&conn), Vec::<String>::new());
    assert!(
        foreign_keys_on(&conn),
        "the runner put foreign keys back on"
    );
    assert_no_drift(migrator, &conn);
    conn
}

/// How the original tool ran an up script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ran {
    /// In a transaction of its own.
    InTransaction,
    /// As it is, statement by statement, without a transaction around it.
    AsIs,
}

/// A database the original tool migrated through `applied`: each up script
/// (for goose and dbmate, the up section alone) run with plain rusqlite as
/// the tool runs it, on a connection with foreign keys as the tool's driver
/// leaves them. Its history table is the caller's to write.
fn migrated_by_the_tool(
    path: &std::path::Path,
    applied: &[Migration],
    foreign_keys: bool,
    ran: impl Fn(&Migration) -> Ran,
) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "foreign_keys", foreign_keys)
        .unwrap();
    for migration in applied {
        let sql = migration.up().sql();
        let run = |sql: &str| {
            conn.execute_batch(sql)
                .unwrap_or_else(|e| panic!("run {migration} as the tool does: {e}"))
        };
        match ran(migration) {
            Ran::InTransaction => {
                run("BEGIN");
                run(sql);
                run("COMMIT");
            }
            Ran::AsIs => run(sql),
        }
    }
    conn
}

/// The tool's own way: a script that says it runs outside a transaction
/// runs as it is, the others `default`.
fn as_its_directives_say(default: Ran) -> impl Fn(&Migration) -> Ran {
    move |migration| {
        if migration.up().directives().no_transaction() {
            Ran::AsIs
        } else {
            default
        }
    }
}

/// `import_history` adopts the database the tool migrated through its first
/// `applied` migrations; `run` then applies only the rest, `verify` finds no
/// drift before and after, and the tool's table is left where it was.
fn adopts_and_migrates_on(
    migrator: &Migrator,
    conn: &mut Connection,
    from: ForeignHistory,
    applied: usize,
) {
    assert_eq!(ForeignHistory::detect(conn).unwrap(), [from]);

    let imported = migrator.import_history(conn, from).unwrap();

    let migrations = migrator.migrations();
    let all = versions(migrations);
    let expected: Vec<(u64, String)> = migrations[..applied]
        .iter()
        .map(|m| (m.version(), m.name().to_string()))
        .collect();
    assert_eq!(imported.from, from);
    assert_eq!(imported.recorded, expected);
    let recorded: Vec<i64> = all[..applied].iter().map(|v| *v as i64).collect();
    assert_eq!(history_versions(conn).unwrap(), recorded);
    assert_no_drift(migrator, conn);

    // The application opens its connections with foreign keys on.
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    let report = migrator.run(conn).unwrap();

    let applied_now: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(applied_now, all[applied..]);
    assert!(migrator.status(conn).unwrap().is_up_to_date());
    assert_no_drift(migrator, conn);
    assert_eq!(foreign_key_check(conn), Vec::<String>::new());
    assert_eq!(migrator.run(conn).unwrap().applied, []);
    assert_eq!(
        ForeignHistory::detect(conn).unwrap(),
        [from],
        "{from}'s table is left in place"
    );
}

/// SHA-256 in lowercase hex, as Prisma and Drizzle record a migration.
fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The versions the revert error names, newest first.
fn without_down_script(error: &Error) -> Vec<u64> {
    match error {
        Error::NoDownScript { migrations } => migrations.iter().map(|(v, _)| *v).collect(),
        other => panic!("expected NoDownScript, got {other}"),
    }
}

// sqlx: `<timestamp>_<description>.sql`, run in a transaction with foreign
// keys on; the `users` rebuild is a `-- no-transaction` file that turns
// foreign keys off and opens its own transaction. No findings: no seal.
mod sqlx {
    use super::*;

    migrate_runtime::embed_migrations!("fixtures/formats/sqlx");
    use migrations::{MIGRATIONS, MIGRATOR};

    const VERSIONS: [u64; 7] = [
        20230105093012,
        20230105094530,
        20230212181500,
        20230302081544,
        20230419120000,
        20230601094500,
        20231108070000,
    ];

    #[test]
    fn the_folder_is_embedded_in_version_order() {
        // The rebuild says `no-transaction`: it runs as it is, with no note.
        checked_as_the_build_checks("sqlx", MIGRATIONS, &[]);
        assert_eq!(versions(MIGRATIONS), VERSIONS);
        assert_eq!(irreversible(MIGRATIONS), VERSIONS);
        let rebuild = migrations::V20230302081544_USERS_EMAIL_UNIQUE;
        assert!(rebuild.up().directives().no_transaction());
        assert!(rebuild.up().sql().starts_with("-- no-transaction\n"));
        assert_eq!(
            migrations::V20230601094500_ADD_INDEX_ON_BOOKMARKS_URL_FOR_DEDUP.name(),
            "add_index_on_bookmarks_url_for_dedup"
        );
        assert!(!fixture_dir("sqlx").join("migrate.toml").exists());
    }

    #[test]
    fn a_new_database_is_migrated_without_drift() {
        a_new_database_reaches_the_last_version(&MIGRATOR);
    }

    #[test]
    fn the_users_rebuild_keeps_every_bookmark() {
        let (_dir, path) = temp_db();
        let conn = climbing_through_the_rebuild_keeps_every_row(
            &MIGRATOR,
            &path,
            20230212181500,
            "INSERT INTO users (id, email, password_hash) VALUES
                 (1, 'ada@example.com', 'x'), (2, 'grace@example.com', 'y');
             INSERT INTO bookmarks (user_id, url, title) VALUES
                 (1, 'https://sqlite.org', 'SQLite'), (1, 'https://www.rust-lang.org', NULL),
                 (2, 'https://example.com', 'Example');
             INSERT INTO tags (id, user_id, name) VALUES (1, 1, 'db'), (2, 2, 'misc');
             INSERT INTO bookmark_tags (bookmark_id, tag_id) VALUES (1, 1), (3, 2);",
            &["users", "bookmarks", "tags", "bookmark_tags"],
        );
        let duplicate = conn.execute(
            "INSERT INTO users (email, password_hash) VALUES ('ADA@example.com', 'z')",
            [],
        );
        assert!(duplicate.is_err(), "the rebuild made email unique");
    }

    #[test]
    fn a_database_sqlx_migrated_is_adopted() {
        let (_dir, path) = temp_db();
        let applied = 5;
        // sqlx's SQLite connections have foreign keys on.
        let mut conn = migrated_by_the_tool(
            &path,
            &MIGRATIONS[..applied],
            true,
            as_its_directives_say(Ran::InTransaction),
        );
        // sqlx-sqlite's `ensure_migrations_table`, and a row per migration
        // as sqlx writes it: the description from the file name, SHA-384
        // of the SQL, the time in nanoseconds.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                version BIGINT PRIMARY KEY,
                description TEXT NOT NULL,
                installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                success BOOLEAN NOT NULL,
                checksum BLOB NOT NULL,
                execution_time BIGINT NOT NULL
            );",
        )
        .unwrap();
        for (n, migration) in MIGRATIONS[..applied].iter().enumerate() {
            conn.execute(
                "INSERT INTO _sqlx_migrations
                     (version, description, installed_on, success, checksum, execution_time)
                 VALUES (?1, ?2, ?3, TRUE, ?4, ?5)",
                (
                    migration.version() as i64,
                    migration.name().replace('_', " "),
                    format!("2023-11-0{} 07:00:00", n + 1),
                    Sha384::digest(migration.up().sql().as_bytes()).to_vec(),
                    1_250_000 * (n as i64 + 1),
                ),
            )
            .unwrap();
        }

        adopts_and_migrates_on(&MIGRATOR, &mut conn, ForeignHistory::Sqlx, applied);
    }
}

// golang-migrate: `<version>_<title>.up.sql` / `.down.sql` from version 0,
// run with `x-no-tx-wrap` (some files open their own transaction) on a
// go-sqlite3 connection, foreign keys off.
//
// The build reports the folder's warnings (and its sealed findings, in one
// line) as `deprecated` warnings, the one kind a proc macro can raise.
#[allow(deprecated)]
mod golang_migrate {
    use super::*;

    migrate_runtime::embed_migrations!("fixtures/formats/golang_migrate");
    use migrations::{MIGRATIONS, MIGRATOR};

    #[test]
    fn the_folder_is_embedded_in_version_order() {
        checked_as_the_build_checks(
            "golang_migrate",
            MIGRATIONS,
            &[
                ("000002_create_clicks.up.sql:1:1", WRAPPER_LEFT_OUT),
                ("000002_create_clicks.down.sql:1:1", WRAPPER_LEFT_OUT),
                ("000005_users_display_name.up.sql", SEALED_REBUILD),
                ("000005_users_display_name.down.sql", DOWN_REBUILD),
            ],
        );
        assert_eq!(versions(MIGRATIONS), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        // 4's down file is empty: irreversible.
        assert_eq!(irreversible(MIGRATIONS), [4]);
        // `000003_add_tags..up.sql` pairs with `000003_add_tags.down.sql`.
        let tags = migration(MIGRATIONS, 3);
        assert_eq!(tags.name(), "add_tags.");
        assert!(tags.down().unwrap().sql().contains("DROP TABLE tags;"));
        // `000006_drop_tags.up.sql` pairs with `000006_drop_unused_tags.down.sql`.
        let drop = migration(MIGRATIONS, 6);
        assert!(drop.down().unwrap().sql().contains("CREATE TABLE tags"));
        // The wrapped file keeps its text (and checksum); the runner leaves
        // the wrapper out.
        assert!(migrations::V2_CREATE_CLICKS
            .up()
            .sql()
            .starts_with("BEGIN TRANSACTION;"));
        // Sealed: the `users` rebuild runs with foreign keys off.
        assert!(migrations::V5_USERS_DISPLAY_NAME
            .up()
            .directives()
            .foreign_keys_off());
        assert!(fixture_dir("golang_migrate").join("migrate.toml").exists());
    }

    #[test]
    fn a_new_database_is_migrated_without_drift() {
        a_new_database_reaches_the_last_version(&MIGRATOR);
    }

    #[test]
    fn the_users_rebuild_keeps_every_link() {
        let (_dir, path) = temp_db();
        let conn = climbing_through_the_rebuild_keeps_every_row(
            &MIGRATOR,
            &path,
            4,
            "INSERT INTO users (id, email, name) VALUES
                 (1, 'ada@example.com', 'Ada'), (2, 'grace@example.com', NULL);
             INSERT INTO links (user_id, slug, target_url) VALUES
                 (1, 'sqlite', 'https://sqlite.org'), (2, 'rust', 'https://www.rust-lang.org');
             INSERT INTO clicks (link_id, referrer) VALUES (1, NULL), (2, 'https://example.com');
             INSERT INTO tags (id, name) VALUES (1, 'docs');
             INSERT INTO link_tags (link_id, tag_id) VALUES (1, 1), (2, 1);",
            &["users", "links"],
        );
        let name: String = conn
            .query_row("SELECT display_name FROM users WHERE id = 2", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(name, "grace@example.com");
    }

    #[test]
    fn the_click_log_is_purged_as_it_was_in_production() {
        let (_dir, path) = temp_db();
        let mut conn = MIGRATOR.open(&path).unwrap();
        MIGRATOR.revert_to(&mut conn, 6).unwrap();
        conn.execute_batch(
            "INSERT INTO users (email, display_name) VALUES ('ada@example.com', 'Ada');
             INSERT INTO links (user_id, slug, target_url) VALUES (1, 'sqlite', 'https://sqlite.org');
             INSERT INTO clicks (link_id) VALUES (1), (1);",
        )
        .unwrap();
        MIGRATOR.run(&mut conn).unwrap();
        assert_eq!(count(&conn, "clicks").unwrap(), 0);
        assert_eq!(count(&conn, "links").unwrap(), 1);
    }

    #[test]
    fn reverting_pairs_downs_by_version_and_refuses_an_empty_down() {
        let (_dir, path) = temp_db();
        let mut conn = MIGRATOR.open(&path).unwrap();

        let report = MIGRATOR.revert_steps(&mut conn, 3).unwrap();

        let reverted: Vec<u64> = report.reverted.iter().map(|r| r.version).collect();
        assert_eq!(reverted, [8, 7, 6]);
        // 6's down, from `000006_drop_unused_tags.down.sql`, made them again.
        let tables = object_names(&conn, "table").unwrap();
        assert!(tables.contains(&"tags".to_string()), "{tables:?}");
        assert!(!has_column(&conn, "links", "click_count"));
        assert_no_drift(&MIGRATOR, &conn);

        // 4's down file is empty: nothing is reverted, 5 included.
        let before = history_versions(&conn).unwrap();
        let error = MIGRATOR.revert_to(&mut conn, 3).unwrap_err();
        assert_eq!(without_down_script(&error), [4]);
        assert_eq!(history_versions(&conn).unwrap(), before);

        MIGRATOR.run(&mut conn).unwrap();
        assert_no_drift(&MIGRATOR, &conn);
    }

    /// 5's down file rebuilds `users` back the way golang-migrate ran it:
    /// on a go-sqlite3 connection, foreign keys off. A down script that
    /// rebuilds a table runs `foreign-keys-off`, so the revert's `DROP TABLE
    /// users` deletes no link through `ON DELETE CASCADE`; the history keeps
    /// the directive with the script, for a build without the migration.
    #[test]
    fn reverting_the_users_rebuild_keeps_every_link() {
        let (_dir, path) = temp_db();
        let mut conn = MIGRATOR.open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, email, display_name) VALUES (1, 'ada@example.com', 'Ada');
             INSERT INTO links (user_id, slug, target_url) VALUES
                 (1, 'sqlite', 'https://sqlite.org'), (1, 'rust', 'https://www.rust-lang.org');",
        )
        .unwrap();

        let kept: String = conn
            .query_row(
                "SELECT down_sql FROM _migrate_history WHERE version = 5",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert!(kept.starts_with("-- migrate: foreign-keys-off\n"), "{kept}");

        let report = MIGRATOR.revert_to(&mut conn, 4).unwrap();

        let reverted: Vec<u64> = report.reverted.iter().map(|r| r.version).collect();
        assert_eq!(reverted, [8, 7, 6, 5]);
        assert!(has_column(&conn, "users", "name"));
        assert_eq!(count(&conn, "links").unwrap(), 2, "links were deleted");
    }

    #[test]
    fn a_database_golang_migrate_migrated_is_adopted() {
        let (_dir, path) = temp_db();
        let applied = position(MIGRATIONS, 6) + 1;
        let mut conn = migrated_by_the_tool(&path, &MIGRATIONS[..applied], false, |_| Ran::AsIs);
        // The sqlite3 driver's `ensureVersionTable`, and its one row: the
        // current version, clean.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);
             CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);
             DELETE FROM schema_migrations;
             INSERT INTO schema_migrations (version, dirty) VALUES (6, 0);",
        )
        .unwrap();

        adopts_and_migrates_on(&MIGRATOR, &mut conn, ForeignHistory::GolangMigrate, applied);
    }
}

// refinery: `V<n>__<name>.sql`, 9 before 10, each in a transaction on the
// application's rusqlite connection.
//
// The build reports the folder's warnings (and its sealed findings, in one
// line) as `deprecated` warnings, the one kind a proc macro can raise.
#[allow(deprecated)]
mod refinery {
    use super::*;

    migrate_runtime::embed_migrations!("fixtures/formats/refinery");
    use migrations::{MIGRATIONS, MIGRATOR};

    #[test]
    fn the_folder_is_embedded_in_version_order() {
        checked_as_the_build_checks(
            "refinery",
            MIGRATIONS,
            &[("V6__warehouses_code.sql", SEALED_REBUILD)],
        );
        let all: Vec<u64> = (1..=10).collect();
        assert_eq!(versions(MIGRATIONS), all);
        assert_eq!(irreversible(MIGRATIONS), all);
        assert_eq!(
            migrations::V10_STOCK_LEVELS_VIEW.name(),
            "stock_levels_view"
        );
        assert!(migrations::V6_WAREHOUSES_CODE
            .up()
            .directives()
            .foreign_keys_off());
    }

    #[test]
    fn a_new_database_is_migrated_without_drift() {
        a_new_database_reaches_the_last_version(&MIGRATOR);
    }

    #[test]
    fn the_warehouses_rebuild_keeps_every_item() {
        let (_dir, path) = temp_db();
        let conn = climbing_through_the_rebuild_keeps_every_row(
            &MIGRATOR,
            &path,
            5,
            "INSERT INTO warehouses (id, name, city) VALUES (1, 'North', 'Leeds'), (2, 'South', 'Bristol');
             INSERT INTO items (id, warehouse_id, sku, name, barcode, quantity) VALUES
                 (1, 1, 'SKU-1', 'Bolt', '4006381333931', 100), (2, 2, 'SKU-2', 'Nut', NULL, 250);
             INSERT INTO stock_movements (item_id, delta, reason) VALUES
                 (1, 100, 'initial'), (2, 250, 'initial'), (2, -5, 'broken');",
            &["warehouses", "items", "stock_movements"],
        );
        let level: (String, i64) = conn
            .query_row(
                "SELECT warehouse, quantity FROM stock_levels WHERE sku = 'SKU-2'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(level, ("WH002".to_string(), 250));
    }

    #[test]
    fn a_database_refinery_migrated_is_adopted() {
        let (_dir, path) = temp_db();
        let applied = 7;
        let mut conn = migrated_by_the_tool(
            &path,
            &MIGRATIONS[..applied],
            false,
            as_its_directives_say(Ran::InTransaction),
        );
        // refinery's `ASSERT_MIGRATIONS_TABLE_QUERY`, and its rows: name,
        // RFC 3339 time, and its checksum: SipHash-1-3 of name, version and
        // SQL (std's `DefaultHasher` today), as a number.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS refinery_schema_history(
                 version INT4 PRIMARY KEY,
                 name VARCHAR(255),
                 applied_on VARCHAR(255),
                 checksum VARCHAR(255));",
        )
        .unwrap();
        for (n, migration) in MIGRATIONS[..applied].iter().enumerate() {
            conn.execute(
                "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
                 VALUES (?1, ?2, ?3, ?4)",
                (
                    migration.version() as i64,
                    migration.name(),
                    format!("2024-02-{:02}T09:30:00.{n}00000000Z", n + 1),
                    refinery_checksum(migration).to_string(),
                ),
            )
            .unwrap();
        }

        adopts_and_migrates_on(&MIGRATOR, &mut conn, ForeignHistory::Refinery, applied);
    }

    fn refinery_checksum(migration: &Migration) -> u64 {
        use std::hash::{Hash, Hasher};

        let mut hasher = std::hash::DefaultHasher::new();
        migration.name().hash(&mut hasher);
        (migration.version() as i32).hash(&mut hasher);
        migration.up().sql().hash(&mut hasher);
        hasher.finish()
    }
}

// diesel: `<timestamp>_<name>/up.sql` and `down.sql`, the timestamp in the
// format of diesel_cli before and after 2.2 (`-0000`), generated down
// scripts left as their comment, a `metadata.toml` that runs a migration
// outside a transaction.
//
// The build reports the folder's warnings (and its sealed findings, in one
// line) as `deprecated` warnings, the one kind a proc macro can raise.
#[allow(deprecated)]
mod diesel {
    use super::*;

    migrate_runtime::embed_migrations!("fixtures/formats/diesel");
    use migrations::{MIGRATIONS, MIGRATOR};

    const VERSIONS: [u64; 7] = [
        20230210101500,
        20230210101733,
        20230322084512,
        20230501120000,
        20230914153000,
        202406242255180000,
        202407020812450000,
    ];

    #[test]
    fn the_folder_is_embedded_in_version_order() {
        checked_as_the_build_checks(
            "diesel",
            MIGRATIONS,
            &[("2023-09-14-153000_authors_handle/up.sql", SEALED_REBUILD)],
        );
        assert_eq!(versions(MIGRATIONS), VERSIONS);
        // Their `down.sql` holds diesel's comment alone.
        assert_eq!(irreversible(MIGRATIONS), [20230501120000, 20230914153000]);
        assert!(migrations::V20230501120000_ENABLE_WAL
            .up()
            .directives()
            .no_transaction());
        assert!(migrations::V20230914153000_AUTHORS_HANDLE
            .up()
            .directives()
            .foreign_keys_off());
        assert_eq!(
            migrations::V202406242255180000_DROP_POSTS_LEGACY_SLUG.name(),
            "drop_posts_legacy_slug"
        );
    }

    #[test]
    fn a_new_database_is_migrated_without_drift() {
        a_new_database_reaches_the_last_version(&MIGRATOR);
    }

    #[test]
    fn the_authors_rebuild_keeps_every_post() {
        let (_dir, path) = temp_db();
        let conn = climbing_through_the_rebuild_keeps_every_row(
            &MIGRATOR,
            &path,
            20230501120000,
            "INSERT INTO authors (id, name, bio) VALUES (1, 'Ada', NULL), (2, 'Grace', 'Compilers');
             INSERT INTO posts (id, author_id, title, body, legacy_slug, published) VALUES
                 (1, 1, 'Notes', 'On the engine.', 'notes', 1), (2, 2, 'COBOL', 'Draft.', NULL, 0);
             INSERT INTO comments (post_id, author_name, body) VALUES
                 (1, 'Charles', 'Splendid'), (2, 'Eve', 'Hmm'), (2, 'Bob', 'Ship it');",
            &["authors", "posts", "comments"],
        );
        let handle: String = conn
            .query_row("SELECT handle FROM authors WHERE id = 2", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(handle, "author-2");
        // The migration with run_in_transaction = false switched the file.
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode.to_ascii_lowercase(), "wal");
    }

    #[test]
    fn a_generated_down_left_as_its_comment_cannot_be_reverted() {
        let (_dir, path) = temp_db();
        let mut conn = MIGRATOR.open(&path).unwrap();
        let before = history_versions(&conn).unwrap();

        let error = MIGRATOR.revert_to(&mut conn, 20230322084512).unwrap_err();

        assert_eq!(
            without_down_script(&error),
            [20230914153000, 20230501120000]
        );
        assert_eq!(history_versions(&conn).unwrap(), before);
        assert!(has_column(&conn, "posts", "published_at"));

        let report = MIGRATOR.revert_steps(&mut conn, 1).unwrap();
        assert_eq!(report.reverted[0].version, 202407020812450000);
        assert!(!has_column(&conn, "posts", "published_at"));
    }

    #[test]
    fn a_database_diesel_migrated_is_adopted() {
        let (_dir, path) = temp_db();
        let applied = 6;
        let mut conn = migrated_by_the_tool(
            &path,
            &MIGRATIONS[..applied],
            false,
            as_its_directives_say(Ran::InTransaction),
        );
        // diesel's `setup_migration_table.sql`; diesel records the folder
        // name's leading part without its dashes.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
                 version VARCHAR(50) PRIMARY KEY NOT NULL,
                 run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
             );",
        )
        .unwrap();
        for folder in [
            "2023-02-10-101500_create_authors",
            "2023-02-10-101733_create_posts",
            "2023-03-22-084512_create_comments",
            "2023-05-01-120000_enable_wal",
            "2023-09-14-153000_authors_handle",
            "2024-06-24-225518-0000_drop_posts_legacy_slug",
        ] {
            let version = folder.split('_').next().unwrap().replace('-', "");
            conn.execute(
                "INSERT INTO __diesel_schema_migrations (version) VALUES (?1)",
                [version],
            )
            .unwrap();
        }

        adopts_and_migrates_on(&MIGRATOR, &mut conn, ForeignHistory::Diesel, applied);
    }
}

// goose: `-- +goose Up` / `-- +goose Down` sections, `StatementBegin` and
// `StatementEnd` around a trigger, a `NO TRANSACTION` VACUUM, sequential
// versions and a timestamped one `goose fix` has not renumbered yet.
//
// The build reports the folder's warnings (and its sealed findings, in one
// line) as `deprecated` warnings, the one kind a proc macro can raise.
#[allow(deprecated)]
mod goose {
    use super::*;

    migrate_runtime::embed_migrations!("fixtures/formats/goose");
    use migrations::{MIGRATIONS, MIGRATOR};

    #[test]
    fn the_folder_is_embedded_in_version_order() {
        checked_as_the_build_checks(
            "goose",
            MIGRATIONS,
            &[("00005_teams_slug.sql", SEALED_REBUILD)],
        );
        assert_eq!(versions(MIGRATIONS), [1, 2, 3, 4, 5, 6, 7, 20240611093015]);
        // 6's down section is a comment; 7's is empty.
        assert_eq!(irreversible(MIGRATIONS), [6, 7]);
        assert!(migrations::V7_VACUUM.up().directives().no_transaction());
        assert!(migrations::V5_TEAMS_SLUG
            .up()
            .directives()
            .foreign_keys_off());
        // The trigger is one statement, its body's semicolons and all; the
        // down section keeps the file's line numbers.
        let trigger = migrations::V3_TASKS_TOUCH_UPDATED_AT;
        assert!(trigger.up().sql().contains("END;"));
        let down = trigger.down().unwrap().sql();
        assert_eq!(
            down.lines()
                .position(|l| l == "DROP TRIGGER tasks_touch_updated_at;"),
            Some(14)
        );
    }

    #[test]
    fn a_new_database_is_migrated_without_drift() {
        a_new_database_reaches_the_last_version(&MIGRATOR);
    }

    #[test]
    fn the_teams_rebuild_keeps_every_task_and_its_trigger() {
        let (_dir, path) = temp_db();
        let conn = climbing_through_the_rebuild_keeps_every_row(
            &MIGRATOR,
            &path,
            4,
            "INSERT INTO teams (id, name) VALUES (1, 'Platform'), (2, 'Mobile Apps');
             INSERT INTO tasks (team_id, title) VALUES
                 (1, 'Upgrade SQLite'), (2, 'Ship 2.0'), (2, 'Fix login');
             INSERT INTO labels (id, team_id, name) VALUES (1, 1, 'infra');
             INSERT INTO task_labels (task_id, label_id) VALUES (1, 1);",
            &["teams", "tasks"],
        );
        let slug: String = conn
            .query_row("SELECT slug FROM teams WHERE id = 2", [], |row| row.get(0))
            .unwrap();
        assert_eq!(slug, "mobile-apps-2");
        let triggers = object_names(&conn, "trigger").unwrap();
        assert_eq!(triggers, ["tasks_touch_updated_at"]);
    }

    #[test]
    fn reverting_runs_the_down_section_and_stops_where_there_is_none() {
        let (_dir, path) = temp_db();
        let mut conn = MIGRATOR.open(&path).unwrap();
        assert!(has_column(&conn, "tasks", "due_at"));

        let report = MIGRATOR.revert_steps(&mut conn, 1).unwrap();

        assert_eq!(report.reverted[0].version, 20240611093015);
        assert!(!has_column(&conn, "tasks", "due_at"));
        let indexes = object_names(&conn, "index").unwrap();
        assert!(!indexes.contains(&"tasks_team_id_due_at".to_string()));
        let pending: Vec<u64> = MIGRATOR
            .pending(&conn)
            .unwrap()
            .iter()
            .map(|m| m.version())
            .collect();
        assert_eq!(pending, [20240611093015]);
        assert_no_drift(&MIGRATOR, &conn);

        // 7 (VACUUM) has an empty down section, 6 a comment.
        let before = history_versions(&conn).unwrap();
        let error = MIGRATOR.revert_steps(&mut conn, 1).unwrap_err();
        assert_eq!(without_down_script(&error), [7]);
        let error = MIGRATOR.revert_to(&mut conn, 5).unwrap_err();
        assert_eq!(without_down_script(&error), [7, 6]);
        assert_eq!(history_versions(&conn).unwrap(), before);
    }

    #[test]
    fn a_database_goose_migrated_is_adopted() {
        let (_dir, path) = temp_db();
        let applied = 6;
        let mut conn = migrated_by_the_tool(
            &path,
            &MIGRATIONS[..applied],
            false,
            as_its_directives_say(Ran::InTransaction),
        );
        // goose's sqlite3 dialect, its own row of version 0, and a row per
        // migration (`InsertVersion`, tstamp left to its default).
        conn.execute_batch(
            "CREATE TABLE goose_db_version (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 version_id INTEGER NOT NULL,
                 is_applied INTEGER NOT NULL,
                 tstamp TIMESTAMP DEFAULT (datetime('now'))
             );
             INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);",
        )
        .unwrap();
        for migration in &MIGRATIONS[..applied] {
            conn.execute(
                "INSERT INTO goose_db_version (version_id, is_applied) VALUES (?1, ?2)",
                (migration.version() as i64, true),
            )
            .unwrap();
        }

        adopts_and_migrates_on(&MIGRATOR, &mut conn, ForeignHistory::Goose, applied);
    }
}

// dbmate: `-- migrate:up` / `-- migrate:down` sections, a rebuild in a
// `transaction:false` section that handles foreign keys itself, a DROP
// COLUMN and a DELETE without WHERE from years ago.
//
// The build reports the folder's warnings (and its sealed findings, in one
// line) as `deprecated` warnings, the one kind a proc macro can raise.
#[allow(deprecated)]
mod dbmate {
    use super::*;

    migrate_runtime::embed_migrations!("fixtures/formats/dbmate");
    use migrations::{MIGRATIONS, MIGRATOR};

    const VERSIONS: [u64; 7] = [
        20220314101500,
        20220314102210,
        20220401083000,
        20220520143000,
        20220915090000,
        20230110070000,
        20230301100000,
    ];

    #[test]
    fn the_folder_is_embedded_in_version_order() {
        // The rebuild is `transaction:false` and turns foreign keys off
        // itself: it runs as it is, with no note.
        checked_as_the_build_checks("dbmate", MIGRATIONS, &[]);
        assert_eq!(versions(MIGRATIONS), VERSIONS);
        assert_eq!(irreversible(MIGRATIONS), [20220915090000, 20230110070000]);
        let rebuild = migrations::V20220915090000_CUSTOMERS_EMAIL_REQUIRED;
        assert!(rebuild.up().directives().no_transaction());
        // The down section is not part of the up script.
        assert!(!rebuild.up().sql().contains("optional addresses"));
    }

    #[test]
    fn a_new_database_is_migrated_without_drift() {
        a_new_database_reaches_the_last_version(&MIGRATOR);
    }

    #[test]
    fn the_customers_rebuild_keeps_every_invoice() {
        let (_dir, path) = temp_db();
        let conn = climbing_through_the_rebuild_keeps_every_row(
            &MIGRATOR,
            &path,
            20220520143000,
            "INSERT INTO customers (id, name, email) VALUES
                 (1, 'Acme', 'billing@acme.test'), (2, 'Initech', NULL);
             INSERT INTO invoices (id, customer_id, number, total_cents) VALUES
                 (1, 1, 'INV-0001', 1200), (2, 2, 'INV-0002', 990);
             INSERT INTO invoice_lines (invoice_id, description, unit_cents) VALUES
                 (1, 'Widgets', 600), (1, 'Shipping', 600), (2, 'Gadget', 990);",
            &["customers", "invoices", "invoice_lines"],
        );
        let email: String = conn
            .query_row("SELECT email FROM customers WHERE id = 2", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(email, "");
    }

    #[test]
    fn reverting_runs_the_down_section_and_refuses_a_comment() {
        let (_dir, path) = temp_db();
        let mut conn = MIGRATOR.open(&path).unwrap();

        let report = MIGRATOR.revert_steps(&mut conn, 1).unwrap();

        assert_eq!(report.reverted[0].version, 20230301100000);
        assert!(!has_column(&conn, "invoices", "due_at"));
        assert_no_drift(&MIGRATOR, &conn);
        let before = history_versions(&conn).unwrap();
        let error = MIGRATOR.revert_to(&mut conn, 20220520143000).unwrap_err();
        assert_eq!(
            without_down_script(&error),
            [20230110070000, 20220915090000]
        );
        assert_eq!(history_versions(&conn).unwrap(), before);
    }

    #[test]
    fn a_database_dbmate_migrated_is_adopted() {
        let (_dir, path) = temp_db();
        let applied = 6;
        let mut conn = migrated_by_the_tool(
            &path,
            &MIGRATIONS[..applied],
            false,
            as_its_directives_say(Ran::InTransaction),
        );
        // dbmate's sqlite driver, and a row per migration: the digits that
        // start the file name.
        conn.execute_batch(
            "create table if not exists schema_migrations (version varchar(128) primary key)",
        )
        .unwrap();
        for migration in &MIGRATIONS[..applied] {
            conn.execute(
                "insert into schema_migrations (version) values (?)",
                [migration.version().to_string()],
            )
            .unwrap();
        }

        adopts_and_migrates_on(&MIGRATOR, &mut conn, ForeignHistory::Dbmate, applied);
    }
}

// Prisma: `<timestamp>_<name>/migration.sql` beside `migration_lock.toml`,
// `-- RedefineTables` blocks of Prisma 4 and 5 (foreign keys off, after
// other statements), a DropTable wrapped in `PRAGMA foreign_keys=off`, a
// redundant index from `@unique` and `@@index`.
//
// The build reports the folder's warnings (and its sealed findings, in one
// line) as `deprecated` warnings, the one kind a proc macro can raise.
#[allow(deprecated)]
mod prisma {
    use super::*;

    migrate_runtime::embed_migrations!("fixtures/formats/prisma");
    use migrations::{MIGRATIONS, MIGRATOR};

    const VERSIONS: [u64; 6] = [
        20230105093012,
        20230110120000,
        20230215083000,
        20230412150000,
        20231120091500,
        20240226174512,
    ];

    #[test]
    fn the_folder_is_embedded_in_version_order() {
        checked_as_the_build_checks(
            "prisma",
            MIGRATIONS,
            &[
                (
                    "20230412150000_drop_recipe_legacy_rating/migration.sql:8:1",
                    FOREIGN_KEYS_OFF,
                ),
                (
                    "20231120091500_remove_tags/migration.sql:9:1",
                    FOREIGN_KEYS_OFF,
                ),
                // After the `-- AlterTable` statement.
                (
                    "20240226174512_user_name_required/migration.sql:12:1",
                    FOREIGN_KEYS_OFF,
                ),
            ],
        );
        assert_eq!(versions(MIGRATIONS), VERSIONS);
        assert_eq!(irreversible(MIGRATIONS), VERSIONS);
        for version in [20230412150000, 20231120091500, 20240226174512] {
            let directives = migration(MIGRATIONS, version).up().directives();
            assert!(directives.foreign_keys_off(), "{version}");
        }
        assert_eq!(migrations::V20230105093012_INIT.name(), "init");
    }

    #[test]
    fn a_new_database_is_migrated_without_drift() {
        a_new_database_reaches_the_last_version(&MIGRATOR);
    }

    #[test]
    fn both_rebuilds_keep_every_child_row() {
        let (_dir, path) = temp_db();
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        MIGRATOR.up_to(&mut conn, 20230215083000).unwrap();
        conn.execute_batch(
            r#"INSERT INTO "User" ("id", "email", "name") VALUES
                   (1, 'ada@example.com', 'Ada'), (2, 'grace@example.com', 'Grace');
               INSERT INTO "Recipe" ("id", "title", "body", "legacyRating", "authorId", "updatedAt")
                   VALUES (1, 'Bread', 'Knead.', 4.5, 1, '2023-03-01'), (2, 'Soup', 'Stir.', NULL, 2, '2023-03-02');
               INSERT INTO "Tag" ("id", "name") VALUES (1, 'vegan');
               INSERT INTO "_RecipeToTag" ("A", "B") VALUES (1, 1), (2, 1);"#,
        )
        .unwrap();
        // The Recipe rebuild: `_RecipeToTag` refers to Recipe ON DELETE CASCADE.
        MIGRATOR.up_to(&mut conn, 20230412150000).unwrap();
        assert_eq!(count(&conn, "_RecipeToTag").unwrap(), 2);
        assert_eq!(count(&conn, "Recipe").unwrap(), 2);
        assert!(!has_column(&conn, "Recipe", "legacyRating"));
        drop(conn);

        // The User rebuild: Recipe and Profile refer to User ON DELETE CASCADE.
        let conn = climbing_through_the_rebuild_keeps_every_row(
            &MIGRATOR,
            &path,
            20231120091500,
            r#"INSERT INTO "Profile" ("bio", "userId") VALUES ('Bakes', 1), (NULL, 2);"#,
            &["User", "Recipe", "Profile"],
        );
        assert!(has_column(&conn, "Recipe", "servings"));
    }

    #[test]
    fn a_database_prisma_migrated_is_adopted() {
        let (_dir, path) = temp_db();
        let applied = 5;
        // `prisma migrate deploy` runs each migration.sql as a script.
        let mut conn = migrated_by_the_tool(&path, &MIGRATIONS[..applied], true, |_| Ran::AsIs);
        // Prisma's schema engine, on SQLite: times in milliseconds, the
        // checksum the SHA-256 of migration.sql.
        conn.execute_batch(
            r#"CREATE TABLE "_prisma_migrations" (
                "id"                    TEXT PRIMARY KEY NOT NULL,
                "checksum"              TEXT NOT NULL,
                "finished_at"           DATETIME,
                "migration_name"        TEXT NOT NULL,
                "logs"                  TEXT,
                "rolled_back_at"        DATETIME,
                "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
                "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
            );"#,
        )
        .unwrap();
        for (n, migration) in MIGRATIONS[..applied].iter().enumerate() {
            let folder = format!("{}_{}", migration.version(), migration.name());
            let text = fixture_text("prisma", &format!("{folder}/migration.sql"));
            let finished_at = 1_704_110_400_000 + 86_400_000 * n as i64;
            conn.execute(
                "INSERT INTO _prisma_migrations
                     (id, checksum, started_at, finished_at, migration_name, applied_steps_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1)",
                (
                    format!("5f0c6e3a-0b7e-4c52-9d6f-{n:012}"),
                    sha256_hex(&text),
                    finished_at - 180,
                    finished_at,
                    folder,
                ),
            )
            .unwrap();
        }

        // Rows the application wrote while Prisma ran it; the migration
        // left to apply rebuilds "User", their parent.
        conn.execute_batch(
            r#"INSERT INTO "User" ("id", "email", "name") VALUES (1, 'ada@example.com', 'Ada');
               INSERT INTO "Recipe" ("id", "title", "body", "authorId", "updatedAt")
                   VALUES (1, 'Bread', 'Knead.', 1, '2024-01-02 10:00:00');
               INSERT INTO "Profile" ("bio", "userId") VALUES ('Bakes', 1);"#,
        )
        .unwrap();

        adopts_and_migrates_on(&MIGRATOR, &mut conn, ForeignHistory::Prisma, applied);

        assert_eq!(count(&conn, "Recipe").unwrap(), 1);
        assert_eq!(count(&conn, "Profile").unwrap(), 1);
    }
}

// Drizzle: `<index>_<name>.sql` from 0 in the order of meta/_journal.json,
// `--> statement-breakpoint`, the comment older drizzle-kit wrote instead of
// a rebuild, the `__new_users` rebuild with `PRAGMA foreign_keys=OFF`,
// custom migrations (one left as generated). No findings: no seal.
//
// The build reports the folder's warnings (and its sealed findings, in one
// line) as `deprecated` warnings, the one kind a proc macro can raise.
#[allow(deprecated)]
mod drizzle {
    use super::*;

    migrate_runtime::embed_migrations!("fixtures/formats/drizzle");
    use migrations::{MIGRATIONS, MIGRATOR};

    /// The journal's entries: tag and `when`.
    fn journal() -> Vec<(String, i64)> {
        let journal: serde_json::Value =
            serde_json::from_str(&fixture_text("drizzle", "meta/_journal.json")).unwrap();
        assert_eq!(journal["dialect"], "sqlite");
        let entries = journal["entries"].as_array().unwrap();
        entries
            .iter()
            .map(|entry| {
                let tag = entry["tag"].as_str().unwrap().to_string();
                (tag, entry["when"].as_i64().unwrap())
            })
            .collect()
    }

    #[test]
    fn the_folder_is_embedded_in_the_journals_order() {
        checked_as_the_build_checks(
            "drizzle",
            MIGRATIONS,
            &[("0005_cool_rocket_raccoon.sql:1:1", FOREIGN_KEYS_OFF)],
        );
        let all: Vec<u64> = (0..=7).collect();
        assert_eq!(versions(MIGRATIONS), all);
        assert_eq!(irreversible(MIGRATIONS), all);
        let names: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}", m.version(), m.name()))
            .collect();
        let tags: Vec<String> = journal().into_iter().map(|(tag, _)| tag).collect();
        assert_eq!(names, tags);
        assert!(migrations::V5_COOL_ROCKET_RACCOON
            .up()
            .directives()
            .foreign_keys_off());
        // drizzle-kit before 0.22 wrote a comment where SQLite needed a
        // rebuild: the migration renames a column, and its comment ends in
        // `*/--> statement-breakpoint`.
        let wolverine = migrations::V3_FAMOUS_WOLVERINE;
        assert!(wolverine
            .up()
            .sql()
            .contains("*/--> statement-breakpoint\nCREATE INDEX"));
        assert!(!fixture_dir("drizzle").join("migrate.toml").exists());
    }

    #[test]
    fn a_new_database_is_migrated_without_drift() {
        a_new_database_reaches_the_last_version(&MIGRATOR);
    }

    #[test]
    fn the_users_rebuild_keeps_every_note() {
        let (_dir, path) = temp_db();
        climbing_through_the_rebuild_keeps_every_row(
            &MIGRATOR,
            &path,
            4,
            "INSERT INTO users (id, email, display_name, created_at) VALUES
                 (1, 'ada@example.com', 'ada', 1714558830), (2, 'grace@example.com', 'Grace', 1714558900);
             INSERT INTO notes (user_id, title, created_at) VALUES
                 (1, 'Groceries', 1714558831), (2, 'Ideas', 1714558901), (2, 'Talk', 1714558902);
             INSERT INTO tags (id, user_id, name) VALUES (1, 1, 'home'), (2, 2, 'work');
             INSERT INTO notes_to_tags (note_id, tag_id) VALUES (1, 1), (2, 2), (3, 2);",
            &["users", "notes", "tags", "notes_to_tags"],
        );
    }

    #[test]
    fn a_database_drizzle_migrated_is_adopted() {
        let (_dir, path) = temp_db();
        let applied = 6;
        // drizzle-orm's `migrate()` on better-sqlite3 (foreign keys on): in
        // a transaction.
        let mut conn =
            migrated_by_the_tool(&path, &MIGRATIONS[..applied], true, |_| Ran::InTransaction);
        // Its table, and a row per migration: the SHA-256 of the file's
        // text and the journal's `when`.
        conn.execute_batch(
            r#"CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (
                id SERIAL PRIMARY KEY,
                hash text NOT NULL,
                created_at numeric
            )"#,
        )
        .unwrap();
        for (tag, when) in journal().into_iter().take(applied) {
            let text = fixture_text("drizzle", &format!("{tag}.sql"));
            conn.execute(
                r#"INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES(?1, ?2)"#,
                (sha256_hex(&text), when),
            )
            .unwrap();
        }

        adopts_and_migrates_on(&MIGRATOR, &mut conn, ForeignHistory::Drizzle, applied);
    }
}
