use std::fmt;

use migrate_sqlite::lex::line_col;
use migrate_sqlite::{FailedAt, Failure};
use serde::{Deserialize, Serialize};

/// A problem found in a migrations folder, in the form a person can act on:
/// where (file, line, column), what, and what to do.
///
/// Rendered as:
///
/// ```text
/// migrations/0003_add_email.sql:4:12: no such column: emial
///   |
/// 4 | UPDATE users SET email = emial;
///   |                          ^
///   = note: …
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The file or folder, as the user would type it (relative to the crate).
    pub path: String,
    /// Where in the file, when the problem is at one place in it.
    pub location: Option<Location>,
    /// What is wrong.
    pub message: String,
    /// Further lines: context (`note: …`) and what to do (`help: …`).
    pub notes: Vec<String>,
}

/// A place in a file, with the line it is on for quoting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The text of that line.
    pub line_text: String,
}

impl Location {
    /// The location of a byte offset in `text`.
    pub fn at(text: &str, offset: usize) -> Self {
        let (line, column) = line_col(text, offset);
        let line_text = text.lines().nth(line - 1).unwrap_or("").to_string();
        Self {
            line,
            column,
            line_text,
        }
    }
}

impl Diagnostic {
    /// A problem with a whole file or folder.
    pub fn file(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            location: None,
            message: message.into(),
            notes: Vec::new(),
        }
    }

    /// A problem at a byte offset of a file whose text is `text`.
    pub fn at(
        path: impl Into<String>,
        text: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            location: Some(Location::at(text, offset)),
            ..Self::file(path, message)
        }
    }

    /// The problem a script of the file `path`, whose text is `sql`, ran
    /// into: at the failing statement, or, for the commit and what surrounds
    /// the script, on the file; with what to do when the failure says.
    pub fn of_failure(path: &str, sql: &str, failure: &Failure) -> Self {
        let message = failure.message();
        let diagnostic = match (&failure.at, failure.offset()) {
            (_, Some(offset)) => Self::at(path, sql, offset, message),
            (FailedAt::Commit, None) => {
                Self::file(path, format!("{message} when committing the migration"))
            }
            _ => Self::file(path, message),
        };
        match failure.help() {
            Some(help) => diagnostic.help(help),
            None => diagnostic,
        }
    }

    /// Adds a `note: …` line (context).
    pub fn note(mut self, note: impl fmt::Display) -> Self {
        self.notes.push(format!("note: {note}"));
        self
    }

    /// Adds a `help: …` line (what to do).
    pub fn help(mut self, help: impl fmt::Display) -> Self {
        self.notes.push(format!("help: {help}"));
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(at) => write!(
                f,
                "{}:{}:{}: {}",
                self.path, at.line, at.column, self.message
            )?,
            None => write!(f, "{}: {}", self.path, self.message)?,
        }
        let gutter = self
            .location
            .as_ref()
            .map_or(1, |at| at.line.to_string().len());
        let pad = " ".repeat(gutter);
        if let Some(at) = &self.location {
            // Tabs become one space in both lines so that the caret lines up.
            let line = at.line_text.replace('\t', " ");
            let caret_pad = " ".repeat(at.column - 1);
            write!(f, "\n{pad} |\n{} | {line}\n{pad} | {caret_pad}^", at.line)?;
        }
        for note in &self.notes {
            write!(f, "\n{pad} = {note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_quote_and_caret() {
        let text = "CREATE TABLE users (id INTEGER);\n\n\n\tUPDATE users SET email = emial;\n";
        let offset = text.find("emial").unwrap();
        let diagnostic = Diagnostic::at(
            "migrations/0003_add_email.sql",
            text,
            offset,
            "no such column: emial",
        )
        .help("check the spelling");
        assert_eq!(
            diagnostic.to_string(),
            "migrations/0003_add_email.sql:4:27: no such column: emial\n  |\n4 |  UPDATE users SET email = emial;\n  |                           ^\n  = help: check the spelling"
        );
    }

    #[test]
    fn renders_file_level_problem() {
        let diagnostic =
            Diagnostic::file("migrations", "no such folder").note("looked in /x/migrations");
        assert_eq!(
            diagnostic.to_string(),
            "migrations: no such folder\n  = note: looked in /x/migrations"
        );
    }
}
