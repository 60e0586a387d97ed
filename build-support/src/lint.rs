//! Lints: migrations SQLite accepts but production regrets.
//!
//! Each lint has a stable name ([`Lint`]) and a [`Severity`]; a file silences
//! one with `-- migrate: allow <name>` at its top. Statement-shaped lints read
//! the up scripts through a small tokenizer; the others replay the chain once
//! on an in-memory SQLite (and once more with double-quoted strings off) and
//! compare the normalised [`Schema`] before and after each migration.
//!
//! Only up scripts are linted: a down script exists to drop things.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use migrate_core::{Directives, Lint};
use rusqlite::config::DbConfig;
use rusqlite::Connection;

use crate::diagnostic::Diagnostic;
use crate::discover::Source;
use crate::schema::{ForeignKey, Index, Schema, Table};
use crate::sql::statements;
use crate::validate::sqlite_message;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Fails the build.
    Error,
    /// Reported, the build goes on.
    Warning,
}

/// One lint's finding, at a place in a migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Which lint.
    pub lint: Lint,
    /// Its severity.
    pub severity: Severity,
    /// Where, what and why (the message ends in `[<lint name>]`), and a
    /// `help:` that says how to fix it and names `-- migrate: allow <name>`.
    pub diagnostic: Diagnostic,
}

/// The severity of each lint.
pub fn severity(lint: Lint) -> Severity {
    match lint {
        Lint::UnindexedForeignKey => Severity::Warning,
        _ => Severity::Error,
    }
}

/// Every finding of the lints implemented so far on a chain's up scripts,
/// without those a file allows. In file order, text lints before schema ones.
pub fn lint(sources: &[Source]) -> Vec<Finding> {
    let files: Vec<File> = sources.iter().map(File::new).collect();
    let mut findings = Vec::new();
    for file in &files {
        text_lints(file, &mut findings);
    }
    schema_lints(&files, &mut findings);
    findings
}

// ---------------------------------------------------------------------------
// Tokens

/// The kind of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A keyword or an unquoted name.
    Word,
    /// A name in `"…"`, `` `…` `` or `[…]`.
    Quoted,
    /// A string literal `'…'`.
    String,
    /// A number.
    Number,
    /// Any other single character: `(`, `,`, `;`, `=`, …
    Punct,
}

/// One token of SQL, without comments and white space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    /// The raw text, quotes included.
    pub text: &'a str,
    /// Byte offset in the text that was tokenized.
    pub start: usize,
    /// Parenthesis depth: of the inside for nothing, of the outside for `(` and `)`.
    pub depth: usize,
}

impl Token<'_> {
    /// An unquoted word equal to `keyword`, without regard to case.
    fn is(&self, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    fn is_punct(&self, c: &str) -> bool {
        self.kind == Kind::Punct && self.text == c
    }

    /// A name's value: the word, or the quoted text without its quotes.
    pub(crate) fn name(&self) -> Option<String> {
        match self.kind {
            Kind::Word => Some(self.text.to_string()),
            Kind::Quoted => {
                let inner = &self.text[1..self.text.len().saturating_sub(1).max(1)];
                Some(match self.text.as_bytes()[0] {
                    b'"' => inner.replace("\"\"", "\""),
                    b'`' => inner.replace("``", "`"),
                    _ => inner.to_string(),
                })
            }
            _ => None,
        }
    }

    /// A double-quoted token: a name, or with DQS on a string literal.
    fn double_quoted(&self) -> bool {
        self.kind == Kind::Quoted && self.text.starts_with('"')
    }
}

/// The tokens of `sql`: comments, white space and the inside of strings and
/// quoted names are skipped as SQLite skips them.
pub(crate) fn tokenize(sql: &str) -> Vec<Token<'_>> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let kind = match b {
            _ if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
                continue;
            }
            b'\'' | b'"' | b'`' | b'[' => {
                let close = if b == b'[' { b']' } else { b };
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => break,
                        Some(&c) if c == close => {
                            i += 1;
                            if close != b']' && bytes.get(i) == Some(&close) {
                                i += 1;
                                continue;
                            }
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                if b == b'\'' {
                    Kind::String
                } else {
                    Kind::Quoted
                }
            }
            b'0'..=b'9' => {
                i = number_end(bytes, i);
                Kind::Number
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number_end(bytes, i);
                Kind::Number
            }
            _ if ident(b) && b != b'$' => {
                while i < bytes.len() && ident(bytes[i]) {
                    i += 1;
                }
                Kind::Word
            }
            _ => {
                // One character, whole even when it is not ASCII.
                i += sql[i..].chars().next().map_or(1, char::len_utf8);
                Kind::Punct
            }
        };
        let text = &sql[start..i];
        if kind == Kind::Punct && text == ")" {
            depth = depth.saturating_sub(1);
        }
        found.push(Token {
            kind,
            text,
            start,
            depth,
        });
        if kind == Kind::Punct && text == "(" {
            depth += 1;
        }
    }
    found
}

fn number_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        let c = bytes[i];
        let exponent_sign = (c == b'+' || c == b'-') && matches!(bytes[i - 1], b'e' | b'E');
        if !(c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exponent_sign) {
            break;
        }
        i += 1;
    }
    i
}

/// A possibly schema-qualified name at `tokens[at..]`: the name (without the
/// schema) and the index after it.
fn qualified_name(tokens: &[Token], at: usize) -> Option<(String, usize)> {
    let first = tokens.get(at)?.name()?;
    if tokens.get(at + 1).is_some_and(|t| t.is_punct(".")) {
        let second = tokens.get(at + 2)?.name()?;
        return Some((second, at + 3));
    }
    Some((first, at + 1))
}

/// Skips the words `words` in order if all are there.
fn skip_words(tokens: &[Token], at: usize, words: &[&str]) -> usize {
    let matches = words
        .iter()
        .enumerate()
        .all(|(k, word)| tokens.get(at + k).is_some_and(|t| t.is(word)));
    if matches {
        at + words.len()
    } else {
        at
    }
}

// ---------------------------------------------------------------------------
// Files

