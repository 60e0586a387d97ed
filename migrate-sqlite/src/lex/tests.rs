//! Tests of the lexer: its tokens, statement ends, names and normalised
//! text, checked by hand and, for statement ends, against SQLite itself.

use super::*;

fn kinds(sql: &str) -> Vec<(Kind, &str, usize)> {
    code(sql)
        .into_iter()
        .map(|t| (t.kind, t.text, t.depth))
        .collect()
}

fn texts(sql: &str) -> Vec<&str> {
    statements(sql).into_iter().map(|s| &sql[s.range]).collect()
}

#[test]
fn the_tokens_put_together_are_the_text() {
    for sql in [
        "SELECT 1; -- c\n/* b */ 'x''y' [a b] `q` \"r\" x'00' ?1 :a $b @c 1.5e-3 .5 0xFF é\u{a0}\u{b}",
        "/*",
        "'open",
        "-- only",
    ] {
        let joined: String = tokens(sql).iter().map(|t| t.text).collect();
        assert_eq!(joined, sql);
    }
}

#[test]
fn comments_are_skipped_and_strings_kept_whole() {
    let sql = "UPDATE t -- WHERE in a comment\n SET x = 'a -- WHERE ''b''' /* WHERE */, \"we\"\"ird\" = [x y], `z` = x'00'";
    assert_eq!(
        kinds(sql),
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
            (Kind::Blob, "x'00'", 0),
        ]
    );
    assert!(!has_top_level(&code(sql), "WHERE"));
    assert_eq!(code(sql)[7].name().as_deref(), Some("we\"ird"));
}

#[test]
fn operators_are_told_from_comments_and_numbers() {
    let found: Vec<(Kind, &str)> =
        kinds("a - b / c - -1, .5 * t.x || y <= z -> 'k' ->> 'l' != m == n <> o")
            .into_iter()
            .map(|(kind, text, _)| (kind, text))
            .collect();
    assert_eq!(
        found,
        [
            (Kind::Word, "a"),
            (Kind::Punct, "-"),
            (Kind::Word, "b"),
            (Kind::Punct, "/"),
            (Kind::Word, "c"),
            (Kind::Punct, "-"),
            (Kind::Punct, "-"),
            (Kind::Number, "1"),
            (Kind::Punct, ","),
            (Kind::Number, ".5"),
            (Kind::Punct, "*"),
            (Kind::Word, "t"),
            (Kind::Punct, "."),
            (Kind::Word, "x"),
            (Kind::Punct, "||"),
            (Kind::Word, "y"),
            (Kind::Punct, "<="),
            (Kind::Word, "z"),
            (Kind::Punct, "->"),
            (Kind::String, "'k'"),
            (Kind::Punct, "->>"),
            (Kind::String, "'l'"),
            (Kind::Punct, "!="),
            (Kind::Word, "m"),
            (Kind::Punct, "=="),
            (Kind::Word, "n"),
            (Kind::Punct, "<>"),
            (Kind::Word, "o"),
        ]
    );
    let numbers: Vec<&str> = code("1-2, 0xE + 1, 1e-3, 2E+4, 1_000, 1.2.3, 3abc, 1e")
        .iter()
        .filter(|t| t.kind == Kind::Number)
        .map(|t| t.text)
        .collect();
    assert_eq!(
        numbers,
        ["1", "2", "0xE", "1", "1e-3", "2E+4", "1_000", "1.2", ".3", "3abc", "1e"]
    );
    let quoted = code("`a``b` [c] \"d\" e");
    let names: Vec<_> = quoted.iter().map(|t| t.name().unwrap()).collect();
    assert_eq!(names, ["a`b", "c", "d", "e"]);
    let double: Vec<_> = quoted.iter().map(Token::double_quoted).collect();
    assert_eq!(double, [false, false, true, false]);
}

#[test]
fn parameters_are_one_token() {
    let found: Vec<(Kind, &str)> = code("?1, ?, :name, @at, $tcl::ns, #x, $")
        .into_iter()
        .filter(|t| !t.is_punct(","))
        .map(|t| (t.kind, t.text))
        .collect();
    assert_eq!(
        found,
        [
            (Kind::Variable, "?1"),
            (Kind::Variable, "?"),
            (Kind::Variable, ":name"),
            (Kind::Variable, "@at"),
            (Kind::Variable, "$tcl::ns"),
            (Kind::Variable, "#x"),
            (Kind::Punct, "$"),
        ]
    );
}

