//! The rows of `sqlite_schema` followed from migration to migration, by the
//! lints and by the seeded run, re-reading only what a migration can have
//! changed: reading every row after each migration would make a long chain
//! quadratic.

use std::collections::{BTreeMap, BTreeSet};

use migrate_sqlite::lex::qualified_name;
use migrate_sqlite::schema::{schema_rows, Rows};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::file::File;

/// A row of `sqlite_schema` without its name: (type, table, sql).
pub(crate) type Row = (String, String, Option<String>);

/// The rows of `sqlite_schema`, by name.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct SchemaRows {
    rows: BTreeMap<String, Row>,
    /// The largest rowid read: SQLite numbers a new row past it.
    last_rowid: i64,
}

/// A row a migration added, changed or removed.
pub(crate) struct Change {
    pub before: Option<Row>,
    pub after: Option<Row>,
}

/// What a file's statements can do to `sqlite_schema`.
#[derive(Debug, PartialEq, Eq)]
enum Reach {
    /// Add rows (`CREATE`), and change the rows of these tables, in lower
    /// case (`ALTER TABLE … ADD COLUMN`); DML changes nothing.
    Append(BTreeSet<String>),
    /// Anything: a drop or a rename rewrites or removes other rows.
    Any,
}

impl SchemaRows {
    /// Every row of `conn`'s `sqlite_schema`.
    pub(crate) fn read(conn: &Connection) -> rusqlite::Result<Self> {
        let mut followed = Self::default();
        for (rowid, name, row) in query(conn, Rows::All)? {
            followed.last_rowid = followed.last_rowid.max(rowid);
            followed.rows.insert(name, row);
        }
        Ok(followed)
    }

    /// Brings the rows up to date after `file` ran on `conn` (any migration
    /// when `None`), and returns what changed.
    pub(crate) fn update(
        &mut self,
        conn: &Connection,
        file: Option<&File>,
    ) -> rusqlite::Result<Vec<Change>> {
        let Some(Reach::Append(altered)) = file.map(reach) else {
            let now = Self::read(conn)?;
            let before = std::mem::replace(self, now);
            return Ok(diff(&before.rows, &self.rows));
        };
        // Two queries: with an OR, SQLite would scan every row for both.
        let mut rows = query(conn, Rows::After(self.last_rowid))?;
        if !altered.is_empty() {
            rows.extend(query(conn, Rows::Tables(&altered))?);
        }
        let mut changes = Vec::new();
        for (rowid, name, row) in rows {
            self.last_rowid = self.last_rowid.max(rowid);
            let before = self.rows.insert(name, row.clone());
            if before.as_ref() != Some(&row) {
                changes.push(Change {
                    before,
                    after: Some(row),
                });
            }
        }
        Ok(changes)
    }

    /// The rows of one type: name → (table, sql).
    pub(crate) fn of_type<'o>(
        &'o self,
        kind: &'o str,
    ) -> impl Iterator<Item = (&'o str, (&'o str, &'o str))> {
        self.rows
            .iter()
            .filter(move |(_, (k, _, _))| k == kind)
            .map(|(name, (_, table, sql))| {
                (
                    name.as_str(),
                    (table.as_str(), sql.as_deref().unwrap_or_default()),
                )
            })
    }

    /// The `CREATE` statements of the tables `tables` and of their
    /// indexes: (`table` or `index`, name, SQL).
    pub(crate) fn statements_of<'r>(
        &'r self,
        tables: &'r BTreeSet<String>,
    ) -> impl Iterator<Item = (&'r str, &'r str, &'r str)> {
        self.rows
            .iter()
            .filter(move |(_, (kind, table, _))| {
                (kind == "table" || kind == "index") && tables.contains(table)
            })
            .map(|(name, (kind, _, sql))| {
                (
                    kind.as_str(),
                    name.as_str(),
                    sql.as_deref().unwrap_or_default(),
                )
            })
    }

    /// The triggers: name → (table, SQL).
    pub(crate) fn triggers(&self) -> BTreeMap<String, (String, String)> {
        self.of_type("trigger")
            .map(|(name, (table, sql))| (name.to_string(), (table.to_string(), sql.to_string())))
            .collect()
    }
}

/// The tables whose own row, or an index's, `changes` added, removed or
/// changed.
pub(crate) fn changed_tables(changes: &[Change]) -> BTreeSet<String> {
    changes
        .iter()
        .flat_map(|change| change.before.iter().chain(&change.after))
        .filter(|(kind, _, _)| kind == "table" || kind == "index")
        .map(|(_, table, _)| table.clone())
        .collect()
}

/// The rows of `sqlite_schema` that `which` picks: (rowid, name, row).
fn query(conn: &Connection, which: Rows) -> rusqlite::Result<Vec<(i64, String, Row)>> {
    let rows = schema_rows(conn, which)?;
    Ok(rows
        .into_iter()
        .map(|row| (row.rowid, row.name, (row.kind, row.table, row.sql)))
        .collect())
}

