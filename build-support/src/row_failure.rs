//! Judging a migration that failed only on the seeded database: which
//! table's rows it failed on, whether the generated rows rather than the
//! migration are to blame, and what to do.

use migrate_sqlite::lex::{self, Kind};
use migrate_sqlite::{FailedAt, Failure};

use crate::diagnostic::Diagnostic;
use crate::folder::Source;

/// A failure on rows, and what to do about it.
pub(crate) type RowFailure = (Box<Diagnostic>, Option<&'static str>);

/// The seeded run's failure of a migration that passed on the empty database,
/// as a diagnostic; `None` when the generated rows, not the migration, are
/// the likely cause: a UNIQUE clash outside `CREATE UNIQUE INDEX` (the
/// migration inserting a key the seeder chose too, or copying rows into a
/// table whose new UNIQUE constraint the application's data is known to meet)
/// or a failure around the migration rather than in it.
pub(crate) fn failure_on_rows(source: &Source, failure: Failure) -> Option<RowFailure> {
    let sql = source.migration.up().sql();
    let path = &source.up_file.display;
    let unique = matches!(
        failure.code(),
        Some(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    );
    let message = failure.message();
    let foreign_key =
        message.contains("FOREIGN KEY") || matches!(failure.at, FailedAt::ForeignKeyCheck(_));
    let statement = match &failure.at {
        FailedAt::Control => return None,
        FailedAt::Commit | FailedAt::ForeignKeyCheck(_) => "",
        FailedAt::Statement { range, .. } => &sql[range.clone()],
    };
    let shape = Shape::of(statement);
    if unique && !matches!(shape, Shape::CreateIndex { unique: true, .. }) {
        return None;
    }
    let what = match shape.table() {
        Some(table) if !foreign_key => format!("fails when `{table}` has rows"),
        _ => "fails when the tables have rows".to_string(),
    };
    let mut diagnostic = Diagnostic::of_failure(path, sql, &failure);
    diagnostic.message = format!("{what}: {}", diagnostic.message);
    Some((
        Box::new(diagnostic),
        help(&message, &shape, unique, foreign_key),
    ))
}

/// What to do, for the common ways a migration fails on rows.
fn help(message: &str, shape: &Shape, unique: bool, foreign_key: bool) -> Option<&'static str> {
    Some(
        if message.contains("Cannot add a NOT NULL column with default value NULL") {
            "give the column a DEFAULT, or add it nullable and fill it in"
        } else if message.contains("Cannot add a column with non-constant default") {
            "ALTER TABLE ADD COLUMN needs a constant default: add the column, then UPDATE it"
        } else if unique {
            "existing rows repeat values: deduplicate them first (in this migration) or make the index non-unique"
        } else if message.starts_with("CHECK constraint failed")
            && matches!(shape, Shape::AlterTable(_))
        {
            "existing rows get the new column's DEFAULT (NULL without one), which must pass the CHECK: \
         change the DEFAULT, or add the column without the CHECK and rebuild the table once the rows are filled in"
        } else if message.starts_with("NOT NULL constraint failed")
            && matches!(shape, Shape::InsertSelect { .. })
        {
            "the copied rows hold NULLs: replace them in the SELECT (`coalesce(column, ...)`) or UPDATE them first"
        } else if foreign_key {
            "rows of other tables refer to the rows changed: delete or update them first; \
         for a 12-step table rebuild, put `-- migrate: foreign-keys-off` at the top of the file"
        } else {
            return None;
        },
    )
}

/// The kind of statement and the table whose rows it reads or changes, from
/// its leading keywords.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    AlterTable(String),
    CreateIndex {
        unique: bool,
        table: String,
    },
    /// `INSERT … SELECT … FROM source`.
    InsertSelect {
        source: String,
    },
    /// `INSERT … VALUES`, `UPDATE`, `DELETE`, `DROP TABLE`: the table named.
    Changes(String),
    Other,
}

