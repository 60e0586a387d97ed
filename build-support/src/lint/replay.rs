//! Lints on the schema, from a replay of the chain on an in-memory SQLite.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use migrate_core::Lint;
use rusqlite::config::DbConfig;
use rusqlite::Connection;

use super::columns::column_lints;
use super::foreign_keys::{foreign_key_targets, unindexed_foreign_keys};
use super::indexes::redundant_indexes;
use super::rebuild::rebuild_lints;
use super::tokens::Token;
use super::views::{self, broken_views};
use super::{File, Finding};
use crate::schema::Schema;
use crate::validate::sqlite_message;

pub(super) fn schema_lints(files: &[File], findings: &mut Vec<Finding>) {
    let Ok(conn) = open(true) else { return };
    let dqs_off = open(false).ok();
    // The tables and indexes so far, kept up to date by re-reading only the
    // tables a migration changed: reading the whole schema after each
    // migration would make a long chain quadratic.
    let mut schema = Schema::default();
    let mut objects = Objects::new();
    // Where each foreign key appeared: (table, columns, parent) → file.
    let mut fk_origin: BTreeMap<(String, Vec<String>, String), usize> = BTreeMap::new();
    // Views that did not compile after the previous migration.
    let mut broken = BTreeSet::new();
    let mut complete = true;
    for (index, file) in files.iter().enumerate() {
        if replay(&conn, file).is_err() {
            // Validation reports it; later migrations depend on this one.
            complete = false;
            break;
        }
        if let Some(dqs_off) = &dqs_off {
            double_quoted_strings(dqs_off, file, findings);
        }
        let Ok(now) = read_objects(&conn) else {
            complete = false;
            break;
        };
        rebuild_lints(
            file,
            &schema,
            &triggers(&objects),
            &triggers(&now),
            findings,
        );
        if now != objects && views::may_break_views(file) {
            let views: Vec<&str> = of_type(&now, "view").map(|(name, _)| name).collect();
            broken_views(&conn, file, &views, &mut broken, findings);
        }
        let changed = changed_tables(&objects, &now);
        objects = now;
        if changed.is_empty() {
            continue;
        }
        let Ok(after) = Schema::read_tables(&conn, &changed) else {
            complete = false;
            break;
        };
        let before = Schema {
            tables: changed
                .iter()
                .filter_map(|name| schema.tables.remove_entry(name))
                .collect(),
            indexes: take(&mut schema.indexes, |_, index| {
                changed.contains(&index.table)
            }),
            ..Schema::default()
        };
        redundant_indexes(file, &before, &after, findings);
        column_lints(file, &before, &after, findings);
        for (name, table) in &after.tables {
            for key in &table.foreign_keys {
                let known = before
                    .tables
                    .get(name)
                    .is_some_and(|old| old.foreign_keys.contains(key));
                if !known {
                    fk_origin.insert(
                        (name.clone(), key.columns.clone(), key.parent_table.clone()),
                        index,
                    );
                }
            }
        }
        schema.tables.extend(after.tables);
        schema.indexes.extend(after.indexes);
    }
    if complete {
        foreign_key_targets(files, &schema, &fk_origin, findings);
        unindexed_foreign_keys(files, &schema, &fk_origin, findings);
    }
}

/// The rows of `sqlite_schema`: name → (type, table, sql).
type Objects = BTreeMap<String, (String, String, Option<String>)>;

fn read_objects(conn: &Connection) -> rusqlite::Result<Objects> {
    let mut statement =
        conn.prepare_cached("SELECT name, type, tbl_name, sql FROM main.sqlite_schema")?;
    let rows = statement.query_map([], |row| {
        Ok((row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?)))
    })?;
    rows.collect()
}

/// The objects of one type: name → (table, sql).
fn of_type<'o>(
    objects: &'o Objects,
    kind: &'o str,
) -> impl Iterator<Item = (&'o str, (&'o str, &'o str))> {
    objects
        .iter()
        .filter(move |(_, (k, _, _))| k == kind)
        .map(|(name, (_, table, sql))| {
            (
                name.as_str(),
                (table.as_str(), sql.as_deref().unwrap_or_default()),
            )
        })
}

