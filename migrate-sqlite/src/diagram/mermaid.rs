//! The diagram as a Mermaid `erDiagram`, which GitHub, GitLab and many
//! documentation tools draw from a fenced `mermaid` block.

use std::fmt::Write as _;

use super::{Diagram, Field, Link};

impl Diagram {
    /// The diagram as a Mermaid `erDiagram`.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("erDiagram\n");
        for entity in &self.entities {
            let name = identifier(&entity.name);
            match entity.view {
                true => {
                    let _ = write!(
                        out,
                        "    {name}[\"{} (view)\"]",
                        entity.name.replace('"', "'")
                    );
                }
                false => {
                    let _ = write!(out, "    {name}");
                }
            }
            if entity.highlighted {
                out.push_str(":::changed");
            }
            if entity.fields.is_empty() {
                out.push('\n');
                continue;
            }
            out.push_str(" {\n");
            for field in &entity.fields {
                let _ = writeln!(out, "        {}", attribute(field));
            }
            out.push_str("    }\n");
        }
        for link in &self.links {
            let _ = writeln!(out, "    {}", relationship(link));
        }
        if self.entities.iter().any(|e| e.highlighted) {
            let _ = writeln!(
                out,
                "    classDef changed fill:{},stroke:#b45309",
                super::dot::HIGHLIGHT
            );
        }
        out
    }
}

/// `TYPE name PK, FK "NOT NULL UNIQUE"`: Mermaid's keys are PK, FK and UK;
/// what it has no key for goes in the comment.
fn attribute(field: &Field) -> String {
    let kind = match field.declared_type.trim() {
        "" => "ANY".to_string(),
        declared => declared
            .chars()
            .map(|c| match c {
                c if c.is_ascii_alphanumeric() || matches!(c, '_' | '(' | ')' | '-') => c,
                ',' => '-',
                _ => '_',
            })
            .collect(),
    };
    let mut keys = Vec::new();
    if field.primary_key {
        keys.push("PK");
    }
    if field.foreign_key {
        keys.push("FK");
    }
    if field.unique {
        keys.push("UK");
    }
    let name: String = field
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut text = format!("{kind} {name}");
    if !keys.is_empty() {
        let _ = write!(text, " {}", keys.join(", "));
    }
    if field.not_null && !field.primary_key {
        text.push_str(" \"NOT NULL\"");
    }
    text
}

/// A foreign key: many children to one parent (or none, when the child's
/// columns may be null); a view: a dotted line to what it reads.
fn relationship(link: &Link) -> String {
    let (from, to) = (identifier(&link.from), identifier(&link.to));
    if link.reads {
        return format!("{from} }}o..o{{ {to} : reads");
    }
    let parent = if link.required { "||" } else { "o|" };
    let label = link.from_columns.join(", ").replace('"', "'");
    format!("{from} }}o--{parent} {to} : \"{label}\"")
}

/// A name Mermaid reads as one: as it is when it is a plain word, else in
/// double quotes.
fn identifier(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    match plain {
        true => name.to_string(),
        false => format!("\"{}\"", name.replace('"', "'")),
    }
}