struct File<'a> {
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
    fn new(source: &'a Source) -> Self {
        let script = source.migration.up();
        let sql = script.sql();
        let statements = statements(sql)
            .into_iter()
            .map(|statement| {
                let offset = statement.range.start;
                let tokens = tokenize(&sql[statement.range.clone()])
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

    /// Where the column `column` of type `first_type_word` is defined in this
    /// file, else where the table is named, else the top of the file.
    fn column_offset(&self, table: &str, column: &str, first_type_word: Option<&str>) -> usize {
        let mut fallback = None;
        for statement in &self.statements {
            let t = &statement.tokens;
            for (k, token) in t.iter().enumerate() {
                if token.name().is_some_and(|n| n.eq_ignore_ascii_case(column)) {
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

// ---------------------------------------------------------------------------
// Lints on the text of statements

fn text_lints(file: &File, findings: &mut Vec<Finding>) {
    let transactional = !file.directives.no_transaction();
    let renamed_to: BTreeSet<String> = file
        .statements
        .iter()
        .filter_map(|s| rename_target(&s.tokens))
        .map(|name| name.to_ascii_lowercase())
        .collect();
    let mut created: BTreeSet<String> = BTreeSet::new();
    let mut added: BTreeSet<(String, String)> = BTreeSet::new();
    for statement in &file.statements {
        let t = &statement.tokens;
        let Some(first) = t.first() else { continue };
        let at = first.start;
        let word = first.text.to_ascii_uppercase();
        match word.as_str() {
            "BEGIN" | "COMMIT" | "END" | "ROLLBACK" if transactional => file.push(
                findings,
                file.finding(
                    Lint::ExplicitTransaction,
                    at,
                    format!(
                        "`{}` in a migration the runner already runs in a transaction: {}",
                        first.text,
                        if word == "BEGIN" {
                            "SQLite refuses a transaction inside a transaction"
                        } else if word == "ROLLBACK" {
                            "it would undo the migration's work and end the runner's transaction"
                        } else {
                            "it would commit part of the migration and leave the rest outside any transaction"
                        }
                    ),
                    "remove it: the whole file is one transaction; for statements that cannot run in one, use `-- migrate: no-transaction`",
                ),
            ),
            "VACUUM" if transactional => file.push(
                findings,
                file.finding(
                    Lint::NeedsNoTransaction,
                    at,
                    "VACUUM cannot run inside a transaction, and the runner runs each migration in one".to_string(),
                    "put `-- migrate: no-transaction` at the top of the file, alone with the VACUUM",
                ),
            ),
            "PRAGMA" => pragma_lints(file, t, transactional, findings),
            "CREATE" => {
                let k = skip_words(t, 1, &["TEMP"]);
                let k = skip_words(t, k, &["TEMPORARY"]);
                if t.get(k).is_some_and(|t| t.is("TABLE")) {
                    let k = skip_words(t, k + 1, &["IF", "NOT", "EXISTS"]);
                    if let Some((name, _)) = qualified_name(t, k) {
                        created.insert(name.to_ascii_lowercase());
                    }
                }
            }
            "DROP" if t.get(1).is_some_and(|t| t.is("TABLE")) => {
                let k = skip_words(t, 2, &["IF", "EXISTS"]);
                if let Some((name, _)) = qualified_name(t, k) {
                    let lower = name.to_ascii_lowercase();
                    if !created.contains(&lower) && !renamed_to.contains(&lower) {
                        file.push(findings, file.finding(
                            Lint::Destructive,
                            at,
                            format!("DROP TABLE `{name}` deletes the table and every row in it, in every database this migration reaches"),
                            "if the table is being rebuilt, copy its rows into a new table and `ALTER TABLE <new> RENAME TO` it in the same file",
                        ));
                    }
                }
            }
            "ALTER" if t.get(1).is_some_and(|t| t.is("TABLE")) => {
                let Some((table, k)) = qualified_name(t, 2) else { continue };
                let lower = table.to_ascii_lowercase();
                if t.get(k).is_some_and(|t| t.is("DROP")) {
                    let c = skip_words(t, k + 1, &["COLUMN"]);
                    let column = t.get(c).and_then(Token::name).unwrap_or_default();
                    if !created.contains(&lower) {
                        file.push(findings, file.finding(
                            Lint::Destructive,
                            at,
                            format!("ALTER TABLE `{table}` DROP COLUMN `{column}` deletes the column's data in every row"),
                            "keep the column until no released version reads it, and drop it in a later migration once its data is no longer needed",
                        ));
                    }
                } else if t.get(k).is_some_and(|t| t.is("ADD")) {
                    let c = skip_words(t, k + 1, &["COLUMN"]);
                    if let Some(column) = t.get(c).and_then(Token::name) {
                        added.insert((lower, column.to_ascii_lowercase()));
                    }
                }
            }
            "DELETE" => {
                let k = skip_words(t, 1, &["FROM"]);
                let Some((table, _)) = qualified_name(t, k) else { continue };
                let lower = table.to_ascii_lowercase();
                if !has_top_level(t, "WHERE") && !created.contains(&lower) {
                    file.push(findings, file.finding(
                        Lint::Destructive,
                        at,
                        format!("DELETE FROM `{table}` without WHERE deletes every row of the table"),
                        "add a WHERE clause that selects the rows to delete",
                    ));
                }
            }
            "UPDATE" => {
                let mut k = 1;
                if t.get(1).is_some_and(|t| t.is("OR")) {
                    k = 3;
                }
                let Some((table, k)) = qualified_name(t, k) else { continue };
                let lower = table.to_ascii_lowercase();
                let targets = set_targets(&t[k..]);
                let backfill = !targets.is_empty()
                    && targets
                        .iter()
                        .all(|c| added.contains(&(lower.clone(), c.to_ascii_lowercase())));
                if !has_top_level(t, "WHERE") && !created.contains(&lower) && !backfill {
                    file.push(findings, file.finding(
                        Lint::Destructive,
                        at,
                        format!("UPDATE `{table}` without WHERE overwrites the column(s) in every row of the table"),
                        "add a WHERE clause that selects the rows to change (filling a column added earlier in the same file is not flagged)",
                    ));
                }
            }
            _ => {}
        }
    }
}

fn pragma_lints(file: &File, t: &[Token], transactional: bool, findings: &mut Vec<Finding>) {
    let Some((name, k)) = qualified_name(t, 1) else {
        return;
    };
    let assigns = t.get(k).is_some_and(|t| t.is_punct("=") || t.is_punct("("));
    if !assigns || !transactional {
        return;
    }
    let at = t[0].start;
    match name.to_ascii_lowercase().as_str() {
        "journal_mode" | "synchronous" => file.push(
            findings,
            file.finding(
                Lint::NeedsNoTransaction,
                at,
                format!("PRAGMA {name} cannot be changed inside a transaction, and the runner runs each migration in one"),
                "put `-- migrate: no-transaction` at the top of the file",
            ),
        ),
        "foreign_keys" => file.push(
            findings,
            file.finding(
                Lint::PragmaInTransaction,
                at,
                "PRAGMA foreign_keys inside a transaction silently does nothing, and the runner runs each migration in one".to_string(),
                "use `-- migrate: foreign-keys-off` at the top of the file: the runner turns foreign keys off around the transaction and checks them before commit",
            ),
        ),
        _ => {}
    }
}

/// `ALTER TABLE x RENAME TO <name>`.
fn rename_target(t: &[Token]) -> Option<String> {
    if !(t.first()?.is("ALTER") && t.get(1)?.is("TABLE")) {
        return None;
    }
    let (_, k) = qualified_name(t, 2)?;
    if t.get(k)?.is("RENAME") && t.get(k + 1)?.is("TO") {
        return qualified_name(t, k + 2).map(|(name, _)| name);
    }
    None
}

fn has_top_level(t: &[Token], word: &str) -> bool {
    t.iter().any(|token| token.depth == 0 && token.is(word))
}

/// The columns an UPDATE assigns, from the tokens after its table name.
fn set_targets(t: &[Token]) -> Vec<String> {
    let Some(set) = t
        .iter()
        .position(|token| token.depth == 0 && token.is("SET"))
    else {
        return Vec::new();
    };
    let mut targets = Vec::new();
    let mut expect_target = true;
    for token in &t[set + 1..] {
        if token.depth == 0 && (token.is("FROM") || token.is("WHERE") || token.is("RETURNING")) {
            break;
        }
        if token.depth == 0 && token.is_punct(",") {
            expect_target = true;
        } else if token.depth == 0 && token.is_punct("=") {
            expect_target = false;
        } else if expect_target {
            if let Some(name) = token.name() {
                targets.push(name);
            }
        }
    }
    targets
}

// ---------------------------------------------------------------------------
// Lints on the schema, from a replay of the chain

fn schema_lints(files: &[File], findings: &mut Vec<Finding>) {
    let Ok(conn) = open(true) else { return };
    let dqs_off = open(false).ok();
    // The tables and indexes so far, kept up to date by re-reading only the
    // tables a migration changed: reading the whole schema after each
    // migration would make a long chain quadratic.
    let mut schema = Schema::default();
    let mut objects = Objects::new();
    // Where each foreign key appeared: (table, columns, parent) → file.
    let mut fk_origin: BTreeMap<(String, Vec<String>, String), usize> = BTreeMap::new();
    let mut complete = true;
    for (index, file) in files.iter().enumerate() {
        if replay(&conn, file).is_err() {
            // Validation reports it; later migrations depend on this one.
            complete = false;
            break;
        }
        if let Some(dqs_off) = &dqs_off {
            double_quoted_strings(dqs_off, file, findings);
        }
        let Ok(now) = read_objects(&conn) else {
            complete = false;
            break;
        };
        let changed = changed_tables(&objects, &now);
        objects = now;
        if changed.is_empty() {
            continue;
        }
        let Ok(after) = Schema::read_tables(&conn, &changed) else {
            complete = false;
            break;
        };
        let before = Schema {
            tables: changed
                .iter()
                .filter_map(|name| schema.tables.remove_entry(name))
                .collect(),
            indexes: take(&mut schema.indexes, |_, index| {
                changed.contains(&index.table)
            }),
            ..Schema::default()
        };
        redundant_indexes(file, &before, &after, findings);
        column_lints(file, &before, &after, findings);
        for (name, table) in &after.tables {
            for key in &table.foreign_keys {
                let known = before
                    .tables
                    .get(name)
                    .is_some_and(|old| old.foreign_keys.contains(key));
                if !known {
                    fk_origin.insert(
                        (name.clone(), key.columns.clone(), key.parent_table.clone()),
                        index,
                    );
                }
            }
        }
        schema.tables.extend(after.tables);
        schema.indexes.extend(after.indexes);
    }
    if complete {
        foreign_key_targets(files, &schema, &fk_origin, findings);
        unindexed_foreign_keys(files, &schema, &fk_origin, findings);
    }
}

/// The rows of `sqlite_schema` for tables and indexes: name → (type, table, sql).
type Objects = BTreeMap<String, (String, String, Option<String>)>;

fn read_objects(conn: &Connection) -> rusqlite::Result<Objects> {
    let mut statement = conn.prepare_cached(
        "SELECT name, type, tbl_name, sql FROM main.sqlite_schema WHERE type IN ('table', 'index')",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?)))
    })?;
    rows.collect()
}

/// The tables whose own row, or an index's, was added, removed or changed.
fn changed_tables(before: &Objects, after: &Objects) -> BTreeSet<String> {
    let mut changed = BTreeSet::new();
    for (name, row) in before {
        if after.get(name) != Some(row) {
            changed.insert(row.1.clone());
        }
    }
    for (name, row) in after {
        if before.get(name) != Some(row) {
            changed.insert(row.1.clone());
        }
    }
    changed
}

/// Removes and returns the entries of `map` that `wanted` picks.
fn take<V>(
    map: &mut BTreeMap<String, V>,
    wanted: impl Fn(&str, &V) -> bool,
) -> BTreeMap<String, V> {
    let (taken, kept) = std::mem::take(map)
        .into_iter()
        .partition(|(key, value)| wanted(key, value));
    *map = kept;
    taken
}

fn open(dqs: bool) -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, dqs)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, dqs)?;
    Ok(conn)
}

