//! Lints on the schema, migration by migration, on the database of the run
//! that validates the chain.

use std::collections::{BTreeMap, BTreeSet};

use migrate_sqlite::rusqlite_versions;
use migrate_sqlite::{Applying, FailedAt, Failure, Lint};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::columns::column_lints;
use super::foreign_keys::{foreign_key_targets, unindexed_foreign_keys, ForeignKeyId, Origin};
use super::indexes::redundant_indexes;
use super::rebuild::{rebuild_lints, rebuilds};
use super::views::{self, broken_views};
use super::{File, Finding};
use crate::schema_rows::{changed_tables, SchemaRows};
use migrate_sqlite::schema::Schema;

/// The schema lints, one migration at a time, beside a run of the chain on
/// a database of its own: [`SchemaLints::before`] each migration is applied
/// there, [`SchemaLints::after`], and [`SchemaLints::finish`] once the
/// whole chain has run.
pub(crate) struct SchemaLints {
    /// The tables and indexes so far, kept up to date by re-reading only the
    /// tables a migration changed: reading the whole schema after each
    /// migration would make a long chain quadratic.
    schema: Schema,
    /// The rows of `sqlite_schema` after the last migration.
    rows: SchemaRows,
    /// Where each foreign key of the schema was declared.
    fk_origin: BTreeMap<ForeignKeyId, Origin>,
    /// Views that did not compile after the last migration.
    broken_views: BTreeSet<String>,
}

/// What [`SchemaLints`] keeps that the database it runs beside cannot tell.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct SchemaLintsState {
    schema: Schema,
    fk_origin: Vec<(ForeignKeyId, Origin)>,
    broken_views: BTreeSet<String>,
}

impl SchemaLints {
    /// Lints for a chain that starts on an empty database.
    pub(crate) fn start() -> Self {
        Self {
            schema: Schema::default(),
            rows: SchemaRows::default(),
            fk_origin: BTreeMap::new(),
            broken_views: BTreeSet::new(),
        }
    }

    /// Lints that go on from `state`, for a chain whose database is `conn`.
    pub(crate) fn resume(conn: &Connection, state: SchemaLintsState) -> rusqlite::Result<Self> {
        Ok(Self {
            schema: state.schema,
            rows: SchemaRows::read(conn)?,
            fk_origin: state.fk_origin.into_iter().collect(),
            broken_views: state.broken_views,
        })
    }

    /// What [`SchemaLints::resume`] needs beside the database.
    pub(crate) fn state(&self) -> SchemaLintsState {
        SchemaLintsState {
            schema: self.schema.clone(),
            fk_origin: self.fk_origin.clone().into_iter().collect(),
            broken_views: self.broken_views.clone(),
        }
    }

    /// Before `file` runs on `conn`: the lints that try it another way and
    /// undo what they tried.
    pub(crate) fn before(&self, conn: &mut Connection, file: &File, findings: &mut Vec<Finding>) {
        double_quoted_strings(conn, file, findings);
    }

    /// After `file`, the migration at `index`, ran on `conn`. An error means
    /// the schema could not be read: the lints stop there.
    pub(crate) fn after(
        &mut self,
        conn: &Connection,
        file: &File,
        index: usize,
        findings: &mut Vec<Finding>,
    ) -> rusqlite::Result<()> {
        // A rebuild drops a table, so only then are the triggers compared.
        let triggers_before = (!rebuilds(file).is_empty()).then(|| self.rows.triggers());
        let changes = self.rows.update(conn, Some(file))?;
        if let Some(before) = triggers_before {
            rebuild_lints(file, &self.schema, &before, &self.rows.triggers(), findings);
        }
        if !changes.is_empty() && views::may_break_views(file) {
            let views: Vec<&str> = self.rows.of_type("view").map(|(name, _)| name).collect();
            broken_views(conn, file, &views, &mut self.broken_views, findings);
        }
        let changed = changed_tables(&changes);
        if changed.is_empty() {
            return Ok(());
        }
        let after = Schema::read_tables_given(conn, &changed, self.rows.statements_of(&changed))?;
        let schema = &mut self.schema;
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
                    let id = (name.clone(), key.columns.clone(), key.parent_table.clone());
                    let origin = renamed_from(&self.fk_origin, file, &id)
                        .unwrap_or_else(|| (index, id.clone()));
                    self.fk_origin.insert(id, origin);
                }
            }
        }
        schema.tables.extend(after.tables);
        schema.indexes.extend(after.indexes);
        Ok(())
    }

    /// The tables and indexes the chain has made so far, as
    /// [`Schema::read`] would read them, without views and triggers.
    pub(crate) fn into_tables(self) -> Schema {
        self.schema
    }

    /// The lints on the final schema, once every file has run: `files` are
    /// the whole chain's.
    pub(crate) fn finish(&self, files: &[File], findings: &mut Vec<Finding>) {
        foreign_key_targets(files, &self.schema, &self.fk_origin, findings);
        unindexed_foreign_keys(files, &self.schema, &self.fk_origin, findings);
    }
}

