//! The one definition of a migration, shared by everything in the toolkit.
//!
//! `migrate-build-support` reads migrations from a folder into these types,
//! `migrate-macros` embeds them into the binary as constants of these types,
//! and `migrate-runtime` applies them. Because all three use the same
//! definitions, what the compiler validated is exactly what the binary runs.
//!
//! This crate has no dependencies: it is only data and pure parsing.

#![warn(missing_docs)]

mod checksum;
mod directive;
mod fingerprint;
mod migration;
mod schema_object;
mod table;

pub use checksum::Checksum;
pub use directive::{Directive, DirectiveError, Directives, Lint, DIRECTIVE_PREFIX};
pub use fingerprint::Fingerprint;
pub use migration::{Migration, Script};
pub use schema_object::{normalize_sql, schema_drift, sql_regions, Drift, Region, SchemaObject};
pub use table::{Column, Table};