/// A failed replay: the failing statement's range, if a statement failed.
struct Failed(Option<Range<usize>>, String);

/// Runs a file's up script the way the runner does (without the checks
/// validation makes).
fn replay(conn: &Connection, file: &File) -> Result<(), Failed> {
    let run = || -> Result<(), Failed> {
        for statement in &file.statements {
            let text = &file.sql[statement.range.clone()];
            let fail = |error: rusqlite::Error| {
                Failed(Some(statement.range.clone()), sqlite_message(&error))
            };
            let mut prepared = conn.prepare(text).map_err(fail)?;
            let mut rows = prepared.raw_query();
            while rows.next().map_err(fail)?.is_some() {}
        }
        Ok(())
    };
    let control = |sql: &str| {
        conn.execute_batch(sql)
            .map_err(|error| Failed(None, sqlite_message(&error)))
    };
    if file.directives.no_transaction() {
        return run();
    }
    if file.directives.foreign_keys_off() {
        control("PRAGMA foreign_keys = OFF")?;
    }
    control("BEGIN")?;
    let result = run().and_then(|()| control("COMMIT"));
    if result.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    if file.directives.foreign_keys_off() {
        control("PRAGMA foreign_keys = ON")?;
    }
    result
}

/// Replays `file` with double-quoted string literals refused: a statement
/// that fails there (and passed with them allowed) and has a double-quoted
/// token uses one as a string. The connection is then brought in step again.
fn double_quoted_strings(conn: &Connection, file: &File, findings: &mut Vec<Finding>) {
    let Err(Failed(Some(range), message)) = replay(conn, file) else {
        return;
    };
    let statement = file.statements.iter().find(|s| s.range == range);
    let quoted: Vec<&Token> = statement
        .map(|s| s.tokens.iter().filter(|t| t.double_quoted()).collect())
        .unwrap_or_default();
    if let Some(first) = quoted.first() {
        let token = quoted
            .iter()
            .find(|t| t.name().is_some_and(|n| message.contains(&n)))
            .unwrap_or(first);
        file.push(
            findings,
            file.finding(
                Lint::DoubleQuotedString,
                token.start,
                format!(
                    "{} is a double-quoted string literal: SQLite reads \"…\" as a column name first and falls back to a string only when no column has that name, so the statement changes meaning when such a column appears (with double-quoted strings off: {message})",
                    token.text
                ),
                "write string literals in single quotes: 'text'",
            ),
        );
    }
    // In step again: the same migration with double-quoted strings allowed.
    let set = |on: bool| {
        let _ = conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, on);
        let _ = conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, on);
    };
    set(true);
    let _ = replay(conn, file);
    set(false);
}