#[test]
fn words_are_skipped_only_all_together() {
    let t = code("DROP TABLE IF EXISTS x");
    assert_eq!(skip_words(&t, 2, &["IF", "EXISTS"]), 4);
    assert_eq!(skip_words(&t, 2, &["IF", "NOT", "EXISTS"]), 2);
    assert_eq!(skip_words(&t, 0, &["DROP", "TABLE", "IF"]), 3);
    assert_eq!(
        qualified_name(&code("main.\"t x\" y"), 0),
        Some(("t x".into(), 3))
    );
}

#[test]
fn depth_numbers_and_unterminated_input() {
    assert_eq!(
        kinds("f(a, (1.5e+3)) é 'open"),
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
    // `/*` last in the text is the `/` operator to SQLite.
    assert_eq!(
        kinds("a /*"),
        [
            (Kind::Word, "a", 0),
            (Kind::Punct, "/", 0),
            (Kind::Punct, "*", 0)
        ]
    );
    let offsets: Vec<usize> = code("a /* x */ b").iter().map(|t| t.start).collect();
    assert_eq!(offsets, [0, 10]);
    let t = code("f(a, (b)) c");
    assert_eq!(closing_paren(&t, 1), Some(7));
    assert_eq!(closing_paren(&t, 4), Some(6));
    assert_eq!(closing_paren(&t, 0), None);
}

#[test]
fn names_are_found_as_whole_tokens() {
    let statement = "INSERT INTO users (id, nmae) VALUES (2, 'nmae') -- nmae";
    assert_eq!(find_name(statement, "nmae"), statement.find("nmae"));
    assert_eq!(
        find_name("SELECT users.nmae FROM users", "USERS.nmae"),
        Some(7)
    );
    assert_eq!(find_name("SELECT x1, x FROM t", "x"), Some(11));
    assert_eq!(find_name("SELECT 'x' FROM t", "x"), None);
    assert_eq!(
        find_name("INSERT INTO \"we ird\" VALUES (1)", "we ird"),
        Some(12)
    );
    assert_eq!(
        find_name("NOT NULL constraint failed: t.my col", "my col"),
        Some(30)
    );
    assert_eq!(find_name("anything", ""), None);
}

#[test]
fn normalized_text_keeps_quotes_as_written() {
    assert_eq!(
        normalize_sql("  SELECT  a ,\n\tb -- c\nFROM [x  y] WHERE s = 'a  -- b' /* z */;  "),
        "SELECT a, b FROM [x  y] WHERE s = 'a  -- b'"
    );
    assert_eq!(normalize_sql("f( a , ( b ) )"), "f(a, (b))");
    assert_eq!(
        comparable_sql("create table \"t\"(x integer default 'a b', \"y z\" text);"),
        "CREATE TABLE T ( X INTEGER DEFAULT 'a b' , \"Y Z\" TEXT )"
    );
    assert_eq!(comparable_sql("a<>''"), comparable_sql("a <> ''"));
    assert_ne!(comparable_sql("x = 'a'"), comparable_sql("x = 'A'"));
    assert_eq!(
        comparable_sql("CREATE TABLE t (x INTEGER)"),
        comparable_sql("create  table t(x integer) -- made by hand")
    );
}

#[test]
fn an_outer_join_compares_equal_to_the_join_it_spells_out() {
    assert_eq!(
        comparable_sql("SELECT count(p.id) FROM u LEFT JOIN p ON p.u = u.id"),
        comparable_sql("SELECT count (p.id) FROM u LEFT OUTER JOIN p ON p.u = u.id")
    );
    assert_eq!(
        comparable_sql("SELECT * FROM a FULL JOIN b"),
        comparable_sql("SELECT * FROM a FULL OUTER JOIN b")
    );
    assert_ne!(
        comparable_sql("SELECT outer FROM a"),
        comparable_sql("SELECT FROM a")
    );
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

mod properties {
    use std::ffi::CString;

    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;
    use rusqlite::Connection;

    use super::*;
    use std::ops::Range;

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
            prop_assert_eq!(has_statement(&sql), !statements(&sql).is_empty());
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

#[test]
fn a_wrapping_transaction_is_the_first_and_last_statement_and_nothing_between() {
    let ranges = |sql: &str| {
        wrapping_transaction(sql)
            .map(|[begin, commit]| (sql[begin].to_string(), sql[commit].to_string()))
    };
    assert_eq!(
        ranges("-- up\nBEGIN TRANSACTION;\nCREATE TABLE a (x);\nCOMMIT;\n"),
        Some(("BEGIN TRANSACTION;".into(), "COMMIT;".into()))
    );
    assert_eq!(
        ranges("begin immediate;\nCREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;\nend transaction"),
        Some(("begin immediate;".into(), "end transaction".into()))
    );
    assert_eq!(
        ranges("BEGIN;\nCREATE TABLE a (x);\nCOMMIT;\nCREATE TABLE b (x);"),
        None
    );
    assert_eq!(ranges("BEGIN;\nCOMMIT;\nBEGIN;\nCOMMIT;"), None);
    assert_eq!(ranges("BEGIN;\nSAVEPOINT s;\nCOMMIT;"), None);
    assert_eq!(ranges("BEGIN;"), None);
    assert_eq!(ranges("CREATE TABLE a (x);"), None);
    // SQLite's own 12-step rebuild: the PRAGMAs go outside the transaction.
    assert_eq!(
        ranges(
            "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE new_a (x);\n\
             DROP TABLE a;\nALTER TABLE new_a RENAME TO a;\nPRAGMA foreign_key_check;\n\
             COMMIT;\nPRAGMA foreign_keys=ON;\n"
        ),
        Some(("BEGIN TRANSACTION;".into(), "COMMIT;".into()))
    );
    assert_eq!(
        ranges("PRAGMA foreign_keys=OFF;\nPRAGMA foreign_keys=ON;"),
        None
    );
}

#[test]
fn foreign_keys_turned_off_by_a_pragma_are_found_in_any_statement() {
    use crate::turns_foreign_keys_off;
    let sql = "CREATE TABLE a (x);\nPRAGMA main.foreign_keys = 0;";
    assert_eq!(turns_foreign_keys_off(sql), Some(20));
    for off in [
        "PRAGMA foreign_keys=OFF",
        "pragma FOREIGN_KEYS(false)",
        "PRAGMA foreign_keys = 'no'",
    ] {
        assert!(turns_foreign_keys_off(off).is_some(), "{off}");
    }
    for on in [
        "PRAGMA foreign_keys = ON",
        "-- PRAGMA foreign_keys = OFF\nSELECT 1",
        "SELECT 'PRAGMA foreign_keys = OFF'",
        "PRAGMA foreign_key_check",
        "PRAGMA defer_foreign_keys = OFF",
    ] {
        assert_eq!(turns_foreign_keys_off(on), None, "{on}");
    }
    // A script that runs alone turns them off itself, as written.
    let alone =
        crate::Directives::parse("-- migrate: no-transaction\nPRAGMA foreign_keys = OFF;").unwrap();
    assert!(!alone.foreign_keys_off());
}

#[test]
fn a_script_kept_for_later_states_the_directives_its_text_does_not() {
    use crate::{Directive, Directives, Script};
    let stated = "-- migrate: no-transaction\nVACUUM;";
    let script = Script::owned(stated.into(), Directives::parse(stated).unwrap());
    assert_eq!(script.self_describing_sql(), stated);
    let rebuild = "CREATE TABLE new_t (x);\nDROP TABLE t;\nALTER TABLE new_t RENAME TO t;";
    let off = Directives::NONE.with(Directive::ForeignKeysOff);
    let kept = Script::owned(rebuild.into(), off)
        .self_describing_sql()
        .into_owned();
    assert_eq!(kept, format!("-- migrate: foreign-keys-off\n{rebuild}"));
    assert_eq!(Directives::parse_for_running(&kept).unwrap(), off);
}
