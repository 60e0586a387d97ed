//! Renames, which are never guessed: a hint in the desired-schema file, a
//! `--rename old=new` on the command line, or an answer at the terminal.
//!
//! The hint is the comment `-- migrate: renamed from <old name>`:
//!
//! - on a table, in the comments just above its `CREATE TABLE` or on the
//!   line of its name and opening parenthesis;
//! - on a column, at the end of the line its definition ends on, or on a
//!   line of its own just above it.

use migrate_sqlite::lex::{line_col, tokens, Kind, Token};
use migrate_sqlite::DIRECTIVE_PREFIX;

use crate::diagnostic::Diagnostic;

/// What the hint says after `-- migrate:`.
const HINT: &str = "renamed from";

/// The renames a generated migration makes, by the names the desired schema
/// gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renames {
    /// Tables: (old name, new name).
    pub tables: Vec<(String, String)>,
    /// Columns: (table, by its new name; old column name; new column name).
    pub columns: Vec<(String, String, String)>,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Renames {
    /// No renames.
    pub fn none() -> Self {
        Self::default()
    }

    /// The old name of the table the desired schema calls `new`, if renamed.
    pub fn table_from(&self, new: &str) -> Option<&str> {
        self.tables
            .iter()
            .find(|(_, to)| same(to, new))
            .map(|(from, _)| from.as_str())
    }

    /// The new name of the table `old`, if renamed.
    pub fn table_to(&self, old: &str) -> Option<&str> {
        self.tables
            .iter()
            .find(|(from, _)| same(from, old))
            .map(|(_, to)| to.as_str())
    }

    /// The old name of column `new` of `table` (its new name), if renamed.
    pub fn column_from(&self, table: &str, new: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(t, _, to)| same(t, table) && same(to, new))
            .map(|(_, from, _)| from.as_str())
    }

    /// The new name of column `old` of `table` (its new name), if renamed.
    pub fn column_to(&self, table: &str, old: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(t, from, _)| same(t, table) && same(from, old))
            .map(|(_, _, to)| to.as_str())
    }

    /// Adds the rename `--rename` gives: `old=new` for a table,
    /// `table.old=new` for a column (its table by either name).
    pub fn add_argument(&mut self, argument: &str) -> Result<(), String> {
        let usage = || {
            format!(
                "`--rename {argument}`: write `old_table=new_table`, or `table.old_column=new_column`"
            )
        };
        let (old, new) = argument.split_once('=').ok_or_else(usage)?;
        let (old, new) = (old.trim(), new.trim());
        match old.split_once('.') {
            None if !old.is_empty() && !new.is_empty() && !new.contains('.') => {
                self.tables.push((old.to_string(), new.to_string()));
            }
            Some((table, column)) if !table.is_empty() && !column.is_empty() => {
                let new = new.rsplit('.').next().unwrap_or(new);
                if new.is_empty() {
                    return Err(usage());
                }
                let table = self.table_to(table).unwrap_or(table).to_string();
                self.columns
                    .push((table, column.to_string(), new.to_string()));
            }
            _ => return Err(usage()),
        }
        Ok(())
    }

    /// The renames that undo these.
    pub fn reversed(&self) -> Renames {
        Renames {
            tables: self
                .tables
                .iter()
                .map(|(from, to)| (to.clone(), from.clone()))
                .collect(),
            columns: self
                .columns
                .iter()
                .map(|(table, from, to)| {
                    let old_table = self.table_from(table).unwrap_or(table);
                    (old_table.to_string(), to.clone(), from.clone())
                })
                .collect(),
        }
    }

    /// Nothing renamed.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }
}

