//! The seal: the migrations a folder records as shipped, in the `[sealed]`
//! table of its `migrate.toml`. A sealed migration still runs at compile
//! time, but its findings are not errors; editing it is one.

use std::fs;
use std::path::{Path, PathBuf};

use super::source::{Folder, Source};
use crate::config::{Config, CONFIG_FILE};
use crate::diagnostic::Diagnostic;

/// Marks the folder's sealed migrations; an error for each sealed one that
/// was edited or is gone.
pub(crate) fn apply(folder: &mut Folder, dir: &str) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let sealed = &folder.config.sealed;
    for source in &mut folder.sources {
        let version = source.migration.version();
        match sealed.get(&version) {
            Some(checksum) if *checksum == source.migration.checksum() => source.sealed = true,
            Some(_) => errors.push(edited(source)),
            None => {}
        }
    }
    for version in sealed.keys() {
        let present = folder
            .sources
            .binary_search_by_key(version, |source| source.migration.version())
            .is_ok();
        if !present {
            errors.push(
                Diagnostic::file(
                    format!("{}/{CONFIG_FILE}", dir.trim_end_matches('/')),
                    format!("migration {version} is sealed as shipped, but the folder no longer holds it"),
                )
                .note("databases that applied it keep it in their history; this binary would not know it")
                .help("restore its file; if it was removed on purpose, run `migrate seal` again"),
            );
        }
    }
    errors
}

fn edited(source: &Source) -> Diagnostic {
    let version = source.migration.version();
    Diagnostic::file(
        &source.up_file.display,
        format!(
            "migration {} is sealed as shipped, and its SQL has changed since",
            source.migration
        ),
    )
    .note("a database that applied it would refuse this binary: the checksum it recorded no longer matches")
    .help(format!(
        "undo the edit and put the change in a new migration; if the edit is deliberate and harmless, \
         run `migrate seal --accept {version}`; databases that applied it then need the operator command \
         `repair --version {version}`"
    ))
}

/// What [`seal_folder`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// The file written: the folder's `migrate.toml`.
    pub file: PathBuf,
    /// How many migrations it records as shipped.
    pub migrations: usize,
    /// Of those, how many it did not record before.
    pub added: usize,
    /// The sealed migrations whose edit it accepted.
    pub accepted: Vec<u64>,
}

/// `migrate seal`: records every migration of the folder `base/dir` as
/// shipped, in the `[sealed]` table of its `migrate.toml` (created if
/// missing; the rest of the file is kept as written).
///
/// A sealed migration whose SQL changed is refused, unless `accept` names
/// its version: then its new checksum is recorded.
pub fn seal_folder(base: &Path, dir: &str, accept: &[u64]) -> Result<Sealed, Vec<Diagnostic>> {
    let folder = Folder::read_unsealed(base, dir)?;
    let previous = &folder.config.sealed;
    let mut errors = Vec::new();
    for version in accept {
        if !previous.contains_key(version) {
            errors.push(Diagnostic::file(
                dir,
                format!("`--accept {version}`: migration {version} is not sealed"),
            ));
        }
    }
    let mut accepted = Vec::new();
    for source in &folder.sources {
        let version = source.migration.version();
        match previous.get(&version) {
            Some(before) if *before != source.migration.checksum() => {
                if accept.contains(&version) {
                    accepted.push(version);
                } else {
                    errors.push(edited(source));
                }
            }
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let path = Config::path(&base.join(dir));
    let display = format!("{}/{CONFIG_FILE}", dir.trim_end_matches('/'));
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => {
            return Err(vec![Diagnostic::file(
                display,
                format!("cannot read the file: {error}"),
            )])
        }
    };
    fs::write(&path, replace_table(&text, &table(&folder.sources))).map_err(|error| {
        vec![Diagnostic::file(
            display,
            format!("cannot write the file: {error}"),
        )]
    })?;
    let added = folder
        .sources
        .iter()
        .filter(|source| !previous.contains_key(&source.migration.version()))
        .count();
    Ok(Sealed {
        file: path,
        migrations: folder.sources.len(),
        added,
        accepted,
    })
}

/// The `[sealed]` table for `sources`: every one of them, at its checksum.
fn table(sources: &[Source]) -> String {
    let mut table = String::from(
        "[sealed]\n\
         # Migrations that have shipped, written by `migrate seal`: version = checksum\n\
         # of the up script. Editing one is a compile error; `migrate seal --accept\n\
         # <version>` records a deliberate edit.\n",
    );
    for source in sources {
        let migration = &source.migration;
        table.push_str(&format!(
            "{} = \"{}\"  # {}\n",
            migration.version(),
            migration.checksum().to_hex(),
            migration.name().replace(['\n', '\r'], " ")
        ));
    }
    table
}

/// `text`, a `migrate.toml`, with its `[sealed]` table replaced by `table`
/// (or `table` added at the end): the rest is kept as written.
fn replace_table(text: &str, table: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let is_header = |line: &str| line.trim_start().starts_with('[');
    // `[sealed]`, `[ sealed ]  # shipped`: the header without spaces or comment.
    let is_sealed = |line: &str| {
        let header = line.split('#').next().unwrap_or_default();
        header.split_whitespace().collect::<String>() == "[sealed]"
    };
    let Some(start) = lines.iter().position(|line| is_sealed(line)) else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.trim().is_empty() {
            out.push('\n');
        }
        out.push_str(table);
        return out;
    };
    let end = lines[start + 1..]
        .iter()
        .position(|line| is_header(line))
        .map_or(lines.len(), |offset| start + 1 + offset);
    let mut out: String = lines[..start].concat();
    out.push_str(table);
    if end < lines.len() {
        out.push('\n');
        out.push_str(&lines[end..].concat());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sealed_table_is_replaced_and_the_rest_kept() {
        let text = "# levels\n[lints]\ndestructive = \"warn\"\n\n[sealed]\n1 = \"x\"\n\n[functions]\nf = 1\n";
        assert_eq!(
            replace_table(text, "[sealed]\n2 = \"y\"\n"),
            "# levels\n[lints]\ndestructive = \"warn\"\n\n[sealed]\n2 = \"y\"\n\n[functions]\nf = 1\n"
        );
        assert_eq!(replace_table("", "[sealed]\n"), "[sealed]\n");
        assert_eq!(
            replace_table(
                "[ sealed ]  # shipped\n1 = \"x\"\n",
                "[sealed]\n2 = \"y\"\n"
            ),
            "[sealed]\n2 = \"y\"\n"
        );
        assert_eq!(
            replace_table("[lints]\nx = \"warn\"", "[sealed]\n"),
            "[lints]\nx = \"warn\"\n\n[sealed]\n"
        );
    }
}
