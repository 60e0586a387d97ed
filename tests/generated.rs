//! Generated migrations (what `migrate diff` writes) on the schemas
//! applications have, one test per kind of change.
//!
//! Each case makes a database file holding the schema before and rows,
//! generates the migration to the desired schema, and applies it as the
//! runtime does (directives and all): the file must hold the schema the
//! desired SQL makes, with every value of every kept column; its down script
//! must come back to the schema before, values still there; and the folder
//! the migration makes, with the desired schema beside it, must pass every
//! check `embed_migrations!` runs.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use migrate_build_support::config::Config;
use migrate_build_support::generate::{
    generate, read_hints, GenerateError, Generated, Outcome, Renames, Request,
};
use migrate_build_support::schema::{read_objects, Column, ColumnKind, Table};
use migrate_build_support::{check_folder, Schema, SchemaObject, Setup};
use migrate_runtime::rusqlite::types::Value;
use migrate_runtime::rusqlite::Connection;
use migrate_sqlite::{apply, Directives};
use migrate_tests::integrity_check;

// ---------------------------------------------------------------------------
// The mechanics.
// ---------------------------------------------------------------------------

/// A check of the database right after the up script, beyond its schema
/// and kept values: what the change is for.
type AfterUp = Box<dyn Fn(&Connection)>;

/// One case: the schema before and its rows, the desired schema, and what
/// is asked of the generator.
struct Case {
    from: &'static str,
    rows: &'static str,
    to: &'static str,
    request: Request,
    after_up: Vec<AfterUp>,
}

/// What a case generated.
struct Done {
    /// The one migration generated.
    migration: Generated,
    /// What the generator said besides.
    outcome: Outcome,
}

impl Done {
    fn up(&self) -> &str {
        &self.migration.up
    }

    fn down(&self) -> &str {
        self.migration.down.as_deref().expect("a down script")
    }
}

fn setup() -> Setup {
    Setup::of(&Config::default(), Path::new("."))
}

/// A request for a migration with its down script.
fn with_down() -> Request {
    Request {
        down: true,
        ..Request::default()
    }
}

/// [`with_down`], allowed to lose tables and columns.
fn destructive() -> Request {
    Request {
        allow_destructive: true,
        ..with_down()
    }
}

/// [`with_down`], making the renames `--rename` gives.
fn renaming(arguments: &[&str]) -> Request {
    let mut renames = Renames::none();
    for argument in arguments {
        renames.add_argument(argument).expect("a good rename");
    }
    Request {
        renames,
        ..with_down()
    }
}

/// [`with_down`], making the renames the hints of the desired schema `to`
/// declare, read as `migrate diff` reads them.
fn hinted(to: &str) -> Request {
    Request {
        renames: read_hints("schema.sql", to).unwrap_or_else(|e| panic!("{e}")),
        ..with_down()
    }
}

/// An in-memory database holding what `sql` makes.
fn in_memory(sql: &str) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(sql)
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    conn
}

/// The objects `sql` makes, as `migrate diff` reads them.
fn objects(sql: &str) -> Vec<SchemaObject> {
    read_objects(&in_memory(sql)).unwrap()
}

/// Applies `sql` as the runtime applies a migration.
fn run(conn: &mut Connection, sql: &str, what: &str) {
    let directives = Directives::parse_for_running(sql)
        .unwrap_or_else(|e| panic!("{what}: bad directive: {}\n{sql}", e.message));
    if let Err(failure) = apply(conn, sql, directives) {
        panic!("{what} does not apply: {failure}\n{sql}");
    }
}

/// The one value `sql` selects, as text (`NULL` for a NULL).
fn text(conn: &Connection, sql: &str) -> String {
    conn.query_row(sql, [], |row| {
        Ok(match row.get::<_, Value>(0)? {
            Value::Null => "NULL".to_string(),
            Value::Integer(n) => n.to_string(),
            Value::Real(x) => x.to_string(),
            Value::Text(s) => s,
            Value::Blob(b) => format!("{b:?}"),
        })
    })
    .unwrap_or_else(|e| panic!("{e}: {sql}"))
}

/// Runs `sql` and `check` in a savepoint rolled back after: for what
/// changes rows, such as a delete that cascades or a trigger that fires.
fn trying(conn: &Connection, sql: &str, check: impl FnOnce(&Connection)) {
    conn.execute_batch("SAVEPOINT trying").unwrap();
    conn.execute_batch(sql)
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    check(conn);
    conn.execute_batch("ROLLBACK TO trying; RELEASE trying")
        .unwrap();
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn find<'s>(tables: &'s BTreeMap<String, Table>, name: &str) -> Option<(&'s String, &'s Table)> {
    tables.iter().find(|(n, _)| same(n, name))
}

/// How the rows of a kept table are told apart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    /// By the first `n` kept columns: the key before.
    Columns(usize),
    /// By rowid, which the table keeps.
    Rowid,
    /// By every kept value: the rows compare as a set.
    Row,
}

/// A table the migration keeps: its name before and after, and its kept
/// columns as (before, after), those of the key first.
struct Kept {
    before: String,
    after: String,
    columns: Vec<(Column, Column)>,
    key: Key,
}

/// The tables and columns kept from `before` to `after` under `renames`:
/// ordinary columns on both sides, whose values the migration carries.
fn kept(before: &Schema, after: &Schema, renames: &Renames) -> Vec<Kept> {
    let mut found = Vec::new();
    for (name, table) in &before.tables {
        if !table.is_ordinary() {
            continue;
        }
        let wanted = renames.table_to(name).unwrap_or(name);
        let Some((after_name, after_table)) = find(&after.tables, wanted) else {
            continue;
        };
        let pair = |column: &Column| -> Option<(Column, Column)> {
            let new = renames
                .column_to(after_name, &column.name)
                .unwrap_or(&column.name);
            let kept = after_table.column(new)?;
            let plain = column.kind == ColumnKind::Plain && kept.kind == ColumnKind::Plain;
            plain.then(|| (column.clone(), kept.clone()))
        };
        let key: Option<Vec<(Column, Column)>> = table
            .primary_key
            .iter()
            .map(|k| table.column(k).and_then(pair))
            .collect();
        let mut columns = key.clone().unwrap_or_default();
        for column in &table.columns {
            if !table.primary_key.iter().any(|k| same(k, &column.name)) {
                columns.extend(pair(column));
            }
        }
        let rowid_kept = !table.without_rowid
            && !after_table.without_rowid
            && table.primary_key.is_empty()
            && after_table.primary_key.is_empty();
        let key = match key {
            Some(key) if !key.is_empty() => Key::Columns(key.len()),
            _ if rowid_kept => Key::Rowid,
            _ => Key::Row,
        };
        found.push(Kept {
            before: name.clone(),
            after: after_name.clone(),
            columns,
            key,
        });
    }
    found
}

/// Rows by key, each value as `quote()` writes it (`42`, `'42'`, `4.0`,
/// `NULL`): its type and value.
type Rows = BTreeMap<Vec<String>, Vec<String>>;

