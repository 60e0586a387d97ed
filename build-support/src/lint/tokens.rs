//! A small SQL tokenizer: enough to read the shape of a statement.

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
    pub(crate) fn is(&self, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    pub(crate) fn is_punct(&self, c: &str) -> bool {
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
    pub(crate) fn double_quoted(&self) -> bool {
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
pub(crate) fn qualified_name(tokens: &[Token], at: usize) -> Option<(String, usize)> {
    let first = tokens.get(at)?.name()?;
    if tokens.get(at + 1).is_some_and(|t| t.is_punct(".")) {
        let second = tokens.get(at + 2)?.name()?;
        return Some((second, at + 3));
    }
    Some((first, at + 1))
}

/// Whether `word` is a keyword outside any parentheses.
pub(super) fn has_top_level(t: &[Token], word: &str) -> bool {
    t.iter().any(|token| token.depth == 0 && token.is(word))
}

/// Skips the words `words` in order if all are there.
pub(super) fn skip_words(tokens: &[Token], at: usize, words: &[&str]) -> usize {
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
    fn tokenizer_tells_operators_from_comments_and_numbers() {
        let found: Vec<(Kind, &str)> = kinds("a - b / c - -1, .5 * t.x")
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
            ]
        );
        let numbers: Vec<&str> = tokenize("1-2, 0xE + 1, 1e-3, 2E+4")
            .iter()
            .filter(|t| t.kind == Kind::Number)
            .map(|t| t.text)
            .collect();
        assert_eq!(numbers, ["1", "2", "0xE", "1", "1e-3", "2E+4"]);
        let quoted = tokenize("`a``b` [c] \"d\" e");
        let names: Vec<_> = quoted.iter().map(|t| t.name().unwrap()).collect();
        assert_eq!(names, ["a`b", "c", "d", "e"]);
        let double: Vec<_> = quoted.iter().map(Token::double_quoted).collect();
        assert_eq!(double, [false, false, true, false]);
    }

    #[test]
    fn words_are_skipped_only_all_together() {
        let t = tokenize("DROP TABLE IF EXISTS x");
        assert_eq!(skip_words(&t, 2, &["IF", "EXISTS"]), 4);
        assert_eq!(skip_words(&t, 2, &["IF", "NOT", "EXISTS"]), 2);
        assert_eq!(skip_words(&t, 0, &["DROP", "TABLE", "IF"]), 3);
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
}
