//! Reading a migrations folder, in the layout of any of the common migration
//! tools (see [`Format`]), into ordered, parsed, checksummed migrations.

mod drizzle;
mod format;
mod intent;
mod reader;
pub(crate) mod seal;
mod sections;
pub(crate) mod source;

use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::setup::Setup;
use reader::Reader;

pub use format::Format;
pub(crate) use reader::read_text;
pub use source::{Folder, Source, SourceFile};

/// Reads the migrations of `base/dir`: [`Folder::read`]'s migrations.
pub fn read_folder(base: &Path, dir: &str) -> Result<Vec<Source>, Vec<Diagnostic>> {
    Folder::read(base, dir).map(|folder| folder.sources)
}

impl Folder {
    /// Reads every migration in `base/dir`, in the layout its files follow.
    ///
    /// All problems are reported together, so that one build shows every bad
    /// file rather than one per build.
    pub fn read(base: &Path, dir: &str) -> Result<Folder, Vec<Diagnostic>> {
        let mut folder = Self::read_unsealed(base, dir)?;
        let errors = seal::apply(&mut folder, dir);
        if errors.is_empty() {
            intent::honour(&mut folder);
            Ok(folder)
        } else {
            Err(errors)
        }
    }

    /// [`Folder::read`] without comparing the migrations with the seal:
    /// for `migrate seal`, which writes it. No migration is marked sealed.
    pub fn read_unsealed(base: &Path, dir: &str) -> Result<Folder, Vec<Diagnostic>> {
        let path = base.join(dir);
        let mut reader = Reader::new(dir);
        let entries = reader.entries(&path).map_err(|error| vec![error])?;
        let format = reader.detect(&entries).map_err(|error| vec![error])?;
        let format = format.unwrap_or(Format::Numbered);
        let pieces = match format {
            Format::Numbered | Format::Refinery | Format::Goose | Format::Dbmate => {
                reader.files(&entries, format)
            }
            Format::Diesel => reader.folders(&entries, "up.sql", Some("down.sql")),
            Format::Prisma => {
                reader.prisma_lock(&path);
                reader.folders(&entries, "migration.sql", None)
            }
            Format::Drizzle => drizzle::pieces(&mut reader, &entries),
        };
        let sources = reader.migrations(pieces, format);
        let config = reader.config(&path);
        if reader.errors.is_empty() && sources.is_empty() {
            reader.errors.push(
                Diagnostic::file(dir, "the folder holds no migrations").help(
                    "add one, such as `0001_create_users.sql`; see the forms listed in the README",
                ),
            );
        }
        if !reader.errors.is_empty() {
            return Err(reader.errors);
        }
        Ok(Folder {
            format,
            sources,
            warnings: reader.warnings,
            tracked: reader.tracked,
            setup: Setup::of(&config, base),
            config,
            notes: Vec::new(),
        })
    }
}

impl Format {
    /// The layout of `base/dir`'s files, told without reading its
    /// migrations: `None` for a folder that does not exist yet or has no
    /// migration; an error when it mixes layouts.
    pub fn of_folder(base: &Path, dir: &str) -> Result<Option<Format>, Diagnostic> {
        let path = base.join(dir);
        if !path.exists() {
            return Ok(None);
        }
        let mut reader = Reader::new(dir);
        let entries = reader.entries(&path)?;
        reader.detect(&entries)
    }
}

#[cfg(test)]
mod tests;
