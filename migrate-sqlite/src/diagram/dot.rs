//! The diagram as Graphviz DOT: one record per entity, a port per column,
//! laid out left to right.

use std::fmt::Write as _;

use super::{Diagram, Entity, Field};

/// The fill of a highlighted entity.
pub(super) const HIGHLIGHT: &str = "#fde68a";

/// The fill of a view: drawings that do not dash a box's border still set
/// views apart.
const VIEW: &str = "#e0f2fe";

impl Diagram {
    /// The diagram as Graphviz DOT (`dot -Tsvg` draws it).
    pub fn dot(&self) -> String {
        self.dot_for(Reader::Graphviz)
    }

    /// The DOT that `reader` reads as this diagram.
    pub(super) fn dot_for(&self, reader: Reader) -> String {
        let mut out = String::from(
            "digraph schema {\n    rankdir=LR;\n    node [shape=record, fontname=\"Helvetica\"];\n    edge [fontname=\"Helvetica\"];\n",
        );
        for entity in &self.entities {
            let _ = write!(
                out,
                "    {} [label=\"{}\"",
                quoted(&entity.name),
                label(entity, reader)
            );
            let fill = if entity.highlighted { HIGHLIGHT } else { VIEW };
            match (entity.view, entity.highlighted) {
                (true, _) => {
                    let _ = write!(out, ", style=\"dashed,filled\", fillcolor=\"{fill}\"");
                }
                (false, true) => {
                    let _ = write!(out, ", style=filled, fillcolor=\"{fill}\"");
                }
                (false, false) => {}
            }
            out.push_str("];\n");
        }
        for link in &self.links {
            let line = match link.reads {
                true => format!(
                    "{} -> {} [style=dashed]",
                    quoted(&link.from),
                    quoted(&link.to)
                ),
                false => format!(
                    "{} -> {}",
                    self.port(&link.from, link.from_columns.first()),
                    self.port(&link.to, link.to_columns.first())
                ),
            };
            let _ = writeln!(out, "    {line};");
        }
        out.push_str("}\n");
        out
    }
}

/// Who reads the DOT.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    /// Graphviz, which reads `\|`, `\{` … as the characters.
    Graphviz,
    /// layout-rs, whose record labels take no escapes: the characters
    /// that would split a field are written as look-alikes.
    LayoutRs,
}

/// The record's label: the name (marked when a view), then a field per
/// column with its port.
fn label(entity: &Entity, reader: Reader) -> String {
    let title = match entity.view {
        true => format!("{} (view)", entity.name),
        false => entity.name.clone(),
    };
    let text = |text: &str| match reader {
        Reader::Graphviz => escape(text),
        Reader::LayoutRs => look_alike(text),
    };
    let mut label = text(&title);
    for (index, field) in entity.fields.iter().enumerate() {
        let _ = write!(label, "|<f{index}> {}", text(&describe(field)));
    }
    label
}

/// `text` with the characters a layout-rs record label would read as
/// structure replaced by ones that look alike.
fn look_alike(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '{' => '(',
            '}' => ')',
            '|' => '¦',
            '<' => '‹',
            '>' => '›',
            '"' => '\'',
            '\\' => '∖',
            c => c,
        })
        .collect()
}

/// `name TYPE PK NOT NULL …`.
pub(super) fn describe(field: &Field) -> String {
    let mut words = vec![field.name.as_str()];
    if !field.declared_type.is_empty() {
        words.push(&field.declared_type);
    }
    words.extend(field.marks());
    words.join(" ")
}

impl Diagram {
    /// `"entity":fN`, the port of the column (for a key that names none,
    /// the entity's first primary-key column), or the entity alone.
    fn port(&self, entity: &str, column: Option<&String>) -> String {
        let index = self.entity(entity).and_then(|e| {
            e.fields.iter().position(|field| match column {
                Some(column) => field.name.eq_ignore_ascii_case(column),
                None => field.primary_key,
            })
        });
        match index {
            // Ports are named by position: a column's name may hold anything.
            Some(index) => format!("{}:f{index}", quoted(entity)),
            None => quoted(entity),
        }
    }
}

/// A DOT identifier in double quotes.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Text inside a record label: its field separators and braces escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