fn key_columns(index: &Index) -> Vec<(String, String)> {
    index
        .columns
        .iter()
        .map(|c| {
            (
                c.name.to_ascii_lowercase(),
                c.collation.to_ascii_uppercase(),
            )
        })
        .collect()
}

fn list(columns: &[String]) -> String {
    columns.join(", ")
}

fn redundant_indexes(file: &File, before: &Schema, after: &Schema, findings: &mut Vec<Finding>) {
    for (name, index) in &after.indexes {
        if before.indexes.get(name) == Some(index) || index.partial.is_some() {
            continue;
        }
        let Some((position, offset)) = file.index_statement(name) else {
            continue;
        };
        let ours = key_columns(index);
        let names: Vec<String> = ours.iter().map(|(n, _)| n.clone()).collect();
        // (is a leading prefix, not equal; what it repeats)
        let mut repeats: Option<(bool, String, Vec<String>)> = None;
        for (other_name, other) in &after.indexes {
            if other_name == name || other.table != index.table || other.partial.is_some() {
                continue;
            }
            // Two new equal indexes: only the later one is reported.
            if let Some((other_position, _)) = file.index_statement(other_name) {
                if before.indexes.get(other_name) != Some(other) && other_position > position {
                    continue;
                }
            }
            let theirs = key_columns(other);
            if let Some(prefix) = covered(&ours, &theirs, index.unique, other.unique) {
                let cols = other.columns.iter().map(|c| c.name.clone()).collect();
                repeats = Some((prefix, format!("index `{other_name}`"), cols));
                break;
            }
        }
        if repeats.is_none() {
            if let Some(table) = after.tables.get(&index.table) {
                repeats = key_repeated(&names, index.unique, table);
            }
        }
        let Some((prefix, what, cols)) = repeats else {
            continue;
        };
        let relation = if prefix {
            "its columns are a leading prefix of"
        } else {
            "it has the same columns as"
        };
        file.push(
            findings,
            file.finding(
                Lint::RedundantIndex,
                offset,
                format!(
                    "index `{name}` on `{}` ({}) is redundant: {relation} {what} ({}), which serves every query it would; every write pays for both",
                    index.table,
                    list(&names),
                    list(&cols)
                ),
                &format!("remove `{name}`"),
            ),
        );
    }
}

/// Whether an index on `ours` repeats one on `theirs`: `Some(true)` as a
/// leading prefix, `Some(false)` as equal. A UNIQUE index is only repeated by
/// an equal UNIQUE one.
fn covered<T: PartialEq>(
    ours: &[T],
    theirs: &[T],
    ours_unique: bool,
    theirs_unique: bool,
) -> Option<bool> {
    if ours.is_empty() || ours.len() > theirs.len() || theirs[..ours.len()] != *ours {
        return None;
    }
    let equal = ours.len() == theirs.len();
    if ours_unique && !(equal && theirs_unique) {
        return None;
    }
    Some(!equal)
}

fn key_repeated(
    names: &[String],
    unique: bool,
    table: &Table,
) -> Option<(bool, String, Vec<String>)> {
    let lower =
        |cols: &[String]| -> Vec<String> { cols.iter().map(|c| c.to_ascii_lowercase()).collect() };
    for constraint in &table.unique {
        if let Some(prefix) = covered(names, &lower(constraint), unique, true) {
            return Some((
                prefix,
                "the automatic index of the UNIQUE constraint".to_string(),
                constraint.clone(),
            ));
        }
    }
    if !table.primary_key.is_empty() {
        if let Some(prefix) = covered(names, &lower(&table.primary_key), unique, true) {
            return Some((
                prefix,
                "the PRIMARY KEY".to_string(),
                table.primary_key.clone(),
            ));
        }
    }
    None
}

fn rowid_table(table: &Table) -> bool {
    !table.without_rowid && table.virtual_sql.is_none() && !table.shadow
}

fn column_lints(file: &File, before: &Schema, after: &Schema, findings: &mut Vec<Finding>) {
    for (name, table) in &after.tables {
        if table.virtual_sql.is_some() || table.shadow {
            continue;
        }
        let old = before.tables.get(name);
        for column in &table.columns {
            let seen = old.is_some_and(|old| {
                old.columns.iter().any(|c| {
                    c.name == column.name
                        && c.declared_type == column.declared_type
                        && c.primary_key_position == column.primary_key_position
                })
            });
            if seen {
                continue;
            }
            let first_word = column.declared_type.split_whitespace().next();
            let declared = column.declared_type.trim();
            let upper = declared.to_ascii_uppercase();
            if rowid_table(table)
                && table.primary_key.len() == 1
                && column.primary_key_position == 1
                && upper.contains("INT")
                && upper != "INTEGER"
            {
                let offset = file.column_offset(name, &column.name, first_word);
                file.push(findings, file.finding(
                    Lint::IntPrimaryKey,
                    offset,
                    format!("column `{}` of `{name}` is declared `{declared} PRIMARY KEY`, which is not an alias of the rowid: the table keeps a separate rowid plus an extra index for the key, and the key is not filled in automatically (it may even hold NULL)", column.name),
                    "write `INTEGER PRIMARY KEY`, exactly",
                ));
            }
            if let Some(word) = unknown_type_word(declared) {
                let offset = file.column_offset(name, &column.name, first_word);
                file.push(findings, file.finding(
                    Lint::UnknownTypeWord,
                    offset,
                    format!("the declared type of column `{}` of `{name}` is `{declared}`: `{word}` is no type name, and SQLite silently took it as part of the type (a misspelt constraint, such as `NOL NULL`, is lost)", column.name),
                    "correct the spelling of the constraint or the type",
                ));
            }
        }
    }
}