/// The rows of `table`, its `columns` only, by `key`.
fn read_rows(conn: &Connection, table: &str, columns: &[&str], key: Key) -> Rows {
    let mut selected: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
    if key == Key::Rowid {
        selected.push("quote(rowid)".into());
    }
    let sql = format!("SELECT {} FROM \"{table}\"", selected.join(", "));
    let mut statement = conn.prepare(&sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    let rows = statement
        .query_map([], |row| {
            (0..selected.len())
                .map(|k| row.get::<_, String>(k))
                .collect::<Result<Vec<String>, _>>()
        })
        .unwrap();
    rows.map(Result::unwrap)
        .map(|row| keyed(row, key))
        .collect()
}

/// A row's key and values; with [`Key::Rowid`], the rowid is its last value.
fn keyed(mut row: Vec<String>, key: Key) -> (Vec<String>, Vec<String>) {
    match key {
        Key::Columns(n) => (row[..n].to_vec(), row),
        Key::Rowid => {
            let rowid = row.pop().unwrap();
            (vec![rowid], row)
        }
        Key::Row => (row.clone(), row),
    }
}

/// What SQLite makes of a value copied into a column: a NULL into a
/// `NOT NULL` column with a `DEFAULT` is that default (what the generated
/// copy does), and any value takes the column's type affinity.
struct Conversion(Connection);

impl Conversion {
    fn new() -> Self {
        Conversion(Connection::open_in_memory().unwrap())
    }

    /// `value` (as `quote()` writes it) copied into `column`.
    fn copied_into(&self, value: &str, column: &Column) -> String {
        let value = match &column.default {
            Some(default) if column.not_null && value == "NULL" => {
                text(&self.0, &format!("SELECT quote({default})"))
            }
            _ => value.to_string(),
        };
        self.0
            .execute_batch(&format!(
                "DROP TABLE IF EXISTS conversion;
                 CREATE TABLE conversion (v {});
                 INSERT INTO conversion VALUES ({value});",
                column.declared_type
            ))
            .unwrap();
        text(&self.0, "SELECT quote(v) FROM conversion")
    }

    /// `rows` of `kept`, copied into the columns that `side` picks.
    fn rows(&self, rows: &Rows, kept: &Kept, side: fn(&(Column, Column)) -> &Column) -> Rows {
        rows.iter()
            .map(|(old_key, values)| {
                let values: Vec<String> = values
                    .iter()
                    .zip(&kept.columns)
                    .map(|(value, pair)| self.copied_into(value, side(pair)))
                    .collect();
                let key = match kept.key {
                    Key::Columns(n) => values[..n].to_vec(),
                    Key::Rowid => old_key.clone(),
                    Key::Row => values.clone(),
                };
                (key, values)
            })
            .collect()
    }
}

/// The rows of every kept table, as the schema before names them.
fn rows_before(conn: &Connection, kept: &[Kept]) -> Vec<Rows> {
    kept.iter()
        .map(|k| {
            let names: Vec<&str> = k.columns.iter().map(|(b, _)| b.name.as_str()).collect();
            read_rows(conn, &k.before, &names, k.key)
        })
        .collect()
}

/// The rows of every kept table, as the desired schema names them.
fn rows_after(conn: &Connection, kept: &[Kept]) -> Vec<Rows> {
    kept.iter()
        .map(|k| {
            let names: Vec<&str> = k.columns.iter().map(|(_, a)| a.name.as_str()).collect();
            read_rows(conn, &k.after, &names, k.key)
        })
        .collect()
}

/// Asserts that each kept table holds the rows expected, naming the table,
/// the key and the columns of a row that differs.
fn assert_rows(when: &str, kept: &[Kept], expected: &[Rows], actual: &[Rows]) {
    for ((k, expected), actual) in kept.iter().zip(expected).zip(actual) {
        let columns: Vec<&str> = k.columns.iter().map(|(_, a)| a.name.as_str()).collect();
        for (key, values) in expected {
            assert_eq!(
                actual.get(key),
                Some(values),
                "{when}: table {} ({}), row {key:?}",
                k.after,
                columns.join(", ")
            );
        }
        assert_eq!(
            actual.len(),
            expected.len(),
            "{when}: table {}: rows {actual:#?}",
            k.after
        );
    }
}

/// Asserts that no row refers to nothing and that the file is sound.
fn assert_sound(conn: &Connection, when: &str) {
    let broken: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(broken, 0, "{when}: rows refer to nothing");
    assert_eq!(integrity_check(conn).unwrap(), ["ok"], "{when}");
}

/// Asserts that the schema on `conn` is `wanted`.
fn assert_schema(conn: &Connection, wanted: &Schema, when: &str, script: &str) {
    let differences = Schema::read(conn).unwrap().diff(wanted);
    assert!(
        differences.is_empty(),
        "{when}: the schema differs:\n  {}\nscript:\n{script}",
        differences.join("\n  ")
    );
}

/// The `-- migrate: allow` lines of `sql`.
fn allows(sql: &str) -> Vec<&str> {
    sql.lines()
        .filter(|line| line.trim_start().starts_with("-- migrate: allow"))
        .collect()
}

/// A down script for the first migration: drops what `objects` are, the
/// last made first (indexes and triggers go with their table or view).
fn drop_all(objects: &[SchemaObject]) -> String {
    objects
        .iter()
        .rev()
        .filter_map(|o| match o.kind.as_ref() {
            "table" | "view" => Some(format!(
                "DROP {} IF EXISTS \"{}\";\n",
                o.kind.to_ascii_uppercase(),
                o.name
            )),
            _ => None,
        })
        .collect()
}

/// Writes the folder a project has after `migrate diff`: the first
/// migration making the schema before, the generated one, and the desired
/// schema beside the folder; every compile-time check must pass.
fn assert_folder_checks(
    from: &str,
    from_objects: &[SchemaObject],
    to: &str,
    migration: &Generated,
) {
    let base = tempfile::tempdir().unwrap();
    let migrations = base.path().join("migrations");
    fs::create_dir(&migrations).unwrap();
    let files = [
        ("0001_start.up.sql", from.to_string()),
        ("0001_start.down.sql", drop_all(from_objects)),
        ("0002_change.up.sql", migration.up.clone()),
        ("0002_change.down.sql", migration.down.clone().unwrap()),
    ];
    for (name, text) in files {
        fs::write(migrations.join(name), text).unwrap();
    }
    fs::write(base.path().join("schema.sql"), to).unwrap();
    match check_folder(base.path(), "migrations") {
        Ok(checked) => {
            for warning in &checked.warnings {
                eprintln!("warning: {warning}");
            }
        }
        Err(diagnostics) => {
            let all: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
            panic!(
                "the folder fails its checks:\n{}\n--- up:\n{}\n--- down:\n{}",
                all.join("\n"),
                migration.up,
                migration.down.as_deref().unwrap_or_default()
            );
        }
    }
}

impl Case {
    fn new(from: &'static str, rows: &'static str, to: &'static str, request: Request) -> Self {
        Case {
            from,
            rows,
            to,
            request,
            after_up: Vec::new(),
        }
    }

    /// Also checks `check` on the database right after the up script.
    fn after_up(mut self, check: impl Fn(&Connection) + 'static) -> Self {
        self.after_up.push(Box::new(check));
        self
    }

    /// Runs the case: see the module's documentation.
    fn run(self) -> Done {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("app.db")).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        conn.execute_batch(self.from)
            .unwrap_or_else(|e| panic!("the schema before: {e}"));
        conn.execute_batch(self.rows)
            .unwrap_or_else(|e| panic!("the rows: {e}"));
        let from_objects = read_objects(&conn).unwrap();
        let before = Schema::read(&conn).unwrap();
        let desired = Schema::read(&in_memory(self.to)).unwrap();
        let kept = kept(&before, &desired, &self.request.renames);
        let rows = rows_before(&conn, &kept);

        let outcome = generate(&from_objects, &objects(self.to), &setup(), &self.request)
            .unwrap_or_else(|e| panic!("nothing generated: {e}"));
        assert_eq!(outcome.migrations.len(), 1, "{outcome:#?}");
        let migration = outcome.migrations[0].clone();
        let (up, down) = (&migration.up, migration.down.as_deref().unwrap());
        eprintln!(
            "--- up:\n{up}--- down:\n{down}--- warnings: {:#?}",
            outcome.warnings
        );
        let loses = !outcome.lost.is_empty();
        assert!(!loses || self.request.allow_destructive, "{outcome:#?}");
        let wanted_allows = match loses {
            true => vec!["-- migrate: allow destructive"],
            false => vec![],
        };
        assert_eq!(allows(up), wanted_allows, "{up}");
        assert_eq!(allows(down), Vec::<&str>::new(), "{down}");

        run(&mut conn, up, "the up script");
        assert_schema(&conn, &desired, "after the up script", up);
        assert_sound(&conn, "after the up script");
        let conversion = Conversion::new();
        let expected_up: Vec<Rows> = rows
            .iter()
            .zip(&kept)
            .map(|(rows, k)| conversion.rows(rows, k, |(_, after)| after))
            .collect();
        assert_rows(
            "after the up script",
            &kept,
            &expected_up,
            &rows_after(&conn, &kept),
        );
        for check in &self.after_up {
            check(&conn);
        }

        run(&mut conn, down, "the down script");
        assert_schema(&conn, &before, "after the down script", down);
        assert_sound(&conn, "after the down script");
        let expected_down: Vec<Rows> = expected_up
            .iter()
            .zip(&kept)
            .map(|(rows, k)| conversion.rows(rows, k, |(before, _)| before))
            .collect();
        assert_rows(
            "after the down script",
            &kept,
            &expected_down,
            &rows_before(&conn, &kept),
        );

        assert_folder_checks(self.from, &from_objects, self.to, &migration);
        Done { migration, outcome }
    }
}

