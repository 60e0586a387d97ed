//! The toolkit's one SQL lexer: SQL text cut into tokens as SQLite's own
//! tokenizer cuts it, and the questions the rest of the toolkit asks of
//! them (statement ends, names, keywords, normalised text).
//!
//! Every place that reads SQL reads it through here, so that a quote, a
//! comment or a trigger body means the same thing to the compile-time
//! checks, the lints, the seeder, the schema reader and the runtime.

mod statements;
mod text;
mod virtual_table;

pub use statements::{
    has_statement, line_col, statements, transaction_body, wrapping_transaction, Statement,
};
pub use text::{comparable_sql, find_name, is_keyword, normalize_sql, quoted_name};
pub use virtual_table::VirtualTable;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A keyword or an unquoted name.
    Word,
    /// A name in `"…"`, `` `…` `` or `[…]`.
    Quoted,
    /// A string literal `'…'`.
    String,
    /// A blob literal `x'…'`.
    Blob,
    /// A number: `1`, `2.5e-3`, `.5`, `0xff`.
    Number,
    /// A parameter: `?1`, `:name`, `@name`, `$name`.
    Variable,
    /// An operator or a punctuation mark, as SQLite reads it: `(`, `;`,
    /// `||`, `<=`, `->>`; also a character SQLite does not accept.
    Punct,
    /// Blank space SQLite skips: space, tab, newline, carriage return and
    /// form feed, no other.
    Space,
    /// A `-- …` or `/* … */` comment.
    Comment,
}

/// One token of SQL text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// What it is.
    pub kind: Kind,
    /// Its text, quotes included.
    pub text: &'a str,
    /// Its byte offset in the text that was read.
    pub start: usize,
    /// How many parentheses are open around it; for `(` and `)`, those
    /// around the pair.
    pub depth: usize,
}

impl Token<'_> {
    /// The byte offset just after it.
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// An unquoted word equal to `keyword`, without regard to case.
    pub fn is(&self, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    /// The punctuation or operator `text`.
    pub fn is_punct(&self, text: &str) -> bool {
        self.kind == Kind::Punct && self.text == text
    }

    /// Blank space or a comment: nothing SQLite runs.
    pub fn is_trivia(&self) -> bool {
        matches!(self.kind, Kind::Space | Kind::Comment)
    }

    /// A name's value: the word, or the quoted text without its quotes.
    pub fn name(&self) -> Option<String> {
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

    /// A double-quoted token: a name, or, where SQLite falls back to it, a
    /// string literal.
    pub fn double_quoted(&self) -> bool {
        self.kind == Kind::Quoted && self.text.starts_with('"')
    }
}

/// Every token of `sql`, blank space and comments included, in order: the
/// texts of the tokens put together are `sql`.
pub fn tokens(sql: &str) -> Vec<Token<'_>> {
    Tokens::new(sql).collect()
}

/// The tokens of a text, one by one: what [`tokens`] collects.
pub struct Tokens<'a> {
    sql: &'a str,
    at: usize,
    depth: usize,
}

impl<'a> Tokens<'a> {
    /// The tokens of `sql`, from its start.
    pub fn new(sql: &'a str) -> Self {
        Self {
            sql,
            at: 0,
            depth: 0,
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if self.at >= self.sql.len() {
            return None;
        }
        let (kind, end) = next_token(self.sql, self.at);
        let text = &self.sql[self.at..end];
        if kind == Kind::Punct && text == ")" {
            self.depth = self.depth.saturating_sub(1);
        }
        let token = Token {
            kind,
            text,
            start: self.at,
            depth: self.depth,
        };
        if kind == Kind::Punct && text == "(" {
            self.depth += 1;
        }
        self.at = end;
        Some(token)
    }
}

/// The tokens of `sql` that SQLite runs: [`tokens`] without blank space
/// and comments.
pub fn code(sql: &str) -> Vec<Token<'_>> {
    Tokens::new(sql)
        .filter(|token| !token.is_trivia())
        .collect()
}

/// A character that may be part of a name (SQLite's `IdChar`): a letter, a
/// digit, `_`, `$`, or any byte of a character beyond ASCII.
fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

/// The blank space SQLite skips. Not Rust's `is_whitespace`: SQLite reads
/// U+00A0 or U+3000 as part of a name, and U+000B as no token at all.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

