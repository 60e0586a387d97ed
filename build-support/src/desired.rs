//! The desired schema: a file of `CREATE` statements, written as a person
//! writes a schema, that says what the chain of migrations should leave.
//! It is `schema.sql` beside the migrations folder unless `migrate.toml`
//! names another (`[schema] file`, relative to the crate root).

use std::path::{Path, PathBuf};

use migrate_sqlite::lex::{code, qualified_name, quoted_name, skip_words, statements};
use migrate_sqlite::schema::{bookkeeping_table, make_objects, read_objects, Change, Difference};
use migrate_sqlite::{apply, Directives, Schema, SchemaObject};
use rusqlite::Connection;

use crate::config::{Config, CONFIG_FILE};
use crate::diagnostic::Diagnostic;
use crate::file::created_table;
use crate::folder::{read_text, Format, SourceFile};
use crate::setup::Setup;
use crate::validate::fresh_connection;

/// The desired-schema file's name when `migrate.toml` names none.
pub const DEFAULT_FILE: &str = "schema.sql";

/// The desired schema of a migrations folder, as its file makes it.
#[derive(Clone, Debug)]
pub struct Desired {
    /// The file, relative to the crate root, as messages name it.
    pub file: String,
    /// Its text, as read (without a byte order mark): where its rename
    /// hints and statements are found.
    pub text: String,
    /// The schema the file makes on an empty database.
    pub schema: Schema,
    /// Its `CREATE` statements as SQLite keeps them, in the order made.
    pub objects: Vec<SchemaObject>,
    /// Bookkeeping tables the file declares and the migrations do not
    /// make, left out of the schema, with what keeps each: a file dumped
    /// from a real database (`sqlite3 app.db .schema`) holds them.
    pub left_out: Vec<(String, &'static str)>,
}

/// The desired-schema file of the migrations folder `dir` (of layout
/// `format`), relative to the crate root: `[schema] file` of its
/// `migrate.toml`, else `schema.sql` beside the folder.
///
/// A dbmate folder has none unless `[schema] file` names one: its
/// `schema.sql` is dbmate's own dump, rewritten by `dbmate up`. The error
/// says so, and how to name one.
pub fn desired_file(dir: &str, config: &Config, format: Option<Format>) -> Result<String, String> {
    if let Some(file) = &config.schema_file {
        return Ok(file.clone());
    }
    let beside = Path::new(dir.trim_end_matches('/')).parent();
    let file = match beside.filter(|parent| !parent.as_os_str().is_empty()) {
        Some(parent) => format!("{}/{DEFAULT_FILE}", parent.display()),
        None => DEFAULT_FILE.to_string(),
    };
    if format == Some(Format::Dbmate) {
        let own = format!("{}desired.sql", &file[..file.len() - DEFAULT_FILE.len()]);
        return Err(format!(
            "{file} is dbmate's own dump of the database, rewritten by `dbmate up`, not a desired \
             schema: write the schema you want in a file of its own and name it in \
             {dir}/{CONFIG_FILE}: `[schema]`, then `file = \"{own}\"`"
        ));
    }
    Ok(file)
}

/// Reads the desired schema in `base/file`: the file runs on an empty
/// in-memory database, set up as the migrations' are, and the schema it
/// leaves is read. `None` when there is no such file; an error at the
/// failing statement's line and column when it does not run.
///
/// What a dump of a real database holds besides its schema is passed over:
/// SQLite's own tables (`CREATE TABLE sqlite_sequence(name,seq);`), which
/// SQLite makes itself, and the history and replication tables of
/// [`bookkeeping_table`] that the migrations do not make themselves
/// (`chain_makes` says which tables they make).
pub fn read_desired(
    base: &Path,
    file: &str,
    setup: &Setup,
    chain_makes: impl Fn(&str) -> bool,
) -> Result<Option<Desired>, Diagnostic> {
    let path: PathBuf = base.join(file);
    if !path.exists() {
        return Ok(None);
    }
    let sql = read_text(&SourceFile {
        display: file.to_string(),
        path,
    })?;
    let unreadable = |error: rusqlite::Error| {
        Diagnostic::file(file, format!("cannot read the schema it makes: {error}"))
    };
    let mut conn = fresh_connection(setup).map_err(unreadable)?;
    apply(&mut conn, &without_sqlite_tables(&sql), Directives::NONE).map_err(|failure| {
        Diagnostic::of_failure(file, &sql, &failure)
            .note("the desired schema runs on an empty database, statement by statement, in the file's order")
    })?;
    let left_out = drop_bookkeeping(&conn, chain_makes).map_err(unreadable)?;
    Ok(Some(Desired {
        file: file.to_string(),
        text: sql,
        schema: Schema::read(&conn).map_err(unreadable)?,
        objects: read_objects(&conn).map_err(unreadable)?,
        left_out,
    }))
}

/// `sql` with its `CREATE TABLE sqlite_…` statements blanked out, byte for
/// byte, so that an offset into it is one into the file: SQLite reserves
/// those names and makes the tables itself.
fn without_sqlite_tables(sql: &str) -> String {
    let mut kept = sql.to_string();
    for statement in statements(sql) {
        let text = &sql[statement.range.clone()];
        let is_sqlite_own = created_table(&code(text)).is_some_and(|name| {
            name.get(..7)
                .is_some_and(|start| start.eq_ignore_ascii_case("sqlite_"))
        });
        if is_sqlite_own {
            let blank: String = text
                .chars()
                .map(|c| match c {
                    '\n' => "\n".to_string(),
                    _ => " ".repeat(c.len_utf8()),
                })
                .collect();
            kept.replace_range(statement.range, &blank);
        }
    }
    kept
}

/// Drops the bookkeeping tables `conn` holds that the chain does not make,
/// and says what each was.
fn drop_bookkeeping(
    conn: &Connection,
    chain_makes: impl Fn(&str) -> bool,
) -> rusqlite::Result<Vec<(String, &'static str)>> {
    let mut left_out = Vec::new();
    for object in read_objects(conn)? {
        let keeper = bookkeeping_table(&object.name);
        if let Some(keeper) =
            keeper.filter(|_| object.kind == "table" && !chain_makes(&object.name))
        {
            conn.execute_batch(&format!("DROP TABLE main.{}", quoted_name(&object.name)))?;
            left_out.push((object.name.to_string(), keeper));
        }
    }
    Ok(left_out)
}

/// What the schema `objects` make names and does not hold, by object
/// (`table t`, `view v`) with what is missing: a foreign key's parent
/// table, what a view reads. A migration that takes a database there
/// leaves it so, and the build's lints refuse it.
pub fn dangling(
    objects: &[SchemaObject],
    setup: &Setup,
) -> rusqlite::Result<Vec<(String, String)>> {
    let conn = fresh_connection(setup)?;
    make_objects(&conn, objects)?;
    let schema = Schema::read(&conn)?;
    let mut found = Vec::new();
    for (name, table) in &schema.tables {
        for key in &table.foreign_keys {
            if !schema.has_table(&key.parent_table) {
                found.push((
                    format!("table {name}"),
                    format!("{key}: table {} is not declared", key.parent_table),
                ));
            }
        }
    }
    for name in schema.views.keys() {
        let read = format!("SELECT * FROM main.{} LIMIT 0", quoted_name(name));
        if let Err(error) = conn.prepare(&read) {
            found.push((
                format!("view {name}"),
                format!("it cannot be read: {error}"),
            ));
        }
    }
    Ok(found)
}

/// The byte offset in `text` of the statement that creates `object`
/// (`table t`, `view v`).
pub fn statement_creating(text: &str, object: &str) -> Option<usize> {
    let (kind, name) = object.split_once(' ')?;
    statements(text).into_iter().find_map(|statement| {
        let tokens = code(&text[statement.range.clone()]);
        let at = tokens.iter().take(4).position(|t| t.is(kind))?;
        let at = skip_words(&tokens, at + 1, &["IF", "NOT", "EXISTS"]);
        let (created, _) = qualified_name(&tokens, at)?;
        (tokens.first()?.is("CREATE") && created.eq_ignore_ascii_case(name))
            .then_some(statement.range.start)
    })
}

/// Holds the schema the chain of `dir` leaves, `left`, to the folder's
/// desired schema when it has one: an error listing each difference when
/// they are not alike. Returns the desired file's path, for the build to
/// track, when there is one.
///
/// A dbmate folder's default `schema.sql` is dbmate's own dump, not a
/// desired schema ([`desired_file`]): it is compared only when `[schema]
/// file` names it.
pub(crate) fn check_agreement(
    base: &Path,
    dir: &str,
    config: &Config,
    format: Format,
    setup: &Setup,
    left: &Schema,
) -> Result<Option<PathBuf>, Diagnostic> {
    let Ok(file) = desired_file(dir, config, Some(format)) else {
        return Ok(None);
    };
    let Some(desired) = read_desired(base, &file, setup, |name| left.has_table(name))? else {
        return Ok(None);
    };
    let differences = left.differences(&desired.schema);
    if differences.is_empty() {
        return Ok(Some(base.join(&file)));
    }
    let mut diagnostic = Diagnostic::file(
        &file,
        format!("the schema the migrations in {dir} leave is not the one this file declares"),
    );
    for line in differences.iter().flat_map(|d| disagreement(d, &file)) {
        diagnostic = diagnostic.note(line);
    }
    Err(diagnostic.help(format!(
        "`migrate diff <description> {dir}` writes the migration that makes the difference; if the \
         migrations are right, `migrate schema {dir} --write --force` writes their schema into \
         {file}; a file that is not this folder's desired schema is named away with `[schema] file` \
         in its migrate.toml"
    )))
}

/// One difference between the migrations' schema and the desired one, said
/// from the desired file's side.
fn disagreement(difference: &Difference, file: &str) -> Vec<String> {
    let object = format!("{} {}", difference.kind, difference.name);
    match &difference.change {
        Change::Missing => vec![format!(
            "{object}: the migrations make it, {file} does not declare it"
        )],
        Change::Added => vec![format!(
            "{object}: {file} declares it, the migrations do not make it"
        )],
        Change::Changed(details) if details.is_empty() => {
            vec![format!(
                "{object}: the migrations make it otherwise than {file} declares"
            )]
        }
        Change::Changed(details) => details
            .iter()
            .map(|detail| {
                if let Some(part) = detail.strip_suffix(" is missing") {
                    format!("{object}: {part}: the migrations make it, {file} does not declare it")
                } else if let Some(part) = detail.strip_suffix(" was added") {
                    format!("{object}: {part}: {file} declares it, the migrations do not make it")
                } else {
                    format!("{object}: {detail} (the migrations → {file})")
                }
            })
            .collect(),
    }
}

/// The text of a desired-schema file that makes `objects`, the schema the
/// migrations folder `dir` leaves at `version`: what `migrate schema
/// --write` writes to start from an existing chain.
pub fn desired_text(objects: &[SchemaObject], dir: &str, version: u64) -> String {
    let mut text = format!(
        "-- The schema the migrations in {dir} should leave: edit it, then run\n\
         -- `migrate diff <description>` for the migration that gets there.\n\
         -- Written by `migrate schema --write` from the chain at version {version}.\n"
    );
    for object in objects {
        text.push_str(&format!("\n{};\n", object.sql));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;
    use std::fs;

    fn setup() -> Setup {
        Setup::of(&Config::default(), Path::new("."))
    }

    #[test]
    fn the_file_is_beside_the_folder_unless_the_configuration_names_one() {
        let config = Config::default();
        let numbered = Some(Format::Numbered);
        assert_eq!(
            desired_file("migrations", &config, None).unwrap(),
            "schema.sql"
        );
        assert_eq!(
            desired_file("db/migrations/", &config, numbered).unwrap(),
            "db/schema.sql"
        );
        let dbmate = desired_file("db/migrations", &config, Some(Format::Dbmate)).unwrap_err();
        assert!(
            dbmate.starts_with("db/schema.sql is dbmate's own dump of the database"),
            "{dbmate}"
        );
        let named = Config {
            schema_file: Some("sql/wanted.sql".into()),
            ..Config::default()
        };
        assert_eq!(
            desired_file("db/migrations", &named, Some(Format::Dbmate)).unwrap(),
            "sql/wanted.sql"
        );
        let read =
            Config::parse("[schema]\nfile = \"sql/wanted.sql\"\n", "m/migrate.toml").unwrap();
        assert_eq!(read.schema_file.as_deref(), Some("sql/wanted.sql"));
        let misspelt =
            Config::parse("[schema]\nfiles = \"x.sql\"\n", "m/migrate.toml").unwrap_err();
        assert!(
            misspelt
                .to_string()
                .starts_with("m/migrate.toml:2:1: unknown field `files`"),
            "{misspelt}"
        );
    }

    #[test]
    fn the_file_written_from_a_schema_makes_that_schema_again() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL COLLATE NOCASE UNIQUE) STRICT;
             CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                 body TEXT, words INTEGER GENERATED ALWAYS AS (length(body)) VIRTUAL);
             CREATE INDEX posts_user ON posts (user_id) WHERE body IS NOT NULL;
             CREATE VIEW recent AS SELECT * FROM posts ORDER BY id DESC LIMIT 10;
             CREATE TRIGGER posts_guard BEFORE DELETE ON users BEGIN SELECT RAISE(ABORT, 'posts'); END;",
        )
        .unwrap();
        let objects = read_objects(&conn).unwrap();
        let base = tempfile::tempdir().unwrap();
        fs::write(
            base.path().join("schema.sql"),
            desired_text(&objects, "migrations", 4),
        )
        .unwrap();

        let desired = read_desired(base.path(), "schema.sql", &setup(), |_| false)
            .unwrap()
            .unwrap();

        assert_eq!(
            Schema::read(&conn).unwrap().diff(&desired.schema),
            Vec::<String>::new()
        );
        assert_eq!(desired.objects.len(), objects.len());
    }

    fn schema_of(sql: &str) -> Schema {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        Schema::read(&conn).unwrap()
    }

    #[test]
    fn a_desired_schema_that_disagrees_lists_each_difference() {
        let base = tempfile::tempdir().unwrap();
        let left = schema_of(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE old (x);",
        );
        let check = |format| {
            check_agreement(
                base.path(),
                "migrations",
                &Config::default(),
                format,
                &setup(),
                &left,
            )
        };
        assert_eq!(
            check(Format::Numbered).unwrap(),
            None,
            "no file, nothing to hold to"
        );
        fs::write(
            base.path().join("schema.sql"),
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, nick TEXT);\nCREATE TABLE tags (name TEXT);\n",
        )
        .unwrap();

        let error = check(Format::Numbered).unwrap_err().to_string();

        assert!(
            error.starts_with("schema.sql: the schema the migrations in migrations leave is not the one this file declares"),
            "{error}"
        );
        for expected in [
            "note: table old: the migrations make it, schema.sql does not declare it",
            "note: table tags: schema.sql declares it, the migrations do not make it",
            "note: table users: column name: NOT NULL → nullable (the migrations → schema.sql)",
            "note: table users: column nick: schema.sql declares it, the migrations do not make it",
            "`migrate schema migrations --write --force`",
        ] {
            assert!(error.contains(expected), "{expected}\n{error}");
        }
        // A dbmate folder's schema.sql is dbmate's dump.
        assert_eq!(check(Format::Dbmate).unwrap(), None);
        // Alike: the file is tracked.
        fs::write(
            base.path().join("schema.sql"),
            "CREATE TABLE old (x);\ncreate table USERS (id integer primary key, name text not null);\n",
        )
        .unwrap();
        assert_eq!(
            check(Format::Numbered).unwrap(),
            Some(base.path().join("schema.sql"))
        );
    }

    #[test]
    fn what_names_an_object_that_is_not_there_is_found_at_its_statement() {
        let text = "-- wanted\nCREATE TABLE IF NOT EXISTS main.\"order line\" (id INTEGER PRIMARY KEY, o INTEGER REFERENCES orders (id));\n\
                    create view Totals as select count(*) from missing;\n";
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(text).unwrap();
        let objects = read_objects(&conn).unwrap();

        let found = dangling(&objects, &setup()).unwrap();

        assert_eq!(
            found,
            [
                (
                    "table order line".to_string(),
                    "foreign key (o) REFERENCES orders (id): table orders is not declared"
                        .to_string()
                ),
                (
                    "view Totals".to_string(),
                    "it cannot be read: no such table: main.missing".to_string()
                ),
            ]
        );
        assert_eq!(statement_creating(text, "table order line"), Some(10));
        assert_eq!(
            statement_creating(text, "view totals"),
            text.find("create view")
        );
        assert_eq!(statement_creating(text, "table missing"), None);
    }

    #[test]
    fn a_dump_of_a_real_database_reads_as_its_schema() {
        let base = tempfile::tempdir().unwrap();
        // As `sqlite3 app.db .schema` writes it, history tables included.
        let dump = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);