/// Asserts that `sql` holds each of `parts`.
#[track_caller]
fn assert_has(sql: &str, parts: &[&str]) {
    for part in parts {
        assert!(sql.contains(part), "wanted `{part}` in:\n{sql}");
    }
}

/// Asserts that `sql` holds none of `parts`.
#[track_caller]
fn assert_lacks(sql: &str, parts: &[&str]) {
    for part in parts {
        assert!(!sql.contains(part), "did not want `{part}` in:\n{sql}");
    }
}

/// Asserts that the migration alters in place: no rebuild, foreign keys
/// left on.
#[track_caller]
fn assert_in_place(sql: &str) {
    assert_lacks(sql, &["foreign-keys-off", "CREATE TABLE new_", "RENAME TO"]);
}

/// Asserts that the migration rebuilds `table` the 12-step way, with
/// foreign keys off around it.
#[track_caller]
fn assert_rebuilds(sql: &str, table: &str) {
    assert!(sql.starts_with("-- migrate: foreign-keys-off\n"), "{sql}");
    assert_has(
        sql,
        &[
            &format!("CREATE TABLE new_{table} "),
            &format!("INSERT INTO new_{table} "),
            &format!("DROP TABLE {table};"),
            &format!("ALTER TABLE new_{table} RENAME TO {table};"),
        ],
    );
}

/// Asserts that generating from `from` to `to` is refused as destructive,
/// for losing `lost`.
fn assert_refused(from: &str, to: &str, lost: &[&str]) {
    let error = generate(&objects(from), &objects(to), &setup(), &with_down()).unwrap_err();
    let lost: Vec<String> = lost.iter().map(|s| s.to_string()).collect();
    assert_eq!(error, GenerateError::Destructive(lost));
}

// ---------------------------------------------------------------------------
// The schema most cases start from: a small blog.
// ---------------------------------------------------------------------------

const BLOG: &str = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";

const BLOG_ROWS: &str = "
INSERT INTO users (id, email, name, created_at) VALUES
  (1, 'ada@example.com', 'Ada', '2024-01-01 10:00:00'),
  (2, 'grace@example.com', NULL, '2024-01-02 11:00:00'),
  (3, 'linus@example.com', 'Linus', '2024-01-03 12:00:00');
INSERT INTO posts (id, user_id, title, body, score) VALUES
  (10, 1, 'Hello', 'First post', 5),
  (11, 1, 'Again', NULL, NULL),
  (12, 3, 'Kernels', 'Long text', 42),
  (13, 2, 'Compilers', '', 0);
";

// ---------------------------------------------------------------------------
// Columns.
// ---------------------------------------------------------------------------

#[test]
fn a_column_added_is_an_alter_table() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  bio TEXT,
  active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(conn, "SELECT group_concat(active) FROM users"),
                "1,1,1"
            );
        })
        .run();
    assert_eq!(
        done.up(),
        "ALTER TABLE users ADD COLUMN bio TEXT;\n\
         ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;\n"
    );
    assert_has(
        done.down(),
        &[
            "ALTER TABLE users DROP COLUMN bio;",
            "ALTER TABLE users DROP COLUMN active;",
        ],
    );
}

#[test]
fn a_column_added_with_a_default_that_is_no_literal_is_a_rebuild() {
    // SQLite's ADD COLUMN takes it on an empty table, not on one with rows.
    let to = BLOG.replace(
        "  score INTEGER\n",
        "  score INTEGER,\n  edited_at TEXT NOT NULL DEFAULT (datetime('now'))\n",
    );
    let to: &'static str = Box::leak(to.into_boxed_str());
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(conn, "SELECT count(*) FROM posts WHERE edited_at > '2000'"),
                "4"
            );
        })
        .run();
    assert_rebuilds(done.up(), "posts");
}

#[test]
fn a_column_dropped_is_an_alter_table_when_allowed() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    assert_refused(BLOG, to, &["column posts.body, and its values"]);
    let done = Case::new(BLOG, BLOG_ROWS, to, destructive()).run();
    assert_eq!(done.outcome.lost, ["column posts.body, and its values"]);
    assert_eq!(
        done.up(),
        "-- migrate: allow destructive\n\nALTER TABLE posts DROP COLUMN body;\n"
    );
    // The column comes back in its place, between others: by a rebuild.
    assert_rebuilds(done.down(), "posts");
    assert_has(
        done.down(),
        &["CREATE INDEX posts_user_id ON posts (user_id);"],
    );
}

/// The desired blog with `users.name` renamed `display_name`, which an
/// index and a view use.
const BLOG_WITH_NAMES: &str = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE INDEX users_name ON users (name);
CREATE VIEW bylines AS
  SELECT p.id AS post_id, p.title, u.name AS author
  FROM posts p JOIN users u ON u.id = p.user_id;
";

#[test]
fn a_column_renamed_on_the_command_line_is_an_alter_table() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  display_name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE INDEX users_name ON users (display_name);
CREATE VIEW bylines AS
  SELECT p.id AS post_id, p.title, u.display_name AS author
  FROM posts p JOIN users u ON u.id = p.user_id;
";
    let done = Case::new(
        BLOG_WITH_NAMES,
        BLOG_ROWS,
        to,
        renaming(&["users.name=display_name"]),
    )
    .after_up(|conn| {
        assert_eq!(
            text(conn, "SELECT author FROM bylines WHERE post_id = 12"),
            "Linus"
        );
    })
    .run();
    assert_has(
        done.up(),
        &["ALTER TABLE users RENAME COLUMN name TO display_name;"],
    );
    assert_in_place(done.up());
    assert_has(
        done.down(),
        &["ALTER TABLE users RENAME COLUMN display_name TO name;"],
    );
}

#[test]
fn a_column_renamed_by_a_hint_is_an_alter_table() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  headline TEXT NOT NULL, -- migrate: renamed from title
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, hinted(to)).run();
    assert_eq!(
        done.up(),
        "ALTER TABLE posts RENAME COLUMN title TO headline;\n"
    );
    assert_eq!(
        done.down(),
        "ALTER TABLE posts RENAME COLUMN headline TO title;\n"
    );
}

