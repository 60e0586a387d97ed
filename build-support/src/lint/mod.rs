//! Lints: migrations SQLite accepts but production regrets.
//!
//! Each lint has a stable name ([`Lint`]) and a [`Severity`]; a file silences
//! one with `-- migrate: allow <name>` at its top. Statement-shaped lints read
//! the up scripts through the toolkit's lexer; the others look at the database
//! validation runs the chain on, before and after each migration: they
//! compare the normalised [`crate::Schema`] the migration leaves with the one
//! before it, and try a file with a double-quoted token once more, with
//! double-quoted strings refused, in a transaction they roll back.
//!
//! Only up scripts are linted: a down script exists to drop things.

mod columns;
mod foreign_keys;
mod indexes;
mod rebuild;
mod schema_lints;
mod text;
mod views;

use migrate_sqlite::Lint;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::file::File;

pub(crate) use foreign_keys::foreign_key_violation;
pub(crate) use rebuild::rebuilds;
pub(crate) use schema_lints::{SchemaLints, SchemaLintsState};
pub(crate) use text::text_lints;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// Fails the build.
    Error,
    /// Reported, the build goes on.
    Warning,
}

/// One lint's finding, at a place in a migration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Which lint.
    #[serde(with = "lint_name")]
    pub lint: Lint,
    /// Its severity.
    pub severity: Severity,
    /// Where, what and why (the message ends in `[<lint name>]`), and a
    /// `help:` that says how to fix it and names `-- migrate: allow <name>`.
    pub diagnostic: Diagnostic,
}

/// A [`Lint`] written as its name.
mod lint_name {
    use migrate_sqlite::Lint;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(lint: &Lint, to: S) -> Result<S::Ok, S::Error> {
        to.serialize_str(lint.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Lint, D::Error> {
        let name = String::deserialize(from)?;
        Lint::from_name(&name).ok_or_else(|| D::Error::custom(format!("no lint `{name}`")))
    }
}

/// The severity of each lint.
pub fn severity(lint: Lint) -> Severity {
    match lint {
        Lint::UnindexedForeignKey
        | Lint::EmptyMigration
        | Lint::DataDependent
        | Lint::RedundantIndex
        | Lint::PragmaInTransaction => Severity::Warning,
        _ => Severity::Error,
    }
}

impl File<'_> {
    /// A finding of `lint` at `offset` in this file: `what` is wrong, `fix`
    /// says what to do.
    fn finding(&self, lint: Lint, offset: usize, what: String, fix: &str) -> Finding {
        let name = lint.name();
        Finding {
            lint,
            severity: severity(lint),
            diagnostic: Diagnostic::at(self.path, self.sql, offset, format!("{what} [{name}]"))
                .help(format!(
                    "{fix}; or, if this is intended, add `-- migrate: allow {name}` at the top of the file"
                )),
        }
    }

    /// Keeps `finding` unless the file allows its lint.
    fn push(&self, findings: &mut Vec<Finding>, finding: Finding) {
        if !self.directives.allows(finding.lint) {
            findings.push(finding);
        }
    }
}

#[cfg(test)]
mod tests;
