//! Reading the schema: the one place that asks SQLite about `sqlite_schema`
//! and the pragmas that describe tables and indexes.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, OptionalExtension};

use super::{Column, ColumnKind, ForeignKey, Index, IndexColumn, Schema, SchemaObject, Table};
use crate::lex::{self, closing_paren, normalize_sql, Token};

impl Schema {
    /// Reads the schema of `conn`'s `main` database.
    pub fn read(conn: &Connection) -> rusqlite::Result<Schema> {
        Self::read_filtered(conn, None)?.with_views_and_triggers(conn)
    }

    /// Reads only the tables named in `tables` (those that exist) and their
    /// indexes, without views and triggers: what the lints re-read after a
    /// migration that changed those tables.
    pub fn read_tables(conn: &Connection, tables: &BTreeSet<String>) -> rusqlite::Result<Schema> {
        Self::read_filtered(conn, Some(tables))
    }

    /// This schema with the views and triggers of `conn` in place of its own.
    pub fn with_views_and_triggers(mut self, conn: &Connection) -> rusqlite::Result<Schema> {
        let mut statement = conn.prepare_cached(
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

    /// [`Schema::read_tables`] for a caller that follows `sqlite_schema`
    /// itself: `statements` are the `CREATE` statements of those tables and
    /// their indexes, as (`table` or `index`, name, SQL), so that they are
    /// not looked for again (`sqlite_schema` has no index: each search reads
    /// every row).
    pub fn read_tables_given<'s>(
        conn: &Connection,
        tables: &BTreeSet<String>,
        statements: impl IntoIterator<Item = (&'s str, &'s str, &'s str)>,
    ) -> rusqlite::Result<Schema> {
        let statements = statements
            .into_iter()
            .map(|(kind, name, sql)| (kind.to_string(), name.to_string(), sql.to_string()))
            .collect();
        Self::read_from(conn, Some(tables), statements)
    }

    fn read_filtered(
        conn: &Connection,
        only: Option<&BTreeSet<String>>,
    ) -> rusqlite::Result<Schema> {
        let read = |row: &rusqlite::Row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?.unwrap_or_default(),
            ))
        };
        const OBJECTS: &str = "SELECT type, name, sql FROM main.sqlite_schema \
             WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
        let objects = match only {
            None => conn
                .prepare_cached(OBJECTS)?
                .query_map([], read)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            Some(names) => conn
                .prepare_cached(&format!(
                    "{OBJECTS} AND tbl_name COLLATE NOCASE IN (SELECT value FROM json_each(?1))"
                ))?
                .query_map([json_array(names)], read)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Self::read_from(conn, only, objects)
    }

    /// The tables `only` names (all when `None`) and their indexes, read
    /// through the pragmas, with `objects` their `CREATE` statements as
    /// (type, name, SQL).
    fn read_from(
        conn: &Connection,
        only: Option<&BTreeSet<String>>,
        objects: Vec<(String, String, String)>,
    ) -> rusqlite::Result<Schema> {
        let mut schema = Schema::default();
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
                .prepare_cached(TABLES)?
                .query_map([], row)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            Some(names) => {
                // One table at a time: the pragma lists only the one named,
                // without regard to case, so two names can find one table.
                let mut statement = conn.prepare_cached(
                    &TABLES.replace("pragma_table_list", "pragma_table_list(?1)"),
                )?;
                let mut found: Vec<(String, String, bool, bool)> = Vec::new();
                for name in names {
                    for table in statement.query_map([name], row)? {
                        let table = table?;
                        if !found.iter().any(|seen| seen.0 == table.0) {
                            found.push(table);
                        }
                    }
                }
                found
            }
        };
        for (name, kind, without_rowid, strict) in tables {
            let sql = table_sql.remove(&name).unwrap_or_default();
            let mut table = read_table(conn, &name)?;
            table.without_rowid = without_rowid;
            table.strict = strict;
            table.shadow = kind == "shadow";
            if kind == "virtual" {
                table.virtual_sql = Some(normalize_sql(&sql));
            } else {
                read_declarations(&sql, &mut table);
            }
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

    /// The schema the `CREATE` statements `objects` make, made on an
    /// in-memory database and read back: tables first, then indexes, views
    /// (which may name tables made after them) and triggers (which may be on
    /// views), whatever order `objects` are in.
    pub fn of_objects(objects: &[SchemaObject]) -> rusqlite::Result<Schema> {
        Schema::read(&made_in_memory(objects)?)
    }
}

/// An in-memory database holding the objects `objects` make: tables first,
/// then indexes, views (which may name tables made after them) and triggers
/// (which may be on views), whatever order `objects` are in.
pub fn made_in_memory(objects: &[SchemaObject]) -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    make_objects(&conn, objects)?;
    Ok(conn)
}

