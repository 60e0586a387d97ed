//! A migration's up script as the compile-time checks read it: cut into
//! statements and tokens once, and what its statements do to tables (a
//! table created, dropped, altered or renamed, a column renamed).

use std::ops::Range;

use migrate_sqlite::lex::{self, qualified_name, skip_words, Token};
use migrate_sqlite::{Directives, Script};

use crate::folder::Source;

/// A migration's up script, cut into statements and tokens once, for the
/// lints, the seeder and the followed rows of `sqlite_schema`.
pub(crate) struct File<'a> {
    /// The file, as messages name it.
    pub(crate) path: &'a str,
    /// Its text.
    pub(crate) sql: &'a str,
    /// Its directives.
    pub(crate) directives: Directives,
    /// Its statements, in order.
    pub(crate) statements: Vec<Statement<'a>>,
}

/// One statement of a [`File`].
pub(crate) struct Statement<'a> {
    /// Where it is in the file.
    pub(crate) range: Range<usize>,
    /// Its tokens, blank space and comments left out, with offsets into the
    /// whole file.
    pub(crate) tokens: Vec<Token<'a>>,
}

impl<'a> File<'a> {
    /// A migration's up script.
    pub(crate) fn new(source: &'a Source) -> Self {
        Self::of(&source.up_file.display, source.migration.up())
    }

    /// Any script, shown as `path`.
    pub(crate) fn of(path: &'a str, script: &'a Script) -> Self {
        let sql = script.sql();
        let statements = lex::statements(sql)
            .into_iter()
            .map(|statement| {
                let offset = statement.range.start;
                let tokens = lex::code(&sql[statement.range.clone()])
                    .into_iter()
                    .map(|token| Token {
                        start: token.start + offset,
                        ..token
                    })
                    .collect();
                Statement {
                    range: statement.range,
                    tokens,
                }
            })
            .collect();
        File {
            path,
            sql,
            directives: script.directives(),
            statements,
        }
    }

    /// The tokens of each statement.
    pub(crate) fn statement_tokens(&self) -> impl Iterator<Item = &[Token<'a>]> {
        self.statements
            .iter()
            .map(|statement| statement.tokens.as_slice())
    }

    /// The offset of `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name` in this file.
    pub(crate) fn index_statement(&self, name: &str) -> Option<(usize, usize)> {
        self.statements
            .iter()
            .enumerate()
            .find_map(|(position, statement)| {
                let t = &statement.tokens;
                if !t.first()?.is("CREATE") {
                    return None;
                }
                let at = skip_words(t, 1, &["UNIQUE"]);
                if !t.get(at)?.is("INDEX") {
                    return None;
                }
                let at = skip_words(t, at + 1, &["IF", "NOT", "EXISTS"]);
                let (found, _) = qualified_name(t, at)?;
                found
                    .eq_ignore_ascii_case(name)
                    .then_some((position, statement.range.start))
            })
    }

