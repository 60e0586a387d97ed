//! Compile-time validation: the whole chain executed, in order, on an
//! in-memory SQLite, the way the runtime will execute it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use migrate_sqlite::apply::foreign_key_violations;
use migrate_sqlite::{Failure, Lint};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::file::File;
use crate::folder::Source;
use crate::lint::Severity;
use crate::lint::{foreign_key_violation, Finding};
use crate::row_failure::{judge, OnRows, RowFailure};
use crate::schema_rows::SchemaRows;
use crate::seed::{Seeder, ROWS};
use crate::setup::{undeclared_function_help, Setup};
use migrate_sqlite::schema::{read_objects, Schema, SchemaObject};

/// What validation learned about a chain that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validated {
    /// The SQLite version the chain was executed with, e.g. `3.50.4`.
    pub sqlite_version: String,
    /// The schema the chain leaves.
    pub schema: Schema,
    /// The final schema's `CREATE` statements, in the order they were made.
    pub objects: Vec<SchemaObject>,
    /// Findings of the lints that need rows to see (`foreign-key-violation`),
    /// without those a file allows.
    pub findings: Vec<Finding>,
}

/// Executes every migration's up script, statement by statement, on a fresh
/// in-memory database, each inside a transaction as the runtime runs it.
///
/// The first failing statement ends validation: later migrations depend on
/// the schema it would have made.
///
/// The chain also runs on a second database whose tables are given generated
/// rows before each migration (see [`crate::seed_empty_tables`]): a migration that
/// passes on the empty database but fails there, such as a NOT NULL column
/// added without a default, is reported as failing when the table has rows.
pub fn validate(sources: &[Source]) -> Result<Validated, Diagnostic> {
    let files: Vec<File> = sources.iter().map(File::new).collect();
    let mut validation = Validation::start(true, &Setup::default())?;
    for index in 0..sources.len() {
        validation.step(sources, &files, index)?;
    }
    validation.finish()
}

/// [`validate`] one migration at a time, so that other checks can look at
/// the database between migrations and a run can be saved and resumed.
pub(crate) struct Validation {
    /// The empty run: the chain on a database the migrations alone fill.
    conn: Connection,
    seeded: SeededRun,
    sqlite_version: String,
}

/// A connection as validation runs migrations on: foreign keys on, as the
/// runtime has them, and what the folder's configuration sets up.
pub(crate) fn fresh_connection(setup: &Setup) -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.pragma_update(None, "foreign_keys", true)?;
    setup.apply(&conn)?;
    Ok(conn)
}

impl Validation {
    /// A run on empty databases, with the seeded run or without it, set up
    /// as `setup` says.
    pub(crate) fn start(seeded: bool, setup: &Setup) -> Result<Self, Diagnostic> {
        let conn = fresh_connection(setup).map_err(|error| {
            Diagnostic::file(
                "<in-memory database>",
                format!("cannot open SQLite: {error}"),
            )
        })?;
        Ok(Self::with(conn, SeededRun::start(seeded, setup)))
    }

    fn with(conn: Connection, seeded: SeededRun) -> Self {
        Self {
            conn,
            seeded,
            sqlite_version: rusqlite::version().to_string(),
        }
    }

    /// The empty run's database, holding the migrations stepped so far.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The same, for running a script on it and rolling it back.
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Applies `sources[index]`, the first not applied yet, on both runs;
    /// `files` are the chain's, cut into statements and tokens.
    pub(crate) fn step(
        &mut self,
        sources: &[Source],
        files: &[File],
        index: usize,
    ) -> Result<(), Diagnostic> {
        let source = &sources[index];
        let sqlite_version = &self.sqlite_version;
        let on = || match &sources[..index] {
            [] => "an empty in-memory database".to_string(),
            [only] => format!(
                "an in-memory database holding migration {}",
                only.migration.version()
            ),
            [first, .., last] => format!(
                "an in-memory database holding migrations {} to {}",
                first.migration.version(),
                last.migration.version()
            ),
        };
        apply(&mut self.conn, source).map_err(|diagnostic| {
            let help = undeclared_function_help(&diagnostic.message);
            let diagnostic = diagnostic.note(format!(
                "SQLite {sqlite_version} reported this while running migration {} at compile time, on {}",
                source.migration,
                on()
            ));
            match help {
                Some(help) => diagnostic.help(help),
                None => diagnostic,
            }
        })?;
        self.seeded.apply(sources, files, index).map_err(|(diagnostic, help)| {
            let on = on().replacen("an empty in-memory database", "an in-memory database", 1);
            let diagnostic = (*diagnostic).note(format!(
                "SQLite {sqlite_version} reported this while running migration {} at compile time, on {on}, \
                 after filling each empty table with {ROWS} generated rows; on the empty database the migration passes",
                source.migration
            ));
            match help {
                Some(help) => diagnostic.help(help),
                None => diagnostic,
            }
        })
    }