/// The old name a comment token hints at, if it is a rename hint (`--` or
/// `/* */`, in any case); an error when it is a `migrate:` comment that
/// misspells one (`rename from`, `renamed mail`).
fn hint(token: &Token) -> Option<Result<String, ()>> {
    let body = match token.text.strip_prefix("/*") {
        Some(block) => block.strip_suffix("*/").unwrap_or(block),
        None => token.text.strip_prefix("--")?,
    };
    let body = body.trim();
    let prefix = body.get(..DIRECTIVE_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(DIRECTIVE_PREFIX) {
        return None;
    }
    let rest = body[DIRECTIVE_PREFIX.len()..].trim();
    let words: Vec<&str> = rest.split_whitespace().collect();
    let said = words.iter().take(2).map(|w| w.to_ascii_lowercase());
    if !said.clone().eq(HINT.split(' ').map(String::from)) {
        // A directive of migrations is no concern of the desired schema;
        // a rename misspelt is.
        let misspelt = words
            .first()
            .is_some_and(|w| w.to_ascii_lowercase().starts_with("rename"));
        return misspelt.then_some(Err(()));
    }
    let old = words[2..].join(" ");
    let old = old.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
    Some(Ok(old.to_string()))
}

/// Whether the comment token `token` is a rename hint.
pub(super) fn is_hint(token: &Token) -> bool {
    matches!(hint(token), Some(Ok(_)))
}

/// Where the walk through a `CREATE TABLE` is.
enum Place {
    /// Outside any `CREATE TABLE`, or before its parenthesis.
    Outside,
    /// Inside the parentheses of the table named.
    Columns(String),
}

/// The renames the hints of the desired-schema file `file`, text `sql`,
/// declare; an error at a hint that names nothing.
pub fn read_hints(file: &str, sql: &str) -> Result<Renames, Diagnostic> {
    let all = tokens(sql);
    let mut renames = Renames::none();
    let mut place = Place::Outside;
    // A hint waiting for what follows it: (old name, offset).
    let mut waiting: Option<(String, usize)> = None;
    // The last code token's line, and the column its definition defines.
    let mut last_line = 0;
    let mut last_column: Option<String> = None;
    let mut at_definition_start = false;
    let line = |offset: usize| line_col(sql, offset).0;
    let unattached = |offset: usize, what: &str| {
        Diagnostic::at(file, sql, offset, format!("this rename hint {what}"))
            .help("put `-- migrate: renamed from <old name>` above a table's CREATE TABLE, or at the end of a column's line")
    };
    for (k, token) in all.iter().enumerate() {
        if token.kind == Kind::Comment {
            let Some(old) = hint(token) else { continue };
            let Ok(old) = old else {
                return Err(Diagnostic::at(
                    file,
                    sql,
                    token.start,
                    "this is no rename hint, though it looks like one",
                )
                .help("write `-- migrate: renamed from <old name>`"));
            };
            if old.is_empty() {
                return Err(unattached(token.start, "names no old name"));
            }
            match (&place, &last_column) {
                (Place::Columns(table), Some(column)) if line(token.start) == last_line => {
                    renames.columns.push((table.clone(), old, column.clone()));
                }
                (Place::Columns(table), None) if line(token.start) == last_line => {
                    renames.tables.push((old, table.clone()));
                }
                _ => waiting = Some((old, token.start)),
            }
            continue;
        }
        if token.is_trivia() {
            continue;
        }
        match &place {
            Place::Outside => {
                if token.is_punct(";") {
                    if let Some((_, offset)) = waiting.take() {
                        return Err(unattached(offset, "is on no table or column"));
                    }
                }
                if token.is_punct("(") && token.depth == 0 {
                    if let Some(table) = created_table_before(&all[..k]) {
                        if let Some((old, _)) = waiting.take() {
                            renames.tables.push((old, table.clone()));
                        }
                        place = Place::Columns(table);
                        at_definition_start = true;
                        last_column = None;
                    }
                }
            }
            Place::Columns(table) => {
                if token.depth == 0 && token.is_punct(")") {
                    if let Some((_, offset)) = waiting.take() {
                        return Err(unattached(offset, "is on no column"));
                    }
                    place = Place::Outside;
                } else if token.depth == 1 && token.is_punct(",") {
                    at_definition_start = true;
                } else if at_definition_start {
                    at_definition_start = false;
                    let part = std::slice::from_ref(token);
                    last_column = super::sql::column_name_of(part);
                    if let Some((old, offset)) = waiting.take() {
                        let Some(column) = &last_column else {
                            return Err(unattached(
                                offset,
                                "is on a table constraint, not a column",
                            ));
                        };
                        renames.columns.push((table.clone(), old, column.clone()));
                    }
                }
            }
        }
        last_line = line(token.end().saturating_sub(1).max(token.start));
    }
    match waiting {
        Some((_, offset)) => Err(unattached(offset, "is on no table or column")),
        None => Ok(renames),
    }
}

/// The table a `CREATE TABLE` statement ending in `before` (up to its
/// first parenthesis) makes.
fn created_table_before(before: &[Token]) -> Option<String> {
    let start = before
        .iter()
        .rposition(|t| t.is_punct(";"))
        .map_or(0, |k| k + 1);
    let code: Vec<Token> = before[start..]
        .iter()
        .filter(|t| !t.is_trivia())
        .cloned()
        .collect();
    let mut at = migrate_sqlite::lex::skip_words(&code, 0, &["CREATE"]);
    if at == 0 {
        return None;
    }
    for word in ["TEMP", "TEMPORARY"] {
        at = migrate_sqlite::lex::skip_words(&code, at, &[word]);
    }
    let after = migrate_sqlite::lex::skip_words(&code, at, &["TABLE"]);
    if after == at {
        return None;
    }
    let at = migrate_sqlite::lex::skip_words(&code, after, &["IF", "NOT", "EXISTS"]);
    let (name, end) = migrate_sqlite::lex::qualified_name(&code, at)?;
    (end == code.len()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_tables_and_columns_where_people_write_them() {
        let sql = "-- the people\n-- migrate: renamed from users\nCREATE TABLE people (\n  id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL, -- migrate: renamed from full_name\n  -- migrate: renamed from \"e-mail\"\n  email TEXT,\n  nick TEXT -- migrate: renamed from handle\n);\nCREATE TABLE tags ( -- migrate: renamed from labels\n  label TEXT\n);\nCREATE INDEX tags_label ON tags (label);\n";
        let renames = read_hints("schema.sql", sql).unwrap();
        assert_eq!(
            renames.tables,
            [
                ("users".to_string(), "people".to_string()),
                ("labels".to_string(), "tags".to_string())
            ]
        );
        let columns: Vec<(&str, &str, &str)> = renames
            .columns
            .iter()
            .map(|(t, a, b)| (t.as_str(), a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            columns,
            [
                ("people", "full_name", "name"),
                ("people", "e-mail", "email"),
                ("people", "handle", "nick")
            ]
        );
        assert_eq!(renames.column_from("PEOPLE", "Name"), Some("full_name"));
        assert_eq!(renames.table_to("users"), Some("people"));
        let reversed = renames.reversed();
        assert_eq!(reversed.column_from("users", "full_name"), Some("name"));
    }

    #[test]
    fn a_hint_on_nothing_is_an_error_at_its_place() {
        let error = read_hints(
            "schema.sql",
            "CREATE TABLE t (\n  a TEXT,\n  -- migrate: renamed from b\n  PRIMARY KEY (a)\n);",
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("schema.sql:3:3: this rename hint is on a table constraint"),
            "{error}"
        );
        let error = read_hints(
            "schema.sql",
            "CREATE VIEW v AS SELECT 1; -- migrate: renamed from w\n",
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("is on no table or column"),
            "{error}"
        );
    }

    #[test]
    fn hints_are_read_in_any_case_and_comment_and_misspelt_ones_are_told() {
        let read = read_hints(
            "schema.sql",
            "/* MIGRATE:  Renamed From people */\nCREATE TABLE users (\n  name TEXT --Migrate: renamed from \"full name\"\n);",
        )
        .unwrap();
        assert_eq!(read.tables, [("people".to_string(), "users".to_string())]);
        assert_eq!(
            read.columns,
            [(
                "users".to_string(),
                "full name".to_string(),
                "name".to_string()
            )]
        );
        for misspelt in ["-- migrate: rename from mail", "-- migrate: renamed mail"] {
            let sql = format!("CREATE TABLE users (\n  email TEXT {misspelt}\n);");
            let error = read_hints("schema.sql", &sql).unwrap_err().to_string();
            assert!(
                error.starts_with(
                    "schema.sql:2:14: this is no rename hint, though it looks like one"
                ),
                "{error}"
            );
            assert!(
                error.contains("`-- migrate: renamed from <old name>`"),
                "{error}"
            );
        }
        // Directives of migrations are no concern of the desired schema.
        let read = read_hints(
            "schema.sql",
            "-- migrate: allow destructive\nCREATE TABLE t (x);",
        );
        assert!(read.unwrap().is_empty());
    }

    #[test]
    fn the_command_line_names_tables_and_columns() {
        let mut renames = Renames::none();
        renames.add_argument("users=people").unwrap();
        renames.add_argument("users.full_name=name").unwrap();
        renames.add_argument("people.handle=people.nick").unwrap();
        assert_eq!(renames.column_from("people", "name"), Some("full_name"));
        assert_eq!(renames.column_from("people", "nick"), Some("handle"));
        for wrong in ["users", "=x", "a.=b", "a=b.c.d="] {
            assert!(renames.add_argument(wrong).is_err(), "{wrong}");
        }
    }
}
