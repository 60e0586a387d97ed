//! The toolkit's one contact with SQLite, below the compile-time checks
//! (`migrate-build-support`) and the runtime (`migrate-runtime`), so that
//! what the compiler validated is exactly what the binary runs:
//!
//! - the one definition of a migration ([`Migration`], [`Script`], its
//!   [`Directives`] and [`Checksum`]) and of an applied chain's
//!   [`Fingerprint`];
//! - the one SQL [lexer](lex), through which everything that reads SQL
//!   reads it;
//! - the one way a script runs on a connection ([`Applying`], [`apply()`]):
//!   its transaction, foreign keys off and checked, the deadline, and
//!   where a failure happened;
//! - the one [schema] model, read from SQLite, with one equality: what
//!   the down-script check, the typed `schema` module, `verify`, the seeder
//!   and the lints compare;
//! - with the `diagram` feature, its entity-relationship diagram (module
//!   `diagram`): Mermaid, DOT, SVG.

#![warn(missing_docs)]

pub mod apply;
mod checksum;
#[cfg(feature = "diagram")]
pub mod diagram;
mod directive;
mod fingerprint;
pub mod lex;
mod migration;
pub mod rusqlite_versions;
pub mod schema;

pub use apply::{apply, Applying, FailedAt, Failure, Violation, Violations};
pub use checksum::{normalize_line_endings, Checksum};
pub use directive::{
    turns_foreign_keys_off, Directive, DirectiveError, Directives, Lint, DIRECTIVE_PREFIX,
};
pub use fingerprint::Fingerprint;
pub use migration::{Migration, Script};
pub use schema::embedded::{Column, Table};
pub use schema::{Drift, Schema, SchemaObject};