/// Makes the objects `objects` on `conn`, in the order [`made_in_memory`]
/// makes them.
pub fn make_objects(conn: &Connection, objects: &[SchemaObject]) -> rusqlite::Result<()> {
    for kind in ["table", "index", "view", "trigger"] {
        for object in objects.iter().filter(|object| object.kind == kind) {
            conn.execute_batch(&object.sql)?;
        }
    }
    Ok(())
}

/// `names` as a JSON array, for SQLite's `json_each`.
fn json_array<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    let names: Vec<_> = names
        .into_iter()
        .map(|name| name.as_ref().to_string())
        .collect();
    serde_json::to_string(&names).expect("a list of strings is valid JSON")
}

fn read_table(conn: &Connection, name: &str) -> rusqlite::Result<Table> {
    let mut statement = conn.prepare_cached(
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
                collation: None,
                generated: None,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut key: Vec<_> = columns
        .iter()
        .filter(|column| column.primary_key_position > 0)
        .collect();
    key.sort_by_key(|column| column.primary_key_position);
    let primary_key = key.iter().map(|column| column.name.clone()).collect();

    let mut statement = conn.prepare_cached(
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
    foreign_keys.sort_by_cached_key(|key| key.to_string().to_ascii_lowercase());
    Ok(Table {
        columns,
        primary_key,
        foreign_keys,
        ..Table::default()
    })
}

/// The columns of the primary key of `table`, in key order, as
/// [`Table::primary_key`] has them; none for a table keyed by its rowid
/// alone, or no such table.
pub fn primary_key(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT name FROM pragma_table_xinfo(?1, 'main') WHERE pk > 0 ORDER BY pk",
    )?;
    let names = statement.query_map([table], |row| row.get(0))?;
    names.collect()
}

/// What the pragmas do not say about a table, read from its `CREATE TABLE`
/// statement: its `CHECK` constraints, `AUTOINCREMENT`, and each column's
/// `COLLATE` and generating expression.
fn read_declarations(sql: &str, table: &mut Table) {
    let tokens = lex::code(sql);
    table.checks = checks(sql, &tokens);
    table.autoincrement = tokens.iter().any(|token| token.is("AUTOINCREMENT"));
    let Some(open) = tokens.iter().position(|token| token.is_punct("(")) else {
        return;
    };
    let Some(close) = closing_paren(&tokens, open) else {
        return;
    };
    let inside = tokens[open].depth + 1;
    for definition in tokens[open + 1..close].split(|t| t.depth == inside && t.is_punct(",")) {
        let Some(name) = definition.first().and_then(Token::name) else {
            continue;
        };
        let Some(column) = table
            .columns
            .iter_mut()
            .find(|column| column.name.eq_ignore_ascii_case(&name))
        else {
            // A table constraint: PRIMARY KEY (…), UNIQUE (…), CHECK, FOREIGN KEY.
            continue;
        };
        let at_top = |token: &Token| token.depth == inside;
        for (k, token) in definition.iter().enumerate() {
            if at_top(token) && token.is("COLLATE") {
                column.collation = definition.get(k + 1).and_then(Token::name);
            }
            let generated = at_top(token)
                && token.is("AS")
                && definition.get(k + 1).is_some_and(|t| t.is_punct("("));
            if generated {
                column.generated = closing_paren(definition, k + 1).map(|close| {
                    normalize_sql(&sql[definition[k + 1].start..definition[close].end()])
                });
            }
        }
    }
}

/// The indexes of a table, with their origin: `c` (`CREATE INDEX`), `u`
/// (`UNIQUE` constraint) or `pk`.
fn index_list(conn: &Connection, table: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut statement = conn
        .prepare_cached("SELECT name, origin FROM pragma_index_list(?1, 'main') ORDER BY name")?;
    let list = statement
        .query_map([table], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect();
    list
}

fn index_columns(conn: &Connection, index: &str) -> rusqlite::Result<Vec<IndexColumn>> {
    let mut statement = conn.prepare_cached(
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

/// The `CHECK (…)` constraints of a `CREATE TABLE` statement, normalised and
/// sorted.
fn checks(sql: &str, tokens: &[Token]) -> Vec<String> {
    let mut found: Vec<String> = (0..tokens.len())
        .filter(|&at| tokens[at].is("CHECK"))
        .filter_map(|at| {
            let close = closing_paren(tokens, at + 1)?;
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

/// The `CREATE` statements of `conn`'s `main` database in the order they were
/// made, without SQLite's own objects and the shadow tables a virtual table
/// makes for itself: run in order, they make the same schema.
pub fn read_objects(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut statement = conn.prepare_cached(
        "SELECT type, name, tbl_name, sql FROM main.sqlite_schema \
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
           AND name NOT IN (SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow') \
         ORDER BY rowid",
    )?;
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

/// One row of `sqlite_schema`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaRow {
    /// Its rowid: SQLite numbers a new row past the largest.
    pub rowid: i64,
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// The table it belongs to.
    pub table: String,
    /// Its `CREATE` statement; `None` for an automatic index.
    pub sql: Option<String>,
}

/// Which rows of `sqlite_schema` to read.
#[derive(Clone, Copy, Debug)]
pub enum Rows<'a> {
    /// Every row.
    All,
    /// The rows numbered past this rowid: those made since it was read.
    After(i64),
    /// The rows of these tables, named in lower case.
    Tables(&'a BTreeSet<String>),
}

/// The rows of `sqlite_schema` that `which` picks, in rowid order.
pub fn schema_rows(conn: &Connection, which: Rows) -> rusqlite::Result<Vec<SchemaRow>> {
    const COLUMNS: &str = "SELECT rowid, type, name, tbl_name, sql FROM main.sqlite_schema";
    let read = |row: &rusqlite::Row| {
        Ok(SchemaRow {
            rowid: row.get(0)?,
            kind: row.get(1)?,
            name: row.get(2)?,
            table: row.get(3)?,
            sql: row.get(4)?,
        })
    };
    let rows = match which {
        Rows::All => conn
            .prepare_cached(&format!("{COLUMNS} ORDER BY rowid"))?
            .query_map([], read)?
            .collect(),
        Rows::After(rowid) => conn
            .prepare_cached(&format!("{COLUMNS} WHERE rowid > ?1 ORDER BY rowid"))?
            .query_map([rowid], read)?
            .collect(),
        Rows::Tables(names) => conn
            .prepare_cached(&format!(
                "{COLUMNS} WHERE type = 'table' AND lower(name) IN \
                 (SELECT value FROM json_each(?1)) ORDER BY rowid"
            ))?
            .query_map([json_array(names)], read)?
            .collect(),
    };
    rows
}

/// Whether `conn`'s `main` database has a table named `name`.
pub fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// Whether `conn`'s `main` database has a table, index, view or trigger
/// named `name`, without regard to ASCII case (they share one namespace).
pub fn has_name(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM main.sqlite_schema WHERE name = ?1 COLLATE NOCASE",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// Whether `conn`'s `main` database has no schema at all: a new database.
pub fn is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT count(*) = 0 FROM main.sqlite_schema", [], |row| {
        row.get(0)
    })
}
