//! SQL text normalised for showing and comparing, and names looked up in it.

use super::{tokens, Kind};

/// SQL text normalised for comparison: comments dropped, blank space
/// collapsed to one space, none after `(` or before `)`, `,` and `;`, one
/// after `,`, trimmed, and a trailing `;` removed. Strings and quoted names
/// are kept as written.
pub fn normalize_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut space = false;
    // The last code token's text: only code punctuation decides spacing.
    let mut last: Option<&str> = None;
    for token in tokens(sql) {
        if token.is_trivia() || token.text.chars().all(char::is_whitespace) {
            space = true;
            continue;
        }
        let punct = |text: &str| token.kind == Kind::Punct && token.text == text;
        let closing = punct(")") || punct(",") || punct(";");
        let space_before = match last {
            None | Some("(") => false,
            Some(",") => !closing,
            Some(_) => space && !closing,
        };
        if space_before {
            out.push(' ');
        }
        out.push_str(token.text);
        last = Some(if token.kind == Kind::Punct {
            token.text
        } else {
            "x"
        });
        space = false;
    }
    out.trim_end_matches(';').trim_end().to_string()
}

/// The text two statements are compared by: their tokens one space apart,
/// without comments or a trailing `;`, keywords and names in upper case
/// (SQLite reads them so) and a quoted name unquoted where it needs no
/// quotes; strings are kept as written. So `create table "t"(x integer)`
/// made by hand compares equal to `CREATE TABLE t (x INTEGER)`.
pub fn comparable_sql(sql: &str) -> String {
    let mut words: Vec<String> = tokens(sql)
        .iter()
        .filter(|token| !token.is_trivia())
        .map(|token| match token.kind {
            Kind::String | Kind::Blob => token.text.to_string(),
            Kind::Quoted => {
                let name = token.name().unwrap_or_default().to_ascii_uppercase();
                let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if plain {
                    name
                } else {
                    format!("\"{}\"", name.replace('"', "\"\""))
                }
            }
            _ => token.text.to_ascii_uppercase(),
        })
        .collect();
    while words.last().is_some_and(|word| word == ";") {
        words.pop();
    }
    // `LEFT OUTER JOIN` is `LEFT JOIN`: engines that write a view's SQL
    // back (Turso) spell it out.
    let noise = |i: usize| {
        words[i] == "OUTER"
            && i > 0
            && matches!(words[i - 1].as_str(), "LEFT" | "RIGHT" | "FULL")
            && words.get(i + 1).is_some_and(|next| next == "JOIN")
    };
    let kept: Vec<&str> = (0..words.len())
        .filter(|&i| !noise(i))
        .map(|i| words[i].as_str())
        .collect();
    kept.join(" ")
}

/// Where the name `name` is first written in `text` as one or more whole
/// tokens, without regard to ASCII case: never inside a longer name, a
/// string or a comment. Finds `users.nmae` in `SELECT users.nmae`, and the
/// column a message names (`NOT NULL constraint failed: t.x` mentions `x`).
pub fn find_name(text: &str, name: &str) -> Option<usize> {
    if name.is_empty() {
        return None;
    }
    let all = tokens(text);
    let ends: Vec<usize> = all.iter().map(|token| token.end()).collect();
    all.iter()
        .filter(|token| matches!(token.kind, Kind::Word | Kind::Quoted | Kind::Number))
        .map(|token| token.start)
        .find(|&start| {
            let end = start + name.len();
            text.get(start..end)
                .is_some_and(|written| written.eq_ignore_ascii_case(name))
                && ends.binary_search(&end).is_ok()
        })
        .or_else(|| {
            // A quoted name is looked up by its value too: `"we ird"`.
            all.iter()
                .find(|token| {
                    token.kind == Kind::Quoted
                        && token.name().is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .map(|token| token.start)
        })
}

/// `name` written as SQL: as it is when SQLite reads it back as that name
/// (a plain word that is no keyword), else in double quotes.
pub fn quoted_name(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// One of SQLite's keywords (its lang_keywords page), without regard to case.
pub fn is_keyword(word: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "ABORT",
        "ACTION",
        "ADD",
        "AFTER",
        "ALL",
        "ALTER",
        "ALWAYS",
        "ANALYZE",
        "AND",
        "AS",
        "ASC",
        "ATTACH",
        "AUTOINCREMENT",
        "BEFORE",
        "BEGIN",
        "BETWEEN",
        "BY",
        "CASCADE",
        "CASE",
        "CAST",
        "CHECK",
        "COLLATE",
        "COLUMN",
        "COMMIT",
        "CONFLICT",
        "CONSTRAINT",
        "CREATE",
        "CROSS",
        "CURRENT",
        "CURRENT_DATE",
        "CURRENT_TIME",
        "CURRENT_TIMESTAMP",
        "DATABASE",
        "DEFAULT",
        "DEFERRABLE",
        "DEFERRED",
        "DELETE",
        "DESC",
        "DETACH",
        "DISTINCT",
        "DO",
        "DROP",
        "EACH",
        "ELSE",
        "END",
        "ESCAPE",
        "EXCEPT",
        "EXCLUDE",
        "EXCLUSIVE",
        "EXISTS",
        "EXPLAIN",
        "FAIL",
        "FILTER",
        "FIRST",
        "FOLLOWING",
        "FOR",
        "FOREIGN",
        "FROM",
        "FULL",
        "GENERATED",
        "GLOB",
        "GROUP",
        "GROUPS",
        "HAVING",
        "IF",
        "IGNORE",
        "IMMEDIATE",
        "IN",
        "INDEX",
        "INDEXED",
        "INITIALLY",
        "INNER",
        "INSERT",
        "INSTEAD",
        "INTERSECT",
        "INTO",
        "IS",
        "ISNULL",
        "JOIN",
        "KEY",
        "LAST",
        "LEFT",
        "LIKE",
        "LIMIT",
        "MATCH",
        "MATERIALIZED",
        "NATURAL",
        "NO",
        "NOT",
        "NOTHING",
        "NOTNULL",
        "NULL",
        "NULLS",
        "OF",
        "OFFSET",
        "ON",
        "OR",
        "ORDER",
        "OTHERS",
        "OUTER",
        "OVER",
        "PARTITION",
        "PLAN",
        "PRAGMA",
        "PRECEDING",
        "PRIMARY",
        "QUERY",
        "RAISE",
        "RANGE",
        "RECURSIVE",
        "REFERENCES",
        "REGEXP",
        "REINDEX",
        "RELEASE",
        "RENAME",
        "REPLACE",
        "RESTRICT",
        "RETURNING",
        "RIGHT",
        "ROLLBACK",
        "ROW",
        "ROWS",
        "SAVEPOINT",
        "SELECT",
        "SET",
        "TABLE",
        "TEMP",
        "TEMPORARY",
        "THEN",
        "TIES",
        "TO",
        "TRANSACTION",
        "TRIGGER",
        "UNBOUNDED",
        "UNION",
        "UNIQUE",
        "UPDATE",
        "USING",
        "VACUUM",
        "VALUES",
        "VIEW",
        "VIRTUAL",
        "WHEN",
        "WHERE",
        "WINDOW",
        "WITH",
        "WITHOUT",
    ];
    KEYWORDS
        .iter()
        .any(|keyword| keyword.eq_ignore_ascii_case(word))
}