#[test]
fn a_retyped_column_is_a_rebuild_with_foreign_keys_off_that_keeps_children() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  score TEXT
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  body TEXT NOT NULL
);
CREATE INDEX comments_post_id ON comments (post_id);
";
    let rows = "
INSERT INTO users (id, email, name) VALUES (1, 'ada@example.com', 'Ada'), (2, 'grace@example.com', NULL);
INSERT INTO posts (id, user_id, title, score) VALUES
  (10, 1, 'Hello', '5'),
  (11, 1, 'Again', NULL),
  (12, 2, 'Compilers', '42'),
  (13, 2, 'Unrated', 'n/a'),
  (14, 2, 'Halves', '3.5'),
  (15, 1, 'Whole', '3.0');
INSERT INTO comments (id, post_id, body) VALUES
  (100, 10, 'Nice'), (101, 10, 'Agreed'), (102, 12, 'Thanks'), (103, 15, 'Hm');
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  body TEXT NOT NULL
);
CREATE INDEX comments_post_id ON comments (post_id);
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(conn, "SELECT typeof(score) FROM posts WHERE id = 12"),
                "integer"
            );
            assert_eq!(
                text(conn, "SELECT typeof(score) FROM posts WHERE id = 13"),
                "text"
            );
            assert_eq!(text(conn, "SELECT count(*) FROM comments"), "4");
        })
        .run();
    assert_rebuilds(done.up(), "posts");
    assert_has(
        done.up(),
        &["CREATE INDEX posts_user_id ON posts (user_id);"],
    );
    assert_rebuilds(done.down(), "posts");
}

#[test]
fn a_nullable_column_made_not_null_with_a_default_fills_its_nulls() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT 'anonymous',
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(
                    conn,
                    "SELECT group_concat(name, ',') FROM (SELECT name FROM users ORDER BY id)"
                ),
                "Ada,anonymous,Linus"
            );
            assert_eq!(text(conn, "SELECT count(*) FROM posts"), "4");
        })
        .run();
    assert_rebuilds(done.up(), "users");
    assert_has(done.up(), &["coalesce(name, 'anonymous')"]);
}

#[test]
fn a_not_null_column_made_nullable_keeps_its_values() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down()).run();
    assert_rebuilds(done.up(), "posts");
    assert_has(
        done.up(),
        &["CREATE INDEX posts_user_id ON posts (user_id);"],
    );
}

#[test]
fn a_default_changed_is_a_rebuild() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'draft'
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com');
INSERT INTO posts (id, user_id, title, status) VALUES
  (10, 1, 'Hello', 'published'), (11, 1, 'Soon', 'draft');
INSERT INTO posts (id, user_id, title) VALUES (12, 1, 'Later');
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'published'
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            trying(
                conn,
                "INSERT INTO posts (id, user_id, title) VALUES (20, 1, 'New')",
                |conn| {
                    assert_eq!(
                        text(conn, "SELECT status FROM posts WHERE id = 20"),
                        "published"
                    );
                },
            );
        })
        .run();
    assert_rebuilds(done.up(), "posts");
}

#[test]
fn a_check_added_is_a_rebuild() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL CHECK (length(title) > 0),
  body TEXT,
  score INTEGER CHECK (score >= 0),
  CHECK (body IS NULL OR length(body) < 10000)
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down())
        .after_up(|conn| {
            let refused = conn.execute(
                "INSERT INTO posts (id, user_id, title, score) VALUES (20, 1, 'Bad', -1)",
                [],
            );
            assert!(refused.is_err(), "the CHECK holds");
        })
        .run();
    assert_rebuilds(done.up(), "posts");
}

#[test]
fn a_unique_constraint_added_is_a_rebuild() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER,
  UNIQUE (user_id, title)
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down())
        .after_up(|conn| {
            let refused = conn.execute(
                "INSERT INTO posts (id, user_id, title) VALUES (20, 1, 'Hello')",
                [],
            );
            assert!(refused.is_err(), "the UNIQUE holds");
        })
        .run();
    assert_rebuilds(done.up(), "posts");
}

#[test]
fn a_primary_key_changed_is_a_rebuild_that_keeps_the_old_key_values() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE teams (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE memberships (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  role TEXT NOT NULL DEFAULT 'member'
);
CREATE INDEX memberships_team_id ON memberships (team_id);
";
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com'), (2, 'grace@example.com');
INSERT INTO teams (id, name) VALUES (1, 'core'), (2, 'docs');
INSERT INTO memberships (id, user_id, team_id, role) VALUES
  (7, 1, 1, 'owner'), (8, 2, 1, 'member'), (9, 2, 2, 'owner');
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE teams (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE memberships (
  id INTEGER,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  role TEXT NOT NULL DEFAULT 'member',
  PRIMARY KEY (user_id, team_id)
);
CREATE INDEX memberships_team_id ON memberships (team_id);
";
    let done = Case::new(from, rows, to, with_down()).run();
    assert_rebuilds(done.up(), "memberships");
    assert_has(
        done.up(),
        &["CREATE INDEX memberships_team_id ON memberships (team_id);"],
    );
}

#[test]
fn a_foreign_key_added_rebuilds_the_parent_without_cascading_to_its_children() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  comment_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  body TEXT NOT NULL
);
CREATE INDEX comments_post_id ON comments (post_id);
CREATE TRIGGER comments_counted AFTER INSERT ON comments BEGIN
  UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id;
END;
";
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com'), (2, 'grace@example.com');
INSERT INTO posts (id, user_id, title) VALUES (10, 1, 'Hello'), (11, 2, 'Compilers'), (12, 2, 'Quiet');
INSERT INTO comments (id, post_id, body) VALUES
  (100, 10, 'Nice'), (101, 10, 'Agreed'), (102, 11, 'Thanks');
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  comment_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  body TEXT NOT NULL
);
CREATE INDEX comments_post_id ON comments (post_id);
CREATE TRIGGER comments_counted AFTER INSERT ON comments BEGIN
  UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id;
END;
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(conn, "SELECT group_concat(comment_count) FROM posts"),
                "2,1,0"
            );
            assert_eq!(text(conn, "SELECT count(*) FROM comments"), "3");
            // The new key cascades: a user's posts go with them, and the
            // posts' comments with those.
            trying(conn, "DELETE FROM users WHERE id = 1", |conn| {
                assert_eq!(text(conn, "SELECT count(*) FROM posts"), "2");
                assert_eq!(text(conn, "SELECT count(*) FROM comments"), "1");
            });
            // The trigger on the child still counts.
            trying(
                conn,
                "INSERT INTO comments (post_id, body) VALUES (12, 'First')",
                |conn| {
                    assert_eq!(
                        text(conn, "SELECT comment_count FROM posts WHERE id = 12"),
                        "1"
                    );
                },
            );
        })
        .run();
    assert_rebuilds(done.up(), "posts");
}

#[test]
fn a_collation_changed_is_a_rebuild_and_its_indexes_follow() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT
);
CREATE INDEX users_name ON users (name);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let rows = "
INSERT INTO users (id, email, name) VALUES
  (1, 'Ada@Example.com', 'Ada'), (2, 'grace@example.com', NULL), (3, 'LINUS@example.com', 'linus');
