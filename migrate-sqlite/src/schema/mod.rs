//! The schema of a database, as one model that every part of the toolkit
//! reads the same way and compares the same way: the down-script check, the
//! typed `schema` module, `verify`'s drift, the seeder and the lints.
//!
//! It is read from SQLite itself ([`Schema::read`]): tables and indexes
//! through its pragmas (`pragma_table_xinfo`, `pragma_index_xinfo`,
//! `pragma_foreign_key_list`, …), what the pragmas do not say (`CHECK`
//! constraints, column collations, generated columns, partial indexes)
//! from the `CREATE` statements through the [lexer](crate::lex).
//!
//! Two schemas are equal when they behave alike, not when their `CREATE`
//! statements are spelled alike: a column added then dropped again gives
//! back an equal table although SQLite rewrote its `CREATE TABLE` text,
//! and `create table t(x integer)` made by hand is `CREATE TABLE t (x
//! INTEGER)`. Names, types and collations are compared without regard to
//! ASCII case, as SQLite reads them; SQL text (defaults, checks,
//! expressions, views, triggers) by [`comparable_sql`].

mod bookkeeping;
mod diff;
pub mod embedded;
mod object;
mod read;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lex::comparable_sql;

pub use bookkeeping::{bookkeeping_table, HISTORY_TABLE};
pub use diff::{Change, Difference};
pub use object::{schema_drift, Drift, SchemaObject};
pub use read::{
    has_name, has_table, is_empty, made_in_memory, make_objects, primary_key, read_objects,
    schema_rows, Rows, SchemaRow,
};

/// The schema of a database's `main` schema, without SQLite's own objects
/// (`sqlite_schema`, `sqlite_sequence`, `sqlite_stat1`, `sqlite_autoindex_…`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Schema {
    /// Tables (ordinary, virtual and shadow), by name.
    pub tables: BTreeMap<String, Table>,
    /// Indexes made by `CREATE INDEX`, by name. The indexes SQLite makes for
    /// `UNIQUE` constraints are in [`Table::unique`] instead.
    pub indexes: BTreeMap<String, Index>,
    /// Triggers, by name, with their normalised SQL (see
    /// [`normalize_sql`](crate::lex::normalize_sql)).
    pub triggers: BTreeMap<String, String>,
    /// Views, by name, with their normalised SQL.
    pub views: BTreeMap<String, String>,
}

/// One table.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
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
    /// Its key is `INTEGER PRIMARY KEY AUTOINCREMENT`.
    pub autoincrement: bool,
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
    /// `CREATE TABLE` statement, sorted.
    pub checks: Vec<String>,
}

/// One column of a table, as `pragma_table_xinfo` describes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// Its declared `COLLATE`; `None` for the default, `BINARY`.
    pub collation: Option<String>,
    /// For a generated column, its normalised expression.
    pub generated: Option<String>,
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

/// The type affinity of a column, by SQLite's rules for its declared type
/// (section 3.1 of SQLite's datatype3.html).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Affinity {
    /// `INT` anywhere in the type.
    Integer,
    /// `CHAR`, `CLOB` or `TEXT`.
    Text,
    /// `BLOB`, or no type.
    Blob,
    /// `REAL`, `FLOA` or `DOUB`.
    Real,
    /// Anything else.
    Numeric,
}

impl Affinity {
    /// The affinity of a column declared with the type `declared`.
    pub fn of(declared: &str) -> Self {
        let declared = declared.to_ascii_uppercase();
        let has = |parts: &[&str]| parts.iter().any(|part| declared.contains(part));
        if has(&["INT"]) {
            Self::Integer
        } else if has(&["CHAR", "CLOB", "TEXT"]) {
            Self::Text
        } else if declared.is_empty() || has(&["BLOB"]) {
            Self::Blob
        } else if has(&["REAL", "FLOA", "DOUB"]) {
            Self::Real
        } else {
            Self::Numeric
        }
    }
}

/// A foreign key of a table.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IndexColumn {
    /// The column's name; for an expression, its normalised text as written
    /// in the `CREATE INDEX` statement.
    pub name: String,
    /// Sorted `DESC`.
    pub descending: bool,
    /// Its collation (`BINARY` unless another is named).
    pub collation: String,
}

impl Column {
    /// Whether it accepts NULL: neither `NOT NULL` nor part of the primary
    /// key. (SQLite lets a key column of a rowid table hold NULL, a
    /// long-standing quirk; the typed schema says what the key means.)
    pub fn nullable(&self) -> bool {
        !self.not_null && self.primary_key_position == 0
    }