/// Words that make up type names, in SQLite and in the databases migrations
/// are often written for.
const TYPE_WORDS: &[&str] = &[
    "ANY",
    "ARRAY",
    "BIG",
    "BIGINT",
    "BIGSERIAL",
    "BINARY",
    "BIT",
    "BLOB",
    "BOOL",
    "BOOLEAN",
    "BPCHAR",
    "BYTE",
    "BYTEA",
    "CHAR",
    "CHARACTER",
    "CIDR",
    "CLOB",
    "DATE",
    "DATETIME",
    "DATETIME2",
    "DATETIMEOFFSET",
    "DAY",
    "DEC",
    "DECIMAL",
    "DOUBLE",
    "ENUM",
    "FIXED",
    "FLOAT",
    "FLOAT4",
    "FLOAT8",
    "GEOGRAPHY",
    "GEOMETRY",
    "GUID",
    "HOUR",
    "IMAGE",
    "INET",
    "INT",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "INTEGER",
    "INTERVAL",
    "JSON",
    "JSONB",
    "LARGE",
    "LOCAL",
    "LONG",
    "LONGBLOB",
    "LONGTEXT",
    "MACADDR",
    "MEDIUMBLOB",
    "MEDIUMINT",
    "MEDIUMTEXT",
    "MINUTE",
    "MONEY",
    "MONTH",
    "NATIONAL",
    "NATIVE",
    "NCHAR",
    "NCLOB",
    "NTEXT",
    "NUMBER",
    "NUMERIC",
    "NVARCHAR",
    "NVARCHAR2",
    "OBJECT",
    "POINT",
    "PRECISION",
    "RAW",
    "REAL",
    "ROWID",
    "SECOND",
    "SERIAL",
    "SHORT",
    "SIGNED",
    "SMALLDATETIME",
    "SMALLINT",
    "SMALLMONEY",
    "SMALLSERIAL",
    "STRING",
    "TEXT",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMPTZ",
    "TIMETZ",
    "TINYBLOB",
    "TINYINT",
    "TINYTEXT",
    "TO",
    "UINT",
    "UNSIGNED",
    "UUID",
    "VARBINARY",
    "VARBIT",
    "VARCHAR",
    "VARCHAR2",
    "VARYING",
    "WITH",
    "WITHOUT",
    "XML",
    "YEAR",
    "ZONE",
];

/// The constraint keywords a misspelling of which ends up in a type.
const CONSTRAINT_WORDS: &[&str] = &[
    "NOT",
    "NULL",
    "DEFAULT",
    "UNIQUE",
    "PRIMARY",
    "KEY",
    "CHECK",
    "REFERENCES",
    "COLLATE",
    "CONSTRAINT",
    "GENERATED",
    "AUTOINCREMENT",
];

/// The first word of a declared type that is no type name: one within one
/// edit of a constraint keyword (`NOL`, `DEFALT`), or, in a type of more
/// than one word, any word not in [`TYPE_WORDS`].
pub(crate) fn unknown_type_word(declared: &str) -> Option<String> {
    // Sizes in parentheses are no words: `VARCHAR(255)`, `DECIMAL(10, 2)`.
    let mut text = String::new();
    let mut depth = 0usize;
    for c in declared.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => text.push(c),
            _ => {}
        }
        if depth > 0 || c == ')' {
            text.push(' ');
        }
    }
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    let known = |w: &str| TYPE_WORDS.contains(&w);
    let keyword_like = |w: &str| {
        CONSTRAINT_WORDS
            .iter()
            .any(|k| edit_distance(w, k) <= 1 && (w.len() > 2 || k.len() <= 3))
    };
    words
        .iter()
        .find(|w| !known(w) && (keyword_like(w) || words.len() > 1))
        .cloned()
}

/// Levenshtein distance of two ASCII words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

fn unindexed_foreign_keys(
    files: &[File],
    schema: &Schema,
    origin: &BTreeMap<(String, Vec<String>, String), usize>,
    findings: &mut Vec<Finding>,
) {
    let mut by_table: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
    for index in schema
        .indexes
        .values()
        .filter(|index| index.partial.is_none())
    {
        by_table
            .entry(index.table.as_str())
            .or_default()
            .push(index.columns.iter().map(|c| c.name.clone()).collect());
    }
    for (name, table) in &schema.tables {
        for key in &table.foreign_keys {
            let Some(&file_index) =
                origin.get(&(name.clone(), key.columns.clone(), key.parent_table.clone()))
            else {
                continue;
            };
            let wanted: BTreeSet<String> =
                key.columns.iter().map(|c| c.to_ascii_lowercase()).collect();
            let leads = |cols: &[String]| {
                cols.len() >= wanted.len()
                    && cols[..wanted.len()]
                        .iter()
                        .map(|c| c.to_ascii_lowercase())
                        .collect::<BTreeSet<_>>()
                        == wanted
            };
            let indexed = leads(&table.primary_key)
                || table.unique.iter().any(|u| leads(u))
                || by_table
                    .get(name.as_str())
                    .is_some_and(|lists| lists.iter().any(|cols| leads(cols)));
            if indexed {
                continue;
            }
            let file = &files[file_index];
            let offset = references_offset(file, &key.columns[0], &key.parent_table)
                .unwrap_or_else(|| file.column_offset(name, &key.columns[0], None));
            let columns = list(&key.columns);
            file.push(findings, file.finding(
                Lint::UnindexedForeignKey,
                offset,
                format!("foreign key `{name}` ({columns}) → `{}` has no index on `{name}` ({columns}): each delete or key update in `{}` scans the whole of `{name}`", key.parent_table, key.parent_table),
                &format!("add `CREATE INDEX {name}_{} ON {name} ({columns});`", key.columns.join("_")),
            ));
        }
    }
}

