//! A normalised model of a database's schema, read from SQLite's pragmas, and
//! the differences between two of them in words a person can read.
//!
//! Two schemas are equal when they behave alike, not when their `CREATE`
//! statements are spelled alike: tables and indexes are compared through
//! what SQLite reports about them (`pragma_table_xinfo`, `pragma_index_xinfo`,
//! `pragma_foreign_key_list`, …), so a column added then dropped again gives
//! back an equal table even though SQLite rewrote its `CREATE TABLE` text.
//! Triggers and views, which have no such pragmas, are compared by their SQL
//! with white space and comments normalised.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub use migrate_sqlite::lex::normalize_sql;
use migrate_sqlite::lex::{self, closing_paren, Token};
pub use migrate_sqlite::SchemaObject;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// The schema of a database's `main` schema, without SQLite's own objects
/// (`sqlite_schema`, `sqlite_sequence`, `sqlite_stat1`, `sqlite_autoindex_…`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Tables (ordinary, virtual and shadow), by name.
    pub tables: BTreeMap<String, Table>,
    /// Indexes made by `CREATE INDEX`, by name. The indexes SQLite makes for
    /// `UNIQUE` constraints are in [`Table::unique`] instead.
    pub indexes: BTreeMap<String, Index>,
    /// Triggers, by name, with their normalised SQL (see [`normalize_sql`]).
    pub triggers: BTreeMap<String, String>,
    /// Views, by name, with their normalised SQL (see [`normalize_sql`]).
    pub views: BTreeMap<String, String>,
}

/// One table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Its columns, in order, hidden and generated ones included.
    pub columns: Vec<Column>,
    /// The columns of its primary key, in key order; empty for a table keyed
    /// by its rowid alone.
    pub primary_key: Vec<String>,
    /// Declared `WITHOUT ROWID`.
    pub without_rowid: bool,
    /// Declared `STRICT`.
    pub strict: bool,
    /// A shadow table, kept by a virtual table (FTS5's `docs_data`, …).
    pub shadow: bool,
    /// For a virtual table, its normalised `CREATE VIRTUAL TABLE` statement
    /// (which names the module and its arguments); `None` for other tables.
    pub virtual_sql: Option<String>,
    /// Its foreign keys, sorted.
    pub foreign_keys: Vec<ForeignKey>,
    /// The column lists of its `UNIQUE` constraints, sorted.
    pub unique: Vec<Vec<String>>,
    /// Its `CHECK` constraints, as normalised `CHECK (…)` text read from the
    /// `CREATE TABLE` statement (best effort), sorted.
    pub checks: Vec<String>,
}

/// One column of a table, as `pragma_table_xinfo` describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its declared type as written (`TEXT`, `VARCHAR(20)`), empty if none.
    pub declared_type: String,
    /// Declared `NOT NULL`.
    pub not_null: bool,
    /// Its `DEFAULT`, as written (`0`, `'x'`, `(strftime(…))`).
    pub default: Option<String>,
    /// Its 1-based position in the primary key; 0 when not part of it.
    pub primary_key_position: u32,
    /// Plain, hidden or generated.
    pub kind: ColumnKind,
}

/// Whether a column is a plain one, a hidden one or a generated one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    /// An ordinary column.
    Plain,
    /// A hidden column of a virtual table.
    Hidden,
    /// `GENERATED ALWAYS AS (…) VIRTUAL`.
    GeneratedVirtual,
    /// `GENERATED ALWAYS AS (…) STORED`.
    GeneratedStored,
}

/// A foreign key of a table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The referring columns of the child table.
    pub columns: Vec<String>,
    /// The parent table.
    pub parent_table: String,
    /// The referred-to columns of the parent; `None` where the key names no
    /// column and so refers to the parent's primary key.
    pub parent_columns: Vec<Option<String>>,
    /// `ON UPDATE` action (`NO ACTION`, `CASCADE`, …).
    pub on_update: String,
    /// `ON DELETE` action.
    pub on_delete: String,
}