INSERT INTO posts (id, user_id, title) VALUES (10, 1, 'Hello'), (11, 3, 'Kernels');
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT COLLATE NOCASE
);
CREATE INDEX users_name ON users (name);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(conn, "SELECT id FROM users WHERE email = 'ada@example.com'"),
                "1"
            );
            let refused =
                conn.execute("INSERT INTO users (email) VALUES ('GRACE@EXAMPLE.COM')", []);
            assert!(refused.is_err(), "UNIQUE without regard to case");
        })
        .run();
    assert_rebuilds(done.up(), "users");
    assert_has(done.up(), &["CREATE INDEX users_name ON users (name);"]);
    // These rows are distinct under NOCASE too; others may not be.
    assert_eq!(
        done.outcome.warnings,
        ["users.email: a new collation under a key or UNIQUE: values that were distinct and are alike under it (`A` and `a` under NOCASE) make the migration fail"]
    );
}

#[test]
fn a_virtual_generated_column_added_is_an_alter_table() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  email_domain TEXT GENERATED ALWAYS AS (substr(email, instr(email, '@') + 1)) VIRTUAL
);
CREATE INDEX users_email_domain ON users (email_domain);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(
                    conn,
                    "SELECT count(*) FROM users WHERE email_domain = 'example.com'"
                ),
                "3"
            );
        })
        .run();
    assert_has(
        done.up(),
        &[
            "ALTER TABLE users ADD COLUMN email_domain TEXT GENERATED ALWAYS AS (substr(email, instr(email, '@') + 1)) VIRTUAL;",
            "CREATE INDEX users_email_domain ON users (email_domain);",
        ],
    );
    assert_in_place(done.up());
}

#[test]
fn a_stored_generated_column_added_is_a_rebuild() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER,
  body_length INTEGER GENERATED ALWAYS AS (coalesce(length(body), 0)) STORED
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(conn, "SELECT group_concat(body_length) FROM (SELECT body_length FROM posts ORDER BY id)"),
                "10,0,9,0"
            );
        })
        .run();
    assert_rebuilds(done.up(), "posts");
    // A generated column is computed, not copied.
    assert_lacks(done.up(), &["body_length)"]);
    // The down script drops it by a rebuild too, and loses nothing.
    assert!(done.outcome.lost.is_empty());
}

// ---------------------------------------------------------------------------
// Indexes, views and triggers.
// ---------------------------------------------------------------------------

#[test]
fn indexes_added_and_changed_leave_the_table_alone() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id, score DESC);
CREATE INDEX posts_title ON posts (title COLLATE NOCASE);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down()).run();
    assert_has(
        done.up(),
        &[
            "DROP INDEX posts_user_id;",
            "CREATE INDEX posts_user_id ON posts (user_id, score DESC);",
            "CREATE INDEX posts_title ON posts (title COLLATE NOCASE);",
        ],
    );
    assert_in_place(done.up());
    assert_has(
        done.down(),
        &["CREATE INDEX posts_user_id ON posts (user_id);"],
    );
    assert_in_place(done.down());
}

#[test]
fn a_partial_unique_index_added_holds_on_the_rows_it_covers() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  pinned INTEGER NOT NULL DEFAULT 0,
  deleted_at TEXT
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com'), (2, 'grace@example.com');
INSERT INTO posts (id, user_id, title, pinned, deleted_at) VALUES
  (10, 1, 'Hello', 1, NULL),
  (11, 1, 'Old pin', 1, '2024-02-01'),
  (12, 1, 'Plain', 0, NULL),
  (13, 2, 'Mine', 1, NULL);
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  pinned INTEGER NOT NULL DEFAULT 0,
  deleted_at TEXT
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE UNIQUE INDEX posts_one_pin ON posts (user_id) WHERE pinned = 1 AND deleted_at IS NULL;
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            let refused = conn.execute(
                "INSERT INTO posts (user_id, title, pinned) VALUES (1, 'Second pin', 1)",
                [],
            );
            assert!(refused.is_err(), "one pin per user");
        })
        .run();
    assert_eq!(
        done.up(),
        "CREATE UNIQUE INDEX posts_one_pin ON posts (user_id) WHERE pinned = 1 AND deleted_at IS NULL;\n"
    );
    assert_eq!(done.down(), "DROP INDEX posts_one_pin;\n");
}

#[test]
fn views_added_and_changed() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE VIEW post_summaries AS SELECT id, title FROM posts;
";
    let rows = "
INSERT INTO users (id, email, name) VALUES (1, 'ada@example.com', 'Ada'), (2, 'grace@example.com', NULL);
INSERT INTO posts (id, user_id, title) VALUES (10, 1, 'Hello'), (11, 1, 'Again'), (12, 2, 'Compilers');
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE VIEW post_summaries AS
  SELECT p.id, p.title, coalesce(u.name, u.email) AS author
  FROM posts p JOIN users u ON u.id = p.user_id;
CREATE VIEW post_counts AS
  SELECT user_id, count(*) AS posts FROM posts GROUP BY user_id;
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(conn, "SELECT author FROM post_summaries WHERE id = 12"),
                "grace@example.com"
            );
            assert_eq!(
                text(conn, "SELECT posts FROM post_counts WHERE user_id = 1"),
                "2"
            );
        })
        .run();
    assert_has(
        done.up(),
        &[
            "DROP VIEW IF EXISTS post_summaries;",
            "CREATE VIEW post_summaries AS",
            "CREATE VIEW post_counts AS",
        ],
    );
    assert_in_place(done.up());
}

#[test]
fn views_on_views_are_made_again_in_order_around_a_rebuild() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  deleted_at TEXT
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE VIEW active_users AS SELECT id, email, name FROM users WHERE deleted_at IS NULL;
CREATE VIEW active_authors AS
  SELECT DISTINCT a.id, a.email FROM active_users a JOIN posts p ON p.user_id = a.id;
";
    let rows = "
INSERT INTO users (id, email, name, deleted_at) VALUES
  (1, 'ada@example.com', 'Ada', NULL),
  (2, 'grace@example.com', NULL, NULL),
  (3, 'gone@example.com', 'Gone', '2024-03-01');
INSERT INTO posts (id, user_id, title) VALUES (10, 1, 'Hello'), (11, 3, 'Old'), (12, 2, 'Compilers');
";
    // `users.deleted_at` becomes an INTEGER (a rebuild under both views),
    // the view on the view shows names, and a third view counts it.
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  deleted_at INTEGER
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE VIEW active_users AS SELECT id, email, name FROM users WHERE deleted_at IS NULL;
CREATE VIEW active_authors AS
  SELECT DISTINCT a.id, a.email, a.name FROM active_users a JOIN posts p ON p.user_id = a.id;
CREATE VIEW author_count AS SELECT count(*) AS n FROM active_authors;
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            assert_eq!(text(conn, "SELECT n FROM author_count"), "2");
        })
        .run();
    assert_rebuilds(done.up(), "users");
    let up = done.up();
    let at = |part: &str| {
        up.find(part)
            .unwrap_or_else(|| panic!("no `{part}` in:\n{up}"))
    };
    assert!(
        at("DROP VIEW active_authors;") < at("CREATE TABLE new_users"),
        "{up}"
    );
    assert!(
        at("DROP VIEW active_users;") < at("CREATE TABLE new_users"),
        "{up}"
    );
    assert!(
        at("CREATE VIEW active_users") < at("CREATE VIEW active_authors"),
        "{up}"
    );
    assert!(
        at("CREATE VIEW active_authors") < at("CREATE VIEW author_count"),
        "{up}"
    );
}

#[test]
fn triggers_added_and_changed() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  updated_at TEXT
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  action TEXT NOT NULL,
  post_id INTEGER
);
CREATE TRIGGER posts_touched AFTER UPDATE OF title ON posts BEGIN
  UPDATE posts SET updated_at = '2000-01-01' WHERE id = NEW.id;