/// Foreign keys whose parent the final schema cannot serve: a missing
/// table, or columns that are not its primary key or a UNIQUE key. SQLite
/// accepts them when the table is created and fails every later write to
/// the child ("foreign key mismatch", or "no such table").
fn foreign_key_targets(
    files: &[File],
    schema: &Schema,
    origin: &BTreeMap<(String, Vec<String>, String), usize>,
    findings: &mut Vec<Finding>,
) {
    for (name, table) in &schema.tables {
        for key in &table.foreign_keys {
            let Some(&file_index) =
                origin.get(&(name.clone(), key.columns.clone(), key.parent_table.clone()))
            else {
                continue;
            };
            let Some(problem) = parent_problem(schema, key) else {
                continue;
            };
            let file = &files[file_index];
            let offset = references_offset(file, &key.columns[0], &key.parent_table)
                .unwrap_or_else(|| file.column_offset(name, &key.columns[0], None));
            let columns = list(&key.columns);
            file.push(findings, file.finding(
                Lint::ForeignKeyTarget,
                offset,
                format!(
                    "foreign key `{name}` ({columns}) → `{}`: {problem}, so every insert or update of `{name}` will fail",
                    key.parent_table
                ),
                "refer to the parent's primary key, or to columns with a UNIQUE constraint or a unique index",
            ));
        }
    }
}

/// Why `key`'s parent cannot serve it, if it cannot.
fn parent_problem(schema: &Schema, key: &ForeignKey) -> Option<String> {
    let parent_name = &key.parent_table;
    let Some((_, parent)) = schema
        .tables
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(parent_name))
    else {
        return Some(format!(
            "there is no table `{parent_name}` once the migrations have run"
        ));
    };
    let lower = |columns: &[String]| -> BTreeSet<String> {
        columns.iter().map(|c| c.to_ascii_lowercase()).collect()
    };
    let named: Vec<String> = key.parent_columns.iter().flatten().cloned().collect();
    if named.is_empty() {
        // No column named: the key refers to the parent's declared primary key.
        return parent.primary_key.is_empty().then(|| {
            format!("it names no parent column and `{parent_name}` declares no PRIMARY KEY")
        });
    }
    let wanted = lower(&named);
    let unique_index = schema.indexes.values().any(|index| {
        index.unique
            && index.partial.is_none()
            && index.table.eq_ignore_ascii_case(parent_name)
            && lower(
                &index
                    .columns
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>(),
            ) == wanted
    });
    let served = lower(&parent.primary_key) == wanted
        || parent.unique.iter().any(|columns| lower(columns) == wanted)
        || unique_index;
    (!served).then(|| {
        format!(
            "`{parent_name}` ({}) is neither its primary key nor UNIQUE",
            list(&named)
        )
    })
}