    /// Whether it is (part of) the primary key.
    pub fn in_primary_key(&self) -> bool {
        self.primary_key_position > 0
    }

    /// Its type affinity.
    pub fn affinity(&self) -> Affinity {
        Affinity::of(&self.declared_type)
    }

    /// The words of its declared type: see [`type_words`].
    pub fn type_words(&self) -> Vec<String> {
        type_words(&self.declared_type)
    }
}

/// The words of a declared type before any size in parentheses, in upper
/// case: `["UNSIGNED", "BIG", "INT"]`, `["VARCHAR"]` for `varchar(255)`.
pub fn type_words(declared: &str) -> Vec<String> {
    crate::lex::code(declared)
        .iter()
        .take_while(|token| !token.is_punct("("))
        .filter_map(|token| match token.kind {
            crate::lex::Kind::Number => Some(token.text.to_string()),
            _ => token.name(),
        })
        .map(|word| word.to_ascii_uppercase())
        .collect()
}

impl Schema {
    /// Whether it has a table named `name`, without regard to ASCII case,
    /// as SQLite finds names.
    pub fn has_table(&self, name: &str) -> bool {
        self.tables
            .keys()
            .any(|table| table.eq_ignore_ascii_case(name))
    }
}

impl Table {
    /// The column named `name`, without regard to ASCII case.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|column| column.name.eq_ignore_ascii_case(name))
    }

    /// An ordinary table: not virtual, not a virtual table's shadow table.
    pub fn is_ordinary(&self) -> bool {
        self.virtual_sql.is_none() && !self.shadow
    }
}

/// Names, types and collations as SQLite reads them: without regard to ASCII case.
fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// SQL text by what it says, not how it is spaced or capitalised.
fn same_sql(a: &str, b: &str) -> bool {
    a == b || comparable_sql(a) == comparable_sql(b)
}

fn same_optional(a: &Option<String>, b: &Option<String>, same: fn(&str, &str) -> bool) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn same_lists<T>(a: &[T], b: &[T], same: impl Fn(&T, &T) -> bool) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
}

fn same_names(a: &[String], b: &[String]) -> bool {
    same_lists(a, b, |a, b| same_name(a, b))
}

impl PartialEq for Column {
    fn eq(&self, other: &Self) -> bool {
        same_name(&self.name, &other.name)
            && same_name(&self.declared_type, &other.declared_type)
            && self.not_null == other.not_null
            && same_optional(&self.default, &other.default, same_sql)
            && self.primary_key_position == other.primary_key_position
            && self.kind == other.kind
            && same_optional(&self.collation, &other.collation, same_name)
            && same_optional(&self.generated, &other.generated, same_sql)
    }
}

impl Eq for Column {}

impl PartialEq for ForeignKey {
    fn eq(&self, other: &Self) -> bool {
        same_names(&self.columns, &other.columns)
            && same_name(&self.parent_table, &other.parent_table)
            && same_lists(&self.parent_columns, &other.parent_columns, |a, b| {
                same_optional(a, b, same_name)
            })
            && same_name(&self.on_update, &other.on_update)
            && same_name(&self.on_delete, &other.on_delete)
    }
}

impl Eq for ForeignKey {}

impl PartialEq for IndexColumn {
    fn eq(&self, other: &Self) -> bool {
        same_sql(&self.name, &other.name)
            && self.descending == other.descending
            && same_name(&self.collation, &other.collation)
    }
}

impl Eq for IndexColumn {}

impl PartialEq for Index {
    fn eq(&self, other: &Self) -> bool {
        same_name(&self.table, &other.table)
            && self.columns == other.columns
            && self.unique == other.unique
            && same_optional(&self.partial, &other.partial, same_sql)
    }
}

impl Eq for Index {}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.columns == other.columns
            && same_names(&self.primary_key, &other.primary_key)
            && self.without_rowid == other.without_rowid
            && self.strict == other.strict
            && self.autoincrement == other.autoincrement
            && self.shadow == other.shadow
            && same_optional(&self.virtual_sql, &other.virtual_sql, same_sql)
            && self.foreign_keys == other.foreign_keys
            && same_lists(&self.unique, &other.unique, |a, b| same_names(a, b))
            && same_lists(&self.checks, &other.checks, |a, b| same_sql(a, b))
    }
}

impl Eq for Table {}

/// Equal when [`Schema::diff`] finds nothing.
impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.differences(other).is_empty()
    }
}

impl Eq for Schema {}

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

#[cfg(test)]
mod tests;