    /// What the chain stepped so far leaves.
    pub(crate) fn finish(self) -> Result<Validated, Diagnostic> {
        let schema = Schema::read(&self.conn).map_err(unreadable)?;
        self.finish_with(schema)
    }

    /// [`Validation::finish`] with the tables and indexes already known:
    /// only the views and triggers are read.
    pub(crate) fn finish_with(self, tables: Schema) -> Result<Validated, Diagnostic> {
        Ok(Validated {
            schema: tables
                .with_views_and_triggers(&self.conn)
                .map_err(unreadable)?,
            objects: read_objects(&self.conn).map_err(unreadable)?,
            sqlite_version: self.sqlite_version,
            findings: self.seeded.findings,
        })
    }

    /// Writes both databases into `dir` and returns the rest of the state.
    pub(crate) fn save(&self, dir: &Path) -> rusqlite::Result<ValidationState> {
        copy(&self.conn, &mut Connection::open(dir.join(EMPTY_RUN))?)?;
        let seeded = &self.seeded;
        if let Some(conn) = &seeded.conn {
            copy(conn, &mut Connection::open(dir.join(SEEDED_RUN))?)?;
        }
        Ok(ValidationState {
            setup: seeded.setup.clone(),
            seeding: seeded.conn.is_some(),
            seeder: seeded.seeder.rows().clone(),
            ran: seeded.ran,
            resyncs: seeded.resyncs,
            broken_references: seeded.broken_references.clone(),
            findings: seeded.findings.clone(),
        })
    }

    /// The run [`Validation::save`] saved in `dir`.
    pub(crate) fn resume(dir: &Path, state: ValidationState) -> rusqlite::Result<Self> {
        let restore = |file: &str| -> rusqlite::Result<Connection> {
            let mut conn = fresh_connection(&state.setup)?;
            copy(&Connection::open(dir.join(file))?, &mut conn)?;
            Ok(conn)
        };
        let seeded = SeededRun {
            conn: if state.seeding {
                Some(restore(SEEDED_RUN)?)
            } else {
                None
            },
            seeder: Seeder::resume(state.seeder),
            ran: state.ran,
            resyncs: state.resyncs,
            broken_references: state.broken_references,
            findings: state.findings,
            setup: state.setup.clone(),
        };
        Ok(Self::with(restore(EMPTY_RUN)?, seeded))
    }
}

fn unreadable(error: rusqlite::Error) -> Diagnostic {
    Diagnostic::file(
        "<in-memory database>",
        format!("cannot read the final schema: {error}"),
    )
}

const EMPTY_RUN: &str = "empty-run.sqlite";
const SEEDED_RUN: &str = "seeded-run.sqlite";

/// Copies the main database of `from` over that of `to`, in one step (the
/// backup API as every rusqlite version has it).
fn copy(from: &Connection, to: &mut Connection) -> rusqlite::Result<()> {
    rusqlite::backup::Backup::new(from, to)?.run_to_completion(
        i32::MAX,
        std::time::Duration::ZERO,
        None,
    )
}

/// What a saved [`Validation`] keeps beside its databases.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ValidationState {
    /// What the connections are set up with.
    setup: Setup,
    /// Whether the seeded run was still going.
    seeding: bool,
    seeder: SchemaRows,
    ran: Option<usize>,
    resyncs: usize,
    broken_references: BTreeSet<(String, String)>,
    findings: Vec<Finding>,
}

/// How many times the seeded run starts over after a failure it does not
/// report, before it gives up for the rest of the chain.
const RESYNCS: usize = 3;