/// The kind and end of the token at `at`, as SQLite's `sqlite3GetToken`
/// reads it.
fn next_token(sql: &str, at: usize) -> (Kind, usize) {
    let bytes = sql.as_bytes();
    let byte = |offset: usize| bytes.get(at + offset).copied();
    let punct = |len: usize| (Kind::Punct, at + len);
    match bytes[at] {
        b if is_space(b) => {
            let len = bytes[at..].iter().take_while(|&&b| is_space(b)).count();
            (Kind::Space, at + len)
        }
        b'-' if byte(1) == Some(b'-') => {
            let len = bytes[at..].iter().take_while(|&&b| b != b'\n').count();
            (Kind::Comment, at + len)
        }
        b'-' if byte(1) == Some(b'>') => punct(if byte(2) == Some(b'>') { 3 } else { 2 }),
        // `/*` with nothing after it is the `/` operator to SQLite.
        b'/' if byte(1) == Some(b'*') && byte(2).is_some() => {
            let end = sql[at + 2..]
                .find("*/")
                .map_or(bytes.len(), |found| at + 2 + found + 2);
            (Kind::Comment, end)
        }
        b'=' => punct(if byte(1) == Some(b'=') { 2 } else { 1 }),
        b'<' => punct(match byte(1) {
            Some(b'=' | b'>' | b'<') => 2,
            _ => 1,
        }),
        b'>' => punct(match byte(1) {
            Some(b'=' | b'>') => 2,
            _ => 1,
        }),
        b'!' => punct(if byte(1) == Some(b'=') { 2 } else { 1 }),
        b'|' => punct(if byte(1) == Some(b'|') { 2 } else { 1 }),
        quote @ (b'\'' | b'"' | b'`') => {
            let end = quoted_end(bytes, at, quote);
            (
                if quote == b'\'' {
                    Kind::String
                } else {
                    Kind::Quoted
                },
                end,
            )
        }
        b'[' => {
            let end = bytes[at..]
                .iter()
                .position(|&b| b == b']')
                .map_or(bytes.len(), |found| at + found + 1);
            (Kind::Quoted, end)
        }
        b'.' if byte(1).is_some_and(|b| b.is_ascii_digit()) => {
            (Kind::Number, number_end(bytes, at))
        }
        b'0'..=b'9' => (Kind::Number, number_end(bytes, at)),
        b'x' | b'X' if byte(1) == Some(b'\'') => (Kind::Blob, quoted_end(bytes, at + 1, b'\'')),
        b'?' => {
            let len = bytes[at + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            (Kind::Variable, at + 1 + len)
        }
        b'$' | b'@' | b':' | b'#' => {
            let mut end = at + 1;
            while end < bytes.len() {
                if is_name_byte(bytes[end]) {
                    end += 1;
                } else if bytes[end] == b':' && bytes.get(end + 1) == Some(&b':') {
                    end += 2;
                } else {
                    break;
                }
            }
            if end == at + 1 {
                punct(1)
            } else {
                (Kind::Variable, end)
            }
        }
        b if is_name_byte(b) => {
            let len = bytes[at..].iter().take_while(|&&b| is_name_byte(b)).count();
            (Kind::Word, at + len)
        }
        // Anything else is one character, whole even beyond ASCII.
        _ => punct(sql[at..].chars().next().map_or(1, char::len_utf8)),
    }
}

/// The end of a quoted token opening at `at` with `quote`; a doubled quote
/// is part of it. An unterminated one runs to the end of the text.
fn quoted_end(bytes: &[u8], at: usize, quote: u8) -> usize {
    let mut end = at + 1;
    loop {
        match bytes[end..].iter().position(|&b| b == quote) {
            None => return bytes.len(),
            Some(found) => {
                end += found + 1;
                if bytes.get(end) != Some(&quote) {
                    return end;
                }
                end += 1;
            }
        }
    }
}

/// The end of the number at `at`: digits (with `_` between them), a
/// fraction, an exponent, or a hexadecimal `0x…`; name characters right
/// after it are part of the (then invalid) token, as in SQLite.
fn number_end(bytes: &[u8], at: usize) -> usize {
    let digits = |mut end: usize, hex: bool| {
        while end < bytes.len() {
            let b = bytes[end];
            let is_digit = |b: u8| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            };
            let digit = is_digit(b);
            let separator =
                b == b'_' && end > at && bytes.get(end + 1).is_some_and(|&n| is_digit(n));
            if !(digit || separator) {
                break;
            }
            end += 1;
        }
        end
    };
    let hex = bytes[at] == b'0'
        && matches!(bytes.get(at + 1), Some(b'x' | b'X'))
        && bytes.get(at + 2).is_some_and(u8::is_ascii_hexdigit);
    let mut end = if hex {
        digits(at + 2, true)
    } else {
        let mut end = digits(at, false);
        if bytes.get(end) == Some(&b'.') {
            end = digits(end + 1, false);
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
            if bytes.get(end + 1 + sign).is_some_and(u8::is_ascii_digit) {
                end = digits(end + 1 + sign, false);
            }
        }
        end
    };
    while end < bytes.len() && is_name_byte(bytes[end]) {
        end += 1;
    }
    end
}

/// A possibly schema-qualified name at `tokens[at..]`: the name (without
/// the schema) and the index after it.
pub fn qualified_name(tokens: &[Token], at: usize) -> Option<(String, usize)> {
    let first = tokens.get(at)?.name()?;
    if tokens.get(at + 1).is_some_and(|t| t.is_punct(".")) {
        let second = tokens.get(at + 2)?.name()?;
        return Some((second, at + 3));
    }
    Some((first, at + 1))
}

/// Whether `keyword` is among `tokens` outside any parentheses.
pub fn has_top_level(tokens: &[Token], keyword: &str) -> bool {
    tokens
        .iter()
        .any(|token| token.depth == 0 && token.is(keyword))
}

/// The index after the keywords `words` at `tokens[at..]` if all are there
/// in order, else `at`.
pub fn skip_words(tokens: &[Token], at: usize, words: &[&str]) -> usize {
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

/// The index of the token that closes the parenthesis `tokens[open]`.
pub fn closing_paren(tokens: &[Token], open: usize) -> Option<usize> {
    let depth = tokens.get(open).filter(|t| t.is_punct("("))?.depth;
    tokens[open + 1..]
        .iter()
        .position(|t| t.depth == depth && t.is_punct(")"))
        .map(|found| open + 1 + found)
}

#[cfg(test)]
mod tests;