fn diff(before: &BTreeMap<String, Row>, after: &BTreeMap<String, Row>) -> Vec<Change> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter(|name| before.get(*name) != after.get(*name))
        .map(|name| Change {
            before: before.get(name).cloned(),
            after: after.get(name).cloned(),
        })
        .collect()
}

/// What `file` can do to `sqlite_schema`, from its statements' first words.
fn reach(file: &File) -> Reach {
    let mut altered = BTreeSet::new();
    for t in file.statement_tokens() {
        let Some(first) = t.first() else { continue };
        match first.text.to_ascii_uppercase().as_str() {
            "CREATE" | "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "SELECT" | "VALUES"
            | "WITH" => {}
            "ALTER" if t.get(1).is_some_and(|word| word.is("TABLE")) => {
                match qualified_name(t, 2) {
                    Some((table, at)) if t.get(at).is_some_and(|word| word.is("ADD")) => {
                        altered.insert(table.to_ascii_lowercase());
                    }
                    _ => return Reach::Any,
                }
            }
            _ => return Reach::Any,
        }
    }
    Reach::Append(altered)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::validate::apply;

    /// After each migration, the rows kept up to date are the rows read anew.
    fn follows_every_migration(base: &Path, dir: &str) {
        let sources = crate::read_folder(base, dir).unwrap();
        let mut conn = Connection::open_in_memory().unwrap();
        let mut followed = SchemaRows::default();
        for source in &sources {
            apply(&mut conn, source).unwrap();
            let file = File::new(source);
            let changes = followed.update(&conn, Some(&file)).unwrap();
            let read = SchemaRows::read(&conn).unwrap();
            assert_eq!(followed.rows, read.rows, "after {}", source.up_file.display);
            assert_eq!(followed.last_rowid, read.last_rowid);
            assert!(changes.iter().all(|c| c.before != c.after));
        }
    }

    #[test]
    fn the_rows_follow_the_fixtures() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
        for dir in ["real_world", "valid", "long", "schema_renamed_column"] {
            follows_every_migration(&fixtures, dir);
        }
    }

    #[test]
    fn creates_and_added_columns_read_only_what_they_touch() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("m");
        std::fs::create_dir(&dir).unwrap();
        let cases = [
            ("1_a.sql", "CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\nWITH c AS (SELECT 1) SELECT * FROM c;", Some(&[][..])),
            ("2_b.sql", "ALTER TABLE main.A ADD COLUMN y;\nALTER TABLE \"a\" ADD z;\nUPDATE a SET y = 1;", Some(&["a"][..])),
            ("3_c.sql", "ALTER TABLE a RENAME COLUMN y TO w;", None),
            ("4_d.sql", "DROP TABLE a;", None),
            ("5_e.sql", "-- migrate: no-transaction\nPRAGMA foreign_keys = OFF;", None),
        ];
        for (name, sql, _) in cases {
            std::fs::write(dir.join(name), sql).unwrap();
        }
        let sources = crate::read_folder(base.path(), "m").unwrap();
        for (source, (name, _, expected)) in sources.iter().zip(cases) {
            let expected = match expected {
                Some(tables) => Reach::Append(tables.iter().map(|t| t.to_string()).collect()),
                None => Reach::Any,
            };
            assert_eq!(reach(&File::new(source)), expected, "{name}");
        }
    }

    #[test]
    fn the_rows_follow_adds_drops_and_renames() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("m");
        std::fs::create_dir(&dir).unwrap();
        for (name, sql) in [
            (
                "1_a.sql",
                "CREATE TABLE Alpha (id INTEGER PRIMARY KEY, x UNIQUE);",
            ),
            (
                "2_b.sql",
                "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id REFERENCES Alpha);",
            ),
            (
                "3_add.sql",
                "ALTER TABLE main.ALPHA ADD COLUMN y TEXT;\nINSERT INTO b (id) VALUES (1);",
            ),
            ("4_drop.sql", "DROP TABLE b;"),
            // A new row may take the rowid the dropped one had.
            (
                "5_c.sql",
                "CREATE TABLE c (id);\nCREATE INDEX c_id ON c (id);",
            ),
            ("6_rename.sql", "ALTER TABLE c RENAME TO d;"),
            (
                "7_view.sql",
                "CREATE VIEW v AS SELECT * FROM d;\nWITH x AS (SELECT 1) SELECT * FROM x;",
            ),
            ("8_column.sql", "ALTER TABLE d RENAME COLUMN id TO key;"),
        ] {
            std::fs::write(dir.join(name), sql).unwrap();
        }
        follows_every_migration(base.path(), "m");
    }
}
