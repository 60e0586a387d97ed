//! Where a script's statements begin and end, and byte offsets as
//! line:column.

use std::ops::Range;

use super::{Kind, Token, Tokens};

/// One statement of a script, by byte offsets into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// From the first token of the statement to its `;` (or the end of the
    /// script).
    pub range: Range<usize>,
}

/// The statements of a script, in order, without the comments and blank
/// space between them. Empty statements (a lone `;`) are left out; a last
/// statement without its `;` runs to the end of the script.
///
/// A statement ends at the `;` where SQLite's `sqlite3_complete` would
/// call the text complete: its state machine, run over the tokens, keeps a
/// trigger's body (`BEGIN … ; … END;`) whole.
pub fn statements(sql: &str) -> Vec<Statement> {
    let mut found = Vec::new();
    let mut state = State::Invalid;
    let mut start = None;
    for token in Tokens::new(sql) {
        let class = Class::of(&token);
        if class != Class::Blank && start.is_none() {
            start = Some(token.start);
        }
        state = state.after(class);
        if class == Class::Semicolon && state == State::Start {
            if let Some(start) = start.take() {
                if start != token.start {
                    found.push(Statement {
                        range: start..token.end(),
                    });
                }
            }
        }
    }
    if let Some(start) = start {
        found.push(Statement {
            range: start..sql.len(),
        });
    }
    found
}

/// The statements a runner that brings its own transaction runs: all but
/// the `BEGIN` and `COMMIT` the script wraps itself in, if it does
/// ([`wrapping_transaction`]).
pub fn transaction_body(sql: &str) -> Vec<Statement> {
    let wrapper = wrapping_transaction(sql);
    let mut body = statements(sql);
    if let Some(wrapper) = wrapper {
        body.retain(|statement| !wrapper.contains(&statement.range));
    }
    body
}

/// The ranges of the `BEGIN` and the `COMMIT` (or `END`) a script wraps
/// itself in, written for a runner without transactions: its first and last
/// statements but for `PRAGMA`s outside them (SQLite's own 12-step rebuild
/// is `PRAGMA foreign_keys=OFF; BEGIN; … COMMIT; PRAGMA foreign_keys=ON;`),
/// with no other transaction control between them. Inside the runner's own
/// transaction, the two are left out.
pub fn wrapping_transaction(sql: &str) -> Option<[Range<usize>; 2]> {
    let statements = statements(sql);
    let word = |statement: &Statement| {
        let text = &sql[statement.range.clone()];
        Tokens::new(text)
            .find(|token| !token.is_trivia())
            .map(|token| token.text.to_ascii_uppercase())
            .unwrap_or_default()
    };
    let control = |statement: &Statement| {
        matches!(
            word(statement).as_str(),
            "BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE"
        )
    };
    let first = statements.iter().position(|s| word(s) != "PRAGMA")?;
    let last = statements.iter().rposition(|s| word(s) != "PRAGMA")?;
    let inner = statements.get(first + 1..last)?;
    let wrapped = word(&statements[first]) == "BEGIN"
        && matches!(word(&statements[last]).as_str(), "COMMIT" | "END")
        && !inner.iter().any(control);
    wrapped.then(|| {
        [
            statements[first].range.clone(),
            statements[last].range.clone(),
        ]
    })
}

/// The tokens `sqlite3_complete` tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Semicolon,
    Blank,
    Other,
    Explain,
    Create,
    Temp,
    Trigger,
    End,
}

impl Class {
    fn of(token: &Token) -> Self {
        match token.kind {
            Kind::Space | Kind::Comment => Self::Blank,
            Kind::Punct if token.text == ";" => Self::Semicolon,
            Kind::Word => {
                let is = |keyword: &str| token.text.eq_ignore_ascii_case(keyword);
                if is("explain") {
                    Self::Explain
                } else if is("create") {
                    Self::Create
                } else if is("temp") || is("temporary") {
                    Self::Temp
                } else if is("trigger") {
                    Self::Trigger
                } else if is("end") {
                    Self::End
                } else {
                    Self::Other
                }
            }
            _ => Self::Other,
        }
    }
}

/// Whether `sql` holds a statement at all, and not only blank space,
/// comments and lone `;`: [`statements`] is not empty. Stops at the first
/// statement.
pub fn has_statement(sql: &str) -> bool {
    Tokens::new(sql).any(|token| !token.is_trivia() && !token.is_punct(";"))
}

/// The states of `sqlite3_complete` (SQLite's `complete.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing but blank space yet.
    Invalid,
    /// Right after a complete statement.
    Start,
    /// In an ordinary statement.
    Normal,
    /// After `EXPLAIN`.
    Explain,
    /// After `CREATE` (and `TEMP`).
    Create,
    /// In a trigger's body.
    Trigger,
    /// After a `;` in a trigger's body.
    Semicolon,
    /// After `END` following a `;` in a trigger's body.
    End,
}

impl State {
    /// `complete.c`'s transition table, row by row.
    fn after(self, class: Class) -> State {
        use Class as C;
        use State as S;
        match (self, class) {
            (S::Trigger | S::Semicolon, C::Semicolon) => S::Semicolon,
            (S::End, C::Semicolon) => S::Start,
            (_, C::Semicolon) => S::Start,
            (state, C::Blank) => state,
            (S::Invalid | S::Start, C::Explain) => S::Explain,
            (S::Invalid | S::Start | S::Explain, C::Create) => S::Create,
            (S::Explain, C::Other) => S::Explain,
            (S::Create, C::Temp) => S::Create,
            (S::Create, C::Trigger) => S::Trigger,
            (S::Semicolon, C::End) => S::End,
            (S::Trigger | S::Semicolon | S::End, _) => S::Trigger,
            _ => S::Normal,
        }
    }
}

/// The 1-based line and column (in characters) of a byte offset; an offset
/// inside a character is that character's place.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