END;
";
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com');
INSERT INTO posts (id, user_id, title, body, updated_at) VALUES
  (10, 1, 'Hello', 'First', NULL), (11, 1, 'Again', NULL, '2024-01-01');
INSERT INTO audit_log (id, action, post_id) VALUES (1, 'import', NULL);
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  updated_at TEXT
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  action TEXT NOT NULL,
  post_id INTEGER
);
CREATE TRIGGER posts_touched AFTER UPDATE OF title, body ON posts BEGIN
  UPDATE posts SET updated_at = '2000-01-02' WHERE id = NEW.id;
END;
CREATE TRIGGER posts_deleted AFTER DELETE ON posts BEGIN
  INSERT INTO audit_log (action, post_id) VALUES ('delete', OLD.id);
END;
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            trying(
                conn,
                "UPDATE posts SET body = 'Edited' WHERE id = 10",
                |conn| {
                    assert_eq!(
                        text(conn, "SELECT updated_at FROM posts WHERE id = 10"),
                        "2000-01-02"
                    );
                },
            );
            trying(conn, "DELETE FROM posts WHERE id = 11", |conn| {
                assert_eq!(
                    text(conn, "SELECT action FROM audit_log WHERE post_id = 11"),
                    "delete"
                );
            });
        })
        .run();
    assert_has(
        done.up(),
        &[
            "DROP TRIGGER IF EXISTS posts_touched;",
            "CREATE TRIGGER posts_touched AFTER UPDATE OF title, body ON posts",
            "CREATE TRIGGER posts_deleted AFTER DELETE ON posts",
        ],
    );
    assert_in_place(done.up());
}

#[test]
fn instead_of_triggers_on_a_changed_view_are_made_again() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE VIEW post_summaries AS SELECT id, title FROM posts;
CREATE TRIGGER post_summaries_delete INSTEAD OF DELETE ON post_summaries BEGIN
  DELETE FROM posts WHERE id = OLD.id;
END;
";
    let rows = "
INSERT INTO users (id, email, name) VALUES (1, 'ada@example.com', 'Ada');
INSERT INTO posts (id, user_id, title) VALUES (10, 1, 'Hello'), (11, 1, 'Again');
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE VIEW post_summaries AS
  SELECT p.id, p.title, u.name AS author FROM posts p JOIN users u ON u.id = p.user_id;
CREATE TRIGGER post_summaries_delete INSTEAD OF DELETE ON post_summaries BEGIN
  DELETE FROM posts WHERE id = OLD.id;
END;
CREATE TRIGGER post_summaries_retitle INSTEAD OF UPDATE OF title ON post_summaries BEGIN
  UPDATE posts SET title = NEW.title WHERE id = OLD.id;
END;
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            trying(
                conn,
                "UPDATE post_summaries SET title = 'Hi' WHERE id = 10",
                |conn| {
                    assert_eq!(text(conn, "SELECT title FROM posts WHERE id = 10"), "Hi");
                },
            );
            trying(conn, "DELETE FROM post_summaries WHERE id = 11", |conn| {
                assert_eq!(text(conn, "SELECT count(*) FROM posts"), "1");
            });
        })
        .run();
    assert_has(
        done.up(),
        &[
            "CREATE TRIGGER post_summaries_delete INSTEAD OF DELETE ON post_summaries",
            "CREATE TRIGGER post_summaries_retitle INSTEAD OF UPDATE OF title ON post_summaries",
        ],
    );
    assert_in_place(done.up());
    assert_has(
        done.down(),
        &["CREATE TRIGGER post_summaries_delete INSTEAD OF DELETE ON post_summaries"],
    );
}

// ---------------------------------------------------------------------------
// Tables.
// ---------------------------------------------------------------------------

#[test]
fn a_table_renamed_is_an_alter_table_that_carries_what_refers_to_it() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT
);
CREATE INDEX users_name ON users (name);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE VIEW author_names AS SELECT id, name FROM users;
";
    let rows = "
INSERT INTO users (id, email, name) VALUES (1, 'ada@example.com', 'Ada'), (2, 'grace@example.com', NULL);
INSERT INTO posts (id, user_id, title) VALUES (10, 1, 'Hello'), (11, 2, 'Compilers');
";
    let to = "
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT
);
CREATE INDEX users_name ON accounts (name);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE VIEW author_names AS SELECT id, name FROM accounts;
";
    let done = Case::new(from, rows, to, renaming(&["users=accounts"]))
        .after_up(|conn| {
            trying(conn, "DELETE FROM accounts WHERE id = 1", |conn| {
                assert_eq!(text(conn, "SELECT count(*) FROM posts"), "1");
            });
        })
        .run();
    assert_has(done.up(), &["ALTER TABLE users RENAME TO accounts;"]);
    assert_lacks(done.up(), &["foreign-keys-off", "new_"]);
    assert_has(done.down(), &["ALTER TABLE accounts RENAME TO users;"]);
}

#[test]
fn a_table_renamed_by_a_hint_is_an_alter_table() {
    let to = "
-- migrate: renamed from users
CREATE TABLE people (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, hinted(to)).run();
    assert_eq!(done.up(), "ALTER TABLE users RENAME TO people;\n");
    assert_eq!(done.down(), "ALTER TABLE people RENAME TO users;\n");
}

#[test]
fn a_table_made_strict_is_a_rebuild() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  kind TEXT NOT NULL,
  payload BLOB,
  at INTEGER NOT NULL,
  weight REAL
);
CREATE INDEX events_user_id ON events (user_id);
";
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com');
INSERT INTO events (id, user_id, kind, payload, at, weight) VALUES
  (1, 1, 'login', x'00ff', 1700000000, 1.5),
  (2, NULL, 'signup', NULL, 1700000100, NULL),
  (3, 1, 'logout', x'', 1700000200, 2.0);
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  kind TEXT NOT NULL,
  payload BLOB,
  at INTEGER NOT NULL,
  weight REAL
) STRICT;
CREATE INDEX events_user_id ON events (user_id);
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            let refused = conn.execute(
                "INSERT INTO events (kind, at) VALUES ('bad', 'not a number')",
                [],
            );
            assert!(refused.is_err(), "STRICT holds");
        })
        .run();
    assert_rebuilds(done.up(), "events");
    assert_has(done.up(), &[") STRICT;"]);
}

#[test]
fn a_table_made_without_rowid_is_a_rebuild() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE user_settings (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT,
  PRIMARY KEY (user_id, key)
);
";
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com'), (2, 'grace@example.com');
INSERT INTO user_settings (user_id, key, value) VALUES
  (1, 'theme', 'dark'), (1, 'lang', 'en'), (2, 'theme', NULL);
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE user_settings (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT,
  PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
";
    let done = Case::new(from, rows, to, with_down()).run();
    assert_rebuilds(done.up(), "user_settings");
    assert_lacks(done.up(), &["rowid"]);
}

#[test]
fn new_tables_referring_to_each_other_are_made_parents_first() {
    // The join table is declared before the table it refers to.
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE TABLE post_tags (
  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX post_tags_tag_id ON post_tags (tag_id);
CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  parent_id INTEGER REFERENCES tags (id)
);
CREATE INDEX tags_parent_id ON tags (parent_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down())
        .after_up(|conn| {
            trying(
                conn,
                "INSERT INTO tags (id, name) VALUES (1, 'rust');
                 INSERT INTO post_tags (post_id, tag_id) VALUES (10, 1);
                 DELETE FROM posts WHERE id = 10;",
                |conn| assert_eq!(text(conn, "SELECT count(*) FROM post_tags"), "0"),
            );
        })
        .run();
    let up = done.up();
    assert_in_place(up);
    let tags = up.find("CREATE TABLE tags").expect(up);
    let post_tags = up.find("CREATE TABLE post_tags").expect(up);
    assert!(tags < post_tags, "{up}");
    assert_has(
        up,
        &[
            "CREATE INDEX post_tags_tag_id ON post_tags (tag_id);",
            "CREATE INDEX tags_parent_id ON tags (parent_id);",
        ],
    );
    assert_has(done.down(), &["DROP TABLE post_tags;", "DROP TABLE tags;"]);
}

