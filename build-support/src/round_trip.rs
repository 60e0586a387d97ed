//! Down scripts checked at compile time: applying a migration's up script and
//! then its down script must give back the schema from before the up.

use migrate_sqlite::apply::sqlite_message;
use migrate_sqlite::{Applying, Script};
use rusqlite::Connection;

use crate::diagnostic::Diagnostic;
use crate::folder::{Source, SourceFile};
use crate::validate::apply;
use migrate_sqlite::schema::Schema;

/// Runs the chain on a fresh in-memory database (foreign keys on, as in
/// [`validate`](fn@crate::validate)), and for each migration with a down
/// script checks that up-then-down is a round trip: the down runs, as the
/// runtime runs it, right after the up; the schema it leaves is compared
/// with the one from before the up (see [`Schema::diff`]); then the down is
/// rolled back, so that the next migration runs on the up's schema, as it
/// will at run time.
///
/// Every down that fails or does not give back the schema is reported, on
/// the down file. Meant to run after `validate` succeeded: an up script that
/// fails here ends the check with its diagnostic. [`crate::check_folder`]
/// makes the same checks on the run that validates the chain, instead of
/// running it again.
pub fn check_round_trips(sources: &[Source]) -> Result<(), Vec<Diagnostic>> {
    let mut conn = Connection::open_in_memory()
        .and_then(|conn| {
            conn.pragma_update(None, "foreign_keys", true)?;
            Ok(conn)
        })
        .map_err(|error| {
            vec![Diagnostic::file(
                "<in-memory database>",
                format!("cannot open SQLite: {error}"),
            )]
        })?;
    let mut problems = Vec::new();
    for index in 0..sources.len() {
        let before = schema_before(&conn, &sources[index]).map_err(|d| vec![d])?;
        apply(&mut conn, &sources[index]).map_err(|diagnostic| vec![diagnostic])?;
        if let Some(before) = before {
            if let Err(fatal) = check_down(&mut conn, sources, index, &before, &mut problems) {
                problems.push(fatal);
                return Err(problems);
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The down script of `source` that can be checked: not of a
/// `no-transaction` migration. Such a script (VACUUM, PRAGMA journal_mode)
/// cannot run inside the transaction that undoes the down, so its migration
/// is applied without its round trip being checked.
fn checked_down(source: &Source) -> Option<(&SourceFile, &Script)> {
    let (file, script) = source.down_file.as_ref().zip(source.migration.down())?;
    let no_transaction =
        script.directives().no_transaction() || source.migration.up().directives().no_transaction();
    (!no_transaction).then_some((file, script))
}

/// Before `source`'s up script runs on `conn`: the schema its down script
/// must give back, when it has a down script to check.
pub(crate) fn schema_before(
    conn: &Connection,
    source: &Source,
) -> Result<Option<Schema>, Diagnostic> {
    let Some((file, _)) = checked_down(source) else {
        return Ok(None);
    };
    read_schema(conn, file).map(Some)
}

fn read_schema(conn: &Connection, file: &SourceFile) -> Result<Schema, Diagnostic> {
    Schema::read(conn).map_err(|error| {
        Diagnostic::file(
            &file.display,
            format!("cannot read the schema: {}", sqlite_message(&error)),
        )
    })
}

/// Right after the up script of `sources[index]` ran on `conn`: runs its
/// down script, rolled back after, and pushes onto `problems` a down that
/// fails or does not give back `before`. The database is left as the up
/// left it; an error means it could not be, and the check must stop.
pub(crate) fn check_down(
    conn: &mut Connection,
    sources: &[Source],
    index: usize,
    before: &Schema,
    problems: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    let source = &sources[index];
    let Some((file, script)) = checked_down(source) else {
        return Ok(());
    };
    match run_down(conn, file, script) {
        Ok(after) => {
            let differences = before.diff(&after);
            if !differences.is_empty() {
                let context = context(&sources[..index]);
                problems.push(not_a_round_trip(source, file, &differences, &context));
            }
            Ok(())
        }
        Err(DownFailure::InDown(diagnostic)) => {
            problems.push(
                diagnostic
                    .note(format!(
                        "SQLite {} reported this while running the down script of migration {} \
                         at compile time, right after its up script, on {}",
                        rusqlite::version(),
                        source.migration,
                        context(&sources[..=index])
                    ))
                    .help(
                        "a down script runs on the schema its up script leaves: fix it, or \
                         delete it to make the migration irreversible",
                    ),
            );
            Ok(())
        }
        Err(DownFailure::Fatal(diagnostic)) => Err(diagnostic),
    }
}

enum DownFailure {
    /// The down script failed; its changes were rolled back and the chain
    /// goes on.
    InDown(Diagnostic),
    /// The database could not be put back as the up left it: the check stops.
    Fatal(Diagnostic),
}

/// Runs a down script as the runtime runs it, reads the schema it leaves,
/// and rolls it back whether it worked or not.
fn run_down(
    conn: &mut Connection,
    file: &SourceFile,
    script: &Script,
) -> Result<Schema, DownFailure> {
    let around = |failure: migrate_sqlite::Failure| {
        DownFailure::Fatal(Diagnostic::file(
            &file.display,
            format!(
                "{} when running the down script at compile time, around its SQL",
                failure.message()
            ),
        ))
    };
    let applying = Applying::begin(conn, script.directives(), None).map_err(around)?;
    let result = match applying.run(script.sql()) {
        Ok(()) => read_schema(applying.conn(), file).map_err(DownFailure::InDown),
        Err(failure) => Err(DownFailure::InDown(Diagnostic::of_failure(
            &file.display,
            script.sql(),
            &failure,
        ))),
    };
    applying.roll_back().map_err(around)?;
    result
}

fn not_a_round_trip(
    source: &Source,
    file: &SourceFile,
    differences: &[String],
    context: &str,
) -> Diagnostic {
    let diagnostic = Diagnostic::file(
        &file.display,
        format!(
            "applying `{}` then this down script does not give back the schema from before the up \
             script",
            sibling_name(&source.up_file.display, &file.display)
        ),
    );
    let diagnostic = differences
        .iter()
        .fold(diagnostic, |diagnostic, difference| {
            diagnostic.note(difference)
        });
    diagnostic
        .note(format!(
            "compared at compile time: the schema of {context}, before and after running the up \
             then the down script of migration {}",
            source.migration
        ))
        .help(
            "make the down script undo exactly what the up script does, or delete it to \
             make the migration irreversible",
        )
}

/// `up`'s path relative to the folder it shares with `down`:
/// `0002_add_email.up.sql`, or `up.sql` in a diesel folder.
fn sibling_name<'a>(up: &'a str, down: &str) -> &'a str {
    let common = up
        .bytes()
        .zip(down.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let folder_end = up[..common].rfind('/').map_or(0, |slash| slash + 1);
    &up[folder_end..]
}

/// The database a down script ran on, for the notes.
fn context(applied: &[Source]) -> String {
    match applied {
        [only] => format!(
            "an in-memory database holding migration {}",
            only.migration.version()
        ),
        [first, .., last] => format!(
            "an in-memory database holding migrations {} to {}",
            first.migration.version(),
            last.migration.version()
        ),
        [] => "an empty in-memory database".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::read_folder;

    fn check(files: &[(&str, &str)]) -> Result<(), Vec<String>> {
        let base = tempfile::tempdir().unwrap();
        for (name, contents) in files {
            let path = base.path().join("m").join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        let sources = read_folder(base.path(), "m").unwrap();
        crate::validate(&sources).unwrap();
        check_round_trips(&sources)
            .map_err(|problems| problems.iter().map(ToString::to_string).collect())
    }

    const USERS: (&str, &str) = (
        "1_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
    );

    #[test]
    fn a_down_that_undoes_its_up_passes() {
        check(&[
            USERS,
            (
                "2_email.up.sql",
                "ALTER TABLE users ADD COLUMN email TEXT;\n\
                 CREATE UNIQUE INDEX users_email ON users (email);",
            ),
            (
                "2_email.down.sql",
                "DROP INDEX users_email;\nALTER TABLE users DROP COLUMN email;",
            ),
            (
                "3_posts.up.sql",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users);",
            ),
            ("3_posts.down.sql", "DROP TABLE posts;"),
            // Later migrations run on the up's schema, not the down's.
            ("4_more.sql", "CREATE INDEX posts_user ON posts (user_id);"),
        ])
        .unwrap();
    }

    #[test]
    fn a_down_that_leaves_something_behind_is_reported_with_each_difference() {
        let problems = check(&[
            USERS,
            (
                "2_email.up.sql",
                "ALTER TABLE users ADD COLUMN email TEXT;\n\
                 CREATE INDEX users_email ON users (email);",
            ),
            (
                "2_email.down.sql",
                "ALTER TABLE users RENAME COLUMN email TO old;",
            ),
        ])
        .unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0],
            "m/2_email.down.sql: applying `2_email.up.sql` then this down script does not give \
             back the schema from before the up script\n  \
             = note: table users: column old was added\n  \
             = note: index users_email was added\n  \
             = note: compared at compile time: the schema of an in-memory database holding \
             migration 1, before and after running the up then the down script of migration 2 \
             (email)\n  \
             = help: make the down script undo exactly what the up script does, or delete it to \
             make the migration irreversible"
        );
    }

    #[test]
    fn a_failing_down_is_reported_at_its_line_and_the_chain_goes_on() {
        let problems = check(&[
            USERS,
            ("2_a.up.sql", "CREATE TABLE a (x);"),
            ("2_a.down.sql", "DROP TABLE a;\nDROP TABLE b;"),
            ("3_b.up.sql", "CREATE TABLE b (x REFERENCES a);"),
            ("3_b.down.sql", "DROP TABLE b;"),
            ("4_c.up.sql", "CREATE TABLE c (x);"),
            ("4_c.down.sql", "SELECT 1;"),
        ])
        .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("m/2_a.down.sql:2:12: no such table: b\n"),
            "{problems:?}"
        );
        assert!(
            problems[0].contains("right after its up script"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("m/4_c.down.sql: applying `4_c.up.sql`"),
            "{problems:?}"
        );
        assert!(
            problems[1].contains("= note: table c was added"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_down_with_foreign_keys_off_can_rebuild_a_parent() {
        check(&[
            USERS,
            (
                "2_posts.sql",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users);\n\
                 INSERT INTO users VALUES (1, 'a'); INSERT INTO posts VALUES (1, 1);",
            ),
            (
                "3_unique.up.sql",
                "-- migrate: foreign-keys-off\n\
                 CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n\
                 INSERT INTO users_new SELECT * FROM users;\n\
                 DROP TABLE users;\nALTER TABLE users_new RENAME TO users;",
            ),
            (
                "3_unique.down.sql",
                "-- migrate: foreign-keys-off\n\
                 CREATE TABLE users_old (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
                 INSERT INTO users_old SELECT * FROM users;\n\
                 DROP TABLE users;\nALTER TABLE users_old RENAME TO users;",
            ),
        ])
        .unwrap();
    }

    #[test]
    fn no_transaction_migrations_are_applied_without_a_round_trip() {
        check(&[
            USERS,
            ("2_vacuum.up.sql", "-- migrate: no-transaction\nVACUUM;"),
            ("2_vacuum.down.sql", "CREATE TABLE whatever (x);"),
            ("3_t.up.sql", "CREATE TABLE t (x);"),
            ("3_t.down.sql", "DROP TABLE t;"),
        ])
        .unwrap();
    }
}