/// The chain on a database whose tables are seeded before each migration.
struct SeededRun {
    /// `None` once the run has given up: it never fails validation by itself.
    conn: Option<Connection>,
    seeder: Seeder,
    /// The migration applied since the seeder last looked, if that is all
    /// that changed the database.
    ran: Option<usize>,
    resyncs: usize,
    /// Child and parent tables with broken references after the last
    /// migration: each pair is reported once, where it first appears.
    broken_references: BTreeSet<(String, String)>,
    findings: Vec<Finding>,
    /// What its connections are set up with.
    setup: Setup,
}

impl SeededRun {
    /// A run from an empty database, or one that has given up already.
    fn start(seeded: bool, setup: &Setup) -> Self {
        Self {
            setup: setup.clone(),
            conn: seeded.then(|| fresh_connection(setup).ok()).flatten(),
            resyncs: 0,
            seeder: Seeder::default(),
            ran: None,
            broken_references: BTreeSet::new(),
            findings: Vec::new(),
        }
    }

    /// Seeds the empty tables, then applies `sources[index]`, which passed
    /// on the empty database.
    fn apply(
        &mut self,
        sources: &[Source],
        files: &[File],
        index: usize,
    ) -> Result<(), RowFailure> {
        let Some(conn) = &mut self.conn else {
            return Ok(());
        };
        let source = &sources[index];
        // Best effort: a table it cannot fill is left with fewer rows.
        let ran = self.ran.take().map(|ran| &files[ran]);
        let _ = self.seeder.seed(conn, ran);
        let failure = match try_apply(conn, source) {
            Ok(()) => {
                self.ran = Some(index);
                self.check_references(source);
                return Ok(());
            }
            Err(failure) => failure,
        };
        let note = format!(
            "found by running migration {} at compile time on tables filled with {ROWS} generated rows",
            source.migration
        );
        match judge(source, failure) {
            Some(OnRows::Every(failure)) if !source.sealed => return Err(failure),
            // Shipped: a finding the seal keeps from failing the build.
            Some(OnRows::Every((diagnostic, help))) => {
                let diagnostic = (*diagnostic).note(note);
                self.findings.push(Finding {
                    lint: Lint::DataDependent,
                    severity: Severity::Error,
                    diagnostic: match help {
                        Some(help) => diagnostic.help(help),
                        None => diagnostic,
                    },
                });
            }
            Some(OnRows::Some(mut finding)) if !allows(source, Lint::DataDependent) => {
                finding.diagnostic.notes.insert(0, format!("note: {note}"));
                self.findings.push(finding);
            }
            Some(OnRows::Some(_)) | None => {}
        }
        self.resync(sources, index);
        Ok(())
    }

    /// Runs `foreign_key_check` after `source`: rows whose parent row is
    /// missing, which foreign keys off (a `no-transaction` migration's own
    /// `PRAGMA foreign_keys = OFF`) let through.
    ///
    /// Only a `no-transaction` migration can leave such rows: the others run
    /// with foreign keys on, where a broken reference fails its statement or
    /// the commit, or under `foreign-keys-off`, whose check before commit is
    /// the runner's. Checking after those too would scan every table after
    /// every migration and find nothing.
    fn check_references(&mut self, source: &Source) {
        let Some(conn) = &self.conn else { return };
        if !source.migration.up().directives().no_transaction() {
            return;
        }
        let Ok(now) = broken_references(conn) else {
            return;
        };
        for ((child, parent), rows) in &now {
            let pair = (child.clone(), parent.clone());
            if !self.broken_references.contains(&pair) {
                self.findings
                    .extend(foreign_key_violation(source, child, parent, *rows));
            }
        }
        self.broken_references = now.into_keys().collect();
    }

    /// After a failure that is not reported (the generated rows clash with
    /// the migration's own, say): a fresh database holding migrations up to
    /// `index`, whose tables are then all empty and seeded anew.
    fn resync(&mut self, sources: &[Source], index: usize) {
        self.conn = None;
        if self.resyncs == RESYNCS {
            return;
        }
        self.resyncs += 1;
        let Ok(mut conn) = fresh_connection(&self.setup) else {
            return;
        };
        if sources[..=index]
            .iter()
            .all(|source| try_apply(&mut conn, source).is_ok())
        {
            self.conn = Some(conn);
            self.seeder = Seeder::default();
            self.ran = None;
        }
    }
}

fn allows(source: &Source, lint: Lint) -> bool {
    source.migration.up().directives().allows(lint)
}