#[test]
fn a_table_dropped_when_allowed() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  body TEXT NOT NULL
);
CREATE INDEX comments_post_id ON comments (post_id);
CREATE VIEW comment_counts AS
  SELECT post_id, count(*) AS n FROM comments GROUP BY post_id;
";
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com');
INSERT INTO posts (id, user_id, title) VALUES (10, 1, 'Hello'), (11, 1, 'Again');
INSERT INTO comments (id, post_id, body) VALUES (100, 10, 'Nice'), (101, 11, 'Hm');
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    assert_refused(from, to, &["table comments, and every row in it"]);
    let done = Case::new(from, rows, to, destructive()).run();
    assert_eq!(done.outcome.lost, ["table comments, and every row in it"]);
    assert_has(
        done.up(),
        &[
            "-- migrate: allow destructive",
            "DROP VIEW comment_counts;",
            "DROP TABLE comments;",
        ],
    );
    assert_has(
        done.down(),
        &[
            "CREATE TABLE comments",
            "CREATE INDEX comments_post_id ON comments (post_id);",
            "CREATE VIEW comment_counts AS",
        ],
    );
}

#[test]
fn a_full_text_index_changed_is_made_again_and_filled_from_its_content_table() {
    let from = "
CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT);
CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content='notes', content_rowid='id');
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
  INSERT INTO notes_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
";
    let rows = "
INSERT INTO notes (id, title, body) VALUES
  (1, 'Groceries', 'apples and pears'),
  (2, 'Travel', 'trains to Lisbon');
";
    // The column is added to the content table after the index is made
    // again; the index is filled once it is there.
    let to = "
CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, tags, content='notes', content_rowid='id');
CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, tags TEXT NOT NULL DEFAULT 'inbox');
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
  INSERT INTO notes_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            let found = |term: &str| {
                text(
                    conn,
                    &format!(
                        "SELECT group_concat(rowid) FROM notes_fts WHERE notes_fts MATCH '{term}'"
                    ),
                )
            };
            assert_eq!(found("pears"), "1", "rows there before are found");
            assert_eq!(found("inbox"), "1,2", "by the new column too");
        })
        .run();
    assert_eq!(
        done.up(),
        "-- migrate: foreign-keys-off\n\n\
         ALTER TABLE notes ADD COLUMN tags TEXT NOT NULL DEFAULT 'inbox';\n\n\
         DROP TRIGGER notes_ai;\n\
         -- a virtual table is made again as declared, then filled\n\
         CREATE VIRTUAL TABLE new_notes_fts USING fts5(title, body, tags, content='notes', content_rowid='id');\n\
         INSERT INTO new_notes_fts (new_notes_fts) VALUES ('rebuild');\n\
         DROP TABLE notes_fts;\n\
         ALTER TABLE new_notes_fts RENAME TO notes_fts;\n\n\
         CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN\n  \
         INSERT INTO notes_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);\n\
         END;\n"
    );
    assert_has(
        done.down(),
        &["INSERT INTO new_notes_fts (new_notes_fts) VALUES ('rebuild');"],
    );
}

#[test]
fn virtual_tables_holding_their_own_rows_are_made_again_with_them() {
    let from = "
CREATE VIRTUAL TABLE memo USING fts5(subject, text);
CREATE VIRTUAL TABLE boxes USING rtree(id, min_x, max_x);
";
    let rows = "
INSERT INTO memo (rowid, subject, text) VALUES (7, 'hello', 'world'), (9, 'running', 'late');
INSERT INTO boxes (id, min_x, max_x) VALUES (1, 0.0, 10.0), (2, 5.0, 6.0);
";
    let to = "
CREATE VIRTUAL TABLE memo USING fts5(subject, text, author, tokenize = 'porter');
CREATE VIRTUAL TABLE boxes USING rtree(id, min_x, max_x, min_y, max_y);
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(
                    conn,
                    "SELECT group_concat(rowid) FROM memo WHERE memo MATCH 'run'"
                ),
                "9",
                "rows kept, and found by the new tokenizer"
            );
            assert_eq!(
                text(
                    conn,
                    "SELECT group_concat(id || ':' || min_x || '-' || max_x) FROM boxes"
                ),
                "1:0.0-10.0,2:5.0-6.0"
            );
        })
        .run();
    assert_has(
        done.up(),
        &[
            "CREATE VIRTUAL TABLE new_memo USING fts5(subject, text, author, tokenize = 'porter');",
            "INSERT INTO new_memo (rowid, subject, text)\n  SELECT rowid, subject, text FROM memo;",
            "ALTER TABLE new_memo RENAME TO memo;",
            "INSERT INTO new_boxes (id, min_x, max_x)\n  SELECT id, min_x, max_x FROM boxes;",
        ],
    );
    // Coming down loses the new columns.
    assert_has(
        done.down(),
        &["INSERT INTO new_memo (rowid, subject, text)"],
    );
}

#[test]
fn an_index_that_keeps_no_text_cannot_be_filled_again() {
    assert_refused(
        "CREATE VIRTUAL TABLE words USING fts5(word, content='');",
        "CREATE VIRTUAL TABLE words USING fts5(word, gloss, content='');",
        &["table words, and every row in it"],
    );
}

// ---------------------------------------------------------------------------
// Changes together, and what they have found.
// ---------------------------------------------------------------------------

#[test]
fn an_autoincrement_table_rebuilt_never_gives_a_deleted_key_again() {
    let from = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  age TEXT
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_id ON sessions (user_id);
";
    let rows = "
INSERT INTO users (email, age) VALUES ('ada@example.com', '36'), ('grace@example.com', NULL),
  ('linus@example.com', '54'), ('gone@example.com', '20');
DELETE FROM users WHERE id = 4;
INSERT INTO sessions (user_id) VALUES (1), (1), (3);
";
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  age INTEGER
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_id ON sessions (user_id);
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            trying(
                conn,
                "INSERT INTO users (email) VALUES ('new@example.com')",
                |conn| {
                    assert_eq!(text(conn, "SELECT max(id) FROM users"), "5");
                },
            );
            assert_eq!(text(conn, "SELECT count(*) FROM sessions"), "3");
        })
        .run();
    assert_rebuilds(done.up(), "users");
    assert_has(done.up(), &["INSERT INTO sqlite_sequence (name, seq)"]);
}

#[test]
fn a_parent_key_renamed_is_carried_into_its_children() {
    // `posts` sorts before `users`, and refers to the renamed column.
    let to = "
CREATE TABLE users (
  user_id INTEGER PRIMARY KEY, -- migrate: renamed from id
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, hinted(to)).run();
    assert_eq!(
        done.up(),
        "ALTER TABLE users RENAME COLUMN id TO user_id;\n"
    );
}

#[test]
fn a_column_renamed_and_retyped_is_one_rebuild_that_copies_it() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  rating REAL -- migrate: renamed from score
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, hinted(to))
        .after_up(|conn| {
            assert_eq!(
                text(conn, "SELECT typeof(rating) FROM posts WHERE id = 12"),
                "real"
            );
        })
        .run();
    assert_rebuilds(done.up(), "posts");
    assert_has(
        done.up(),
        &["INSERT INTO new_posts (id, user_id, title, body, rating)\n  SELECT id, user_id, title, body, score FROM posts;"],
    );
}

