//! `verify`: the history against the binary's migrations, and the database's
//! actual schema against the schema the applied migrations make.

use std::fmt;

use migrate_sqlite::schema::{bookkeeping_table, read_objects, schema_drift};
use migrate_sqlite::{Drift, Migration, Schema, SchemaObject};
use rusqlite::Connection;

use crate::error::{drift_lines, Error};
use crate::history;
use crate::migrator::Migrator;
use crate::plan::State;

/// What [`Migrator::verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Applied migrations whose SQL in this binary differs from what was
    /// applied: version and name.
    pub checksum_changed: Vec<(u64, String)>,
    /// Applied migrations this binary does not contain: version and name.
    pub unknown: Vec<(u64, String)>,
    /// The version the schema was compared at: the highest applied (0 for
    /// an empty database). `None` when it could not be compared.
    pub compared_at: Option<u64>,
    /// How the database's schema differs from the one its applied
    /// migrations make.
    pub drift: Vec<Drift>,
}

impl Verification {
    /// Whether nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.checksum_changed.is_empty() && self.unknown.is_empty() && self.drift.is_empty()
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (version, name) in &self.checksum_changed {
            writeln!(f, "migration {version} ({name}) was applied with other SQL than this binary holds: its file was edited after it ran")?;
        }
        for (version, name) in &self.unknown {
            writeln!(f, "migration {version} ({name}) is applied but this binary does not contain it: a newer build ran here")?;
        }
        match self.compared_at {
            None => writeln!(
                f,
                "schema not compared: the database holds migrations this binary does not know"
            )?,
            Some(version) if self.drift.is_empty() => writeln!(
                f,
                "schema matches what the migrations up to version {version} make"
            )?,
            Some(version) => {
                writeln!(f, "schema differs from what the migrations up to version {version} make (changed by hand?):")?;
                writeln!(f, "{}", drift_lines(&self.drift))?;
            }
        }
        Ok(())
    }
}

/// [`Migrator::verify`].
pub(crate) fn verify(migrator: &Migrator, conn: &Connection) -> Result<Verification, Error> {
    let applied = history::read(conn, &migrator.options().history_table)?;
    let mut verification = Verification {
        checksum_changed: Vec::new(),
        unknown: Vec::new(),
        compared_at: None,
        drift: Vec::new(),
    };
    let mut chain = Vec::new();
    for standing in migrator.classify(&applied) {
        let Some(row) = standing.recorded else {
            continue;
        };
        let named = (row.version, row.name.clone());
        match standing.state {
            State::UnknownToBinary => verification.unknown.push(named),
            State::ChecksumChanged => verification.checksum_changed.push(named),
            _ => {}
        }
        chain.extend(standing.migration);
    }
    if !verification.unknown.is_empty() {
        return Ok(verification);
    }
    verification.drift = drift_from(migrator, conn, &chain)?;
    verification.compared_at = Some(applied.last().map_or(0, |row| row.version));
    Ok(verification)
}

/// How the schema of `conn` differs from the one `chain` makes: the check
/// of [`Migrator::verify`], [`Migrator::baseline`] and
/// [`Migrator::import_history`].
///
/// When `chain` is every migration of the binary, the expected schema is
/// the one recorded at compile time; otherwise it is made by running
/// `chain` on an in-memory database.
pub(crate) fn drift_from(
    migrator: &Migrator,
    conn: &Connection,
    chain: &[&Migration],
) -> Result<Vec<Drift>, Error> {
    let expected = match migrator.expected_schema() {
        Some(objects) if chain.len() == migrator.migrations().len() => {
            let model = Schema::of_objects(objects).map_err(|source| Error::Database {
                action: "make the schema the migrations make in memory",
                source,
            })?;
            (objects.to_vec(), model)
        }
        _ => schema_made_by(migrator, chain)?,
    };
    let found = read_schema(conn)?;
    Ok(schema_drift(
        (&expected.0, &expected.1),
        (&found.0, &found.1),
        |name| ignores(migrator, name),
    ))
}

/// Tables that are not drift: the history, other tools' and the ones named
/// with [`Migrator::ignore_tables`].
fn ignores(migrator: &Migrator, name: &str) -> bool {
    let options = migrator.options();
    let named = |table: &str| name.eq_ignore_ascii_case(table);
    named(&options.history_table)
        || bookkeeping_table(name).is_some()
        || options.ignored_tables.iter().any(|table| named(table))
}

/// The `CREATE` statements of `conn`'s schema, and its model.
fn read_schema(conn: &Connection) -> Result<(Vec<SchemaObject>, Schema), Error> {
    let reading = |source| Error::Database {
        action: "read the schema",
        source,
    };
    let objects = read_objects(conn).map_err(reading)?;
    let model = Schema::read(conn).map_err(reading)?;
    Ok((objects, model))
}

/// The schema `chain` makes, run on an in-memory database as the runner
/// runs it.
fn schema_made_by(
    migrator: &Migrator,
    chain: &[&Migration],
) -> Result<(Vec<SchemaObject>, Schema), Error> {
    let replaying = |source| Error::Database {
        action: "run the applied migrations in memory to learn the schema they make",
        source,
    };
    let mut conn = Connection::open_in_memory().map_err(replaying)?;
    conn.execute_batch("PRAGMA foreign_keys = ON")
        .map_err(replaying)?;
    migrator.set_up(&conn)?;
    for migration in chain {
        let script = migration.up();
        migrate_sqlite::apply(&mut conn, script.sql(), script.directives())
            .map_err(|failure| replaying(failure.error))?;
    }
    read_schema(&conn)
}
