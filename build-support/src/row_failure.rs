//! Judging a migration that failed only on the seeded database: which
//! table's rows it failed on, whether the generated rows rather than the
//! migration are to blame, and what to do.

use migrate_sqlite::lex::{self, quoted_name as quoted, Kind};
use migrate_sqlite::{FailedAt, Failure, Lint};

use crate::diagnostic::Diagnostic;
use crate::folder::Source;
use crate::lint::Finding;

/// A failure on rows, and what to do about it.
pub(crate) type RowFailure = (Box<Diagnostic>, Option<&'static str>);

/// How a migration's failure on the seeded rows bears on real databases.
pub(crate) enum OnRows {
    /// It fails on every database whose table has rows: an error.
    Every(RowFailure),
    /// It fails only for some values: the `data-dependent` warning, naming
    /// them and the query that finds them.
    Some(Finding),
}

/// [`failure_on_rows`], judged by certainty.
pub(crate) fn judge(source: &Source, failure: Failure) -> Option<OnRows> {
    let sql = source.migration.up().sql();
    let message = failure.message();
    let statement = match &failure.at {
        FailedAt::Statement { range, .. } => sql[range.clone()].to_string(),
        _ => String::new(),
    };
    let shape = Shape::of(&statement);
    let every = message.contains("Cannot add a NOT NULL column with default value NULL")
        || message.contains("Cannot add a column with non-constant default")
        || (message.starts_with("CHECK constraint failed")
            && matches!(shape, Shape::AlterTable(_)));
    let (diagnostic, help) = failure_on_rows(source, failure)?;
    if every {
        return Some(OnRows::Every((diagnostic, help)));
    }
    let (what, fix) = some_values(&message, &shape, &statement).unwrap_or_else(|| {
        (
            diagnostic.message.clone(),
            help.unwrap_or("check the data first").to_string(),
        )
    });
    let name = Lint::DataDependent.name();
    let mut diagnostic = *diagnostic;
    diagnostic.message = format!("{what} [{name}]");
    diagnostic.notes.retain(|note| !note.starts_with("help:"));
    Some(OnRows::Some(Finding {
        lint: Lint::DataDependent,
        severity: crate::lint::severity(Lint::DataDependent),
        diagnostic: diagnostic.help(format!(
            "{fix}; or, if the data is known to pass, add `-- migrate: allow {name}` at the top of the file"
        )),
    }))
}

/// What fails for which values, and how to find them, for the failures that
/// name a column: a NULL copied into NOT NULL, a value repeated under a new
/// UNIQUE index.
fn some_values(message: &str, shape: &Shape, statement: &str) -> Option<(String, String)> {
    if let Some(columns) = message.strip_prefix("NOT NULL constraint failed: ") {
        let (table, column) = columns.split_once('.')?;
        let Shape::InsertSelect { source } = shape else {
            return None;
        };
        let expression = copied_expression(statement, column).unwrap_or_else(|| quoted(column));
        return Some((
            format!(
                "fails on a database where `{source}` has a row whose {expression} is NULL: \
                 it is copied into `{table}`.`{column}`, which is NOT NULL"
            ),
            format!(
                "find such rows with `SELECT * FROM {} WHERE {expression} IS NULL;` and replace \
                 the NULLs in the SELECT (`coalesce({expression}, …)`) or UPDATE them first",
                quoted(source)
            ),
        ));
    }
    message.strip_prefix("UNIQUE constraint failed: ")?;
    let Shape::CreateIndex {
        unique: true,
        table,
    } = shape
    else {
        return None;
    };
    let (keys, partial) = index_keys(statement)?;
    let filter = partial.map_or(String::new(), |condition| format!(" WHERE {condition}"));
    Some((
        format!(
            "fails on a database where two rows of `{table}` have the same {keys}: \
             the UNIQUE index refuses a repeated value"
        ),
        format!(
            "find them with `SELECT {keys}, count(*) FROM {}{filter} GROUP BY {keys} HAVING count(*) > 1;` \
             and deduplicate them first (in this migration), or make the index non-unique",
            quoted(table)
        ),
    ))
}

/// The keys of `CREATE UNIQUE INDEX … ON t (<keys>) [WHERE <condition>]`,
/// as written, without their `ASC`, `DESC` and `COLLATE`.
fn index_keys(statement: &str) -> Option<(String, Option<String>)> {
    let tokens = lex::code(statement);
    let open = tokens.iter().position(|t| t.is_punct("("))?;
    let close = lex::closing_paren(&tokens, open)?;
    let mut keys = Vec::new();
    let mut start = open + 1;
    for index in open + 1..=close {
        let token = &tokens[index];
        if index == close || (token.depth == 1 && token.is_punct(",")) {
            let mut end = index;
            while end > start && ["ASC", "DESC"].iter().any(|w| tokens[end - 1].is(w)) {
                end -= 1;
            }
            if let Some(collate) =
                (start..end).find(|&k| tokens[k].depth == 1 && tokens[k].is("COLLATE"))
            {
                end = collate;
            }
            if end > start {
                keys.push(statement[tokens[start].start..tokens[end - 1].end()].to_string());
            }
            start = index + 1;
        }
    }
    let partial = tokens[close + 1..]
        .iter()
        .position(|t| t.is("WHERE"))
        .map(|at| {
            statement[tokens[close + 1 + at].end()..]
                .trim()
                .trim_end_matches(';')
                .trim()
                .to_string()
        });
    Some((keys.join(", "), partial))
}

/// In `INSERT INTO t (a, b) SELECT x, y FROM …`, the expression the SELECT
/// gives `column`: `y` for `b`.
fn copied_expression(statement: &str, column: &str) -> Option<String> {
    let tokens: Vec<_> = lex::code(statement);
    let open = tokens.iter().position(|t| t.is_punct("("))?;
    let select = tokens.iter().position(|t| t.depth == 0 && t.is("SELECT"))?;
    if select < open {
        return None;
    }
    let columns: Vec<String> = tokens[open + 1..select]
        .iter()
        .filter(|t| t.depth == 1 && !t.is_punct(","))
        .take_while(|t| !t.is_punct(")"))
        .filter_map(|t| t.name())
        .collect();
    let index = columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case(column))?;
    let from = tokens[select..]
        .iter()
        .position(|t| t.depth == 0 && t.is("FROM"))
        .map(|offset| select + offset)?;
    // The SELECT's expressions, cut at its top-level commas; `x AS y` names
    // the copy, and the expression is `x` (an `AS` inside `CAST(x AS TEXT)`
    // is deeper).
    let mut expressions = Vec::new();
    let mut start = tokens.get(select + 1)?.start;
    let mut alias: Option<usize> = None;
    for token in &tokens[select + 1..=from] {
        let end = token.depth == 0 && (token.is_punct(",") || token.is("FROM"));
        if end {
            let text = &statement[start..alias.unwrap_or(token.start)];
            expressions.push(text.trim().to_string());
            start = token.end();
            alias = None;
        } else if token.depth == 0 && token.is("AS") {
            alias = Some(token.start);
        }
    }
    if expressions.len() != columns.len() {
        return None;
    }
    let expression = expressions.swap_remove(index);
    (!expression.ends_with('*')).then_some(expression)
}

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
    fn the_keys_of_a_unique_index_are_read_as_written() {
        assert_eq!(
            index_keys("CREATE UNIQUE INDEX i ON t (lower(email) COLLATE NOCASE, \"org id\" DESC) WHERE deleted = 0;"),
            Some(("lower(email), \"org id\"".into(), Some("deleted = 0".into())))
        );
        assert_eq!(
            index_keys("CREATE UNIQUE INDEX i ON t (a)"),
            Some(("a".into(), None))
        );
    }

    #[test]
    fn the_copied_expression_is_the_one_the_select_gives_the_column() {
        let sql = "INSERT INTO new_notes (id, title, body)\n  SELECT id, coalesce(t, 'x') AS title, lower(body, 1) FROM notes";
        assert_eq!(
            copied_expression(sql, "title").as_deref(),
            Some("coalesce(t, 'x')")
        );
        assert_eq!(
            copied_expression(sql, "body").as_deref(),
            Some("lower(body, 1)")
        );
        let cast = "INSERT INTO n (a, b) SELECT CAST(a AS TEXT), CAST(b AS INTEGER) AS b FROM o";
        assert_eq!(
            copied_expression(cast, "a").as_deref(),
            Some("CAST(a AS TEXT)")
        );
        assert_eq!(
            copied_expression(cast, "b").as_deref(),
            Some("CAST(b AS INTEGER)")
        );
        assert_eq!(
            copied_expression("INSERT INTO n SELECT * FROM o", "x"),
            None
        );
        assert_eq!(
            copied_expression("INSERT INTO n (a) SELECT * FROM o", "a"),
            None
        );
        assert_eq!(quoted("user name"), "\"user name\"");
        assert_eq!(quoted("email"), "email");
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