/// The triggers: name → (table, SQL).
fn triggers(objects: &Objects) -> BTreeMap<String, (String, String)> {
    of_type(objects, "trigger")
        .map(|(name, (table, sql))| (name.to_string(), (table.to_string(), sql.to_string())))
        .collect()
}

/// The tables whose own row, or an index's, was added, removed or changed.
fn changed_tables(before: &Objects, after: &Objects) -> BTreeSet<String> {
    let mut changed = BTreeSet::new();
    let table_or_index = |kind: &str| kind == "table" || kind == "index";
    for (name, row) in before {
        if table_or_index(&row.0) && after.get(name) != Some(row) {
            changed.insert(row.1.clone());
        }
    }
    for (name, row) in after {
        if table_or_index(&row.0) && before.get(name) != Some(row) {
            changed.insert(row.1.clone());
        }
    }
    changed
}

/// Removes and returns the entries of `map` that `wanted` picks.
fn take<V>(
    map: &mut BTreeMap<String, V>,
    wanted: impl Fn(&str, &V) -> bool,
) -> BTreeMap<String, V> {
    let (taken, kept) = std::mem::take(map)
        .into_iter()
        .partition(|(key, value)| wanted(key, value));
    *map = kept;
    taken
}

fn open(dqs: bool) -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, dqs)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, dqs)?;
    Ok(conn)
}

/// A failed replay: the failing statement's range, if a statement failed.
struct Failed(Option<Range<usize>>, String);

/// Runs a file's up script the way the runner does (without the checks
/// validation makes).
fn replay(conn: &Connection, file: &File) -> Result<(), Failed> {
    let run = || -> Result<(), Failed> {
        for statement in &file.statements {
            let text = &file.sql[statement.range.clone()];
            let fail = |error: rusqlite::Error| {
                Failed(Some(statement.range.clone()), sqlite_message(&error))
            };
            let mut prepared = conn.prepare(text).map_err(fail)?;
            let mut rows = prepared.raw_query();
            while rows.next().map_err(fail)?.is_some() {}
        }
        Ok(())
    };
    let control = |sql: &str| {
        conn.execute_batch(sql)
            .map_err(|error| Failed(None, sqlite_message(&error)))
    };
    if file.directives.no_transaction() {
        return run();
    }
    if file.directives.foreign_keys_off() {
        control("PRAGMA foreign_keys = OFF")?;
    }
    control("BEGIN")?;
    let result = run().and_then(|()| control("COMMIT"));
    if result.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    if file.directives.foreign_keys_off() {
        control("PRAGMA foreign_keys = ON")?;
    }
    result
}

/// Replays `file` with double-quoted string literals refused: a statement
/// that fails there (and passed with them allowed) and has a double-quoted
/// token uses one as a string. The connection is then brought in step again.
fn double_quoted_strings(conn: &Connection, file: &File, findings: &mut Vec<Finding>) {
    let Err(Failed(Some(range), message)) = replay(conn, file) else {
        return;
    };
    let statement = file.statements.iter().find(|s| s.range == range);
    let quoted: Vec<&Token> = statement
        .map(|s| s.tokens.iter().filter(|t| t.double_quoted()).collect())
        .unwrap_or_default();
    if let Some(first) = quoted.first() {
        let token = quoted
            .iter()
            .find(|t| t.name().is_some_and(|n| message.contains(&n)))
            .unwrap_or(first);
        file.push(
            findings,
            file.finding(
                Lint::DoubleQuotedString,
                token.start,
                format!(
                    "{} is a double-quoted string literal: SQLite reads \"…\" as a column name first and falls back to a string only when no column has that name, so the statement changes meaning when such a column appears (with double-quoted strings off: {message})",
                    token.text
                ),
                "write string literals in single quotes: 'text'",
            ),
        );
    }
    // In step again: the same migration with double-quoted strings allowed.
    let set = |on: bool| {
        let _ = conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, on);
        let _ = conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, on);
    };
    set(true);
    let _ = replay(conn, file);
    set(false);
}