/// The `REFERENCES parent` of the column `column` in `file`.
fn references_offset(file: &File, column: &str, parent: &str) -> Option<usize> {
    for statement in &file.statements {
        let t = &statement.tokens;
        for (k, token) in t.iter().enumerate() {
            let refers = token.is("REFERENCES")
                && t.get(k + 1)
                    .and_then(Token::name)
                    .is_some_and(|n| n.eq_ignore_ascii_case(parent));
            if !refers {
                continue;
            }
            // The column is named between the previous `,`/`(` of the
            // definition's depth and REFERENCES.
            let depth = token.depth;
            let names_column = t[..k]
                .iter()
                .rev()
                .take_while(|p| !(p.depth == depth && (p.is_punct(",") || p.is_punct("("))))
                .any(|p| p.name().is_some_and(|n| n.eq_ignore_ascii_case(column)));
            if names_column {
                return Some(token.start);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(Kind, &str, usize)> {
        tokenize(sql)
            .into_iter()
            .map(|t| (t.kind, t.text, t.depth))
            .collect()
    }

    #[test]
    fn tokenizer_skips_comments_and_keeps_strings_whole() {
        let sql = "UPDATE t -- WHERE in a comment\n SET x = 'a -- WHERE ''b''' /* WHERE */, \"we\"\"ird\" = [x y], `z` = x'00'";
        let found = kinds(sql);
        assert_eq!(
            found,
            [
                (Kind::Word, "UPDATE", 0),
                (Kind::Word, "t", 0),
                (Kind::Word, "SET", 0),
                (Kind::Word, "x", 0),
                (Kind::Punct, "=", 0),
                (Kind::String, "'a -- WHERE ''b'''", 0),
                (Kind::Punct, ",", 0),
                (Kind::Quoted, "\"we\"\"ird\"", 0),
                (Kind::Punct, "=", 0),
                (Kind::Quoted, "[x y]", 0),
                (Kind::Punct, ",", 0),
                (Kind::Quoted, "`z`", 0),
                (Kind::Punct, "=", 0),
                (Kind::Word, "x", 0),
                (Kind::String, "'00'", 0),
            ]
        );
        assert!(!has_top_level(&tokenize(sql), "WHERE"));
        assert_eq!(tokenize(sql)[7].name().as_deref(), Some("we\"ird"));
    }

    #[test]
    fn tokenizer_tracks_depth_numbers_and_unterminated_input() {
        let found = kinds("f(a, (1.5e+3)) é 'open");
        assert_eq!(
            found,
            [
                (Kind::Word, "f", 0),
                (Kind::Punct, "(", 0),
                (Kind::Word, "a", 1),
                (Kind::Punct, ",", 1),
                (Kind::Punct, "(", 1),
                (Kind::Number, "1.5e+3", 2),
                (Kind::Punct, ")", 1),
                (Kind::Punct, ")", 0),
                (Kind::Word, "é", 0),
                (Kind::String, "'open", 0),
            ]
        );
        assert_eq!(kinds("/* never closed"), []);
        assert_eq!(kinds("-- only a comment"), []);
        let offsets: Vec<usize> = tokenize("a /* x */ b").iter().map(|t| t.start).collect();
        assert_eq!(offsets, [0, 10]);
    }

    #[test]
    fn update_targets() {
        let t = tokenize("SET a = (SELECT b FROM c WHERE d = 1), \"e\" = 2 WHERE f = 3");
        assert_eq!(set_targets(&t), ["a", "e"]);
    }

    #[test]
    fn misspelt_constraints_in_types_are_found() {
        for (declared, word) in [
            ("TEXT NOL", "NOL"),
            ("TEXT NUL", "NUL"),
            ("NOL", "NOL"),
            ("INTEGER DEFALT", "DEFALT"),
            ("TEXT UNIQE", "UNIQE"),
            ("INTEGER PRIMAY", "PRIMAY"),
            ("TEXT NOTT", "NOTT"),
            ("TEXT KEY", "KEY"),
            ("TEXT FOO", "FOO"),
            ("VARCHAR(20) NOTNUL", "NOTNUL"),
        ] {
            assert_eq!(
                unknown_type_word(declared).as_deref(),
                Some(word),
                "{declared}"
            );
        }
    }

    #[test]
    fn real_type_names_are_not_flagged() {
        for declared in [
            "",
            "TEXT",
            "integer",
            "VARCHAR(255)",
            "DECIMAL(10, 2)",
            "TIMESTAMP WITH TIME ZONE",
            "timestamp without time zone",
            "DOUBLE PRECISION",
            "UNSIGNED BIG INT",
            "JSONB",
            "UUID",
            "DATETIME",
            "BOOLEAN",
            "CHARACTER VARYING(20)",
            "NATIVE CHARACTER(70)",
            "GEOGRAPHY",
            "MyCustomType",
            "BIGINT",
            "BIT",
            "INT",
            "NCHAR(55)",
        ] {
            assert_eq!(unknown_type_word(declared), None, "{declared}");
        }
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("NOL", "NULL"), 2);
        assert_eq!(edit_distance("NOL", "NOT"), 1);
        assert_eq!(edit_distance("DEFALT", "DEFAULT"), 1);
        assert_eq!(edit_distance("INT", "NOT"), 2);
        assert_eq!(edit_distance("", "KEY"), 3);
    }

    fn lint_files(files: &[(&str, &str)]) -> Vec<Finding> {
        let base = tempfile::tempdir().unwrap();
        std::fs::create_dir(base.path().join("m")).unwrap();
        for (name, sql) in files {
            std::fs::write(base.path().join("m").join(name), sql).unwrap();
        }
        let sources = crate::read_folder(base.path(), "m").unwrap();
        lint(&sources)
    }

    fn names(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.lint.name()).collect()
    }

    const USERS: (&str, &str) = (
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE);",
    );

    #[test]
    fn destructive_statements_are_found_with_their_place() {
        let findings = lint_files(&[
            USERS,
            (
                "0002_drop.sql",
                "-- cleanup\nDELETE FROM users;\nUPDATE users SET name = 'x';\nALTER TABLE users DROP COLUMN email;\nDROP TABLE users;\n\
                 DELETE FROM users WHERE id = 1;",
            ),
        ]);
        assert_eq!(names(&findings), ["destructive"; 4]);
        let first = findings[0].diagnostic.to_string();
        assert!(
            first.starts_with("m/0002_drop.sql:2:1: DELETE FROM `users` without WHERE"),
            "{first}"
        );
        assert!(first.contains("[destructive]"), "{first}");
        assert!(
            first.contains("help: ") && first.contains("`-- migrate: allow destructive`"),
            "{first}"
        );
        assert_eq!(findings[3].diagnostic.location.as_ref().unwrap().line, 5);
    }

    #[test]
    fn rebuilds_backfills_and_tables_of_the_same_file_are_not_destructive() {
        let findings = lint_files(&[
            USERS,
            (
                "0002_rebuild.sql",
                "-- migrate: foreign-keys-off\nCREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
                 INSERT INTO users_new SELECT id, name FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;",
            ),
            (
                "0003_scratch.sql",
                "CREATE TABLE tmp (x);\nDELETE FROM tmp;\nUPDATE tmp SET x = 1;\nALTER TABLE tmp DROP COLUMN x;\nDROP TABLE tmp;\n\
                 ALTER TABLE users ADD COLUMN n INTEGER NOT NULL DEFAULT 0;\nUPDATE users SET n = length(name);\n\
                 CREATE TRIGGER tr AFTER INSERT ON users BEGIN DELETE FROM users; SELECT RAISE(ROLLBACK, 'no'); END;",
            ),
        ]);
        assert_eq!(names(&findings), Vec::<&str>::new());
    }

    #[test]
    fn transactions_and_pragmas() {
        let findings = lint_files(&[
            USERS,
            (
                "0002_tx.sql",
                "BEGIN;\nCOMMIT;\nPRAGMA foreign_keys = OFF;\nPRAGMA main.journal_mode = WAL;\nPRAGMA synchronous(1);\nPRAGMA journal_mode;\nVACUUM;",
            ),
            (
                "0003_no_tx.sql",
                "-- migrate: no-transaction\nPRAGMA journal_mode = WAL;\nVACUUM;",
            ),
        ]);
        assert_eq!(
            names(&findings),
            [
                "explicit-transaction",
                "explicit-transaction",
                "pragma-in-transaction",
                "needs-no-transaction",
                "needs-no-transaction",
                "needs-no-transaction"
            ]
        );
        assert!(findings[2]
            .diagnostic
            .to_string()
            .contains("foreign-keys-off"));
    }

    #[test]
    fn redundant_indexes_name_what_they_repeat() {
        let findings = lint_files(&[
            USERS,
            (
                "0002_indexes.sql",
                "CREATE INDEX users_name_id ON users (name, id);\nCREATE INDEX users_name ON users (name);\n\
                 CREATE INDEX users_email ON users (email);\nCREATE INDEX users_id ON users (id);\n\
                 CREATE UNIQUE INDEX users_name_unique ON users (name);\nCREATE INDEX users_name_partial ON users (name) WHERE email IS NULL;",
            ),
        ]);
        let messages: Vec<String> = findings
            .iter()
            .map(|f| f.diagnostic.message.clone())
            .collect();
        assert_eq!(names(&findings), ["redundant-index"; 3], "{messages:#?}");
        assert!(
            messages[0].contains("`users_email`")
                && messages[0].contains("UNIQUE constraint (email)"),
            "{messages:#?}"
        );
        assert!(
            messages[1].contains("`users_id`") && messages[1].contains("PRIMARY KEY (id)"),
            "{messages:#?}"
        );
        assert!(
            messages[2].contains("`users_name`") && messages[2].contains("index `users_name_id`"),
            "{messages:#?}"
        );
    }

    #[test]
    fn column_lints_find_int_keys_and_misspelt_constraints_once() {
        let findings = lint_files(&[
            (
                "0001_t.sql",
                "CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (id BIGINT, PRIMARY KEY (id));\n\
                 CREATE TABLE c (id INTEGER PRIMARY KEY, ip TEXT NOL NULL);\nCREATE TABLE d (id INT PRIMARY KEY) WITHOUT ROWID;\n\
                 CREATE TABLE e (code TEXT PRIMARY KEY);",
            ),
            ("0002_more.sql", "ALTER TABLE a ADD COLUMN x TEXT;"),
        ]);
        assert_eq!(
            names(&findings),
            ["int-primary-key", "int-primary-key", "unknown-type-word"]
        );
        let last = findings[2].diagnostic.to_string();
        assert!(last.starts_with("m/0001_t.sql:3:41:"), "{last}");
        assert!(last.contains("`TEXT NOL`"), "{last}");
    }

    #[test]
    fn double_quoted_strings_are_found() {
        let findings = lint_files(&[
            USERS,
            (
                "0002_dq.sql",
                "INSERT INTO users (name) VALUES (\"alice\");\nSELECT \"name\" FROM users;",
            ),
            (
                "0003_after.sql",
                "CREATE INDEX users_name ON users (\"name\");",
            ),
        ]);
        assert_eq!(names(&findings), ["double-quoted-string"]);
        let text = findings[0].diagnostic.to_string();
        assert!(
            text.starts_with("m/0002_dq.sql:1:34: \"alice\" is a double-quoted string literal"),
            "{text}"
        );
    }

    #[test]
    fn unindexed_foreign_keys_are_warnings_until_indexed() {
        let posts = (
            "0002_posts.sql",
            "CREATE TABLE posts (\n  id INTEGER PRIMARY KEY,\n  user_id INTEGER REFERENCES users (id),\n  editor_id INTEGER REFERENCES users (id)\n);\nCREATE INDEX posts_editor ON posts (editor_id, id);",
        );
        let findings = lint_files(&[USERS, posts]);
        assert_eq!(names(&findings), ["unindexed-foreign-key"]);
        assert_eq!(findings[0].severity, Severity::Warning);
        let text = findings[0].diagnostic.to_string();
        assert!(
            text.starts_with("m/0002_posts.sql:3:19: foreign key `posts` (user_id) → `users`"),
            "{text}"
        );
        let indexed = lint_files(&[
            USERS,
            posts,
            (
                "0003_index.sql",
                "CREATE INDEX posts_user ON posts (user_id);",
            ),
        ]);
        assert_eq!(names(&indexed), Vec::<&str>::new());
    }

    #[test]
    fn foreign_keys_to_what_cannot_serve_them_are_errors() {
        let findings = lint_files(&[
            (
                "1_users.sql",
                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);\n\
                             CREATE TABLE logs (line TEXT);",
            ),
            (
                "2_posts.sql",
                "CREATE TABLE posts (\n\
                               id INTEGER PRIMARY KEY,\n\
                               by_id INTEGER REFERENCES users (id),\n\
                               by_email TEXT REFERENCES users (email),\n\
                               by_name TEXT REFERENCES users (name),\n\
                               in_log TEXT REFERENCES logs,\n\
                               gone INTEGER REFERENCES user (id)\n\
                             );\n\
                             CREATE INDEX posts_by_id ON posts (by_id);\n\
                             CREATE INDEX posts_by_email ON posts (by_email);\n\
                             CREATE INDEX posts_by_name ON posts (by_name);\n\
                             CREATE INDEX posts_in_log ON posts (in_log);\n\
                             CREATE INDEX posts_gone ON posts (gone);",
            ),
        ]);
        let targets: Vec<String> = findings
            .iter()
            .filter(|f| f.lint == Lint::ForeignKeyTarget)
            .map(|f| f.diagnostic.to_string())
            .collect();
        assert_eq!(targets.len(), 3, "{targets:#?}");
        assert!(
            targets
                .iter()
                .any(|t| t.contains("`users` (name) is neither its primary key nor UNIQUE")),
            "{targets:#?}"
        );
        assert!(
            targets
                .iter()
                .any(|t| t.contains("`logs` declares no PRIMARY KEY")),
            "{targets:#?}"
        );
        assert!(
            targets
                .iter()
                .any(|t| t.contains("there is no table `user`")),
            "{targets:#?}"
        );
        assert!(
            targets.iter().all(|t| t.contains("[foreign-key-target]")),
            "{targets:#?}"
        );
        assert!(findings
            .iter()
            .all(|f| severity(f.lint) == Severity::Error || f.lint == Lint::UnindexedForeignKey));
    }

    #[test]
    fn allow_silences_exactly_that_lint() {
        let sql = "DELETE FROM users;\nCREATE INDEX users_email ON users (email);";
        let both = lint_files(&[USERS, ("0002_x.sql", sql)]);
        assert_eq!(names(&both), ["destructive", "redundant-index"]);
        let allowed = format!("-- migrate: allow destructive\n{sql}");
        let one = lint_files(&[USERS, ("0002_x.sql", &allowed)]);
        assert_eq!(names(&one), ["redundant-index"]);
        let allowed = format!("-- migrate: allow redundant-index\n{sql}");
        let other = lint_files(&[USERS, ("0002_x.sql", &allowed)]);
        assert_eq!(names(&other), ["destructive"]);
    }

    fn check(files: &[(&str, &str)]) -> Result<crate::Checked, Vec<Diagnostic>> {
        let base = tempfile::tempdir().unwrap();
        std::fs::create_dir(base.path().join("m")).unwrap();
        for (name, sql) in files {
            std::fs::write(base.path().join("m").join(name), sql).unwrap();
        }
        crate::check_folder(base.path(), "m")
    }

    #[test]
    fn check_folder_fails_on_errors_and_returns_warnings() {
        // SQLite's own "cannot VACUUM from within a transaction" is left out:
        // the lint's message names the directive.
        let errors = check(&[USERS, ("0002_vacuum.sql", "VACUUM;")]).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].message.ends_with("[needs-no-transaction]"),
            "{errors:#?}"
        );
        // A lint error and an unrelated SQL error are both reported.
        let errors = check(&[
            USERS,
            ("0002_x.sql", "DELETE FROM users;\nSELECT nope FROM users;"),
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(
            errors[1].message.contains("no such column: nope"),
            "{errors:#?}"
        );
        let checked = check(&[
            USERS,
            ("0002_posts.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));"),
        ])
        .unwrap();
        assert_eq!(checked.warnings.len(), 1);
        assert!(checked.warnings[0]
            .message
            .ends_with("[unindexed-foreign-key]"));
    }
}