impl Shape {
    fn of(statement: &str) -> Self {
        let tokens = tokens(statement);
        let word = |i: usize| tokens.get(i).map(|t| t.to_ascii_uppercase());
        let is = |i: usize, kw: &str| word(i).as_deref() == Some(kw);
        // A name, possibly `schema.name`, at `i`: the name and the next index.
        let name = |i: usize| -> Option<(String, usize)> {
            let first = tokens.get(i)?;
            if tokens.get(i + 1).map(String::as_str) == Some(".") {
                Some((tokens.get(i + 2)?.clone(), i + 3))
            } else {
                Some((first.clone(), i + 1))
            }
        };
        let skip_if_exists = |mut i: usize| {
            if is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS") {
                i += 3;
            } else if is(i, "IF") && is(i + 1, "EXISTS") {
                i += 2;
            }
            i
        };
        let shape = match word(0).as_deref() {
            Some("ALTER") if is(1, "TABLE") => name(2).map(|(t, _)| Self::AlterTable(t)),
            Some("CREATE") => {
                let unique = is(1, "UNIQUE");
                let at = 1 + usize::from(unique);
                if is(at, "INDEX") {
                    name(skip_if_exists(at + 1))
                        .filter(|&(_, next)| is(next, "ON"))
                        .and_then(|(_, next)| name(next + 1))
                        .map(|(table, _)| Self::CreateIndex { unique, table })
                } else {
                    None
                }
            }
            Some("INSERT" | "REPLACE") => {
                let into = (1..tokens.len()).find(|&i| is(i, "INTO"));
                let target = into.and_then(|i| name(i + 1)).map(|(t, _)| t);
                // The first FROM outside parentheses, after a SELECT.
                let mut depth = 0usize;
                let mut select = false;
                let mut source = None;
                for (i, token) in tokens.iter().enumerate() {
                    match token.as_str() {
                        "(" => depth += 1,
                        ")" => depth = depth.saturating_sub(1),
                        _ if depth == 0 && is(i, "SELECT") => select = true,
                        _ if depth == 0 && select && is(i, "FROM") => {
                            source = name(i + 1).map(|(t, _)| t);
                            break;
                        }
                        _ => {}
                    }
                }
                match source {
                    Some(source) => Some(Self::InsertSelect { source }),
                    None => target.map(Self::Changes),
                }
            }
            Some("UPDATE") => {
                let at = if is(1, "OR") { 3 } else { 1 };
                name(at).map(|(t, _)| Self::Changes(t))
            }
            Some("DELETE") if is(1, "FROM") => name(2).map(|(t, _)| Self::Changes(t)),
            Some("DROP") if is(1, "TABLE") => {
                name(skip_if_exists(2)).map(|(t, _)| Self::Changes(t))
            }
            _ => None,
        };
        shape.unwrap_or(Self::Other)
    }

    fn table(&self) -> Option<&str> {
        match self {
            Self::AlterTable(table)
            | Self::CreateIndex { table, .. }
            | Self::InsertSelect { source: table }
            | Self::Changes(table) => Some(table),
            Self::Other => None,
        }
    }
}

/// Words, names (without their quotes) and punctuation of `sql`; string
/// literals and comments are left out.
fn tokens(sql: &str) -> Vec<String> {
    lex::code(sql)
        .into_iter()
        .filter(|token| token.kind != Kind::String)
        .map(|token| token.name().unwrap_or_else(|| token.text.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_name_the_table_with_rows() {
        let table = |sql: &str| Shape::of(sql).table().map(str::to_string);
        assert_eq!(
            table("ALTER TABLE main.\"user s\" ADD COLUMN x"),
            Some("user s".into())
        );
        assert_eq!(
            Shape::of("CREATE UNIQUE INDEX IF NOT EXISTS i ON [t] (x)"),
            Shape::CreateIndex {
                unique: true,
                table: "t".into()
            }
        );
        assert_eq!(
            Shape::of(
                "INSERT INTO n (a, b) SELECT (SELECT 1 FROM z), 'from x' FROM -- c\n old WHERE 1"
            ),
            Shape::InsertSelect {
                source: "old".into()
            }
        );
        assert_eq!(
            table("INSERT OR IGNORE INTO t VALUES (1)"),
            Some("t".into())
        );
        assert_eq!(table("UPDATE OR REPLACE `t` SET x = 1"), Some("t".into()));
        assert_eq!(table("update t set x = 1"), Some("t".into()));
        assert_eq!(table("DELETE FROM t"), Some("t".into()));
        assert_eq!(table("DROP TABLE IF EXISTS t"), Some("t".into()));
        assert_eq!(
            table("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"),
            None
        );
        assert_eq!(table("VACUUM"), None);
        assert_eq!(
            Shape::of("CREATE INDEX main.i ON t (x)"),
            Shape::CreateIndex {
                unique: false,
                table: "t".into()
            }
        );
        // Dropping an index, a view or a trigger changes no table's rows.
        assert_eq!(Shape::of("DROP INDEX i"), Shape::Other);
        assert_eq!(
            Shape::of("CREATE UNIQUE INDEX IF NOT EXISTS i ON main.t (x)"),
            Shape::CreateIndex {
                unique: true,
                table: "t".into()
            }
        );
    }

    #[test]
    fn each_help_is_for_its_own_failure() {
        let alter = Shape::AlterTable("t".into());
        let copy = Shape::InsertSelect {
            source: "old".into(),
        };
        let update = Shape::Changes("t".into());
        let foreign_key = "FOREIGN KEY constraint failed";
        for shape in [&alter, &copy, &update] {
            let help = help(foreign_key, shape, false, true).unwrap();
            assert!(help.contains("foreign-keys-off"), "{shape:?}: {help}");
        }
        assert!(help("CHECK constraint failed: x > 0", &alter, false, false)
            .unwrap()
            .contains("DEFAULT"));
        assert_eq!(
            help("CHECK constraint failed: x > 0", &update, false, false),
            None
        );
        assert!(help("NOT NULL constraint failed: n.x", &copy, false, false)
            .unwrap()
            .contains("coalesce"));
        assert_eq!(
            help("NOT NULL constraint failed: t.x", &update, false, false),
            None
        );
    }
}