/// The origin of the key `id` if `file` only renamed its table, columns or
/// parent: the key as it was before `file`, which it does not declare again.
fn renamed_from(
    origins: &BTreeMap<ForeignKeyId, Origin>,
    file: &File,
    id: &ForeignKeyId,
) -> Option<Origin> {
    let (table, columns, parent) = id;
    let old_table = file.earlier_table(table);
    let old_columns: Vec<String> = columns
        .iter()
        .map(|column| file.earlier_column(&old_table, table, column))
        .collect();
    let old_parent = file.earlier_table(parent);
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let renamed = !same(&old_table, table)
        || !same(&old_parent, parent)
        || old_columns.iter().zip(columns).any(|(a, b)| !same(a, b));
    if !renamed {
        return None;
    }
    origins.iter().find_map(|((t, c, p), origin)| {
        let matches = same(t, &old_table)
            && same(p, &old_parent)
            && c.len() == old_columns.len()
            && c.iter().zip(&old_columns).all(|(a, b)| same(a, b));
        matches.then(|| origin.clone())
    })
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

/// Runs a file's up script with double-quoted string literals refused, and
/// rolls it back: a statement that fails there (the file passes with them
/// allowed) and has a double-quoted token uses one as a string.
///
/// A `no-transaction` file is not tried: what it does cannot be rolled back.
fn double_quoted_strings(conn: &mut Connection, file: &File, findings: &mut Vec<Finding>) {
    let quotes = |s: &crate::file::Statement| s.tokens.iter().any(|t| t.double_quoted());
    if file.directives.no_transaction() || !file.statements.iter().any(quotes) {
        return;
    }
    let set =
        |conn: &Connection, on: bool| rusqlite_versions::allow_double_quoted_strings(conn, on);
    let tried = set(conn, false).map(|_| try_and_roll_back(conn, file));
    if set(conn, true).is_err() {
        return;
    }
    let Ok(Err(failure)) = tried else {
        return;
    };
    let FailedAt::Statement { range, .. } = &failure.at else {
        return;
    };
    let message = failure.message();
    let statement = file.statements.iter().find(|s| s.range == *range);
    // Only SQLite's word for a string read as a name is certain: another
    // failure (a view elsewhere that a rebuild leaves broken for a moment)
    // says nothing about this file's quotes.
    let Some(column) = message.strip_prefix("no such column: ") else {
        return;
    };
    // Newer SQLite adds " - should this be a string literal in single-quotes?".
    let column = column.split(" - ").next().unwrap_or(column);
    let column = column.trim_matches('"');
    let token = statement.and_then(|s| {
        s.tokens
            .iter()
            .find(|t| t.double_quoted() && t.name().is_some_and(|n| n == column))
    });
    if let Some(token) = token {
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
}

/// Runs a file's up script as the runner does, and rolls it back.
fn try_and_roll_back(conn: &mut Connection, file: &File) -> Result<(), Failure> {
    let applying = Applying::begin(conn, file.directives, None)?;
    applying.run(file.sql)?;
    applying.roll_back()
}
