//! Compile-time validation: the whole chain executed, in order, on an
//! in-memory SQLite, the way the runtime will execute it.

use rusqlite::Connection;

use crate::diagnostic::Diagnostic;
use crate::discover::Source;
use crate::sql::statements;

/// What validation learned about a chain that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validated {
    /// The SQLite version the chain was executed with, e.g. `3.50.4`.
    pub sqlite_version: String,
}

/// Executes every migration's up script, statement by statement, on a fresh
/// in-memory database, each inside a transaction as the runtime runs it.
///
/// The first failing statement ends validation: later migrations depend on
/// the schema it would have made.
pub fn validate(sources: &[Source]) -> Result<Validated, Diagnostic> {
    let conn = Connection::open_in_memory().map_err(|error| {
        Diagnostic::file(
            "<in-memory database>",
            format!("cannot open SQLite: {error}"),
        )
    })?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(|error| Diagnostic::file("<in-memory database>", error.to_string()))?;
    let sqlite_version = rusqlite::version().to_string();
    for (index, source) in sources.iter().enumerate() {
        apply(&conn, source).map_err(|diagnostic| {
            let on = match &sources[..index] {
                [] => "an empty in-memory database".to_string(),
                [only] => format!("an in-memory database holding migration {}", only.migration.version()),
                [first, .., last] => format!(
                    "an in-memory database holding migrations {} to {}",
                    first.migration.version(),
                    last.migration.version()
                ),
            };
            diagnostic.note(format!(
                "SQLite {sqlite_version} reported this while running migration {} at compile time, on {on}",
                source.migration
            ))
        })?;
    }
    Ok(Validated { sqlite_version })
}

fn apply(conn: &Connection, source: &Source) -> Result<(), Diagnostic> {
    let script = source.migration.up();
    let directives = script.directives();
    let path = &source.up_file.display;
    let control = |sql: &str| {
        conn.execute_batch(sql)
            .map_err(|error| Diagnostic::file(path, sqlite_message(&error)))
    };
    if directives.no_transaction() {
        return run_statements(conn, path, script.sql());
    }
    if directives.foreign_keys_off() {
        control("PRAGMA foreign_keys = OFF")?;
    }
    control("BEGIN")?;
    let result = run_statements(conn, path, script.sql()).and_then(|()| {
        if directives.foreign_keys_off() {
            check_foreign_keys(conn, path)?;
        }
        conn.execute_batch("COMMIT").map_err(|error| {
            Diagnostic::file(
                path,
                format!("{} when committing the migration", sqlite_message(&error)),
            )
        })
    });
    if result.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    if directives.foreign_keys_off() {
        control("PRAGMA foreign_keys = ON")?;
    }
    result
}

fn run_statements(conn: &Connection, path: &str, sql: &str) -> Result<(), Diagnostic> {
    for statement in statements(sql) {
        let start = statement.range.start;
        let fail = |error: rusqlite::Error| {
            let text = &sql[statement.range.clone()];
            let offset = match &error {
                rusqlite::Error::SqlInputError { offset, .. } => start + (*offset).max(0) as usize,
                _ => start + offset_of_named_object(text, &sqlite_message(&error)).unwrap_or(0),
            };
            Diagnostic::at(path, sql, offset, sqlite_message(&error))
        };
        let mut prepared = conn.prepare(&sql[statement.range.clone()]).map_err(fail)?;
        let mut rows = prepared.raw_query();
        while rows.next().map_err(fail)?.is_some() {}
    }
    Ok(())
}

/// The 12-step rebuild's last check: rows that break a foreign key.
fn check_foreign_keys(conn: &Connection, path: &str) -> Result<(), Diagnostic> {
    let violation: Option<(String, i64, String)> = conn
        .query_row("PRAGMA foreign_key_check", [], |row| {
            Ok((
                row.get(0)?,
                row.get::<_, Option<i64>>(1)?.unwrap_or(0),
                row.get(2)?,
            ))
        })
        .map(Some)
        .or_else(|error| match error {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            error => Err(Diagnostic::file(path, sqlite_message(&error))),
        })?;
    match violation {
        None => Ok(()),
        Some((table, rowid, parent)) => Err(Diagnostic::file(
            path,
            format!("foreign key violation after the migration: row {rowid} of `{table}` refers to a missing row of `{parent}`"),
        )),
    }
}

/// Where in `statement` the object named by a "no such …" message is, for the
/// messages SQLite gives without an offset (`no such table: main.post`).
fn offset_of_named_object(statement: &str, message: &str) -> Option<usize> {
    const NAMING: [&str; 4] = [
        "no such table: ",
        "no such column: ",
        "has no column named ",
        "no such index: ",
    ];
    let name = NAMING
        .iter()
        .find_map(|prefix| message.split_once(prefix).map(|(_, name)| name))?;
    let name = name.strip_prefix("main.").unwrap_or(name);
    find_word(statement, name)
}

/// First case-insensitive occurrence of `word` in `text` not inside a longer identifier.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let lower = text.to_ascii_lowercase();
    let word = word.to_ascii_lowercase();
    lower.match_indices(&word).map(|(at, _)| at).find(|&at| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// SQLite's own message, without rusqlite's framing.
fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_object_a_message_names() {
        let statement = "INSERT INTO users (id, nmae) VALUES (2, 'nmae')";
        let offset = offset_of_named_object(statement, "table users has no column named nmae");
        assert_eq!(offset, Some(statement.find("nmae").unwrap()));
        let statement = "CREATE INDEX posts_user ON post (user_id)";
        let offset = offset_of_named_object(statement, "no such table: main.post");
        assert_eq!(offset, Some(statement.find("post (").unwrap()));
        assert_eq!(
            offset_of_named_object(statement, "UNIQUE constraint failed: t.x"),
            None
        );
    }
}
