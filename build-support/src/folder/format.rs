//! Which migration tool's layout a folder follows, told from its files.

use std::fmt;

use super::{sections, Entry, Reader};

/// The layout of a migrations folder: this toolkit reads the folders of the
/// common migration tools as they are, one layout per folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `<version>_<name>.sql`, or `<version>_<name>.up.sql` beside
    /// `.down.sql`: this toolkit's own layout, sqlx's and golang-migrate's.
    Numbered,
    /// refinery: `V<version>__<name>.sql`.
    Refinery,
    /// diesel: a folder `<version>_<name>/` holding `up.sql` and `down.sql`.
    Diesel,
    /// goose: `<version>_<name>.sql` with `-- +goose Up` and `-- +goose Down`
    /// sections.
    Goose,
    /// dbmate: `<version>_<name>.sql` with `-- migrate:up` and
    /// `-- migrate:down` sections.
    Dbmate,
    /// Prisma: a folder `<timestamp>_<name>/` holding `migration.sql`, beside
    /// `migration_lock.toml`.
    Prisma,
    /// Drizzle: `<index>_<name>.sql`, in the order of `meta/_journal.json`.
    Drizzle,
}

impl Format {
    /// How a file of this layout looks, for messages.
    pub fn looks(self) -> &'static str {
        match self {
            Format::Numbered => {
                "a numbered migration without sections (`<version>_<name>.sql`, `.up.sql`, `.down.sql`)"
            }
            Format::Refinery => "a refinery migration (`V<version>__<name>.sql`)",
            Format::Diesel => "a diesel migration (`<version>_<name>/up.sql`)",
            Format::Goose => "a goose migration (`-- +goose Up`)",
            Format::Dbmate => "a dbmate migration (`-- migrate:up`)",
            Format::Prisma => "part of a Prisma folder (`<timestamp>_<name>/migration.sql`)",
            Format::Drizzle => "part of a Drizzle folder (`meta/_journal.json`)",
        }
    }

    /// The layout `entry` belongs to, if it says: `None` for a file that any
    /// layout ignores.
    fn of(entry: &Entry, reader: &mut Reader) -> Option<Format> {
        let name = entry.name.as_str();
        if entry.is_dir {
            return if name == "meta" && entry.file.path.join("_journal.json").is_file() {
                Some(Format::Drizzle)
            } else if entry.file.path.join("migration.sql").is_file() {
                Some(Format::Prisma)
            } else if ["up.sql", "down.sql"]
                .iter()
                .any(|script| entry.file.path.join(script).is_file())
            {
                Some(Format::Diesel)
            } else {
                None
            };
        }
        if name == "migration_lock.toml" {
            return Some(Format::Prisma);
        }
        if is_refinery_name(name) && (name.ends_with(".sql") || name.ends_with(".rs")) {
            return Some(Format::Refinery);
        }
        if is_go_migration(name) {
            return Some(Format::Goose);
        }
        if !name.ends_with(".sql") {
            return None;
        }
        // A file that cannot be read is reported when it is read as a
        // script; here it says nothing.
        let text = reader.text(&entry.file).ok()?;
        Some(match sections::syntax_of(text) {
            Some(sections::Syntax::Goose) => Format::Goose,
            Some(sections::Syntax::Dbmate) => Format::Dbmate,
            None => Format::Numbered,
        })
    }

    /// The layout of a folder whose entries are `entries`; an error naming
    /// two files of different layouts when it mixes them.
    pub(super) fn detect(
        entries: &[Entry],
        reader: &mut Reader,
    ) -> Result<Format, crate::Diagnostic> {
        let mut seen: Vec<(Format, &Entry)> = Vec::new();
        for entry in entries {
            if let Some(format) = Format::of(entry, reader) {
                if !seen.iter().any(|(known, _)| *known == format) {
                    seen.push((format, entry));
                }
            }
        }
        // Drizzle's migrations are numbered files that its journal orders.
        if seen.iter().any(|(format, _)| *format == Format::Drizzle) {
            seen.retain(|(format, _)| *format != Format::Numbered);
        }
        match seen.as_slice() {
            [] => Ok(Format::Numbered),
            [(format, _)] => Ok(*format),
            [(first, a), (second, b), ..] => Err(crate::Diagnostic::file(
                &b.file.display,
                "the folder mixes the layouts of two migration tools",
            )
            .note(format!("`{}` is {}", a.file.display, first.looks()))
            .note(format!("`{}` is {}", b.file.display, second.looks()))
            .help(
                "a folder holds the migrations of one tool, as that tool reads them: \
                 rewrite the odd ones in the folder's layout, or move them out",
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Numbered => "numbered",
            Format::Refinery => "refinery",
            Format::Diesel => "diesel",
            Format::Goose => "goose",
            Format::Dbmate => "dbmate",
            Format::Prisma => "prisma",
            Format::Drizzle => "drizzle",
        })
    }
}

/// `V3__…` or refinery's unversioned `U3__…`.
fn is_refinery_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('V' | 'U')) && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// goose's Go migrations: `<version>_<name>.go`.
pub(super) fn is_go_migration(name: &str) -> bool {
    name.ends_with(".go")
        && !name.ends_with("_test.go")
        && name.starts_with(|c: char| c.is_ascii_digit())
        && name.contains('_')
}
