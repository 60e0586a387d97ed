//! Lints: migrations SQLite accepts but production regrets.
//!
//! Each lint has a stable name ([`Lint`]) and a [`Severity`]; a file silences
//! one with `-- migrate: allow <name>` at its top. Statement-shaped lints read
//! the up scripts through the toolkit's lexer; the others look at the database
//! validation runs the chain on, before and after each migration: they
//! compare the normalised [`crate::Schema`] the migration leaves with the one
//! before it, and try a file with a double-quoted token once more, with
//! double-quoted strings refused, in a transaction they roll back.
//!
//! Only up scripts are linted: a down script exists to drop things.

mod columns;
mod foreign_keys;
mod indexes;
mod rebuild;
mod replay;
mod text;
mod views;

use std::ops::Range;

use migrate_sqlite::lex::{self, qualified_name, skip_words, Token};
use migrate_sqlite::{Directives, Lint};
use serde::{Deserialize, Serialize};

use crate::check::Run;
use crate::diagnostic::Diagnostic;
use crate::discover::Source;

pub(crate) use foreign_keys::foreign_key_violation;
pub(crate) use replay::{SchemaLints, SchemaLintsState};
pub(crate) use text::text_lints;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// Fails the build.
    Error,
    /// Reported, the build goes on.
    Warning,
}

/// One lint's finding, at a place in a migration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Which lint.
    #[serde(with = "lint_name")]
    pub lint: Lint,
    /// Its severity.
    pub severity: Severity,
    /// Where, what and why (the message ends in `[<lint name>]`), and a
    /// `help:` that says how to fix it and names `-- migrate: allow <name>`.
    pub diagnostic: Diagnostic,
}

/// A [`Lint`] written as its name.
mod lint_name {
    use migrate_sqlite::Lint;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(lint: &Lint, to: S) -> Result<S::Ok, S::Error> {
        to.serialize_str(lint.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Lint, D::Error> {
        let name = String::deserialize(from)?;
        Lint::from_name(&name).ok_or_else(|| D::Error::custom(format!("no lint `{name}`")))
    }
}

/// The severity of each lint.
pub fn severity(lint: Lint) -> Severity {
    match lint {
        Lint::UnindexedForeignKey => Severity::Warning,
        _ => Severity::Error,
    }
}

/// Every finding of the lints on a chain's up scripts, without those a file
/// allows. In file order, text lints before schema ones.
///
/// `foreign-key-violation` needs rows, so the seeded run of [`crate::validate`]
/// reports it, in [`crate::Validated::findings`].
pub fn lint(sources: &[Source]) -> Vec<Finding> {
    let files: Vec<File> = sources.iter().map(File::new).collect();
    let Ok(mut run) = Run::start(false, false) else {
        return Vec::new();
    };
    // A migration that fails ends the run: validation reports it, and later
    // migrations depend on it.
    while run.done() < files.len() && run.step(sources, &files).is_ok() {}
    run.lint_findings(&files)
}

// ---------------------------------------------------------------------------
// Files

pub(crate) struct File<'a> {
    path: &'a str,
    sql: &'a str,
    directives: Directives,
    statements: Vec<Stmt<'a>>,
}

struct Stmt<'a> {
    range: Range<usize>,
    /// Tokens with offsets into the whole file.
    tokens: Vec<Token<'a>>,
}

impl<'a> File<'a> {
    pub(crate) fn new(source: &'a Source) -> Self {
        let script = source.migration.up();
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
                Stmt {
                    range: statement.range,
                    tokens,
                }
            })
            .collect();
        File {
            path: &source.up_file.display,
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

    fn finding(&self, lint: Lint, offset: usize, what: String, fix: &str) -> Finding {
        let name = lint.name();
        Finding {
            lint,
            severity: severity(lint),
            diagnostic: Diagnostic::at(self.path, self.sql, offset, format!("{what} [{name}]"))
                .help(format!(
                    "{fix}; or, if this is intended, add `-- migrate: allow {name}` at the top of the file"
                )),
        }
    }

    fn push(&self, findings: &mut Vec<Finding>, finding: Finding) {
        if !self.directives.allows(finding.lint) {
            findings.push(finding);
        }
    }

    /// The offset of `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name` in this file.
    fn index_statement(&self, name: &str) -> Option<(usize, usize)> {
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
    fn statements_on(&self, table: &str) -> impl Iterator<Item = &Stmt<'a>> {
        let renamed = self
            .statements
            .iter()
            .filter_map(|s| rebuild::rename(&s.tokens))
            .filter(|(_, to)| to.eq_ignore_ascii_case(table))
            .map(|(from, _)| from);
        let names: Vec<String> = std::iter::once(table.to_string()).chain(renamed).collect();
        let (ours, others): (Vec<_>, Vec<_>) = self.statements.iter().partition(|s| {
            rebuild::created_table(&s.tokens)
                .or_else(|| altered_table(&s.tokens))
                .is_some_and(|name| names.iter().any(|n| n.eq_ignore_ascii_case(&name)))
        });
        ours.into_iter().chain(others)
    }

    /// The name the table now called `table` had before this file, following
    /// its `ALTER TABLE … RENAME TO`s.
    fn earlier_table(&self, table: &str) -> String {
        let mut name = table.to_string();
        for statement in self.statements.iter().rev() {
            if let Some((from, to)) = rebuild::rename(&statement.tokens) {
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
    fn earlier_column(&self, old_table: &str, table: &str, column: &str) -> String {
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
    fn column_offset(&self, table: &str, column: &str, first_type_word: Option<&str>) -> usize {
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
fn column_rename(t: &[Token]) -> Option<(String, String, String)> {
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
fn altered_table(t: &[Token]) -> Option<String> {
    altered(t).map(|(name, _)| name)
}

/// `ALTER TABLE name …`: the name and where the rest begins.
fn altered(t: &[Token]) -> Option<(String, usize)> {
    if !(t.first()?.is("ALTER") && t.get(1)?.is("TABLE")) {
        return None;
    }
    qualified_name(t, 2)
}

#[cfg(test)]
mod tests;