CREATE TABLE sqlite_sequence(name,seq);
CREATE TABLE sqlite_stat1(tbl,idx,stat);
CREATE TABLE _migrate_history (version INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL);
CREATE INDEX sqlx_by_description ON _sqlx_migrations (description);
CREATE TABLE schema_migrations (version TEXT PRIMARY KEY);
";
        fs::write(base.path().join("schema.sql"), dump).unwrap();
        let chain_makes = |name: &str| name == "schema_migrations";

        let desired = read_desired(base.path(), "schema.sql", &setup(), chain_makes)
            .unwrap()
            .unwrap();

        let tables: Vec<&String> = desired.schema.tables.keys().collect();
        assert_eq!(tables, ["schema_migrations", "users"]);
        assert!(desired.schema.indexes.is_empty());
        assert_eq!(
            desired.left_out,
            [
                ("_migrate_history".to_string(), "the toolkit's history"),
                ("_sqlx_migrations".to_string(), "sqlx's history"),
            ]
        );

        // A statement after a blanked one is still found at its place,
        // characters of several bytes included.
        fs::write(
            base.path().join("schema.sql"),
            "-- dumped\nCREATE TABLE sqlite_sequence(name, \"séq\"); CREATE TABLE a (x); CREATE INDEX a_y ON a (y);\n",
        )
        .unwrap();
        let error = read_desired(base.path(), "schema.sql", &setup(), |_| false).unwrap_err();
        assert!(
            error.to_string().starts_with(
                "schema.sql:2:87: no such column: y\n  |\n2 | CREATE TABLE sqlite_sequence"
            ),
            "{error}"
        );
    }

    #[test]
    fn no_file_is_no_desired_schema_and_bad_sql_is_an_error_at_its_place() {
        let base = tempfile::tempdir().unwrap();
        assert!(read_desired(base.path(), "schema.sql", &setup(), |_| false)
            .unwrap()
            .is_none());
        fs::write(
            base.path().join("schema.sql"),
            "-- wanted\nCREATE TABLE a (x);\nCREATE INDEX a_y ON a (y);\n",
        )
        .unwrap();
        let error = read_desired(base.path(), "schema.sql", &setup(), |_| false).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("schema.sql:3:24: no such column: y"),
            "{error}"
        );
    }
}