/// An index made by `CREATE INDEX`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// The table it indexes.
    pub table: String,
    /// Its key columns, in order.
    pub columns: Vec<IndexColumn>,
    /// `CREATE UNIQUE INDEX`.
    pub unique: bool,
    /// For a partial index, its normalised `WHERE` condition (without the
    /// keyword), read from its SQL.
    pub partial: Option<String>,
}

/// One key column of an index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexColumn {
    /// The column's name; for an expression, its normalised text as written
    /// in the `CREATE INDEX` statement.
    pub name: String,
    /// Sorted `DESC`.
    pub descending: bool,
    /// Its collation (`BINARY` unless another is named).
    pub collation: String,
}

impl Schema {
    /// Reads the schema of `conn`'s `main` database.
    pub fn read(conn: &Connection) -> rusqlite::Result<Schema> {
        Self::read_filtered(conn, None)?.with_views_and_triggers(conn)
    }

    /// Reads only the tables named in `tables` (those that exist) and their
    /// indexes, without views and triggers: what the lints re-read after a
    /// migration that changed those tables.
    pub(crate) fn read_tables(
        conn: &Connection,
        tables: &BTreeSet<String>,
    ) -> rusqlite::Result<Schema> {
        Self::read_filtered(conn, Some(tables))
    }

    /// This schema with the views and triggers of `conn` in place of its own.
    pub(crate) fn with_views_and_triggers(mut self, conn: &Connection) -> rusqlite::Result<Schema> {
        let mut statement = conn.prepare(
            "SELECT type, name, sql FROM main.sqlite_schema WHERE type IN ('trigger', 'view')",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?.unwrap_or_default(),
            ))
        })?;
        self.triggers.clear();
        self.views.clear();
        for row in rows {
            let (kind, name, sql) = row?;
            let code = match kind.as_str() {
                "trigger" => &mut self.triggers,
                _ => &mut self.views,
            };
            code.insert(name, normalize_sql(&sql));
        }
        Ok(self)
    }

    fn read_filtered(
        conn: &Connection,
        only: Option<&BTreeSet<String>>,
    ) -> rusqlite::Result<Schema> {
        let mut schema = Schema::default();
        // The tables wanted, as a JSON array for `json_each`; NULL for all.
        let only_json = only.map(json_array);
        let mut objects = conn.prepare(
            "SELECT type, name, sql FROM main.sqlite_schema \
             WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             AND (?1 IS NULL OR tbl_name IN (SELECT value FROM json_each(?1))) ORDER BY name",
        )?;
        let objects = objects
            .query_map([&only_json], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut table_sql = BTreeMap::new();
        let mut index_sql = BTreeMap::new();
        for (kind, name, sql) in objects {
            match kind.as_str() {
                "table" => {
                    table_sql.insert(name, sql);
                }
                "index" => {
                    index_sql.insert(name, sql);
                }
                _ => {}
            }
        }

        let row = |row: &rusqlite::Row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, bool>(2)?,
                row.get::<_, bool>(3)?,
            ))
        };
        const TABLES: &str = "SELECT name, type, wr, strict FROM pragma_table_list \
             WHERE schema = 'main' AND type IN ('table', 'virtual', 'shadow') \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
        let tables = match only {
            None => conn
                .prepare(TABLES)?
                .query_map([], row)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            Some(names) => {
                // One table at a time: the pragma lists only the one named.
                let mut statement =
                    conn.prepare(&TABLES.replace("pragma_table_list", "pragma_table_list(?1)"))?;
                let mut found = Vec::new();
                for name in names {
                    for table in statement.query_map([name], row)? {
                        found.push(table?);
                    }
                }
                found
            }
        };
        for (name, kind, without_rowid, strict) in tables {
            let is_virtual = kind == "virtual";
            let sql = table_sql.get(&name).map_or("", String::as_str);
            let mut table = read_table(conn, &name)?;
            table.without_rowid = without_rowid;
            table.strict = strict;
            table.shadow = kind == "shadow";
            table.virtual_sql = is_virtual.then(|| normalize_sql(sql));
            table.checks = checks(sql);
            for (index_name, origin) in index_list(conn, &name)? {
                let columns = index_columns(conn, &index_name)?;
                match origin.as_str() {
                    "u" => table
                        .unique
                        .push(columns.into_iter().map(|column| column.name).collect()),
                    "c" => {
                        let sql = index_sql.get(&index_name).map_or("", String::as_str);
                        schema
                            .indexes
                            .insert(index_name, read_index(&name, sql, columns));
                    }
                    // The primary key's index: already in `primary_key`.
                    _ => {}
                }
            }
            table.unique.sort();
            schema.tables.insert(name, table);
        }
        Ok(schema)
    }

    /// What differs from `self` in `after`, one readable line per difference:
    /// `table users: column email was added`, `index users_email is missing`,
    /// `trigger t changed`, `table users: column name: NOT NULL → nullable`.
    ///
    /// Empty when the two schemas are equal.
    pub fn diff(&self, after: &Schema) -> Vec<String> {
        let mut lines = Vec::new();
        diff_maps(
            "table",
            &self.tables,
            &after.tables,
            &mut lines,
            diff_tables,
        );
        diff_maps(
            "index",
            &self.indexes,
            &after.indexes,
            &mut lines,
            diff_indexes,
        );
        for (kind, before, after) in [
            ("trigger", &self.triggers, &after.triggers),
            ("view", &self.views, &after.views),
        ] {
            diff_maps(kind, before, after, &mut lines, |prefix, _, _, lines| {
                lines.push(format!("{prefix} changed"));
            });
        }
        lines
    }
}

