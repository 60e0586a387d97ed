//! Splitting a script into statements, and byte offsets into line:column.

use std::ops::Range;

/// One statement of a script, by byte offsets into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// From the first token of the statement to its `;` (or the end of the script).
    pub range: Range<usize>,
}

/// The statements of a script, in order, without the comments and blank
/// space between them. Empty statements (a lone `;`) are left out.
///
/// Boundaries come from SQLite's own `sqlite3_complete`, so semicolons in
/// strings, quoted names, comments and trigger bodies are handled exactly as
/// SQLite handles them.
pub fn statements(sql: &str) -> Vec<Statement> {
    // sqlite3_complete reads a NUL-terminated string: keep one buffer and put
    // a NUL after each candidate `;` in turn instead of copying the prefix.
    let mut buffer = Vec::with_capacity(sql.len() + 1);
    buffer.extend_from_slice(sql.as_bytes());
    buffer.push(0);

    let mut found = Vec::new();
    let mut chunk_start = 0;
    for end in memchr_semicolons(sql) {
        let saved = std::mem::replace(&mut buffer[end + 1], 0);
        let complete = chunk_is_complete(&buffer[chunk_start..=end + 1]);
        buffer[end + 1] = saved;
        if complete {
            push_statement(&mut found, sql, chunk_start..end + 1);
            chunk_start = end + 1;
        }
    }
    push_statement(&mut found, sql, chunk_start..sql.len());
    found
}

fn memchr_semicolons(sql: &str) -> impl Iterator<Item = usize> + '_ {
    sql.bytes()
        .enumerate()
        .filter(|(_, byte)| *byte == b';')
        .map(|(index, _)| index)
}

/// `chunk` ends in NUL.
fn chunk_is_complete(chunk: &[u8]) -> bool {
    debug_assert_eq!(chunk.last(), Some(&0));
    // SAFETY: `chunk` is NUL-terminated and lives for the whole call.
    unsafe { rusqlite::ffi::sqlite3_complete(chunk.as_ptr().cast()) != 0 }
}

fn push_statement(found: &mut Vec<Statement>, sql: &str, chunk: Range<usize>) {
    let start = chunk.start + skip_trivia(&sql[chunk.clone()]);
    let text = &sql[start..chunk.end];
    if !text.is_empty() && text != ";" {
        found.push(Statement {
            range: start..chunk.end,
        });
    }
}

/// The characters SQLite's tokenizer takes as blank space. Not Rust's
/// `char::is_whitespace`: SQLite reads U+00A0 or U+3000 as part of a name,
/// and U+000B as no token at all.
const SQLITE_BLANK: [char; 5] = [' ', '\t', '\n', '\x0c', '\r'];

/// Length of the leading white space and comments of `sql`.
fn skip_trivia(sql: &str) -> usize {
    let mut rest = sql;
    loop {
        let trimmed = rest.trim_start_matches(SQLITE_BLANK);
        rest = if let Some(comment) = trimmed.strip_prefix("--") {
            comment.find('\n').map_or("", |end| &comment[end..])
        } else if let Some(comment) = trimmed.strip_prefix("/*") {
            comment.find("*/").map_or("", |end| &comment[end + 2..])
        } else {
            return sql.len() - trimmed.len();
        };
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        statements(sql).into_iter().map(|s| &sql[s.range]).collect()
    }

    #[test]
    fn splits_on_semicolons_outside_strings_and_comments() {
        let sql = "-- first; not a statement\nCREATE TABLE t (x TEXT DEFAULT 'a;b');\n\
                   /* ; */ INSERT INTO \"we;ird\" VALUES (1) ;\n  ;;\nSELECT 1";
        assert_eq!(
            texts(sql),
            [
                "CREATE TABLE t (x TEXT DEFAULT 'a;b');",
                "INSERT INTO \"we;ird\" VALUES (1) ;",
                "SELECT 1"
            ]
        );
    }

    #[test]
    fn keeps_trigger_bodies_whole() {
        let sql = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET x = 1;\n  DELETE FROM u;\nEND;\nSELECT 2;";
        let found = texts(sql);
        assert_eq!(found.len(), 2);
        assert!(found[0].starts_with("CREATE TRIGGER") && found[0].ends_with("END;"));
    }

    #[test]
    fn blank_space_is_what_sqlite_skips() {
        // Form feed is blank to SQLite; U+00A0, U+3000 and U+000B are not,
        // though Rust's `trim` takes them: the statement starts at them.
        assert_eq!(texts("\x0c SELECT 1;"), ["SELECT 1;"]);
        assert_eq!(texts("\u{a0}SELECT 1;"), ["\u{a0}SELECT 1;"]);
        assert_eq!(texts("SELECT 1;\n\u{3000}"), ["SELECT 1;", "\u{3000}"]);
        assert_eq!(texts("/* c */\u{b}SELECT 1;"), ["\u{b}SELECT 1;"]);
    }

    #[test]
    fn only_comments_is_no_statement() {
        assert!(statements("-- nothing\n/* at all */\n").is_empty());
        assert!(statements("").is_empty());
    }

    #[test]
    fn line_and_column() {
        let text = "ab\ncdé\nfg";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 8), (3, 1)); // after the two-byte é and the newline
        assert_eq!(line_col(text, 6), (2, 3)); // inside é: its start
        assert_eq!(line_col(text, 99), (3, 3));
    }
}
