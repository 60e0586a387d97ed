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
        Diagnostic::file("<in-memory database>", format!("cannot open SQLite: {error}"))
    })?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(|error| Diagnostic::file("<in-memory database>", error.to_string()))?;
    let sqlite_version = rusqlite::version().to_string();
    for (index, source) in sources.iter().enumerate() {
        apply(&conn, source).map_err(|diagnostic| {
            let context = match index {
                0 => String::new(),
                1 => format!("migration {}, then ", sources[0].migration.version()),
                _ => format!(
                    "migrations {} to {}, then ",
                    sources[0].migration.version(),
                    sources[index - 1].migration.version()
                ),
            };
            diagnostic.note(format!(
                "found by running {context}migration {} at compile time on an in-memory SQLite {sqlite_version}",
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
            .map_err(|error| Diagnostic::file(path, format!("{}", sqlite_message(&error))))
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
            Diagnostic::file(path, format!("{} when committing the migration", sqlite_message(&error)))
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
            let offset = match &error {
                rusqlite::Error::SqlInputError { offset, .. } => start + (*offset).max(0) as usize,
                _ => start,
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
            Ok((row.get(0)?, row.get::<_, Option<i64>>(1)?.unwrap_or(0), row.get(2)?))
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

/// SQLite's own message, without rusqlite's framing.
fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}
