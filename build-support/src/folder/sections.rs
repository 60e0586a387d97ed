//! goose and dbmate keep a migration's up and down scripts in one file, in
//! sections that comment lines open: `-- +goose Up` / `-- +goose Down`,
//! `-- migrate:up` / `-- migrate:down`.
//!
//! Each section becomes a script that keeps the file's lines: the other
//! lines are emptied, not removed, so that a message about line 12 of the
//! down section is about line 12 of the file.

use migrate_sqlite::DIRECTIVE_PREFIX;

/// The section markers a file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// `-- +goose Up`, `-- +goose Down`, `-- +goose NO TRANSACTION`.
    Goose,
    /// `-- migrate:up`, `-- migrate:down`, with `transaction:false`.
    Dbmate,
}

impl Syntax {
    fn up(self) -> &'static str {
        match self {
            Syntax::Goose => "-- +goose Up",
            Syntax::Dbmate => "-- migrate:up",
        }
    }
}

/// A file split into its up and down scripts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sections {
    pub(crate) up: Section,
    pub(crate) down: Option<Section>,
}

/// One script of a sectioned file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section {
    /// The file's text with every line outside the section (and the marker
    /// lines) emptied, up to the section's last line.
    pub(crate) text: String,
    /// The file or the section asks to run outside a transaction.
    pub(crate) no_transaction: bool,
}

/// A marker that cannot be read, with its 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SectionError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// What one line of a sectioned file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    /// Opens a section; `true` when it runs outside a transaction.
    Opens(Part, bool),
    /// goose's `NO TRANSACTION`, for the whole file.
    NoTransaction,
    /// A marker that changes nothing here: goose's `StatementBegin` and
    /// `StatementEnd`, which SQLite's own statement splitting makes moot, and
    /// `ENVSUB OFF`.
    Inert,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Up = 0,
    Down = 1,
}

/// The markers `text` uses, from its first marker line; `None` for a file
/// with none.
pub(crate) fn syntax_of(text: &str) -> Option<Syntax> {
    text.lines().find_map(|line| {
        let comment = comment_body(line)?;
        if strip_prefix_ignore_case(comment, "+goose").is_some() {
            Some(Syntax::Goose)
        } else if dbmate_section(comment).is_some() {
            Some(Syntax::Dbmate)
        } else {
            None
        }
    })
}

/// Splits `text` into its sections.
pub(crate) fn split(text: &str, syntax: Syntax) -> Result<Sections, SectionError> {
    // Up and down, each built over every line of the file.
    let mut built = [Builder::default(), Builder::default()];
    let mut current: Option<Part> = None;
    let mut file_no_transaction = false;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let error = |message: String| SectionError {
            line: index + 1,
            message,
        };
        let marker = marker(line, syntax).map_err(error)?;
        match marker {
            Some(Marker::Opens(part, no_transaction)) => {
                let builder = &mut built[part as usize];
                if builder.opened {
                    return Err(error(match part {
                        Part::Up => format!("a second `{}` in one file", syntax.up()),
                        Part::Down => "a second down section in one file".into(),
                    }));
                }
                builder.opened = true;
                builder.no_transaction = no_transaction;
                current = Some(part);
            }
            Some(Marker::NoTransaction) => file_no_transaction = true,
            Some(Marker::Inert) | None => {}
        }
        let content = matches!(marker, None | Some(Marker::Inert));
        for part in [Part::Up, Part::Down] {
            built[part as usize].push(line, content && current == Some(part));
        }
        if current.is_none() && marker.is_none() && is_directive(line) {
            return Err(error(format!(
                "a `-- {DIRECTIVE_PREFIX} ` directive above the file's `{}`, where no \
                 section holds it: it would apply to neither script; put it on the lines \
                 under the marker of the section it is for",
                syntax.up()
            )));
        }
        if current.is_none() && content && migrate_sqlite::lex::has_statement(line) {
            return Err(error(format!(
                "SQL before the file's `{}`, where no section holds it: the tool \
                 that wrote the file would not run it",
                syntax.up()
            )));
        }
    }
    let [up, down] = built;
    if !up.opened {
        return Err(SectionError {
            line: 1,
            message: format!(
                "the file has no `{}`: the migration's SQL goes after that line",
                syntax.up()
            ),
        });
    }
    Ok(Sections {
        up: up.finish(file_no_transaction),
        down: down.opened.then(|| down.finish(file_no_transaction)),
    })
}