/// (child table, parent table) → how many rows of the child refer to a
/// missing parent row.
fn broken_references(conn: &Connection) -> rusqlite::Result<BTreeMap<(String, String), usize>> {
    let mut found = BTreeMap::new();
    for violation in foreign_key_violations(conn)? {
        *found
            .entry((violation.table, violation.parent))
            .or_insert(0) += 1;
    }
    Ok(found)
}

/// Applies `source`'s up script to `conn` as the runtime applies it; a
/// failure as the diagnostic that names its place.
pub(crate) fn apply(conn: &mut Connection, source: &Source) -> Result<(), Diagnostic> {
    try_apply(conn, source).map_err(|failure| {
        Diagnostic::of_failure(
            &source.up_file.display,
            source.migration.up().sql(),
            &failure,
        )
    })
}

fn try_apply(conn: &mut Connection, source: &Source) -> Result<(), Failure> {
    let script = source.migration.up();
    migrate_sqlite::apply(conn, script.sql(), script.directives())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validated(files: &[(&str, &str)]) -> Result<Validated, String> {
        let base = tempfile::tempdir().unwrap();
        std::fs::create_dir(base.path().join("m")).unwrap();
        for (name, sql) in files {
            std::fs::write(base.path().join("m").join(name), sql).unwrap();
        }
        let sources = crate::read_folder(base.path(), "m").unwrap();
        validate(&sources).map_err(|d| d.to_string())
    }

    fn run(files: &[(&str, &str)]) -> Result<(), String> {
        validated(files).map(drop)
    }

    const USERS: (&str, &str) = (
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
    );

    #[test]
    fn what_sqlite_does_not_skip_fails_as_it_does_at_run_time() {
        // U+00A0 and U+000B are blank space to Rust; to SQLite the first is
        // part of a name and the second no token at all.
        for sql in [
            "CREATE TABLE a (x);\n\u{a0}CREATE TABLE b (x);",
            "\u{b}CREATE TABLE a (x);",
            "CREATE TABLE a (x);\u{a0}",
            // `/*` last in the file is the `/` token, not a comment.
            "CREATE TABLE a (x);\n/*",
        ] {
            let at_run_time = Connection::open_in_memory().unwrap().execute_batch(sql);
            assert!(at_run_time.is_err(), "{sql:?}");
            let error = run(&[("0001_a.sql", sql)]).unwrap_err();
            assert!(
                error.contains("syntax error") || error.contains("unrecognized token"),
                "{sql:?}: {error}"
            );
        }
    }

    #[test]
    fn a_migration_that_fails_only_on_rows_is_reported() {
        let error = run(&[
            USERS,
            (
                "0002_email.sql",
                "ALTER TABLE users ADD COLUMN email TEXT NOT NULL;",
            ),
        ])
        .unwrap_err();
        assert!(
            error.starts_with("m/0002_email.sql:1:1: fails when `users` has rows: Cannot add a NOT NULL column with default value NULL"),
            "{error}"
        );
        assert!(
            error.contains("on an in-memory database holding migration 1, after filling"),
            "{error}"
        );
        assert!(
            error.ends_with("= help: give the column a DEFAULT, or add it nullable and fill it in"),
            "{error}"
        );
    }

    #[test]
    fn after_a_failure_it_does_not_report_the_seeded_run_holds_what_the_migration_made() {
        // 0002 fails on the generated rows (its UNIQUE clashes with them), a
        // failure that is not reported; the seeded run starts over from a
        // database holding 0001 and 0002, so `w`, which only 0002 makes, is
        // there for 0003 to fail on for the right reason.
        let error = run(&[
            USERS,
            (
                "0002_rebuild.sql",
                "CREATE TABLE w (id INTEGER PRIMARY KEY);\n\
                 CREATE TABLE u2 (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n\
                 INSERT INTO u2 SELECT id, name FROM users;\n\
                 DROP TABLE users;\nALTER TABLE u2 RENAME TO users;",
            ),
            ("0003_z.sql", "ALTER TABLE w ADD COLUMN z TEXT NOT NULL;"),
        ])
        .unwrap_err();
        assert!(
            error.starts_with(
                "m/0003_z.sql:1:1: fails when `w` has rows: Cannot add a NOT NULL column"
            ),
            "{error}"
        );
    }

    #[test]
    fn a_syntax_error_points_at_its_token() {
        let error =
            run(&[("0001_a.sql", "CREATE TABLE a (x);\nSELECT * FROM a WHERE;")]).unwrap_err();
        assert!(
            error.starts_with("m/0001_a.sql:2:22: incomplete input")
                || error.starts_with("m/0001_a.sql:2:22: near \";\": syntax error"),
            "{error}"
        );
    }

    #[test]
    fn a_foreign_keys_off_migration_must_leave_its_references_whole() {
        let error = run(&[
            USERS,
            (
                "0002_posts.sql",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users);",
            ),
            (
                "0003_orphan.sql",
                "-- migrate: foreign-keys-off\nINSERT INTO posts VALUES (1, 42);",
            ),
        ])
        .unwrap_err();
        assert!(
            error.starts_with(
                "m/0003_orphan.sql: foreign key check failed after the migration: row 1 of `posts` refers to a missing row of `users`"
            ),
            "{error}"
        );
    }

    #[test]
    fn the_empty_run_still_reports_first_and_unchanged() {
        let error = run(&[
            USERS,
            (
                "0002_bad.sql",
                "ALTER TABLE users ADD COLUMN email TEXT NOT NULL;\nSELECT nope FROM users;",
            ),
        ])
        .unwrap_err();
        assert!(
            error.starts_with("m/0002_bad.sql:2:8: no such column: nope"),
            "{error}"
        );
        assert!(!error.contains("rows"), "{error}");
    }

    #[test]
    fn rows_a_migration_inserts_or_a_new_unique_constraint_are_no_false_alarm() {
        // The seeder's keys and values must not clash with the migration's
        // own rows, and a rebuild that makes a column UNIQUE trusts the data.
        run(&[
            USERS,
            ("0002_posts.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, body TEXT NOT NULL);\n\
                                INSERT INTO users (id, name) VALUES (1, 'system');\n\
                                INSERT INTO posts (user_id, body) VALUES (1, 'welcome');"),
            ("0003_unique_names.sql", "-- migrate: foreign-keys-off\n\
                                       CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n\
                                       INSERT INTO users_new (id, name) SELECT id, name FROM users;\n\
                                       DROP TABLE users;\n\
                                       ALTER TABLE users_new RENAME TO users;"),
            ("0004_email.sql", "ALTER TABLE users ADD COLUMN email TEXT;\nCREATE UNIQUE INDEX users_email ON users (email);"),
            ("0005_cleanup.sql", "DELETE FROM users WHERE name = 'system';"),
        ])
        .unwrap();
    }

    #[test]
    fn the_seeded_run_goes_on_after_a_failure_it_does_not_report() {
        // 0002's UNIQUE clash is not reported; the run starts over with
        // fresh rows, and 0003's problem is still found.
        let error = run(&[
            USERS,
            (
                "0002_rebuild.sql",
                "CREATE TABLE u2 (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n\
                                  INSERT INTO u2 SELECT id, name FROM users;\n\
                                  DROP TABLE users;\nALTER TABLE u2 RENAME TO users;",
            ),
            (
                "0003_flag.sql",
                "ALTER TABLE users ADD COLUMN flag INTEGER NOT NULL;",
            ),
        ])
        .unwrap_err();
        assert!(
            error.starts_with("m/0003_flag.sql:1:1: fails when `users` has rows"),
            "{error}"
        );
    }

    #[test]
    fn deleting_parents_of_seeded_children_is_a_warning_with_what_to_do() {
        // It fails only where rows of `posts` refer to users.
        let validated = validated(&[
            USERS,
            ("0002_posts.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id));"),
            ("0003_purge.sql", "DELETE FROM users;\nCREATE TABLE after_purge (x);"),
        ])
        .unwrap();
        let [finding] = &validated.findings[..] else {
            panic!("{:#?}", validated.findings)
        };
        assert_eq!(finding.lint, Lint::DataDependent);
        let text = finding.diagnostic.to_string();
        assert!(
            text.starts_with("m/0003_purge.sql:1:1: fails when the tables have rows: FOREIGN KEY constraint failed [data-dependent]"),
            "{text}"
        );
        assert!(text.contains("help: rows of other tables refer"), "{text}");
        // The chain went on.
        assert!(validated.schema.tables.contains_key("after_purge"));
    }

    #[test]
    fn what_fails_for_some_values_names_them_and_the_query_that_finds_them() {
        let notes = (
            "0001_notes.sql",
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT);",
        );
        let rebuild = (
            "0002_title_required.sql",
            "-- migrate: foreign-keys-off\nCREATE TABLE new_notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT);\n\
             INSERT INTO new_notes (id, title, body) SELECT id, trim(title), body FROM notes;\n\
             DROP TABLE notes;\nALTER TABLE new_notes RENAME TO notes;\n\
             CREATE UNIQUE INDEX notes_body ON notes (body);",
        );
        let rebuilt = validated(&[notes, rebuild]).unwrap();
        let texts: Vec<String> = rebuilt
            .findings
            .iter()
            .map(|f| f.diagnostic.to_string())
            .collect();
        assert_eq!(texts.len(), 1, "{texts:#?}");
        assert!(
            texts[0].starts_with(
                "m/0002_title_required.sql:3:1: fails on a database where `notes` has a row whose trim(title) is NULL: \
                 it is copied into `new_notes`.`title`, which is NOT NULL [data-dependent]"
            ),
            "{texts:#?}"
        );
        assert!(
            texts[0].contains(
                "help: find such rows with `SELECT * FROM notes WHERE trim(title) IS NULL;`"
            ),
            "{texts:#?}"
        );
        let unique = validated(&[
            notes,
            (
                "0002_unique.sql",
                "CREATE UNIQUE INDEX notes_title ON notes (title, body);",
            ),
        ])
        .unwrap();
        let text = unique.findings[0].diagnostic.to_string();
        assert!(
            text.starts_with(
                "m/0002_unique.sql:1:1: fails on a database where two rows of `notes` have the same title, body: \
                 the UNIQUE index refuses a repeated value [data-dependent]"
            ),
            "{text}"
        );
        assert!(
            text.contains("`SELECT title, body, count(*) FROM notes GROUP BY title, body HAVING count(*) > 1;`"),
            "{text}"
        );
    }

    #[test]
    fn references_left_broken_with_foreign_keys_off_are_found_once() {
        let posts = (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));",
        );
        let purge = "-- migrate: no-transaction\nPRAGMA foreign_keys = OFF;\n\
                     DELETE FROM users WHERE id > 0;\nPRAGMA foreign_keys = ON;";
        let later = ("0004_more.sql", "CREATE TABLE tags (name TEXT);");
        let result = validated(&[USERS, posts, ("0003_purge.sql", purge), later]).unwrap();
        let messages: Vec<String> = result
            .findings
            .iter()
            .map(|f| f.diagnostic.to_string())
            .collect();
        assert_eq!(messages.len(), 1, "{messages:#?}");
        assert!(
            messages[0].starts_with("m/0003_purge.sql:3:1: after this migration 2 row(s) of `posts` refer to rows of `users` that do not exist"),
            "{messages:#?}"
        );
        assert!(
            messages[0].ends_with("the top of the file"),
            "{messages:#?}"
        );

        let allowed = format!("-- migrate: allow foreign-key-violation\n{purge}");
        let result = validated(&[USERS, posts, ("0003_purge.sql", &allowed)]).unwrap();
        assert_eq!(result.findings, []);

        let kept = purge.replace(
            "DELETE FROM users WHERE id > 0;",
            "DELETE FROM posts;\nDELETE FROM users WHERE id > 0;",
        );
        let result = validated(&[USERS, posts, ("0003_purge.sql", &kept)]).unwrap();
        assert_eq!(result.findings, []);
    }

    #[test]
    fn a_rebuild_that_leaves_a_view_on_the_old_table_is_told_what_to_do() {
        let view = (
            "0002_view.sql",
            "CREATE VIEW names AS SELECT name FROM users;",
        );
        let rebuild = (
            "0003_rebuild.sql",
            "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
             INSERT INTO users_new SELECT id, name FROM users;\nDROP TABLE users;\n\
             ALTER TABLE users_new RENAME TO users;",
        );
        let error = run(&[USERS, view, rebuild]).unwrap_err();
        assert!(
            error.starts_with(
                "m/0003_rebuild.sql:4:33: error in view names: no such table: main.users"
            ),
            "{error}"
        );
        assert!(
            error.contains("help: SQLite checks every view when a table is altered"),
            "{error}"
        );
    }
}
