//! The documentation of the `mod migrations` that `embed_migrations!`
//! writes: what the migrations are, one line each, and, in `cargo doc`,
//! a diagram of the schema they leave, so that an application's own docs
//! show its schema.

use std::fmt::Write as _;

use migrate_sqlite::diagram::Diagram;
use migrate_sqlite::SchemaObject;

use crate::Source;

/// The module's documentation: a sentence naming `dir`, the diagram of the
/// schema `objects` make when `with_diagram` (its layout takes time that
/// only documentation needs), and a table of the migrations of `sources`.
pub fn module_doc(
    dir: &str,
    sources: &[Source],
    objects: &[SchemaObject],
    with_diagram: bool,
) -> String {
    let mut doc = format!("The migrations of `{dir}`, checked at compile time and embedded.\n\n");
    if with_diagram {
        match Diagram::of_objects(objects) {
            Ok(diagram) if !diagram.entities.is_empty() => {
                doc.push_str("# The schema they leave\n\n");
                // Raw HTML in Markdown ends at a blank line: the SVG has none.
                let _ = write!(
                    doc,
                    "<div style=\"overflow-x: auto\">\n{}</div>\n\n",
                    diagram.svg()
                );
            }
            _ => {}
        }
    }
    if sources.is_empty() {
        return doc;
    }
    doc.push_str("# Migrations\n\n| version | name | what it does |\n| ---: | --- | --- |\n");
    for source in sources {
        let migration = &source.migration;
        let _ = writeln!(
            doc,
            "| {} | `{}` | {} |",
            migration.version(),
            migration.name(),
            cell(&description(migration.up().sql(), migration.name()))
        );
    }
    doc
}

/// A migration in one line: the first sentence of the comment its file
/// opens with (directives left out), else its name in words.
pub fn description(sql: &str, name: &str) -> String {
    let mut paragraph: Vec<&str> = Vec::new();
    for line in sql.lines().map(str::trim) {
        let Some(comment) = line.strip_prefix("--").map(str::trim) else {
            if line.is_empty() && paragraph.is_empty() {
                continue;
            }
            break;
        };
        if comment.starts_with(migrate_sqlite::DIRECTIVE_PREFIX) {
            continue;
        }
        match (comment.is_empty(), paragraph.is_empty()) {
            (true, true) => continue,
            (true, false) => break,
            (false, _) => paragraph.push(comment),
        }
    }
    if paragraph.is_empty() {
        return name.replace(['_', '-'], " ");
    }
    let text = paragraph.join(" ");
    match text.find(". ") {
        Some(end) => text[..=end].to_string(),
        None => text,
    }
}

/// Text that stays in one Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migration_is_described_by_its_opening_comment_else_by_its_name() {
        assert_eq!(
            description("-- migrate: foreign-keys-off\n-- Tags, many per note.\n-- More.\nCREATE TABLE t (x);", "add_tags"),
            "Tags, many per note."
        );
        assert_eq!(
            description("-- `title` becomes NOT NULL, `done` a\n-- checked flag. SQLite cannot\n-- alter.\n--\n-- Later.\n", "x"),
            "`title` becomes NOT NULL, `done` a checked flag."
        );
        assert_eq!(
            description("-- One paragraph\n--\n-- then another", "x"),
            "One paragraph"
        );
        assert_eq!(
            description("\n--\n--   Spaced.  \nSELECT 1;", "x"),
            "Spaced."
        );
        assert_eq!(
            description("CREATE TABLE t (x); -- late", "add_done-columns"),
            "add done columns"
        );
        assert_eq!(cell("a | b <c>"), "a \\| b &lt;c>");
    }
}
