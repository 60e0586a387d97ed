//! The schema as SQLite keeps it: the `CREATE` statements of
//! `sqlite_schema`. The compiler records those the chain leaves; the
//! runtime names how a database's differ from them, deciding what differs
//! by the [`Schema`] model.

use std::borrow::Cow;
use std::fmt;

use super::diff::Change;
use super::Schema;
use crate::lex::normalize_sql;

/// One `CREATE` statement of a schema, as SQLite keeps it in `sqlite_schema`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaObject {
    /// `table`, `index`, `trigger` or `view`.
    pub kind: Cow<'static, str>,
    /// Its name.
    pub name: Cow<'static, str>,
    /// The table it belongs to (its own name for a table or view).
    pub table: Cow<'static, str>,
    /// The statement, as `sqlite_schema` holds it.
    pub sql: Cow<'static, str>,
}

impl SchemaObject {
    /// An object embedded in a binary.
    pub const fn embedded(
        kind: &'static str,
        name: &'static str,
        table: &'static str,
        sql: &'static str,
    ) -> Self {
        Self {
            kind: Cow::Borrowed(kind),
            name: Cow::Borrowed(name),
            table: Cow::Borrowed(table),
            sql: Cow::Borrowed(sql),
        }
    }

    /// An object read at run time.
    pub fn new(kind: String, name: String, table: String, sql: String) -> Self {
        Self {
            kind: Cow::Owned(kind),
            name: Cow::Owned(name),
            table: Cow::Owned(table),
            sql: Cow::Owned(sql),
        }
    }
}

/// How a database's schema differs from the one expected of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// Expected and not there.
    Missing(SchemaObject),
    /// There and not expected.
    Unexpected(SchemaObject),
    /// There with other SQL.
    Changed {
        /// As expected.
        expected: SchemaObject,
        /// As found.
        found: SchemaObject,
    },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Missing(o) => write!(
                f,
                "{} `{}` is missing; expected:\n  {}",
                o.kind,
                o.name,
                normalize_sql(&o.sql)
            ),
            Drift::Unexpected(o) => write!(
                f,
                "{} `{}` is not made by any migration:\n  {}",
                o.kind,
                o.name,
                normalize_sql(&o.sql)
            ),
            Drift::Changed { expected, found } => write!(
                f,
                "{} `{}` differs\n  expected: {}\n  found:    {}",
                found.kind,
                found.name,
                normalize_sql(&expected.sql),
                normalize_sql(&found.sql)
            ),
        }
    }
}

/// The differences between an expected schema and a found one: the
/// objects of `expected` that `found` lacks, those it has but that differ
/// (by [`Schema::diff`] of the two schemas' models, not by their text), and
/// the objects of `found` that `expected` lacks. Objects are paired by name
/// without regard to case. Found objects `ignored` accepts by their name or
/// their table's are left out: tables other tools keep in the same file,
/// with their indexes and triggers.
pub fn schema_drift(
    expected: (&[SchemaObject], &Schema),
    found: (&[SchemaObject], &Schema),
    ignored: impl Fn(&str) -> bool,
) -> Vec<Drift> {
    let ((expected, expected_schema), (found, found_schema)) = (expected, found);
    let changed: Vec<(&str, String)> = expected_schema
        .differences(found_schema)
        .into_iter()
        .filter(|difference| matches!(difference.change, Change::Changed(_)))
        .map(|difference| (difference.kind, difference.name.to_ascii_lowercase()))
        .collect();
    let differs = |object: &SchemaObject| {
        changed.contains(&(&*object.kind, object.name.to_ascii_lowercase()))
    };
    let find = |objects: &[SchemaObject], name: &str| {
        objects
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
            .cloned()
    };
    let mut drift = Vec::new();
    for expected in expected {
        match find(found, &expected.name) {
            None => drift.push(Drift::Missing(expected.clone())),
            Some(found) => {
                if found.kind != expected.kind || differs(expected) {
                    drift.push(Drift::Changed {
                        expected: expected.clone(),
                        found,
                    });
                }
            }
        }
    }
    for found in found {
        let theirs = ignored(&found.name) || ignored(&found.table);
        if !theirs && find(expected, &found.name).is_none() {
            drift.push(Drift::Unexpected(found.clone()));
        }
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: &'static str, name: &'static str, sql: &'static str) -> SchemaObject {
        let table = sql.split_once(" ON ").map_or(name, |(_, rest)| {
            rest.split_whitespace().next().unwrap_or(name)
        });
        SchemaObject::embedded(kind, name, table, sql)
    }

    fn drift_of(
        expected: &[SchemaObject],
        found: &[SchemaObject],
        ignored: impl Fn(&str) -> bool,
    ) -> Vec<Drift> {
        let model = |objects| Schema::of_objects(objects).unwrap();
        schema_drift(
            (expected, &model(expected)),
            (found, &model(found)),
            ignored,
        )
    }

    #[test]
    fn drift_names_what_is_missing_unexpected_or_changed() {
        let expected = [
            object(
                "table",
                "users",
                "CREATE TABLE users (id INTEGER PRIMARY KEY)",
            ),
            object("index", "users_id", "CREATE INDEX users_id ON users (id)"),
        ];
        let found = [
            object(
                "table",
                "Users",
                "CREATE TABLE users (\n  id INTEGER PRIMARY KEY -- key\n)",
            ),
            object(
                "table",
                "_litestream_seq",
                "CREATE TABLE _litestream_seq (id, seq)",
            ),
            object("table", "notes", "CREATE TABLE notes (x)"),
            object(
                "index",
                "seq_at",
                "CREATE INDEX seq_at ON _litestream_seq (seq)",
            ),
        ];
        let drift = drift_of(&expected, &found, |name| name.starts_with("_litestream"));
        let lines: Vec<String> = drift.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "index `users_id` is missing; expected:\n  CREATE INDEX users_id ON users (id)",
                "table `notes` is not made by any migration:\n  CREATE TABLE notes (x)",
            ]
        );
        // Made by hand: other spacing and case are the same statement.
        let by_hand = [object(
            "table",
            "USERS",
            "create table users(id integer primary key)",
        )];
        assert_eq!(drift_of(&expected[..1], &by_hand, |_| false), []);
        let quoted = [object(
            "table",
            "users",
            "CREATE TABLE users (id TEXT DEFAULT 'a')",
        )];
        let other = [object(
            "table",
            "users",
            "CREATE TABLE users (id TEXT DEFAULT 'A')",
        )];
        assert_eq!(drift_of(&quoted, &other, |_| false).len(), 1);
        let changed = [object(
            "table",
            "users",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, x)",
        )];
        let drift = drift_of(&expected[..1], &changed, |_| false);
        assert_eq!(
            drift[0].to_string(),
            "table `users` differs\n  expected: CREATE TABLE users (id INTEGER PRIMARY KEY)\n  found:    CREATE TABLE users (id INTEGER PRIMARY KEY, x)"
        );
    }
}
