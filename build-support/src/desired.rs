//! The desired schema: a file of `CREATE` statements, written as a person
//! writes a schema, that says what the chain of migrations should leave.
//! It is `schema.sql` beside the migrations folder unless `migrate.toml`
//! names another (`[schema] file`, relative to the crate root).

use std::path::{Path, PathBuf};

use migrate_sqlite::schema::{read_objects, Change, Difference};
use migrate_sqlite::{apply, Directives, Schema, SchemaObject};

use crate::config::Config;
use crate::diagnostic::Diagnostic;
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
    /// The schema the file makes on an empty database.
    pub schema: Schema,
    /// Its `CREATE` statements as SQLite keeps them, in the order made.
    pub objects: Vec<SchemaObject>,
}

/// The desired-schema file of the migrations folder `dir`, relative to the
/// crate root: `[schema] file` of its `migrate.toml`, else `schema.sql`
/// beside the folder.
pub fn desired_file(dir: &str, config: &Config) -> String {
    if let Some(file) = &config.schema_file {
        return file.clone();
    }
    let beside = Path::new(dir.trim_end_matches('/')).parent();
    match beside.filter(|parent| !parent.as_os_str().is_empty()) {
        Some(parent) => format!("{}/{DEFAULT_FILE}", parent.display()),
        None => DEFAULT_FILE.to_string(),
    }
}

/// Reads the desired schema in `base/file`: the file runs on an empty
/// in-memory database, set up as the migrations' are, and the schema it
/// leaves is read. `None` when there is no such file; an error at the
/// failing statement's line and column when it does not run.
pub fn read_desired(base: &Path, file: &str, setup: &Setup) -> Result<Option<Desired>, Diagnostic> {
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
    apply(&mut conn, &sql, Directives::NONE).map_err(|failure| {
        Diagnostic::of_failure(file, &sql, &failure)
            .note("the desired schema runs on an empty database, statement by statement, in the file's order")
    })?;
    Ok(Some(Desired {
        file: file.to_string(),
        schema: Schema::read(&conn).map_err(unreadable)?,
        objects: read_objects(&conn).map_err(unreadable)?,
    }))
}

/// Holds the schema the chain of `dir` leaves, `left`, to the folder's
/// desired schema when it has one: an error listing each difference when
/// they are not alike. Returns the desired file's path, for the build to
/// track, when there is one.
///
/// A dbmate folder's default `schema.sql` is dbmate's own dump, not a
/// desired schema: it is compared only when `[schema] file` names it.
pub(crate) fn check_agreement(
    base: &Path,
    dir: &str,
    config: &Config,
    format: Format,
    setup: &Setup,
    left: &Schema,
) -> Result<Option<PathBuf>, Diagnostic> {
    if format == Format::Dbmate && config.schema_file.is_none() {
        return Ok(None);
    }
    let file = desired_file(dir, config);
    let Some(desired) = read_desired(base, &file, setup)? else {
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
        assert_eq!(desired_file("migrations", &config), "schema.sql");
        assert_eq!(desired_file("db/migrations/", &config), "db/schema.sql");
        let named = Config {
            schema_file: Some("sql/wanted.sql".into()),
            ..Config::default()
        };
        assert_eq!(desired_file("db/migrations", &named), "sql/wanted.sql");
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

        let desired = read_desired(base.path(), "schema.sql", &setup())
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
    fn no_file_is_no_desired_schema_and_bad_sql_is_an_error_at_its_place() {
        let base = tempfile::tempdir().unwrap();
        assert!(read_desired(base.path(), "schema.sql", &setup())
            .unwrap()
            .is_none());
        fs::write(
            base.path().join("schema.sql"),
            "-- wanted\nCREATE TABLE a (x);\nCREATE INDEX a_y ON a (y);\n",
        )
        .unwrap();
        let error = read_desired(base.path(), "schema.sql", &setup()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("schema.sql:3:24: no such column: y"),
            "{error}"
        );
    }
}
