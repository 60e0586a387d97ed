//! Generated rows for the tables a migration finds, so that the chain is also
//! executed on a database that looks used: a migration that only fails when a
//! table has rows (a NOT NULL column added without a default, a UNIQUE index
//! over repeated values, a rebuild copying NULLs into a NOT NULL column) fails
//! at compile time too.
//!
//! The rows are chosen to expose those problems while satisfying the table's
//! own constraints:
//!
//! - columns under a PRIMARY KEY or UNIQUE index get a different value in
//!   each row; every other column holds the *same* value in every row, the
//!   way real data repeats itself;
//! - a nullable column is NULL in one row;
//! - foreign keys point at rows of the parent table (parents are seeded
//!   first), a self-reference is NULL or the row itself;
//! - generated columns are left to SQLite;
//! - CHECK constraints are met by trying other candidate values, including
//!   the literals of the table's own `CREATE TABLE`, when an insert fails.
//!
//! Seeding is best effort: a row that cannot be made is left out, and a table
//! may end up with fewer rows or none. It never makes validation fail.

use std::collections::{BTreeSet, HashMap};

use migrate_sqlite::lex::{self, Kind};
use migrate_sqlite::schema::{self, primary_key, Affinity, ColumnKind, Schema};
use rusqlite::types::Value;
use rusqlite::Connection;

use crate::file::File;
use crate::schema_rows::SchemaRows;

/// Rows generated per table.
pub const ROWS: usize = 3;

/// Inserts tried per row before the row is left out.
const ATTEMPTS: usize = 24;

/// The row, counting from 0, whose nullable columns are NULL.
const NULL_ROW: usize = ROWS - 1;

/// Inserts three generated rows into every ordinary table of `main` that has
/// none. Views, virtual tables, their shadow tables and SQLite's own tables are
/// left alone.
///
/// Errors are only those of reading the schema; a row that breaks a
/// constraint is retried with other values and, failing that, left out.
pub fn seed_empty_tables(conn: &Connection) -> rusqlite::Result<()> {
    Seeder::default().seed(conn, None)
}

/// Seeds a database before each migration of a chain, looking only at the
/// tables that are new or whose `CREATE TABLE` changed since it last looked:
/// asking every table whether it is empty before every migration would grow
/// with tables × migrations. A table a migration empties is not seeded again.
#[derive(Debug, Default)]
pub(crate) struct Seeder {
    /// The rows of `sqlite_schema` as last seen.
    rows: SchemaRows,
}

impl Seeder {
    /// A seeder that has seen these rows of `sqlite_schema`.
    pub(crate) fn resume(rows: SchemaRows) -> Self {
        Self { rows }
    }

    /// The rows of `sqlite_schema` seen so far.
    pub(crate) fn rows(&self) -> &SchemaRows {
        &self.rows
    }

    /// Seeds the new and changed tables that are empty. `ran` is the
    /// migration that ran since the last call, if that is all that did.
    pub(crate) fn seed(&mut self, conn: &Connection, ran: Option<&File>) -> rusqlite::Result<()> {
        let changes = self.rows.update(conn, ran)?;
        // In the order they were made, as the rows of `sqlite_schema` come.
        let mut changed: Vec<String> = Vec::new();
        for (kind, name, _) in changes.into_iter().filter_map(|change| change.after) {
            let ours = kind == "table" && !name.to_ascii_lowercase().starts_with("sqlite_");
            if ours && !changed.contains(&name) {
                changed.push(name);
            }
        }
        // Only the empty ones are read: a table that has rows keeps them. A
        // table that cannot be read from (a virtual table's module says so)
        // is not seeded.
        changed.retain(|name| is_empty(conn, name).unwrap_or(false));
        if changed.is_empty() {
            return Ok(());
        }
        let wanted: BTreeSet<String> = changed.iter().cloned().collect();
        let statements: Vec<_> = self.rows.statements_of(&wanted).collect();
        let schema = Schema::read_tables_given(conn, &wanted, statements.iter().copied())?;
        let mut tables = Vec::new();
        for name in changed {
            match schema.tables.get(&name) {
                Some(table) if table.is_ordinary() => {
                    let sql = statements
                        .iter()
                        .find(|(kind, of, _)| *kind == "table" && *of == name)
                        .map_or("", |(_, _, sql)| *sql);
                    tables.push(Table::of(name, table, sql, &schema));
                }
                _ => {}
            }
        }
        if tables.is_empty() {
            return Ok(());
        }
        conn.execute_batch("SAVEPOINT migrate_seed")?;
        let result = parents_first(tables)
            .into_iter()
            .try_for_each(|table| table.seed(conn));
        match result {
            Ok(()) => conn.execute_batch("RELEASE migrate_seed"),
            Err(error) => {
                let _ = conn.execute_batch("ROLLBACK TO migrate_seed; RELEASE migrate_seed");
                Err(error)
            }
        }
    }
}

