//! What a folder holds once read: its migrations and the files they came
//! from, and what the reading found out about the folder.

use std::path::PathBuf;

use migrate_sqlite::Migration;

use super::format::Format;
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::setup::Setup;

/// A migration read from a folder, with the files it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The migration, exactly as the macro embeds it.
    pub migration: Migration,
    /// Its up script's file.
    pub up_file: SourceFile,
    /// Its down script's file, if it has one: the up script's own file for
    /// goose and dbmate, which keep both in one.
    pub down_file: Option<SourceFile>,
    /// Recorded as shipped in the folder's seal, with this checksum: its
    /// findings are not errors.
    pub sealed: bool,
}

/// Where a script was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// As messages show it: relative to the crate root, e.g. `migrations/0001_init.sql`.
    pub display: String,
    /// The absolute path, for the compiler to track.
    pub path: PathBuf,
}

/// A migrations folder, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    /// The layout its files follow.
    pub format: Format,
    /// Its migrations, ordered by version.
    pub sources: Vec<Source>,
    /// What the build says without failing: a file Drizzle's journal leaves
    /// out.
    pub warnings: Vec<Diagnostic>,
    /// Files besides the scripts that what was read depends on (Drizzle's
    /// journal, diesel's `metadata.toml`, `migrate.toml`), for the compiler
    /// to track.
    pub tracked: Vec<PathBuf>,
    /// The folder's `migrate.toml`.
    pub config: Config,
    /// The functions and extensions it declares, extension paths resolved.
    pub setup: Setup,
    /// What the build says of how a file runs: intent its SQL states in
    /// the way of the tool it was written for, honoured here (see
    /// `intent.rs`). Neither a warning nor an error.
    pub notes: Vec<Diagnostic>,
}