/// `names` as a JSON array, for SQLite's `json_each`.
pub(crate) fn json_array<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    let names: Vec<_> = names
        .into_iter()
        .map(|name| name.as_ref().to_string())
        .collect();
    serde_json::to_string(&names).expect("a list of strings is valid JSON")
}

fn read_table(conn: &Connection, name: &str) -> rusqlite::Result<Table> {
    let mut statement = conn.prepare(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden \
         FROM pragma_table_xinfo(?1, 'main') ORDER BY cid",
    )?;
    let columns = statement
        .query_map([name], |row| {
            Ok(Column {
                name: row.get(0)?,
                declared_type: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                not_null: row.get(2)?,
                default: row.get(3)?,
                primary_key_position: row.get(4)?,
                kind: match row.get::<_, i64>(5)? {
                    0 => ColumnKind::Plain,
                    2 => ColumnKind::GeneratedVirtual,
                    3 => ColumnKind::GeneratedStored,
                    _ => ColumnKind::Hidden,
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut key: Vec<_> = columns
        .iter()
        .filter(|column| column.primary_key_position > 0)
        .collect();
    key.sort_by_key(|column| column.primary_key_position);
    let primary_key = key.iter().map(|column| column.name.clone()).collect();

    let mut statement = conn.prepare(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?1, 'main') ORDER BY id, seq",
    )?;
    let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
    let mut rows = statement.query([name])?;
    while let Some(row) = rows.next()? {
        let key = by_id.entry(row.get(0)?).or_insert_with(|| ForeignKey {
            columns: Vec::new(),
            parent_table: String::new(),
            parent_columns: Vec::new(),
            on_update: String::new(),
            on_delete: String::new(),
        });
        key.parent_table = row.get(1)?;
        key.columns.push(row.get(2)?);
        key.parent_columns.push(row.get(3)?);
        key.on_update = row.get(4)?;
        key.on_delete = row.get(5)?;
    }
    let mut foreign_keys: Vec<_> = by_id.into_values().collect();
    foreign_keys.sort();
    Ok(Table {
        columns,
        primary_key,
        foreign_keys,
        ..Table::default()
    })
}

/// The indexes of a table, with their origin: `c` (`CREATE INDEX`), `u`
/// (`UNIQUE` constraint) or `pk`.
fn index_list(conn: &Connection, table: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut statement =
        conn.prepare("SELECT name, origin FROM pragma_index_list(?1, 'main') ORDER BY name")?;
    let list = statement
        .query_map([table], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect();
    list
}

fn index_columns(conn: &Connection, index: &str) -> rusqlite::Result<Vec<IndexColumn>> {
    let mut statement = conn.prepare(
        "SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1, 'main') \
         WHERE key ORDER BY seqno",
    )?;
    let columns = statement
        .query_map([index], |row| {
            let cid: i64 = row.get(0)?;
            let name: Option<String> = row.get(1)?;
            Ok(IndexColumn {
                name: match (cid, name) {
                    (_, Some(name)) => name,
                    (-1, None) => "rowid".to_string(),
                    (_, None) => String::new(),
                },
                descending: row.get(2)?,
                collation: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
            })
        })?
        .collect();
    columns
}

fn read_index(table: &str, sql: &str, mut columns: Vec<IndexColumn>) -> Index {
    let tokens = lex::code(sql);
    // Expressions have no name in the pragma: name them by their text.
    let written = index_column_texts(sql, &tokens);
    for (position, column) in columns.iter_mut().enumerate() {
        if column.name.is_empty() {
            column.name = written
                .get(position)
                .cloned()
                .unwrap_or_else(|| "<expression>".to_string());
        }
    }
    // Nothing before a partial index's WHERE can hold the word: a subquery
    // is not allowed in an index.
    let partial = tokens
        .iter()
        .find(|token| token.depth == 0 && token.is("WHERE"))
        .map(|token| normalize_sql(&sql[token.end()..]));
    Index {
        table: table.to_string(),
        columns,
        unique: tokens.get(1).is_some_and(|token| token.is("UNIQUE")),
        partial,
    }
}

/// Calls `changed` for each name in both maps whose values differ, and says
/// which names are only in one of them.
fn diff_maps<V: PartialEq>(
    kind: &str,
    before: &BTreeMap<String, V>,
    after: &BTreeMap<String, V>,
    lines: &mut Vec<String>,
    changed: impl Fn(&str, &V, &V, &mut Vec<String>),
) {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for name in names {
        let prefix = format!("{kind} {name}");
        match (before.get(name), after.get(name)) {
            (Some(_), None) => lines.push(format!("{prefix} is missing")),
            (None, Some(_)) => lines.push(format!("{prefix} was added")),
            (Some(before), Some(after)) if before != after => {
                changed(&prefix, before, after, lines);
            }
            _ => {}
        }
    }
}

fn diff_tables(prefix: &str, before: &Table, after: &Table, lines: &mut Vec<String>) {
    let start = lines.len();
    let find = |table: &Table, name: &str| {
        table
            .columns
            .iter()
            .find(|column| column.name == name)
            .cloned()
    };
    for column in &before.columns {
        match find(after, &column.name) {
            None => lines.push(format!("{prefix}: column {} is missing", column.name)),
            Some(other) => diff_columns(prefix, column, &other, lines),
        }
    }
    for column in &after.columns {
        if find(before, &column.name).is_none() {
            lines.push(format!("{prefix}: column {} was added", column.name));
        }
    }
    let common = |of: &Table, other: &Table| -> Vec<String> {
        of.columns
            .iter()
            .filter(|column| find(other, &column.name).is_some())
            .map(|column| column.name.clone())
            .collect()
    };
    let (order_before, order_after) = (common(before, after), common(after, before));
    if order_before != order_after {
        lines.push(format!(
            "{prefix}: the columns are in another order: ({}) → ({})",
            order_before.join(", "),
            order_after.join(", ")
        ));
    }
    if before.primary_key != after.primary_key {
        let key = |key: &[String]| match key {
            [] => "none (rowid)".to_string(),
            key => format!("({})", key.join(", ")),
        };
        lines.push(format!(
            "{prefix}: primary key {} → {}",
            key(&before.primary_key),
            key(&after.primary_key)
        ));
    }
    let flag = |lines: &mut Vec<String>, what: &str, before: bool, after: bool| {
        if before != after {
            let say = |on: bool| {
                if on {
                    what.to_string()
                } else {
                    format!("not {what}")
                }
            };
            lines.push(format!("{prefix}: {} → {}", say(before), say(after)));
        }
    };
    flag(
        lines,
        "WITHOUT ROWID",
        before.without_rowid,
        after.without_rowid,
    );
    flag(lines, "STRICT", before.strict, after.strict);
    if before.virtual_sql != after.virtual_sql {
        lines.push(format!("{prefix}: its virtual table definition changed"));
    }
    diff_lists(prefix, "", &before.foreign_keys, &after.foreign_keys, lines);
    let unique = |list: &[Vec<String>]| -> Vec<String> {
        list.iter()
            .map(|columns| format!("UNIQUE ({})", columns.join(", ")))
            .collect()
    };
    diff_lists(
        prefix,
        "constraint ",
        &unique(&before.unique),
        &unique(&after.unique),
        lines,
    );
    diff_lists(prefix, "constraint ", &before.checks, &after.checks, lines);
    if lines.len() == start {
        lines.push(format!("{prefix} changed"));
    }
}

/// Items of one list missing from the other, as `<prefix>: <what><item> is missing`.
fn diff_lists<T: PartialEq + fmt::Display>(
    prefix: &str,
    what: &str,
    before: &[T],
    after: &[T],
    lines: &mut Vec<String>,
) {
    for item in before.iter().filter(|item| !after.contains(item)) {
        lines.push(format!("{prefix}: {what}{item} is missing"));
    }
    for item in after.iter().filter(|item| !before.contains(item)) {
        lines.push(format!("{prefix}: {what}{item} was added"));
    }
}

fn diff_columns(prefix: &str, before: &Column, after: &Column, lines: &mut Vec<String>) {
    let prefix = format!("{prefix}: column {}", before.name);
    if before.declared_type != after.declared_type {
        let show = |declared: &str| match declared {
            "" => "no type".to_string(),
            declared => declared.to_string(),
        };
        lines.push(format!(
            "{prefix}: type {} → {}",
            show(&before.declared_type),
            show(&after.declared_type)
        ));
    }
    if before.not_null != after.not_null {
        let show = |not_null: bool| if not_null { "NOT NULL" } else { "nullable" };
        lines.push(format!(
            "{prefix}: {} → {}",
            show(before.not_null),
            show(after.not_null)
        ));
    }
    if before.default != after.default {
        let show = |default: &Option<String>| match default {
            None => "no default".to_string(),
            Some(default) => format!("DEFAULT {default}"),
        };
        lines.push(format!(
            "{prefix}: {} → {}",
            show(&before.default),
            show(&after.default)
        ));
    }
    if before.kind != after.kind {
        lines.push(format!("{prefix}: {} → {}", before.kind, after.kind));
    }
}

fn diff_indexes(prefix: &str, before: &Index, after: &Index, lines: &mut Vec<String>) {
    if before.table != after.table {
        lines.push(format!(
            "{prefix}: on table {} → on table {}",
            before.table, after.table
        ));
    }
    if before.columns != after.columns {
        let show = |columns: &[IndexColumn]| {
            columns
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        lines.push(format!(
            "{prefix}: columns ({}) → ({})",
            show(&before.columns),
            show(&after.columns)
        ));
    }
    if before.unique != after.unique {
        let show = |unique: bool| if unique { "UNIQUE" } else { "not unique" };
        lines.push(format!(
            "{prefix}: {} → {}",
            show(before.unique),
            show(after.unique)
        ));
    }
    if before.partial != after.partial {
        let show = |partial: &Option<String>| match partial {
            None => "on every row".to_string(),
            Some(condition) => format!("WHERE {condition}"),
        };
        lines.push(format!(
            "{prefix}: {} → {}",
            show(&before.partial),
            show(&after.partial)
        ));
    }
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnKind::Plain => "a plain column",
            ColumnKind::Hidden => "hidden",
            ColumnKind::GeneratedVirtual => "GENERATED VIRTUAL",
            ColumnKind::GeneratedStored => "GENERATED STORED",
        })
    }
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "foreign key ({}) REFERENCES {}",
            self.columns.join(", "),
            self.parent_table
        )?;
        if self.parent_columns.iter().any(Option::is_some) {
            let parent: Vec<&str> = self
                .parent_columns
                .iter()
                .map(|column| column.as_deref().unwrap_or("?"))
                .collect();
            write!(f, " ({})", parent.join(", "))?;
        }
        for (action, on) in [("UPDATE", &self.on_update), ("DELETE", &self.on_delete)] {
            if on != "NO ACTION" {
                write!(f, " ON {action} {on}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for IndexColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.collation.eq_ignore_ascii_case("BINARY") && !self.collation.is_empty() {
            write!(f, " COLLATE {}", self.collation)?;
        }
        if self.descending {
            f.write_str(" DESC")?;
        }
        Ok(())
    }
}

/// The `CREATE` statements of `conn`'s `main` database in the order they were
/// made, without SQLite's own objects and the shadow tables a virtual table
/// makes for itself: run in order, they make the same schema.
pub fn read_objects(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut statement = conn.prepare(SchemaObject::QUERY)?;
    let rows = statement.query_map([], |row| {
        Ok(SchemaObject::new(
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
        ))
    })?;
    rows.collect()
}

/// The `CHECK (…)` constraints of a `CREATE TABLE` statement, normalised and
/// sorted. Best effort: read from the text, not from SQLite.
fn checks(sql: &str) -> Vec<String> {
    let tokens = lex::code(sql);
    let mut found: Vec<String> = (0..tokens.len())
        .filter(|&at| tokens[at].is("CHECK"))
        .filter_map(|at| {
            let close = closing_paren(&tokens, at + 1)?;
            let text = &sql[tokens[at + 1].start..tokens[close].end()];
            Some(format!("CHECK {}", normalize_sql(text)))
        })
        .collect();
    found.sort();
    found
}

/// The key columns of a `CREATE INDEX` statement as written, normalised.
fn index_column_texts(sql: &str, tokens: &[Token]) -> Vec<String> {
    let Some(open) = tokens.iter().position(|token| token.is_punct("(")) else {
        return Vec::new();
    };
    let Some(close) = closing_paren(tokens, open) else {
        return Vec::new();
    };
    let inside = tokens[open].depth + 1;
    tokens[open + 1..close]
        .split(|token| token.depth == inside && token.is_punct(","))
        .filter_map(|column| {
            let (first, last) = (column.first()?, column.last()?);
            Some(normalize_sql(&sql[first.start..last.end()]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(sql: &str) -> Schema {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        Schema::read(&conn).unwrap()
    }

    const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";

    #[test]
    fn tables_with_any_name_are_read_by_name() {
        let names = [
            "with \"quotes\"",
            "back\\slash",
            "tab\tand\nnewline",
            "naïve",
            "plain",
        ];
        let conn = Connection::open_in_memory().unwrap();
        for name in names {
            let quoted = name.replace('"', "\"\"");
            conn.execute_batch(&format!("CREATE TABLE \"{quoted}\" (x);"))
                .unwrap();
        }
        let wanted: BTreeSet<String> = names[..4].iter().map(|n| n.to_string()).collect();
        let read = Schema::read_tables(&conn, &wanted).unwrap();
        assert_eq!(read.tables.keys().cloned().collect::<BTreeSet<_>>(), wanted);
    }

    #[test]
    fn reads_tables_columns_keys_and_constraints() {
        let schema = schema(
            "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
                 age INT DEFAULT 0 CHECK (age >= 0), 'full name' GENERATED ALWAYS AS (name) STORED,
                 initial AS (substr(name, 1, 1)));
             CREATE TABLE tags (a TEXT, b TEXT, PRIMARY KEY (b, a),
                 FOREIGN KEY (a) REFERENCES users (name) ON DELETE CASCADE) STRICT, WITHOUT ROWID;",
        );
        assert_eq!(schema.tables.keys().collect::<Vec<_>>(), ["tags", "users"]);
        assert!(schema.indexes.is_empty(), "{:?}", schema.indexes);
        let users = &schema.tables["users"];
        assert_eq!(users.primary_key, ["id"]);
        assert_eq!(users.unique, [vec!["name".to_string()]]);
        assert_eq!(users.checks, ["CHECK (age >= 0)"]);
        let age = &users.columns[2];
        assert_eq!(
            (
                age.declared_type.as_str(),
                age.not_null,
                age.default.as_deref()
            ),
            ("INT", false, Some("0"))
        );
        let kinds: Vec<_> = users.columns.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds[2..],
            [
                ColumnKind::Plain,
                ColumnKind::GeneratedStored,
                ColumnKind::GeneratedVirtual
            ]
        );
        let tags = &schema.tables["tags"];
        assert_eq!(tags.primary_key, ["b", "a"]);
        assert!(tags.strict && tags.without_rowid);
        assert_eq!(
            tags.foreign_keys[0].to_string(),
            "foreign key (a) REFERENCES users (name) ON DELETE CASCADE"
        );
    }

    #[test]
    fn reads_indexes_with_expressions_and_conditions() {
        let schema = schema(&format!(
            "{USERS} CREATE UNIQUE INDEX by_name ON users (lower(name), id DESC) WHERE name <> 'a b';
             CREATE INDEX \"by(id)\" ON users (name COLLATE NOCASE);
             CREATE INDEX by_parts ON users (id, substr(name, 1, 2), lower(name));"
        ));
        let parts: Vec<_> = schema.indexes["by_parts"]
            .columns
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(parts, ["id", "substr(name, 1, 2)", "lower(name)"]);
        let index = &schema.indexes["by_name"];
        assert!(index.unique);
        assert_eq!(index.partial.as_deref(), Some("name <> 'a b'"));
        let columns: Vec<_> = index.columns.iter().map(ToString::to_string).collect();
        assert_eq!(columns, ["lower(name)", "id DESC"]);
        assert_eq!(
            schema.indexes["by(id)"].columns[0].to_string(),
            "name COLLATE NOCASE"
        );
    }

    #[test]
    fn equal_schemas_have_no_differences() {
        let a = schema(&format!(
            "{USERS} CREATE VIEW v AS SELECT id,\n   name FROM users -- names\n;"
        ));
        let b = schema(&format!(
            "{USERS} CREATE VIEW v AS SELECT id , name /* x */ FROM users;"
        ));
        assert_eq!(a.diff(&b), Vec::<String>::new());
        // A column added then dropped: SQLite rewrites the CREATE TABLE text,
        // the schema is the same.
        let c = schema(&format!(
            "{USERS} ALTER TABLE users ADD COLUMN email TEXT; ALTER TABLE users DROP COLUMN email;
             CREATE VIEW v AS SELECT id, name FROM users;"
        ));
        assert_eq!(a.diff(&c), Vec::<String>::new());
    }

    #[test]
    fn says_what_differs() {
        let before = schema(&format!(
            "{USERS} CREATE INDEX users_name ON users (name);
             CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 1; END;
             CREATE TABLE gone (x);"
        ));
        let after = schema(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT DEFAULT 'x');
             CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 2; END;
             CREATE VIEW v AS SELECT 1;",
        );
        assert_eq!(
            before.diff(&after),
            [
                "table gone is missing",
                "table users: column name: NOT NULL → nullable",
                "table users: column email was added",
                "index users_name is missing",
                "trigger t changed",
                "view v was added",
            ]
        );
    }

    #[test]
    fn says_how_indexes_and_constraints_differ() {
        let before = schema(
            "CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE t (a INT UNIQUE, b INT REFERENCES p, c AS (a + 1), CHECK (a > 0));
             CREATE INDEX i ON t (a);",
        );
        let after = schema(
            "CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE t (b INT, a TEXT, c INT AS (a + 1) STORED, CHECK (a > 1)) STRICT;
             CREATE UNIQUE INDEX i ON t (a, b) WHERE a IS NOT NULL;",
        );
        assert_eq!(
            before.diff(&after),
            [
                "table t: column a: type INT → TEXT",
                "table t: column c: type no type → INT",
                "table t: column c: GENERATED VIRTUAL → GENERATED STORED",
                "table t: the columns are in another order: (a, b, c) → (b, a, c)",
                "table t: not STRICT → STRICT",
                "table t: foreign key (b) REFERENCES p is missing",
                "table t: constraint UNIQUE (a) is missing",
                "table t: constraint CHECK (a > 0) is missing",
                "table t: constraint CHECK (a > 1) was added",
                "index i: columns (a) → (a, b)",
                "index i: not unique → UNIQUE",
                "index i: on every row → WHERE a IS NOT NULL",
            ]
        );
    }

    #[test]
    fn leaves_out_sqlites_own_objects() {
        let schema =
            schema("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x UNIQUE); ANALYZE;");
        assert_eq!(schema.tables.keys().collect::<Vec<_>>(), ["t"]);
        assert!(schema.indexes.is_empty());
    }

    #[test]
    fn keywords_are_found_only_as_whole_words_in_code() {
        let nowhere = schema(
            "CREATE TABLE nowhere (somewhere INT, \"where\" INT, éwhere INT, _where INT);
             CREATE INDEX nowhere_somewhere ON nowhere (somewhere, \"where\", éwhere, _where) WHERE somewhere > 0;",
        );
        assert_eq!(
            nowhere.indexes["nowhere_somewhere"].partial.as_deref(),
            Some("somewhere > 0")
        );
        let quoted = schema(
            "CREATE TABLE t (\"where\" INT, x INT);
             CREATE INDEX i ON t (\"where\" /* where */, x) WHERE x > 'where';",
        );
        let index = &quoted.indexes["i"];
        assert_eq!(index.partial.as_deref(), Some("x > 'where'"));
        assert_eq!(index.columns.len(), 2);
    }

    #[test]
    fn objects_are_read_in_order_without_sqlites_own() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE b (id INTEGER PRIMARY KEY AUTOINCREMENT, x UNIQUE);
             CREATE INDEX b_x_id ON b (x, id);
             CREATE VIRTUAL TABLE docs USING fts5(body);
             CREATE VIEW a AS SELECT x FROM b;
             CREATE TRIGGER t AFTER INSERT ON b BEGIN SELECT 1; END;",
        )
        .unwrap();
        let objects = read_objects(&conn).unwrap();
        let names: Vec<(&str, &str, &str)> = objects
            .iter()
            .map(|o| (o.kind.as_ref(), o.name.as_ref(), o.table.as_ref()))
            .collect();
        assert_eq!(
            names,
            [
                ("table", "b", "b"),
                ("index", "b_x_id", "b"),
                ("table", "docs", "docs"),
                ("view", "a", "a"),
                ("trigger", "t", "b"),
            ]
        );
        let copy = Connection::open_in_memory().unwrap();
        for object in &objects {
            copy.execute_batch(&object.sql).unwrap();
        }
        let (original, made) = (Schema::read(&conn).unwrap(), Schema::read(&copy).unwrap());
        assert_eq!(original.diff(&made), Vec::<String>::new());
    }

    #[test]
    fn normalizes_check_constraints() {
        assert_eq!(
            checks(
                "CREATE TABLE t (a CHECK(a IN ( 1,2 )), \"check\" INT, b TEXT CHECK (b <> ')'))"
            ),
            ["CHECK (a IN (1, 2))", "CHECK (b <> ')')"]
        );
    }
}
