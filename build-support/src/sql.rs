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
        } else if let Some(comment) = trimmed
            .strip_prefix("/*")
            // `/*` with nothing after it is a `/` to SQLite, not a comment.
            .filter(|comment| !comment.is_empty())
        {
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
    fn an_offset_inside_a_character_counts_from_its_start() {
        assert_eq!(line_col("é", 1), (1, 1));
        assert_eq!(line_col("a\n€x", 4), (2, 1));
    }

    #[test]
    fn a_statement_runs_to_its_semicolon() {
        let sql = "SELECT 1;\n  -- two\nSELECT 2 ;SELECT 3";
        let texts: Vec<&str> = statements(sql)
            .iter()
            .map(|s| &sql[s.range.clone()])
            .collect();
        assert_eq!(texts, ["SELECT 1;", "SELECT 2 ;", "SELECT 3"]);
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
    fn a_comment_opened_at_the_very_end_is_a_slash() {
        // What SQLite does: `/*` then the end of the text is the `/` token.
        assert_eq!(texts("SELECT 1;\n/*"), ["SELECT 1;", "/*"]);
        assert_eq!(texts("SELECT 1;\n/* not closed"), ["SELECT 1;"]);
        assert_eq!(texts("SELECT 1; /**"), ["SELECT 1;"]);
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

#[cfg(test)]
mod properties {
    use std::ffi::CString;

    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;
    use rusqlite::Connection;

    use super::*;

    /// How a statement may start: never `CREATE` or `EXPLAIN`, which begin
    /// a trigger's own rules.
    const FIRST_WORDS: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE", "VALUES", "PRAGMA"];
    const WORDS: &[&str] = &[
        "x", "t1", "FROM", "WHERE", "END", "CREATE", "TRIGGER", "BEGIN", "CASE", "WHEN", "é_col",
        "表", "1", "2.5", "(", ")", ",", "=", "||", "*",
    ];
    const SPACE: &[&str] = &[" ", "  ", "\n", "\r\n", "\t", "\x0c", " \r\n\t"];
    /// Inside a string or a quoted name: what would end a statement, start
    /// a comment or a line anywhere else.
    const QUOTED: &[&str] = &[
        ";", "--", "/*", "*/", "END;", "a", " ", "\n", "\r\n", "é", "🙂", "'", "\"", "`", "[", "]",
    ];
    const IN_BLOCK_COMMENT: &[&str] = &[";", "--", "'", "\"", "\n", "é", " END;", "*", " /"];
    const IN_LINE_COMMENT: &[&str] = &[";", "/*", "*/", "'", "\"", "é", " END;", "\r"];

    fn joined(
        pieces: &'static [&'static str],
        len: std::ops::Range<usize>,
    ) -> BoxedStrategy<String> {
        vec(select(pieces), len)
            .prop_map(|pieces| pieces.concat())
            .boxed()
    }

    /// One token or comment inside a statement.
    fn atom() -> BoxedStrategy<String> {
        prop_oneof![
            4 => select(WORDS).prop_map(str::to_string),
            // 'it''s'
            2 => joined(QUOTED, 0..6).prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
            // "we""ird", [we;rd], `we``ird`
            1 => joined(QUOTED, 1..6).prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
            1 => joined(QUOTED, 1..6).prop_map(|s| format!("[{}]", s.replace(']', ""))),
            1 => joined(QUOTED, 1..6).prop_map(|s| format!("`{}`", s.replace('`', "``"))),
            // `*` and `/` never meet: no early end of the comment.
            1 => joined(IN_BLOCK_COMMENT, 0..5).prop_map(|s| format!("/*{s}*/")),
            1 => (joined(IN_LINE_COMMENT, 0..5), select(&["\n", "\r\n"][..]))
                .prop_map(|(s, end)| format!("--{s}{end}")),
        ]
        .boxed()
    }

    /// A statement that is not a trigger, ending in `;` when `terminated`.
    fn plain_statement() -> BoxedStrategy<String> {
        (
            select(FIRST_WORDS),
            vec((select(SPACE), atom()), 0..6),
            select(&["", " ", "\n", "\r\n"][..]),
        )
            .prop_map(|(first, atoms, before_semicolon)| {
                let mut statement = first.to_string();
                for (space, atom) in atoms {
                    statement.push_str(space);
                    statement.push_str(&atom);
                }
                statement.push_str(before_semicolon);
                statement.push(';');
                statement
            })
            .boxed()
    }

    /// A trigger, whose body holds statements and their semicolons.
    fn trigger() -> BoxedStrategy<String> {
        (
            select(&["CREATE", "create"][..]),
            select(&["", " TEMP", " TEMPORARY"][..]),
            vec((plain_statement(), select(SPACE)), 1..4),
            select(&[";", " ;", "\n;", " /* c */ ;"][..]),
        )
            .prop_map(|(create, temp, body, end)| {
                let mut trigger = format!("{create}{temp} TRIGGER tr AFTER INSERT ON t BEGIN\n");
                for (statement, space) in body {
                    trigger.push_str(&statement);
                    trigger.push_str(space);
                }
                trigger.push_str("END");
                trigger.push_str(end);
                trigger
            })
            .boxed()
    }

    /// Blank space, comments and empty statements between statements.
    fn trivia(semicolons: bool) -> BoxedStrategy<String> {
        let piece = prop_oneof![
            4 => select(SPACE).prop_map(str::to_string),
            1 => joined(IN_LINE_COMMENT, 0..4).prop_map(|s| format!("--{s}\n")),
            1 => joined(IN_BLOCK_COMMENT, 0..4).prop_map(|s| format!("/*{s}*/")),
            1 => Just(if semicolons { ";" } else { " " }.to_string()),
        ];
        vec(piece, 0..4).prop_map(|pieces| pieces.concat()).boxed()
    }

    /// A script and the byte ranges of its statements. The last statement
    /// may lack its `;`: it then runs to the end of the script, trailing
    /// blank space and comments included, as documented.
    fn script() -> impl Strategy<Value = (String, Vec<Range<usize>>)> {
        (
            vec(
                (
                    trivia(true),
                    prop_oneof![4 => plain_statement(), 1 => trigger()],
                ),
                0..6,
            ),
            any::<bool>(),
            trivia(true),
            trivia(false),
            // A line comment with no newline, last in the file.
            prop_oneof![
                Just(String::new()),
                joined(IN_LINE_COMMENT, 0..3).prop_map(|s| format!("--{s}"))
            ],
        )
            .prop_map(
                |(parts, unterminated, trailing, unterminated_trailing, last_comment)| {
                    let mut script = String::new();
                    let mut ranges = Vec::new();
                    let count = parts.len();
                    for (index, (trivia, statement)) in parts.into_iter().enumerate() {
                        script.push_str(&trivia);
                        let start = script.len();
                        if index + 1 == count && unterminated {
                            script.push_str(statement.strip_suffix(';').unwrap());
                            script.push_str(&unterminated_trailing);
                            script.push_str(&last_comment);
                            ranges.push(start..script.len());
                            return (script, ranges);
                        }
                        script.push_str(&statement);
                        ranges.push(start..script.len());
                    }
                    script.push_str(&trailing);
                    script.push_str(&last_comment);
                    (script, ranges)
                },
            )
    }

    /// Fragments of SQL and characters that are blank space to Rust but
    /// not to SQLite (U+000B, U+00A0, U+0085, U+2028, U+3000), in any order.
    fn soup() -> impl Strategy<Value = String> {
        vec(
            select(
                &[
                    "SELECT", "x", "1", ";", ";", "'a;b'", "'", "\"", "\"q;\"", "--", "-- c\n",
                    "/*", "*/", "/* ; */", " ", "\n", "\r\n", "\t", "\x0c", "\x0b", "\u{a0}",
                    "\u{3000}", "\u{85}", "\u{2028}", "\u{feff}", "CREATE", "TRIGGER", "TEMP",
                    "BEGIN", "END", "é", "🙂", "[", "]", "`", "(",
                ][..],
            ),
            0..24,
        )
        .prop_map(|pieces| pieces.join(""))
    }

    fn complete(sql: &str) -> bool {
        let sql = CString::new(sql).unwrap();
        // SAFETY: a NUL-terminated string that outlives the call.
        unsafe { rusqlite::ffi::sqlite3_complete(sql.as_ptr()) != 0 }
    }

    /// What SQLite itself makes of the text between statements: nothing to
    /// run, and no error.
    fn is_trivia_to_sqlite(conn: &Connection, gap: &str) -> bool {
        conn.execute_batch(gap).is_ok()
    }

    /// Checks the statements of `sql` against SQLite: in order, apart,
    /// each ending at the first `;` where SQLite sees a complete statement,
    /// with nothing but blank space, comments and `;` between them.
    fn check_against_sqlite(sql: &str, found: &[Statement]) -> Result<(), TestCaseError> {
        let conn = Connection::open_in_memory().unwrap();
        let mut end_of_previous = 0;
        for (index, statement) in found.iter().enumerate() {
            let range = statement.range.clone();
            prop_assert!(end_of_previous <= range.start && range.start < range.end);
            prop_assert!(range.end <= sql.len());
            prop_assert!(sql.is_char_boundary(range.start) && sql.is_char_boundary(range.end));
            let gap = &sql[end_of_previous..range.start];
            prop_assert!(
                is_trivia_to_sqlite(&conn, gap),
                "{:?} is not blank to SQLite",
                gap
            );
            let text = &sql[range.clone()];
            prop_assert_ne!(text, ";");
            let last = index + 1 == found.len();
            // Complete, or the unfinished rest of the script.
            if !(text.ends_with(';') && complete(text)) {
                prop_assert!(last && range.end == sql.len(), "{:?}", text);
            }
            // No earlier `;` completes it.
            for (at, _) in text
                .match_indices(';')
                .filter(|(at, _)| at + 1 < text.len())
            {
                let prefix = &sql[end_of_previous..range.start + at + 1];
                prop_assert!(!complete(prefix), "{:?} is complete", prefix);
            }
            end_of_previous = range.end;
        }
        let tail = &sql[end_of_previous..];
        prop_assert!(
            is_trivia_to_sqlite(&conn, tail),
            "{:?} is not blank to SQLite",
            tail
        );
        Ok(())
    }

    /// Line and column by walking the text one character at a time: lines
    /// end at `\n`, columns count characters (a `\r` before the `\n` too),
    /// and an offset inside a character is the place of that character.
    fn naive_line_col(text: &str, offset: usize) -> (usize, usize) {
        let (mut line, mut column) = (1, 1);
        for (at, c) in text.char_indices() {
            if at + c.len_utf8() > offset {
                break;
            }
            if c == '\n' {
                (line, column) = (line + 1, 1);
            } else {
                column += 1;
            }
        }
        (line, column)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn finds_exactly_the_statements_a_script_was_made_of((sql, ranges) in script()) {
            let found = statements(&sql);
            let found_ranges: Vec<_> = found.iter().map(|s| s.range.clone()).collect();
            prop_assert_eq!(&found_ranges, &ranges, "{:?}", sql);
            check_against_sqlite(&sql, &found)?;
        }

        #[test]
        fn agrees_with_sqlite_on_any_text(sql in soup()) {
            check_against_sqlite(&sql, &statements(&sql))?;
        }

        #[test]
        fn line_col_counts_lines_and_characters(
            text in prop_oneof![soup(), script().prop_map(|(sql, _)| sql)],
            offsets in vec(any::<prop::sample::Index>(), 1..8),
        ) {
            let mut offsets: Vec<_> = offsets.iter().map(|at| at.index(text.len() + 3)).collect();
            offsets.sort();
            let mut previous = (1, 1);
            for offset in offsets {
                let found = line_col(&text, offset);
                prop_assert_eq!(found, naive_line_col(&text, offset), "{:?} at {}", text, offset);
                prop_assert!(found >= previous, "not in order");
                previous = found;
            }
        }

        /// The line and column of a statement's start, looked up in the
        /// text's lines as a diagnostic quotes them, is that statement's
        /// first character.
        #[test]
        fn a_statement_starts_where_its_line_and_column_say((sql, _) in script()) {
            for statement in statements(&sql) {
                let (line, column) = line_col(&sql, statement.range.start);
                let quoted = sql.lines().nth(line - 1).and_then(|l| l.chars().nth(column - 1));
                prop_assert_eq!(quoted, sql[statement.range.start..].chars().next());
            }
        }
    }
}
