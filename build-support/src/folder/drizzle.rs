//! Drizzle: `<index>_<name>.sql` files, run in the order that
//! `meta/_journal.json` lists them (its `entries`, each with a `tag`, the
//! file's name without `.sql`). Drizzle runs no file the journal leaves out.

use migrate_sqlite::Directives;
use serde_json::Value;

use super::reader::{Entry, Piece, Reader};
use crate::naming::{parse_file_name, FileKind, ParsedName};
use crate::Diagnostic;

const JOURNAL: &str = "meta/_journal.json";

/// The scripts the journal lists, in its order.
pub(super) fn pieces(reader: &mut Reader, entries: &[Entry]) -> Vec<Piece> {
    let Some(meta) = entries
        .iter()
        .find(|entry| entry.is_dir && entry.name == "meta")
    else {
        return Vec::new();
    };
    let path = meta.file.path.join("_journal.json");
    let display = reader.display(JOURNAL);
    reader.tracked.push(path.clone());
    let tags = match std::fs::read_to_string(&path)
        .map_err(|error| error.to_string())
        .and_then(|text| tags(&text))
    {
        Ok(tags) => tags,
        Err(why) => {
            reader.errors.push(
                Diagnostic::file(&display, "Drizzle's journal cannot be read")
                    .note(why)
                    .help("restore it as drizzle-kit wrote it (`drizzle-kit generate` writes it)"),
            );
            return Vec::new();
        }
    };
    let mut pieces: Vec<Piece> = Vec::new();
    for (index, tag) in &tags {
        let file_name = format!("{tag}.sql");
        let Some(entry) = entries.iter().find(|e| !e.is_dir && e.name == file_name) else {
            reader.errors.push(
                Diagnostic::file(
                    &display,
                    format!(
                        "the journal lists `{tag}`, but `{}` does not exist",
                        reader.display(&file_name)
                    ),
                )
                .help("restore the file, or remove its entry from the journal"),
            );
            continue;
        };
        let parsed = match parse_file_name(&file_name) {
            Ok(parsed) => parsed,
            // drizzle-kit's `prefix: "none"`: the journal's index orders it.
            Err(_) if !tag.starts_with(|c: char| c.is_ascii_digit()) => ParsedName {
                version: *index,
                name: tag.clone(),
                kind: FileKind::Up,
            },
            Err(why) => {
                reader.errors.push(
                    Diagnostic::file(&entry.file.display, "this migration's name does not parse")
                        .note(why),
                );
                continue;
            }
        };
        if let Some(before) = pieces
            .last()
            .filter(|before| before.version >= parsed.version)
        {
            reader.errors.push(
                Diagnostic::file(
                    &display,
                    format!(
                        "the journal runs `{tag}` after `{}`, whose number is not smaller",
                        before.file.display
                    ),
                )
                .help("migrations run in the order of their numbers: number the files as the journal orders them"),
            );
            continue;
        }
        pieces.push(Piece {
            version: parsed.version,
            name: parsed.name,
            kind: FileKind::Up,
            file: entry.file.clone(),
            syntax: None,
            directives: Directives::NONE,
        });
    }
    for entry in entries {
        let listed = tags
            .iter()
            .any(|(_, tag)| entry.name == format!("{tag}.sql"));
        if !entry.is_dir && entry.name.ends_with(".sql") && !listed {
            reader.warnings.push(
                Diagnostic::file(&entry.file.display, format!("not in `{JOURNAL}`: Drizzle does not run it, and neither does this toolkit"))
                    .help("add it with `drizzle-kit generate --custom`, or delete it"),
            );
        }
    }
    pieces
}

/// The index and tag of each of the journal's entries, in order; `Err`
/// saying what is wrong.
fn tags(text: &str) -> Result<Vec<(u64, String)>, String> {
    let journal: Value = serde_json::from_str(text).map_err(|error| error.to_string())?;
    if let Some(dialect) = journal.get("dialect").and_then(Value::as_str) {
        if !["sqlite", "turso"].contains(&dialect) {
            return Err(format!("the journal is for `{dialect}`, not SQLite"));
        }
    }
    let entries = journal
        .get("entries")
        .and_then(Value::as_array)
        .ok_or("it has no `entries` list")?;
    entries
        .iter()
        .enumerate()
        .map(|(position, entry)| {
            let tag = entry
                .get("tag")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("entry {position} has no `tag`"))?;
            let index = entry
                .get("idx")
                .and_then(Value::as_u64)
                .unwrap_or(position as u64);
            Ok((index, tag.to_string()))
        })
        .collect()
}