    /// The statements of this file, those that create or alter `table` (or a
    /// table renamed to it) first: a column of `table` is defined there, even
    /// when another table of the file has a column of the same name.
    pub(crate) fn statements_on(&self, table: &str) -> impl Iterator<Item = &Statement<'a>> {
        let renamed = self
            .statements
            .iter()
            .filter_map(|s| rename(&s.tokens))
            .filter(|(_, to)| to.eq_ignore_ascii_case(table))
            .map(|(from, _)| from);
        let names: Vec<String> = std::iter::once(table.to_string()).chain(renamed).collect();
        let (ours, others): (Vec<_>, Vec<_>) = self.statements.iter().partition(|s| {
            created_table(&s.tokens)
                .or_else(|| altered_table(&s.tokens))
                .is_some_and(|name| names.iter().any(|n| n.eq_ignore_ascii_case(&name)))
        });
        ours.into_iter().chain(others)
    }

    /// The name the table now called `table` had before this file, following
    /// its `ALTER TABLE … RENAME TO`s.
    pub(crate) fn earlier_table(&self, table: &str) -> String {
        let mut name = table.to_string();
        for statement in self.statements.iter().rev() {
            if let Some((from, to)) = rename(&statement.tokens) {
                if to.eq_ignore_ascii_case(&name) {
                    name = from;
                }
            }
        }
        name
    }

    /// The name before this file of the column now called `column` of the
    /// table now called `table` (`old_table` before this file), following
    /// the file's `ALTER TABLE … RENAME [COLUMN] … TO`s.
    pub(crate) fn earlier_column(&self, old_table: &str, table: &str, column: &str) -> String {
        let mut name = column.to_string();
        for statement in self.statements.iter().rev() {
            if let Some((on, from, to)) = column_rename(&statement.tokens) {
                let ours = on.eq_ignore_ascii_case(table) || on.eq_ignore_ascii_case(old_table);
                if ours && to.eq_ignore_ascii_case(&name) {
                    name = from;
                }
            }
        }
        name
    }

    /// Where the column `column` of type `first_type_word` is defined in this
    /// file (under the name it had there, if the file renames it), else
    /// where the table is named, else the top of the file.
    pub(crate) fn column_offset(
        &self,
        table: &str,
        column: &str,
        first_type_word: Option<&str>,
    ) -> usize {
        let declared = self.earlier_column(&self.earlier_table(table), table, column);
        let named = |n: &str| n.eq_ignore_ascii_case(column) || n.eq_ignore_ascii_case(&declared);
        let mut fallback = None;
        for statement in self.statements_on(table) {
            let t = &statement.tokens;
            for (k, token) in t.iter().enumerate() {
                if token.name().is_some_and(|n| named(&n)) {
                    let typed = match first_type_word {
                        Some(word) => t.get(k + 1).is_some_and(|next| {
                            next.name().is_some_and(|n| n.eq_ignore_ascii_case(word))
                        }),
                        None => true,
                    };
                    if typed {
                        return token.start;
                    }
                }
                if fallback.is_none() && token.name().is_some_and(|n| n.eq_ignore_ascii_case(table))
                {
                    fallback = Some(statement.range.start);
                }
            }
        }
        fallback.unwrap_or(0)
    }
}

/// `ALTER TABLE table RENAME [COLUMN] from TO to`: (table, from, to).
pub(crate) fn column_rename(t: &[Token]) -> Option<(String, String, String)> {
    let (table, k) = altered(t)?;
    if !t.get(k)?.is("RENAME") {
        return None;
    }
    let at = skip_words(t, k + 1, &["COLUMN"]);
    let from = t.get(at)?.name()?;
    if !t.get(at + 1)?.is("TO") {
        return None;
    }
    Some((table, from, t.get(at + 2)?.name()?))
}

/// `ALTER TABLE name …`.
pub(crate) fn altered_table(t: &[Token]) -> Option<String> {
    altered(t).map(|(name, _)| name)
}

/// `ALTER TABLE name …`: the name and where the rest begins.
pub(crate) fn altered(t: &[Token]) -> Option<(String, usize)> {
    if !(t.first()?.is("ALTER") && t.get(1)?.is("TABLE")) {
        return None;
    }
    qualified_name(t, 2)
}

/// `ALTER TABLE from RENAME TO to`.
pub(crate) fn rename(t: &[Token]) -> Option<(String, String)> {
    let (from, k) = altered(t)?;
    if t.get(k)?.is("RENAME") && t.get(k + 1)?.is("TO") {
        return qualified_name(t, k + 2).map(|(to, _)| (from, to));
    }
    None
}

/// `DROP TABLE [IF EXISTS] name`.
pub(crate) fn dropped_table(t: &[Token]) -> Option<String> {
    if !(t.first()?.is("DROP") && t.get(1)?.is("TABLE")) {
        return None;
    }
    qualified_name(t, skip_words(t, 2, &["IF", "EXISTS"])).map(|(name, _)| name)
}

/// `CREATE [TEMP] TABLE [IF NOT EXISTS] name`.
pub(crate) fn created_table(t: &[Token]) -> Option<String> {
    if !t.first()?.is("CREATE") {
        return None;
    }
    let k = skip_words(t, 1, &["TEMP"]);
    let k = skip_words(t, k, &["TEMPORARY"]);
    if !t.get(k)?.is("TABLE") {
        return None;
    }
    qualified_name(t, skip_words(t, k + 1, &["IF", "NOT", "EXISTS"])).map(|(name, _)| name)
}
