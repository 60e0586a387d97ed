//! The compile-time engine behind `embed_migrations!`, as plain functions.
//!
//! [`read_folder`] discovers and parses a migrations folder, [`validate`]
//! executes the chain in order on an in-memory SQLite (the same bundled SQLite
//! the runtime links), and both report problems as [`Diagnostic`]s that name
//! the file, line and column. The proc macro only turns these results into
//! tokens; the developer CLI prints the same diagnostics.
//!
//! [`check_folder`] is everything the macro checks, in one run of the chain;
//! [`check_folder_cached`] saves that run and resumes it, so that a build
//! after adding a migration runs only the new one.
//!
//! It also holds the one-line `build.rs` helper, [`track_migrations`], that
//! makes cargo rebuild when a migration file is added or removed.

#![warn(missing_docs)]

mod cache;
mod check;
pub mod config;
pub mod desired;
mod diagnostic;
mod file;
mod folder;
pub mod generate;
pub mod lint;
mod module_doc;
mod naming;
mod policy;
mod round_trip;
mod row_failure;
pub mod scaffold;
mod schema_rows;
mod seed;
mod setup;
mod validate;

pub use check::{check_chain, check_folder, check_folder_cached, lint, lint_sorted, Checked};
pub use diagnostic::{Diagnostic, Location};
pub use folder::seal::{seal_folder, Sealed};
pub use folder::{read_folder, Folder, Format, Source, SourceFile};
pub use lint::{Finding, Severity};
pub use migrate_sqlite::lex::{line_col, normalize_sql, statements, Statement};
pub use migrate_sqlite::schema;
pub use migrate_sqlite::{normalize_line_endings, Schema, SchemaObject};
pub use module_doc::{description, module_doc};
pub use naming::{parse_file_name, parse_folder_name, FileKind, ParsedName};
pub use policy::Sorted;
pub use round_trip::check_round_trips;
pub use seed::seed_empty_tables;
pub use setup::{Needed, Setup};
pub use validate::{validate, Validated};

/// The checksum of a script: SHA-256 over its text with line endings
/// normalised, as [`Checksum::of`](migrate_sqlite::Checksum::of) computes it
/// for every migration.
pub fn checksum(sql: &str) -> migrate_sqlite::Checksum {
    migrate_sqlite::Checksum::of(sql)
}

/// The version of the SQLite that validates migrations, as SQLite numbers
/// it (`3054001` for 3.54.1): the bundled one, which the runtime links too.
/// Embedded by the macro so that a binary linking an older SQLite says so.
pub fn sqlite_version_number() -> i32 {
    rusqlite::version_number()
}

/// The `build.rs` helper: makes cargo rebuild the crate, and so re-run
/// `embed_migrations!`, when a file is added to or removed from `dir`.
///
/// Editing a migration already triggers a rebuild without it; adding or
/// removing one is invisible to the compiler unless a build script says so.
///
/// In `build.rs`, with `migrate-build-support` as a build-dependency:
///
/// ```text
/// fn main() { migrate_build_support::track_migrations("migrations"); }
/// ```
pub fn track_migrations(dir: &str) {
    print!("{}", track_migrations_directives(dir));
}

/// What [`track_migrations`] prints for cargo.
///
/// Once a build script names any path, cargo stops re-running it on every
/// change in the package, so `build.rs` itself is named too.
pub fn track_migrations_directives(dir: &str) -> String {
    format!("cargo:rerun-if-changed={dir}\ncargo:rerun-if-changed=build.rs\n")
}