fn is_empty(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    let sql = format!("SELECT NOT EXISTS (SELECT 1 FROM {})", quote(table));
    conn.query_row(&sql, [], |row| row.get(0))
}

/// `name` as a quoted SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(Debug)]
struct Column {
    name: String,
    affinity: Affinity,
    /// The declared type names a date or time.
    temporal: bool,
    nullable: bool,
    /// Part of the primary key or of a UNIQUE index: a different value per row.
    distinct: bool,
}

#[derive(Debug)]
struct ForeignKey {
    parent: String,
    /// Child column indexes (into `Table::columns`) and parent column names
    /// (`None`: the parent's primary key).
    from: Vec<usize>,
    to: Vec<Option<String>>,
}

#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<Column>,
    foreign_keys: Vec<ForeignKey>,
    /// String and number literals of the `CREATE TABLE`, as candidate values
    /// for CHECK constraints such as `status IN ('open', 'closed')`.
    literals: Vec<Value>,
}

impl Table {
    /// The table `name` of `schema`, made by `sql`, as the seeder fills
    /// it: its plain columns, which of them take a different value in each
    /// row (the primary key, a `UNIQUE` constraint or index), its foreign
    /// keys, and the literals of its statement.
    fn of(name: String, table: &schema::Table, sql: &str, schema: &Schema) -> Self {
        let mut columns: Vec<Column> = table
            .columns
            .iter()
            .filter(|column| column.kind == ColumnKind::Plain)
            .map(|column| {
                let upper = column.declared_type.to_ascii_uppercase();
                Column {
                    name: column.name.clone(),
                    affinity: column.affinity(),
                    temporal: upper.contains("DATE") || upper.contains("TIME"),
                    nullable: column.nullable(),
                    distinct: column.in_primary_key(),
                }
            })
            .collect();
        let unique_indexes = schema
            .indexes
            .values()
            .filter(|index| index.unique && index.table.eq_ignore_ascii_case(&name))
            .map(|index| index.columns.iter().map(|c| c.name.clone()).collect());
        for unique in table.unique.iter().cloned().chain(unique_indexes) {
            for indexed in unique {
                if let Some(column) = columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&indexed))
                {
                    column.distinct = true;
                }
            }
        }
        let position = |name: &str| {
            columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
        };
        let foreign_keys = table
            .foreign_keys
            .iter()
            .filter_map(|key| {
                // A key that names no parent column refers to the parent's
                // primary key: known already when the parent is seeded too.
                let parent_key = schema
                    .tables
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(&key.parent_table))
                    .map(|(_, parent)| &parent.primary_key)
                    .filter(|parent_key| parent_key.len() == key.columns.len());
                let parent_columns: Vec<Option<String>> = match parent_key {
                    Some(parent_key) if key.parent_columns.iter().all(Option::is_none) => {
                        parent_key.iter().cloned().map(Some).collect()
                    }
                    _ => key.parent_columns.clone(),
                };
                let (from, to): (Vec<usize>, Vec<Option<String>>) = key
                    .columns
                    .iter()
                    .zip(parent_columns)
                    .filter_map(|(from, to)| Some((position(from)?, to)))
                    .unzip();
                (!from.is_empty()).then(|| ForeignKey {
                    parent: key.parent_table.clone(),
                    from,
                    to,
                })
            })
            .collect();
        Self {
            literals: literals(sql),
            name,
            columns,
            foreign_keys,
        }
    }

    fn parents(&self) -> impl Iterator<Item = &str> {
        self.foreign_keys
            .iter()
            .map(|key| key.parent.as_str())
            .filter(|parent| !parent.eq_ignore_ascii_case(&self.name))
    }

    fn is_self_reference(&self, key: &ForeignKey) -> bool {
        key.parent.eq_ignore_ascii_case(&self.name)
    }

    /// Inserts up to [`ROWS`] rows. Only reading the schema can fail.
    fn seed(self, conn: &Connection) -> rusqlite::Result<()> {
        // A trigger on a table seeded before may have filled this one.
        if !is_empty(conn, &self.name)? {
            return Ok(());
        }
        let parent_rows = self.parent_rows(conn)?;
        let insert = if self.columns.is_empty() {
            format!("INSERT INTO {} DEFAULT VALUES", quote(&self.name))
        } else {
            let names: Vec<String> = self.columns.iter().map(|c| quote(&c.name)).collect();
            let slots = vec!["?"; names.len()].join(", ");
            format!(
                "INSERT INTO {} ({}) VALUES ({slots})",
                quote(&self.name),
                names.join(", ")
            )
        };
        let mut statement = match conn.prepare(&insert) {
            Ok(statement) => statement,
            Err(_) => return Ok(()),
        };
        let mut choice = vec![0usize; self.columns.len()];
        let mut allow_null: Vec<bool> = self.columns.iter().map(|c| c.nullable).collect();
        for row in 0..ROWS {
            for _ in 0..ATTEMPTS {
                let Some(values) = self.row(row, &choice, &allow_null, &parent_rows) else {
                    break;
                };
                let error = match statement.execute(rusqlite::params_from_iter(values.iter())) {
                    Ok(_) => break,
                    Err(error) => error,
                };
                if !self.adjust(&error, &values, &mut choice, &mut allow_null) {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Rows of each foreign key's parent, as the values of the referenced
    /// columns; `None` for a self-reference or a key that cannot be read.
    fn parent_rows(&self, conn: &Connection) -> rusqlite::Result<Vec<Option<Vec<Vec<Value>>>>> {
        let mut found = Vec::new();
        for key in &self.foreign_keys {
            if self.is_self_reference(key) {
                found.push(None);
                continue;
            }
            let to: Vec<String> = if key.to.iter().all(Option::is_some) {
                key.to.iter().flatten().cloned().collect()
            } else {
                primary_key(conn, &key.parent)?
            };
            if to.len() != key.from.len() {
                found.push(None);
                continue;
            }
            let columns: Vec<String> = to.iter().map(|c| quote(c)).collect();
            let not_null: Vec<String> =
                columns.iter().map(|c| format!("{c} IS NOT NULL")).collect();
            let sql = format!(
                "SELECT {} FROM {} WHERE {} LIMIT {ROWS}",
                columns.join(", "),
                quote(&key.parent),
                not_null.join(" AND ")
            );
            let rows = conn.prepare(&sql).and_then(|mut statement| {
                statement
                    .query_map([], |row| {
                        (0..columns.len()).map(|i| row.get::<_, Value>(i)).collect()
                    })?
                    .collect::<rusqlite::Result<Vec<Vec<Value>>>>()
            });
            // A key SQLite cannot resolve (a missing parent) is left to SQLite.
            found.push(rows.ok());
        }
        Ok(found)
    }

    /// The values of row `row`, or `None` when the choices ran out.
    fn row(
        &self,
        row: usize,
        choice: &[usize],
        allow_null: &[bool],
        parent_rows: &[Option<Vec<Vec<Value>>>],
    ) -> Option<Vec<Value>> {
        let mut values = Vec::with_capacity(self.columns.len());
        for (index, column) in self.columns.iter().enumerate() {
            if allow_null[index] && row == NULL_ROW {
                values.push(Value::Null);
            } else {
                values.push(candidate(column, row, choice[index], &self.literals)?);
            }
        }
        for (key, parents) in self.foreign_keys.iter().zip(parent_rows) {
            let distinct = key.from.iter().any(|&i| self.columns[i].distinct);
            let nullable = key.from.iter().all(|&i| self.columns[i].nullable);
            let null_here = key.from.iter().any(|&i| values[i] == Value::Null);
            if null_here {
                continue;
            }
            if self.is_self_reference(key) {
                // NULL when allowed, else the row itself.
                for (&from, to) in key.from.iter().zip(&key.to) {
                    let target = to
                        .as_ref()
                        .and_then(|to| {
                            self.columns
                                .iter()
                                .position(|c| c.name.eq_ignore_ascii_case(to))
                        })
                        .or_else(|| self.columns.iter().position(|c| c.distinct));
                    values[from] = match target {
                        _ if nullable => Value::Null,
                        Some(target) => values[target].clone(),
                        None => Value::Null,
                    };
                }
                continue;
            }
            let parent = match parents {
                Some(rows) if !rows.is_empty() => {
                    let pick = if distinct { row % rows.len() } else { 0 };
                    Some(&rows[pick])
                }
                _ => None,
            };
            for (k, &from) in key.from.iter().enumerate() {
                values[from] = parent.map_or(Value::Null, |parent| parent[k].clone());
            }
        }
        Some(values)
    }

    /// After a failed insert: changes the choices the message points at.
    /// `false` when nothing can be changed.
    fn adjust(
        &self,
        error: &rusqlite::Error,
        values: &[Value],
        choice: &mut [usize],
        allow_null: &mut [bool],
    ) -> bool {
        let rusqlite::Error::SqliteFailure(failure, message) = error else {
            return false;
        };
        if failure.code != rusqlite::ErrorCode::ConstraintViolation {
            return false;
        }
        let message = message.as_deref().unwrap_or("");
        let named = |text: &str| -> Vec<usize> {
            (0..self.columns.len())
                .filter(|&i| lex::find_name(text, &self.columns[i].name).is_some())
                .collect()
        };
        if let Some(rest) = message.strip_prefix("NOT NULL constraint failed: ") {
            let columns = named(rest);
            columns.iter().for_each(|&i| allow_null[i] = false);
            return !columns.is_empty();
        }
        if let Some(rest) = message.strip_prefix("CHECK constraint failed: ") {
            let mut columns = named(rest);
            if columns.is_empty() {
                // A named constraint: its text is not in the message.
                columns = (0..self.columns.len()).collect();
            }
            for i in columns {
                if values[i] == Value::Null && allow_null[i] {
                    allow_null[i] = false;
                } else {
                    choice[i] += 1;
                }
            }
            return true;
        }
        if message.starts_with("UNIQUE constraint failed: ") {
            // An index over expressions, or a value a migration inserted:
            // try the next set of distinct values.
            for (i, column) in self.columns.iter().enumerate() {
                if column.distinct {
                    choice[i] += 1;
                }
            }
            return true;
        }
        false
    }
}

/// The `choice`-th candidate value of `column` for row `row`, or `None` when
/// there are no more.
fn candidate(column: &Column, row: usize, choice: usize, literals: &[Value]) -> Option<Value> {
    let n = row as i64;
    let date = |day: usize| Value::Text(format!("2025-01-{:02}", day));
    let mut fixed: Vec<Value> = match (column.affinity, column.distinct) {
        (Affinity::Integer, true) => vec![
            Value::Integer(100_001 + n),
            Value::Integer(n + 1),
            Value::Integer(n),
            Value::Integer(-(n + 1)),
        ],
        (Affinity::Integer, false) => vec![
            Value::Integer(1),
            Value::Integer(0),
            Value::Integer(2),
            Value::Integer(-1),
        ],
        (Affinity::Real, true) => vec![
            Value::Real(1.5 + n as f64),
            Value::Real(n as f64),
            Value::Real(-(n as f64) - 1.0),
        ],
        (Affinity::Real, false) => vec![
            Value::Real(1.5),
            Value::Real(0.0),
            Value::Real(1.0),
            Value::Real(-1.0),
        ],
        (Affinity::Text, true) => vec![
            Value::Text(format!("seed-{}", row + 1)),
            Value::Text(((b'a' + row as u8) as char).to_string()),
            date(row + 1),
            Value::Text((row + 1).to_string()),
            Value::Text(format!("seed{}@example.com", row + 1)),
        ],
        (Affinity::Text, false) => vec![
            Value::Text("a".into()),
            date(1),
            Value::Text("1".into()),
            Value::Text("0".into()),
            Value::Text("a@example.com".into()),
        ],
        (Affinity::Numeric, true) => vec![
            Value::Integer(100_001 + n),
            date(row + 1),
            Value::Integer(n + 1),
            Value::Text(format!("seed-{}", row + 1)),
        ],
        (Affinity::Numeric, false) => vec![
            Value::Integer(1),
            date(1),
            Value::Integer(0),
            Value::Text("a".into()),
        ],
        (Affinity::Blob, true) => vec![
            Value::Blob(vec![row as u8 + 1]),
            Value::Text(format!("seed-{}", row + 1)),
            Value::Integer(n + 1),
        ],
        (Affinity::Blob, false) => vec![
            Value::Blob(vec![0]),
            Value::Text("a".into()),
            Value::Integer(1),
            Value::Integer(0),
        ],
    };
    if column.temporal && column.affinity != Affinity::Integer {
        // A DATE or DATETIME column: a date first.
        let first = if column.distinct {
            date(row + 1)
        } else {
            date(1)
        };
        fixed.retain(|value| *value != first);
        fixed.insert(0, first);
    }
    if choice < fixed.len() {
        return Some(fixed.swap_remove(choice));
    }
    let choice = choice - fixed.len();
    if choice >= literals.len() {
        return None;
    }
    // The table's own literals; a distinct column takes them in turn.
    let pick = if column.distinct {
        (choice + row) % literals.len()
    } else {
        choice
    };
    Some(literals[pick].clone())
}

/// String and number literals of `sql`, at most 16, without repeats.
fn literals(sql: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    for token in lex::code(sql) {
        let (value, key) = match token.kind {
            Kind::String => {
                let inner = token.text[1..]
                    .strip_suffix('\'')
                    .unwrap_or(&token.text[1..]);
                let text = inner.replace("''", "'");
                (Value::Text(text.clone()), format!("t{text}"))
            }
            Kind::Number => match (token.text.parse::<i64>(), token.text.parse::<f64>()) {
                (Ok(integer), _) => (Value::Integer(integer), format!("i{integer}")),
                (_, Ok(real)) => (Value::Real(real), format!("r{}", token.text)),
                _ => continue,
            },
            _ => continue,
        };
        if seen.insert(key) {
            found.push(value);
            if found.len() == 16 {
                break;
            }
        }
    }
    found
}

/// `tables` ordered so that a table comes after the tables it references,
/// as far as the references allow (a cycle is broken in schema order).
fn parents_first(tables: Vec<Table>) -> Vec<Table> {
    let names: HashMap<String, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.to_ascii_lowercase(), i))
        .collect();
    let waits_for: Vec<BTreeSet<usize>> = tables
        .iter()
        .map(|t| {
            t.parents()
                .filter_map(|p| names.get(&p.to_ascii_lowercase()).copied())
                .collect()
        })
        .collect();
    let mut done = vec![false; tables.len()];
    let mut order = Vec::with_capacity(tables.len());
    while order.len() < tables.len() {
        let ready = (0..tables.len())
            .find(|&i| !done[i] && waits_for[i].iter().all(|&p| done[p]))
            .or_else(|| (0..tables.len()).find(|&i| !done[i]))
            .expect("a table is left");
        done[ready] = true;
        order.push(ready);
    }
    let mut slots: Vec<Option<Table>> = tables.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|i| slots[i].take().expect("taken once"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(sql: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        conn.execute_batch(sql).unwrap();
        conn
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    fn distinct(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn values(conn: &Connection, sql: &str) -> Vec<Value> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn fills_empty_tables_with_repeated_values_and_one_null() {
        let conn = db("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, bio TEXT, score REAL, born DATE, data);");
        seed_empty_tables(&conn).unwrap();
        assert_eq!(count(&conn, "users"), 3);
        assert_eq!(distinct(&conn, "SELECT count(DISTINCT id) FROM users"), 3);
        assert_eq!(distinct(&conn, "SELECT count(DISTINCT name) FROM users"), 1);
        // Unique and nullable: two values and a NULL.
        assert_eq!(
            distinct(&conn, "SELECT count(DISTINCT email) FROM users"),
            2
        );
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM users WHERE email IS NULL"),
            1
        );
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM users WHERE bio IS NULL"),
            1
        );
        assert_eq!(distinct(&conn, "SELECT count(DISTINCT bio) FROM users"), 1);
        assert_eq!(
            distinct(
                &conn,
                "SELECT count(*) FROM users WHERE typeof(score) = 'real' AND typeof(data) = 'blob'"
            ),
            2
        );
        assert_eq!(
            distinct(
                &conn,
                "SELECT count(*) FROM users WHERE born = '2025-01-01'"
            ),
            2
        );
        // A creating migration's CREATE UNIQUE INDEX on `name` now fails.
        assert!(conn
            .execute_batch("CREATE UNIQUE INDEX users_name ON users (name)")
            .is_err());
    }

    #[test]
    fn leaves_tables_with_rows_views_and_virtual_tables_alone() {
        let conn = db("CREATE TABLE a (x TEXT NOT NULL);
                       INSERT INTO a VALUES ('kept');
                       CREATE VIEW v AS SELECT x FROM a;
                       CREATE VIRTUAL TABLE search USING fts5(body);
                       CREATE TABLE b (id INTEGER PRIMARY KEY AUTOINCREMENT, y INT);");
        seed_empty_tables(&conn).unwrap();
        assert_eq!(count(&conn, "a"), 1);
        assert_eq!(count(&conn, "search"), 0);
        assert_eq!(count(&conn, "b"), 3);
        // A second call does nothing: no table is empty any more.
        seed_empty_tables(&conn).unwrap();
        assert_eq!(count(&conn, "b"), 3);
    }

    #[test]
    fn a_resumed_seeder_seeds_only_what_is_new_to_the_one_it_resumes() {
        let conn = db("CREATE TABLE a (x INT);");
        let mut seeder = Seeder::default();
        seeder.seed(&conn, None).unwrap();
        conn.execute_batch("DELETE FROM a; CREATE TABLE b (y INT);")
            .unwrap();
        let mut resumed = Seeder::resume(seeder.rows().clone());
        resumed.seed(&conn, None).unwrap();
        // `a` was emptied by a migration, not made: it stays empty.
        assert_eq!((count(&conn, "a"), count(&conn, "b")), (0, 3));
    }

    #[test]
    fn foreign_keys_point_at_parent_rows_whatever_the_order() {
        let conn = db("CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT NOT NULL);
                       CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                       CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
                       CREATE TABLE post_tags (post_id INTEGER NOT NULL REFERENCES posts, tag_id INTEGER NOT NULL REFERENCES tags (id),
                                               PRIMARY KEY (post_id, tag_id)) WITHOUT ROWID;
                       CREATE TABLE nodes (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES nodes (id), root_id INTEGER NOT NULL REFERENCES nodes (id));");
        seed_empty_tables(&conn).unwrap();
        for table in ["users", "posts", "tags", "post_tags", "nodes"] {
            assert_eq!(count(&conn, table), 3, "{table}");
        }
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM pragma_foreign_key_check"),
            0
        );
        assert_eq!(
            distinct(&conn, "SELECT count(DISTINCT post_id) FROM post_tags"),
            3
        );
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM nodes WHERE parent_id IS NULL"),
            3
        );
    }

    #[test]
    fn meets_check_constraints_with_other_candidates() {
        let conn = db("CREATE TABLE t (
                           id INTEGER PRIMARY KEY,
                           status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
                           done INTEGER NOT NULL CHECK (done IN (0, 1)),
                           at TEXT CHECK (at IS NULL OR date(at) IS NOT NULL),
                           n INTEGER NOT NULL CHECK (n > 10),
                           note TEXT CHECK (note IS NOT NULL),
                           code TEXT UNIQUE CHECK (length(code) = 1),
                           twice INTEGER GENERATED ALWAYS AS (n * 2) STORED
                       );");
        seed_empty_tables(&conn).unwrap();
        assert_eq!(count(&conn, "t"), 3);
        assert_eq!(distinct(&conn, "SELECT count(DISTINCT status) FROM t"), 1);
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM t WHERE note IS NULL"),
            0
        );
        assert_eq!(distinct(&conn, "SELECT count(DISTINCT code) FROM t"), 2);
    }

    #[test]
    fn composite_keys_point_at_whole_parent_rows() {
        let conn = db("CREATE TABLE parent (a INTEGER NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));
                       CREATE TABLE child (id INTEGER PRIMARY KEY, x INTEGER NOT NULL, y TEXT NOT NULL,
                                           FOREIGN KEY (x, y) REFERENCES parent (a, b));
                       CREATE TABLE implied (id INTEGER PRIMARY KEY, x INTEGER NOT NULL, y TEXT NOT NULL,
                                             FOREIGN KEY (x, y) REFERENCES parent);");
        conn.execute_batch("INSERT INTO parent VALUES (1, 'one'), (2, 'two'), (3, 'three');")
            .unwrap();
        seed_empty_tables(&conn).unwrap();
        assert_eq!((count(&conn, "child"), count(&conn, "implied")), (3, 3));
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM pragma_foreign_key_check"),
            0
        );
    }

    #[test]
    fn tables_that_refer_to_each_other_are_seeded_in_turn() {
        let conn = db(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id));
                       CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));",
        );
        seed_empty_tables(&conn).unwrap();
        assert_eq!((count(&conn, "a"), count(&conn, "b")), (3, 3));
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM pragma_foreign_key_check"),
            0
        );
    }

    #[test]
    fn a_key_to_a_parent_without_rows_is_null() {
        let conn = db("CREATE TABLE never (id INTEGER PRIMARY KEY, x INTEGER CHECK (0));
                       CREATE TABLE child (id INTEGER PRIMARY KEY, never_id INTEGER UNIQUE REFERENCES never (id));");
        seed_empty_tables(&conn).unwrap();
        assert_eq!(count(&conn, "child"), 3);
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM child WHERE never_id IS NULL"),
            3
        );
    }

    #[test]
    fn failures_the_declared_columns_do_not_foresee_are_retried() {
        let conn = db(
            "CREATE TABLE keyed (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
                       CREATE TABLE parity (a INTEGER NOT NULL UNIQUE);
                       CREATE UNIQUE INDEX parity_of_a ON parity (a % 2);
                       CREATE TABLE days (day DATE PRIMARY KEY CHECK (date(day) = day));
                       CREATE TABLE stamps (at DATETIME NOT NULL CHECK (typeof(at) = 'integer'));",
        );
        seed_empty_tables(&conn).unwrap();
        // The key of a WITHOUT ROWID table is NOT NULL though not declared so.
        assert_eq!(count(&conn, "keyed"), 3);
        // The third row's first candidates repeat a remainder: it takes the
        // next distinct value that does not.
        assert_eq!(
            values(&conn, "SELECT a FROM parity ORDER BY rowid"),
            [100_001, 100_002, -3].map(Value::Integer)
        );
        assert_eq!(
            values(&conn, "SELECT day FROM days ORDER BY rowid"),
            ["2025-01-01", "2025-01-02", "2025-01-03"].map(|day| Value::Text(day.into()))
        );
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM stamps WHERE at = 1"),
            3
        );
    }

    #[test]
    fn a_null_a_trigger_refuses_is_tried_again_with_a_value() {
        let conn = db("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT);
                       CREATE TABLE log (title TEXT NOT NULL);
                       CREATE TRIGGER notes_log AFTER INSERT ON notes
                       BEGIN INSERT INTO log (title) VALUES (NEW.title); END;");
        seed_empty_tables(&conn).unwrap();
        assert_eq!(count(&conn, "notes"), 3);
        assert_eq!(
            distinct(&conn, "SELECT count(*) FROM notes WHERE title IS NULL"),
            0
        );
    }

    #[test]
    fn a_distinct_column_takes_the_tables_literals_in_turn() {
        // 'b2' is among the literals but fails the CHECK: the third row must
        // still find 'd4' rather than go back to values already taken.
        let conn = db("CREATE TABLE codes (code TEXT NOT NULL UNIQUE
                           CHECK (code IN ('a1', 'b2', 'c3', 'd4') AND code <> 'b2'));");
        seed_empty_tables(&conn).unwrap();
        assert_eq!(
            values(&conn, "SELECT code FROM codes ORDER BY rowid"),
            ["a1", "c3", "d4"].map(|code| Value::Text(code.into()))
        );
    }

    #[test]
    fn an_impossible_table_gets_fewer_rows_not_an_error() {
        let conn = db("CREATE TABLE never (x INTEGER CHECK (0));
                       CREATE TABLE one (x INTEGER NOT NULL UNIQUE CHECK (x = 7));
                       CREATE TABLE orphan (p INTEGER NOT NULL REFERENCES missing (id));");
        seed_empty_tables(&conn).unwrap();
        assert_eq!(count(&conn, "never"), 0);
        assert_eq!(count(&conn, "one"), 1);
        assert_eq!(count(&conn, "orphan"), 0);
    }

    #[test]
    fn rows_expose_not_null_rebuilds_and_constraint_checks() {
        let conn = db("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT);");
        seed_empty_tables(&conn).unwrap();
        let rebuild = "CREATE TABLE new_notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
                       INSERT INTO new_notes SELECT id, title FROM notes;";
        assert!(conn.execute_batch(rebuild).is_err());
        assert!(conn
            .execute_batch("ALTER TABLE notes ADD COLUMN x TEXT NOT NULL")
            .is_err());
        assert!(conn
            .execute_batch("ALTER TABLE notes ADD COLUMN y TEXT DEFAULT (datetime('now'))")
            .is_err());
    }

    #[test]
    fn literals_of_the_create_statement() {
        let found = literals("CREATE TABLE t2 (s TEXT CHECK (s IN ('it''s', \"x1\", [y 2], `z3`, 'b', 'b')), /* 'no' 7 */\n n INT DEFAULT 42 CHECK (n < 2.5 AND n <> 42)) -- 'no'");
        assert_eq!(
            found,
            [
                Value::Text("it's".into()),
                Value::Text("b".into()),
                Value::Integer(42),
                Value::Real(2.5)
            ]
        );
        let many: Vec<String> = (0..20).map(|n| format!("'{n}'")).collect();
        let found = literals(&format!("CHECK (x IN ({}))", many.join(", ")));
        assert_eq!(found.len(), 16);
        assert_eq!(found[15], Value::Text("15".into()));
    }

    #[test]
    fn affinity_rules() {
        assert_eq!(Affinity::of("BIGINT"), Affinity::Integer);
        assert_eq!(Affinity::of("VARCHAR(20)"), Affinity::Text);
        assert_eq!(Affinity::of(""), Affinity::Blob);
        assert_eq!(Affinity::of("DOUBLE PRECISION"), Affinity::Real);
        assert_eq!(Affinity::of("DECIMAL(10,5)"), Affinity::Numeric);
        assert_eq!(Affinity::of("FLOATING POINT"), Affinity::Integer);
    }
}