#[derive(Default)]
struct Builder {
    /// Its marker was seen.
    opened: bool,
    text: String,
    /// The length of `text` after the section's last line.
    end: usize,
    no_transaction: bool,
}

impl Builder {
    fn push(&mut self, line: &str, keep: bool) {
        if keep {
            self.text.push_str(line);
            self.end = self.text.len();
        } else {
            let body = line.trim_end_matches(['\n', '\r']);
            self.text.push_str(&line[body.len()..]);
        }
    }

    fn finish(mut self, file_no_transaction: bool) -> Section {
        self.text.truncate(self.end);
        Section {
            text: self.text,
            no_transaction: self.no_transaction || file_no_transaction,
        }
    }
}

/// The marker on `line`, if it is one.
fn marker(line: &str, syntax: Syntax) -> Result<Option<Marker>, String> {
    let Some(comment) = comment_body(line) else {
        return Ok(None);
    };
    match syntax {
        Syntax::Goose => goose_marker(comment),
        Syntax::Dbmate => dbmate_section(comment).transpose(),
    }
}

/// This toolkit's own `-- migrate: <directive>`, in any case.
fn is_directive(line: &str) -> bool {
    comment_body(line)
        .is_some_and(|comment| strip_prefix_ignore_case(comment, DIRECTIVE_PREFIX).is_some())
}

/// The text after `--` on a line that is a `--` comment.
fn comment_body(line: &str) -> Option<&str> {
    Some(line.trim_start().strip_prefix("--")?.trim_start())
}

fn goose_marker(comment: &str) -> Result<Option<Marker>, String> {
    let Some(command) = strip_prefix_ignore_case(comment.trim_start(), "+goose") else {
        return Ok(None);
    };
    let words: Vec<String> = command
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["UP"] => Ok(Some(Marker::Opens(Part::Up, false))),
        ["DOWN"] => Ok(Some(Marker::Opens(Part::Down, false))),
        ["NO", "TRANSACTION"] => Ok(Some(Marker::NoTransaction)),
        // `ENVSUB OFF` ends substitution, which never started here.
        ["STATEMENTBEGIN"] | ["STATEMENTEND"] | ["ENVSUB", "OFF"] => Ok(Some(Marker::Inert)),
        ["ENVSUB", ..] => Err(
            "goose's `ENVSUB` fills `${VAR}` in from the environment when the migration \
             runs, which a migration checked and embedded at compile time cannot do: \
             write the values into the file"
                .into(),
        ),
        _ => Err(format!(
            "unknown goose annotation `-- +goose{command}`; goose knows `Up`, `Down`, \
             `StatementBegin`, `StatementEnd` and `NO TRANSACTION`"
        )),
    }
}

