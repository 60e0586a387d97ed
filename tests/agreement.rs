//! The compile-time check and the runtime run a chain the same way: the
//! same chains pass and leave the same schema, and a failing chain fails at
//! the same migration, at the same statement, with the same message from
//! SQLite, whether the compiler or a start at run time runs it.

// `Error` is large, and returned once per start.
#![allow(clippy::result_large_err)]

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};

use migrate_build_support::{read_folder, validate, Source};
use migrate_runtime::rusqlite::{self, Connection};
use migrate_runtime::{Backups, Error, Migration, Migrator, TransactionMode};
use migrate_tests::crate_root;
use tracing::field::{Field, Visit};

/// What running a chain came to.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Every migration ran; the `CREATE` statements of the schema left, in
    /// the order they were made.
    Passed(Vec<String>),
    /// A migration failed: its version, the line and column of the failing
    /// statement (none for a failure at the commit), and SQLite's message.
    Failed {
        version: u64,
        at: Option<(usize, usize)>,
        message: String,
    },
}

/// The chain of `base/dir` as `embed_migrations!` checks it.
fn at_compile_time(base: &Path, dir: &str) -> Outcome {
    let sources = read_folder(base, dir).expect("the folder reads");
    match validate(&sources) {
        Ok(validated) => Outcome::Passed(
            validated
                .objects
                .iter()
                .map(|o| o.sql.to_string())
                .collect(),
        ),
        Err(diagnostic) => {
            let failing = sources
                .iter()
                .find(|source| source.up_file.display == diagnostic.path)
                .expect("the diagnostic names an up script");
            Outcome::Failed {
                version: failing.migration.version(),
                at: diagnostic.location.map(|at| (at.line, at.column)),
                message: diagnostic.message,
            }
        }
    }
}

/// The same chain applied at launch to a new database file, in `mode`.
fn at_run_time(sources: &[Source], mode: TransactionMode) -> Outcome {
    let migrations: Vec<Migration> = sources.iter().map(|s| s.migration.clone()).collect();
    let migrator = Migrator::new(Box::leak(migrations.into_boxed_slice()))
        .transaction_mode(mode)
        .backups(Backups::disabled())
        .read_environment(false);
    let dir = tempfile::tempdir().unwrap();
    let failures = Failures::default();
    let opened = tracing::subscriber::with_default(failures.clone(), || {
        migrator.open(dir.path().join("app.db"))
    });
    match opened {
        Ok(conn) => Outcome::Passed(created(&conn)),
        Err(Error::Migration {
            version, source, ..
        }) => Outcome::Failed {
            version,
            at: failures.place(),
            message: sqlite_message(&source),
        },
        Err(other) => panic!("not a migration's failure: {other}"),
    }
}

fn created(conn: &Connection) -> Vec<String> {
    let mut statement = conn
        .prepare(
            "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_migrate_history' \
             AND name NOT IN (SELECT name FROM pragma_table_list WHERE type = 'shadow') \
             ORDER BY rowid",
        )
        .unwrap();
    let rows = statement.query_map([], |row| row.get(0)).unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

/// Checks that the compiler and both transaction modes of the runtime come
/// to `expected` for the chain `files`.
fn agree(files: &[(&str, &str)]) -> Outcome {
    let base = tempfile::tempdir().unwrap();
    for (name, sql) in files {
        let path = base.path().join("m").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, sql).unwrap();
    }
    agree_on(base.path(), "m")
}

fn agree_on(base: &Path, dir: &str) -> Outcome {
    let compiled = at_compile_time(base, dir);
    let sources = read_folder(base, dir).unwrap();
    for mode in [TransactionMode::AllPending, TransactionMode::PerMigration] {
        assert_eq!(at_run_time(&sources, mode), compiled, "{dir}, {mode:?}");
    }
    compiled
}

const USERS: (&str, &str) = (
    "0001_users.sql",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n",
);

#[test]
fn the_fixture_chains_pass_both_ways_and_leave_the_same_schema() {
    let fixtures = crate_root().join("fixtures");
    for dir in [
        "real_world",
        "valid",
        "long",
        "concurrent",
        "schema_renamed_column",
    ] {
        let outcome = agree_on(&fixtures, dir);
        assert!(
            matches!(outcome, Outcome::Passed(ref schema) if !schema.is_empty()),
            "{dir}"
        );
    }
}