#[test]
fn a_table_renamed_and_changed_is_renamed_then_rebuilt() {
    let to = "
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, renaming(&["users=accounts"]))
        .after_up(|conn| {
            assert_eq!(text(conn, "SELECT name FROM accounts WHERE id = 2"), "");
            assert_eq!(text(conn, "SELECT count(*) FROM posts"), "4");
        })
        .run();
    assert_rebuilds(done.up(), "accounts");
    let up = done.up();
    assert!(
        up.find("ALTER TABLE users RENAME TO accounts;") < up.find("CREATE TABLE new_accounts"),
        "{up}"
    );
}

#[test]
fn a_table_renamed_carries_the_triggers_of_other_tables_that_name_it() {
    let from = "
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  comment_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  body TEXT
);
CREATE INDEX comments_post_id ON comments (post_id);
CREATE TRIGGER comments_counted AFTER INSERT ON comments BEGIN
  UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id;
END;
";
    let rows = "
INSERT INTO posts (id, title) VALUES (1, 'Hello'), (2, 'Again');
INSERT INTO comments (id, post_id, body) VALUES (1, 1, 'Nice'), (2, 1, NULL);
";
    let to = "
CREATE TABLE articles (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  comment_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  body TEXT
);
CREATE INDEX comments_post_id ON comments (post_id);
CREATE TRIGGER comments_counted AFTER INSERT ON comments BEGIN
  UPDATE articles SET comment_count = comment_count + 1 WHERE id = NEW.post_id;
END;
";
    let done = Case::new(from, rows, to, renaming(&["posts=articles"]))
        .after_up(|conn| {
            trying(conn, "INSERT INTO comments (post_id) VALUES (2)", |conn| {
                assert_eq!(
                    text(conn, "SELECT comment_count FROM articles WHERE id = 2"),
                    "1"
                );
            });
        })
        .run();
    assert_eq!(done.up(), "ALTER TABLE posts RENAME TO articles;\n");
}

#[test]
fn columns_dropped_that_an_index_a_view_and_a_foreign_key_use() {
    let from = "
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
  editor_id INTEGER REFERENCES users (id),
  title TEXT NOT NULL,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE INDEX posts_score ON posts (score);
CREATE VIEW top_posts AS SELECT id, title FROM posts WHERE score > 10;
";
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com'), (2, 'grace@example.com');
INSERT INTO posts (id, user_id, editor_id, title, score) VALUES
  (10, 1, 2, 'Hello', 5), (11, 2, NULL, 'Big', 50), (12, NULL, 1, 'Orphan', NULL);
";
    let to = "
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE VIEW top_posts AS SELECT id, title FROM posts;
";
    let done = Case::new(from, rows, to, destructive()).run();
    assert_eq!(
        done.outcome.lost,
        [
            "column posts.editor_id, and its values",
            "column posts.score, and its values"
        ]
    );
    assert_has(
        done.up(),
        &[
            "DROP INDEX posts_score;",
            "DROP VIEW top_posts;",
            "ALTER TABLE posts DROP COLUMN editor_id;",
            "ALTER TABLE posts DROP COLUMN score;",
        ],
    );
}

#[test]
fn columns_added_between_others_or_with_a_computed_default_are_a_rebuild() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  handle TEXT,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  seen_at TEXT DEFAULT (datetime('now'))
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let done = Case::new(BLOG, BLOG_ROWS, to, with_down())
        .after_up(|conn| {
            assert_eq!(
                text(conn, "SELECT count(*) FROM users WHERE seen_at IS NOT NULL"),
                "3"
            );
        })
        .run();
    assert_rebuilds(done.up(), "users");
    // The down script drops them, both last once the rebuild put them there.
    assert_in_place(done.down());
}

#[test]
fn a_column_made_not_null_without_a_default_is_warned_of() {
    let to = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  score INTEGER
);
CREATE INDEX posts_user_id ON posts (user_id);
";
    let outcome = generate(&objects(BLOG), &objects(to), &setup(), &with_down()).unwrap();
    assert_eq!(outcome.warnings.len(), 1, "{outcome:#?}");
    assert!(outcome.warnings[0].starts_with("posts.body: now NOT NULL without a DEFAULT"));
    // On rows without a NULL there, it applies.
    let rows = "
INSERT INTO users (id, email) VALUES (1, 'ada@example.com');
INSERT INTO posts (id, user_id, title, body) VALUES (10, 1, 'Hello', 'Body');
";
    Case::new(BLOG, rows, to, with_down()).run();
}

#[test]
fn a_self_referencing_foreign_key_added() {
    let from = "
CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  parent_id INTEGER
);
CREATE TABLE post_tags (
  post_id INTEGER NOT NULL,
  tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_tag_id ON post_tags (tag_id);
";
    let rows = "
INSERT INTO tags (id, name, parent_id) VALUES (1, 'lang', NULL), (2, 'rust', 1), (3, 'go', 1);
INSERT INTO post_tags (post_id, tag_id) VALUES (1, 2), (1, 3), (2, 1);
";
    let to = "
CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  parent_id INTEGER REFERENCES tags (id) ON DELETE CASCADE
);
CREATE INDEX tags_parent_id ON tags (parent_id);
CREATE TABLE post_tags (
  post_id INTEGER NOT NULL,
  tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_tag_id ON post_tags (tag_id);
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            assert_eq!(text(conn, "SELECT count(*) FROM post_tags"), "3");
            trying(conn, "DELETE FROM tags WHERE id = 1", |conn| {
                assert_eq!(text(conn, "SELECT count(*) FROM tags"), "0");
                assert_eq!(text(conn, "SELECT count(*) FROM post_tags"), "0");
            });
        })
        .run();
    assert_rebuilds(done.up(), "tags");
}

#[test]
fn tables_keyed_by_their_rowid_keep_it_through_a_rebuild() {
    let from = "
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE log (at INTEGER NOT NULL, message TEXT);
";
    let rows = "
INSERT INTO settings (key, value) VALUES ('theme', '1'), ('lang', NULL);
INSERT INTO log (at, message) VALUES (1, 'start'), (2, NULL), (3, 'stop');
DELETE FROM log WHERE at = 2;
";
    let to = "
CREATE TABLE settings (key TEXT PRIMARY KEY, value INTEGER);
CREATE TABLE log (at INTEGER NOT NULL, message TEXT NOT NULL DEFAULT '') STRICT;
";
    let done = Case::new(from, rows, to, with_down())
        .after_up(|conn| {
            assert_eq!(text(conn, "SELECT group_concat(rowid) FROM log"), "1,3");
        })
        .run();
    assert_rebuilds(done.up(), "log");
    assert_has(done.up(), &["INSERT INTO new_log (rowid, at, message)"]);
}

#[test]
fn a_parent_table_dropped_with_the_column_that_refers_to_it() {
    let from = "
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  team_id INTEGER REFERENCES teams (id)
);
CREATE INDEX users_team_id ON users (team_id);
";
    let rows = "
INSERT INTO teams (id, name) VALUES (1, 'core');
INSERT INTO users (id, email, team_id) VALUES (1, 'ada@example.com', 1), (2, 'grace@example.com', NULL);
";
    let to = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);";
    let done = Case::new(from, rows, to, destructive()).run();
    assert_eq!(
        done.outcome.lost,
        [
            "table teams, and every row in it",
            "column users.team_id, and its values"
        ]
    );
    assert_has(
        done.up(),
        &[
            "DROP TABLE teams;",
            "ALTER TABLE users DROP COLUMN team_id;",
        ],
    );
}