/// dbmate's `migrate:up` or `migrate:down`, with its options.
fn dbmate_section(comment: &str) -> Option<Result<Marker, String>> {
    let rest = strip_prefix_ignore_case(comment.trim_start(), "migrate:")?;
    let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let part = match &rest[..word_end] {
        "up" => Part::Up,
        "down" => Part::Down,
        _ => return None,
    };
    let mut no_transaction = false;
    for option in rest[word_end..].split_whitespace() {
        match option {
            "transaction:false" => no_transaction = true,
            "transaction:true" => no_transaction = false,
            _ => {
                return Some(Err(format!(
                    "unknown dbmate option `{option}`; dbmate knows `transaction:false`"
                )))
            }
        }
    }
    Some(Ok(Marker::Opens(part, no_transaction)))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goose_sections_keep_the_file_lines() {
        let text = "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE TABLE a (x);\n\n\
                    -- +goose Down\n-- +goose StatementBegin\nDROP TABLE a;\n-- +goose StatementEnd\n";
        assert_eq!(syntax_of(text), Some(Syntax::Goose));
        let sections = split(text, Syntax::Goose).unwrap();
        assert_eq!(sections.up.text, "\n\nCREATE TABLE a (x);\n\n");
        assert!(sections.up.no_transaction);
        let down = sections.down.unwrap();
        assert_eq!(
            down.text,
            "\n\n\n\n\n-- +goose StatementBegin\nDROP TABLE a;\n-- +goose StatementEnd\n"
        );
        assert!(down.no_transaction);
    }

    #[test]
    fn dbmate_options_belong_to_their_section() {
        let text = "-- migrate:up transaction:false\r\nVACUUM;\r\n-- migrate:down\r\n";
        assert_eq!(syntax_of(text), Some(Syntax::Dbmate));
        let sections = split(text, Syntax::Dbmate).unwrap();
        assert_eq!(sections.up.text, "\r\nVACUUM;\r\n");
        assert!(sections.up.no_transaction);
        let down = sections.down.unwrap();
        assert_eq!(down.text, "");
        assert!(!down.no_transaction);
    }

    #[test]
    fn this_toolkits_directives_are_no_dbmate_sections() {
        assert_eq!(syntax_of("-- migrate: no-transaction\nVACUUM;"), None);
        assert_eq!(syntax_of("-- migrate:upgrade\nSELECT 1;"), None);
    }

    #[test]
    fn what_the_original_tool_would_refuse_is_refused_at_its_line() {
        let missing = split("-- +goose Down\nDROP TABLE a;\n", Syntax::Goose).unwrap_err();
        assert!(missing.message.contains("no `-- +goose Up`"), "{missing:?}");
        let before = split("SELECT 1;\n-- migrate:up\nSELECT 2;\n", Syntax::Dbmate).unwrap_err();
        assert_eq!(before.line, 1);
        let twice = split("-- +goose Up\n-- +goose Up\n", Syntax::Goose).unwrap_err();
        assert_eq!(twice.line, 2);
        let envsub = split("-- +goose ENVSUB ON\n-- +goose Up\n", Syntax::Goose).unwrap_err();
        assert!(envsub.message.contains("ENVSUB"), "{envsub:?}");
        let option = split("-- migrate:up transaction:maybe\n", Syntax::Dbmate).unwrap_err();
        assert!(option.message.contains("transaction:maybe"), "{option:?}");
    }

    #[test]
    fn a_directive_above_the_first_section_is_refused_not_dropped() {
        for (text, syntax) in [
            (
                "-- migrate: foreign-keys-off\n-- +goose Up\nSELECT 1;\n",
                Syntax::Goose,
            ),
            (
                "-- Migrate: allow destructive\n-- migrate:up\nSELECT 1;\n",
                Syntax::Dbmate,
            ),
        ] {
            let error = split(text, syntax).unwrap_err();
            assert_eq!(error.line, 1, "{error:?}");
            assert!(
                error.message.contains("it would apply to neither script"),
                "{error:?}"
            );
        }
        let under = split(
            "-- +goose Up\n-- migrate: foreign-keys-off\nSELECT 1;\n",
            Syntax::Goose,
        );
        assert!(under.unwrap().up.text.contains("foreign-keys-off"));
    }

    #[test]
    fn goose_envsub_off_changes_nothing() {
        let sections = split(
            "-- +goose ENVSUB OFF\n-- +goose Up\nSELECT 1;\n",
            Syntax::Goose,
        );
        assert_eq!(sections.unwrap().up.text, "\n\nSELECT 1;\n");
    }
}