#[test]
fn a_syntax_error_fails_at_its_token_both_ways() {
    let outcome = agree(&[
        USERS,
        (
            "0002_posts.sql",
            "-- posts; with a ; in this comment\nCREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT DEFAULT 'a;b');\nSELECT * FROM posts WHERE;\n",
        ),
    ]);
    assert!(
        matches!(
            &outcome,
            Outcome::Failed {
                version: 2,
                at: Some((3, 26)),
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[test]
fn a_missing_column_is_found_where_the_statement_names_it() {
    let outcome = agree(&[
        USERS,
        ("0002_email.sql", "ALTER TABLE users ADD COLUMN email TEXT;\nUPDATE users\n   SET email = lower(emial);\n"),
    ]);
    assert_eq!(
        outcome,
        Outcome::Failed {
            version: 2,
            at: Some((3, 22)),
            message: "no such column: emial".into()
        }
    );
}

#[test]
fn a_constraint_fails_at_its_statement_after_a_trigger_body() {
    let outcome = agree(&[
        USERS,
        (
            "0002_audit.sql",
            "CREATE TABLE audit (name TEXT);\n\
             CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN\n  INSERT INTO audit VALUES (new.name);\n  SELECT 1;\nEND;\n\
             INSERT INTO users (name) VALUES ('ada');\n  INSERT INTO users (name) VALUES ('ada');\n",
        ),
    ]);
    assert_eq!(
        outcome,
        Outcome::Failed {
            version: 2,
            at: Some((7, 3)),
            message: "UNIQUE constraint failed: users.name".into()
        }
    );
}

#[test]
fn a_rebuild_that_breaks_its_references_fails_at_the_check_both_ways() {
    let outcome = agree(&[
        USERS,
        (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users);\n\
             INSERT INTO users VALUES (1, 'ada');\nINSERT INTO posts VALUES (1, 1);\n",
        ),
        (
            "0003_rebuild.sql",
            "-- migrate: foreign-keys-off\n\
             CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n\
             DROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n",
        ),
    ]);
    let Outcome::Failed {
        version: 3,
        at: None,
        message,
    } = &outcome
    else {
        panic!("{outcome:?}");
    };
    assert!(
        message.starts_with("foreign key check failed after the migration: row 1 of `posts`"),
        "{message}"
    );
}

#[test]
fn a_view_on_a_rebuilt_table_fails_at_the_rename_both_ways() {
    let outcome = agree(&[
        USERS,
        (
            "0002_names.sql",
            "CREATE VIEW names AS SELECT name FROM users;\n",
        ),
        (
            "0003_rebuild.sql",
            "-- migrate: foreign-keys-off\n\
             CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n\
             INSERT INTO users_new SELECT id, name FROM users;\n\
             DROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n",
        ),
    ]);
    let Outcome::Failed {
        version: 3,
        at: Some((5, _)),
        message,
    } = &outcome
    else {
        panic!("{outcome:?}");
    };
    assert!(message.starts_with("error in view names"), "{message}");
}

#[test]
fn a_no_transaction_migration_fails_at_its_statement_both_ways() {
    let outcome = agree(&[
        USERS,
        (
            "0002_vacuum.sql",
            "-- migrate: no-transaction\nPRAGMA foreign_keys = OFF;\nVACUUM;\nDELETE FROM nowhere;\n",
        ),
    ]);
    assert_eq!(
        outcome,
        Outcome::Failed {
            version: 2,
            at: Some((4, 13)),
            message: "no such table: nowhere".into()
        }
    );
}

/// The place the runtime logs for a failed migration (`line` and `column`
/// of its "migration failed" event).
#[derive(Clone, Default)]
struct Failures(Arc<Mutex<Vec<Logged>>>);

/// The `line` and `column` fields of one "migration failed" event.
type Logged = (Option<u64>, Option<u64>);

impl Failures {
    fn place(&self) -> Option<(usize, usize)> {
        let logged = self.0.lock().unwrap();
        let (line, column) = logged.last().copied()?;
        Some((line? as usize, column? as usize))
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    line: Option<u64>,
    column: Option<u64>,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "line" => self.line = Some(value),
            "column" => self.column = Some(value),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Failures {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.message == "migration failed" {
            self.0.lock().unwrap().push((fields.line, fields.column));
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn references_broken_before_a_rebuild_are_not_held_against_it_either_way() {
    let outcome = agree(&[
        USERS,
        (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users);\n\
             INSERT INTO users VALUES (1, 'ada');\nINSERT INTO posts VALUES (1, 1);\n",
        ),
        (
            "0003_orphan.sql",
            "-- migrate: no-transaction\nPRAGMA foreign_keys = OFF;\nINSERT INTO posts VALUES (2, 42);\n",
        ),
        (
            "0004_rebuild.sql",
            "-- migrate: foreign-keys-off\n\
             CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT);\n\
             INSERT INTO users_new (id, name) SELECT id, name FROM users;\n\
             DROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n",
        ),
    ]);
    assert!(matches!(outcome, Outcome::Passed(_)), "{outcome:?}");
}
