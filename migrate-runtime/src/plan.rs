//! What to do with a database, decided from its history and the binary's
//! migrations alone, with nothing run: the comparison of the two that
//! `run`, `status` and `verify` share ([`classify`]), the refusals that
//! follow from it, and the migrations an operation applies or reverts
//! ([`changes`]).

use std::fmt;

use migrate_sqlite::{Directives, Failure, Migration, Script};

use crate::error::{Error, Recovery};
use crate::history::Recorded;
use crate::operation::{Direction, Operation, ScriptSource, Step};

/// The state of a migration in a database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Applied, with the checksum of the binary's migration.
    Applied,
    /// Not applied; the next start applies it.
    Pending,
    /// Not applied, and its version is lower than the newest applied one:
    /// refused ([`Error::OutOfOrder`]) unless
    /// [`Migrator::allow_out_of_order`](crate::Migrator::allow_out_of_order)
    /// allows it.
    OutOfOrder,
    /// Applied, but the binary's migration has another checksum: it was
    /// edited after it was applied ([`Error::ChecksumMismatch`]; see
    /// [`Migrator::repair`](crate::Migrator::repair)).
    ChecksumChanged,
    /// Recorded in the history but not in this binary: a newer build applied
    /// it ([`Error::UnknownVersions`]).
    UnknownToBinary,
}

/// One version the binary has, the history records, or both, and its state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Standing<'h> {
    pub(crate) version: u64,
    /// The binary's migration.
    pub(crate) migration: Option<&'static Migration>,
    /// The history's row.
    pub(crate) recorded: Option<&'h Recorded>,
    pub(crate) state: State,
}

/// Every version of `migrations` and of `applied` (both ordered by
/// version), in order, with its state.
pub(crate) fn classify<'h>(
    migrations: &'static [Migration],
    applied: &'h [Recorded],
) -> Vec<Standing<'h>> {
    let newest_applied = applied.last().map(|row| row.version);
    let (mut binary, mut history) = (migrations.iter().peekable(), applied.iter().peekable());
    let mut standings = Vec::with_capacity(migrations.len().max(applied.len()));
    loop {
        let (migration, recorded) = match (binary.peek(), history.peek()) {
            (None, None) => return standings,
            (Some(m), Some(r)) if m.version() == r.version => (binary.next(), history.next()),
            (Some(m), Some(r)) if m.version() < r.version => (binary.next(), None),
            (Some(_), None) => (binary.next(), None),
            (_, Some(_)) => (None, history.next()),
        };
        let version = migration.map_or_else(|| recorded.map_or(0, |r| r.version), |m| m.version());
        let state = match (migration, recorded) {
            (Some(m), Some(row)) if Some(m.checksum()) == row.checksum => State::Applied,
            (Some(_), Some(_)) => State::ChecksumChanged,
            (None, _) => State::UnknownToBinary,
            (Some(_), None) if newest_applied.is_some_and(|newest| version < newest) => {
                State::OutOfOrder
            }
            (Some(_), None) => State::Pending,
        };
        standings.push(Standing {
            version,
            migration,
            recorded,
            state,
        });
    }
}

/// What a database may differ from the binary in and still be migrated.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Allowances {
    /// Applied migrations this binary does not know.
    pub(crate) newer_database: bool,
    /// A pending migration older than the newest applied one.
    pub(crate) out_of_order: bool,
}

/// Why the database cannot be migrated by this binary at all, if it cannot:
/// an applied migration whose checksum changed (the lowest), or applied
/// migrations it does not know, unless allowed.
pub(crate) fn refusal(standings: &[Standing], allowances: Allowances) -> Option<Error> {
    if let Some(changed) = standings
        .iter()
        .find(|standing| standing.state == State::ChecksumChanged)
    {
        return Some(checksum_mismatch(changed));
    }
    let unknown: Vec<(u64, String)> = standings
        .iter()
        .filter(|standing| standing.state == State::UnknownToBinary)
        .map(|standing| (standing.version, name_of(standing)))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    if !allowances.newer_database {
        return Some(Error::UnknownVersions { versions: unknown });
    }
    tracing::warn!(unknown = ?unknown, "the database has migrations of a newer build; allowed");
    None
}

/// Whether the next start refuses a database whose migrations are in
/// `states`.
#[cfg(feature = "cli")]
pub(crate) fn refuses(states: impl IntoIterator<Item = State>, allowances: Allowances) -> bool {
    states.into_iter().any(|state| match state {
        State::ChecksumChanged => true,
        State::UnknownToBinary => !allowances.newer_database,
        State::OutOfOrder => !allowances.out_of_order,
        _ => false,
    })
}

fn checksum_mismatch(standing: &Standing) -> Error {
    let (migration, row) = (
        standing
            .migration
            .expect("a changed checksum is the binary's"),
        standing.recorded.expect("a changed checksum is recorded"),
    );
    Error::ChecksumMismatch {
        version: standing.version,
        name: migration.name().to_string(),
        applied: row.checksum_hex.clone(),
        embedded: migration.checksum().to_hex(),
    }
}

/// The binary's name for a migration, else the history's.
fn name_of(standing: &Standing) -> String {
    match (standing.migration, standing.recorded) {
        (Some(migration), _) => migration.name().to_string(),
        (None, Some(row)) => row.name.clone(),
        (None, None) => String::new(),
    }
}

/// This binary's migration `version`, or the error naming it.
pub(crate) fn in_binary(
    migrations: &'static [Migration],
    version: u64,
    operation: &'static str,
) -> Result<&'static Migration, Error> {
    Migration::find(migrations, version).ok_or(Error::NotInBinary { version, operation })
}

/// An operation with its target resolved to a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Goal {
    /// Apply the pending migrations up to and including `to`.
    Up { to: u64 },
    /// Revert the applied migrations above `to`; every one for `None`.
    Down { to: Option<u64> },
}

impl Goal {
    /// Every pending migration.
    pub(crate) const ALL: Goal = Goal::Up { to: u64::MAX };

    pub(crate) fn direction(self) -> Direction {
        match self {
            Goal::Up { .. } => Direction::Up,
            Goal::Down { .. } => Direction::Down,
        }
    }
}

/// The version `operation` goes to, given what is applied.
pub(crate) fn resolve(
    migrations: &'static [Migration],
    operation: Operation,
    applied: &[Recorded],
) -> Result<Goal, Error> {
    match operation {
        Operation::Up => Ok(Goal::ALL),
        Operation::UpTo(target) => {
            let migration = in_binary(migrations, target.get(), "apply migrations up to")?;
            Ok(Goal::Up {
                to: migration.version(),
            })
        }
        Operation::RevertTo(target) => {
            let to = target.get();
            let known = to == 0
                || Migration::find(migrations, to).is_some()
                || applied.iter().any(|row| row.version == to);
            if !known {
                return Err(Error::NotInBinary {
                    version: to,
                    operation: "revert to",
                });
            }
            Ok(Goal::Down { to: Some(to) })
        }
        Operation::RevertAll => Ok(Goal::Down { to: None }),
        Operation::RevertSteps(steps) if steps > applied.len() => Err(Error::TooManySteps {
            steps,
            applied: applied.len(),
        }),
        Operation::RevertSteps(steps) => {
            let kept = applied.len() - steps;
            let to = kept.checked_sub(1).map(|last| applied[last].version);
            Ok(Goal::Down { to })
        }
    }
}

/// What reaching `goal` takes, in the order it runs, after the refusals.
pub(crate) fn changes(
    migrations: &'static [Migration],
    applied: &[Recorded],
    goal: Goal,
    allowances: Allowances,
) -> Result<Vec<Change>, Error> {
    match goal {
        Goal::Up { to } => {
            let standings = classify(migrations, applied);
            if let Some(refused) = refusal(&standings, allowances) {
                return Err(refused);
            }
            let pending: Vec<&Standing> = standings
                .iter()
                .filter(|s| matches!(s.state, State::Pending | State::OutOfOrder))
                .take_while(|s| s.version <= to)
                .collect();
            check_order(applied, &pending, allowances)?;
            Ok(pending
                .iter()
                .filter_map(|standing| standing.migration.map(Change::Apply))
                .collect())
        }
        Goal::Down { to } => reverts(migrations, applied, to),
    }
}

/// A pending migration older than the newest applied one is refused,
/// unless allowed.
fn check_order(
    applied: &[Recorded],
    pending: &[&Standing],
    allowances: Allowances,
) -> Result<(), Error> {
    match (applied.last(), pending.first()) {
        (Some(newest), Some(first))
            if first.state == State::OutOfOrder && !allowances.out_of_order =>
        {
            Err(Error::OutOfOrder {
                pending: first.version,
                pending_name: name_of(first),
                applied: newest.version,
                applied_name: newest.name.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// The applied migrations above `to` (all for `None`), newest first, each
/// with its down script; refused, naming them, if any has none.
fn reverts(
    migrations: &'static [Migration],
    applied: &[Recorded],
    to: Option<u64>,
) -> Result<Vec<Change>, Error> {
    let mut changes = Vec::new();
    let mut missing = Vec::new();
    let above = |row: &&Recorded| to.is_none_or(|to| row.version > to);
    for row in applied.iter().rev().take_while(above) {
        match revert_of(migrations, row)? {
            Some(change) => changes.push(change),
            None => missing.push((row.version, row.name.clone())),
        }
    }
    if !missing.is_empty() {
        return Err(Error::NoDownScript {
            migrations: missing,
        });
    }
    Ok(changes)
}

/// How to revert one applied migration: the binary's down script, else the
/// one recorded in the history; `None` when neither exists.
fn revert_of(migrations: &'static [Migration], row: &Recorded) -> Result<Option<Change>, Error> {
    let binary = Migration::find(migrations, row.version);
    if let Some(migration) = binary {
        if Some(migration.checksum()) != row.checksum {
            return Err(Error::ChecksumMismatch {
                version: row.version,
                name: migration.name().to_string(),
                applied: row.checksum_hex.clone(),
                embedded: migration.checksum().to_hex(),
            });
        }
    }
    let (down, source) = match (binary.and_then(Migration::down), &row.down_sql) {
        (Some(down), _) => (down.clone(), ScriptSource::Binary),
        (None, Some(sql)) => {
            // A newer build may know directives this one does not:
            // running without one (foreign-keys-off) could lose rows.
            let directives = Directives::parse_for_running(sql).map_err(|error| {
                Error::UnreadableDownScript {
                    version: row.version,
                    name: row.name.clone(),
                    detail: format!("line {}: {}", error.line, error.message),
                }
            })?;
            (
                Script::owned(sql.clone(), directives),
                ScriptSource::History,
            )
        }
        (None, None) => return Ok(None),
    };
    let name = binary.map_or_else(|| row.name.clone(), |m| m.name().to_string());
    Ok(Some(Change::Revert {
        version: row.version,
        name,
        down,
        source,
    }))
}

/// One migration to apply or revert, as a run runs it.
#[derive(Clone, Debug)]
pub(crate) enum Change {
    Apply(&'static Migration),
    Revert {
        version: u64,
        name: String,
        down: Script,
        source: ScriptSource,
    },
}

impl Change {
    pub(crate) fn version(&self) -> u64 {
        match self {
            Change::Apply(migration) => migration.version(),
            Change::Revert { version, .. } => *version,
        }
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            Change::Apply(migration) => migration.name(),
            Change::Revert { name, .. } => name,
        }
    }

    /// The script that runs.
    pub(crate) fn script(&self) -> &Script {
        match self {
            Change::Apply(migration) => migration.up(),
            Change::Revert { down, .. } => down,
        }
    }

    pub(crate) fn direction(&self) -> Direction {
        match self {
            Change::Apply(_) => Direction::Up,
            Change::Revert { .. } => Direction::Down,
        }
    }

    /// Version and name, as error messages list migrations.
    pub(crate) fn label(&self) -> (u64, String) {
        (self.version(), self.name().to_string())
    }

    /// What a deadline or a full disk interrupted: `migration 3 (add_email)`.
    pub(crate) fn during(&self) -> String {
        match self {
            Change::Apply(_) => format!("migration {self}"),
            Change::Revert { .. } => format!("the revert of migration {self}"),
        }
    }

    /// The error for its script failing, logged with the place in the
    /// script where it failed.
    pub(crate) fn failed(&self, failure: Failure, recovery: Recovery) -> Error {
        let place = failure
            .offset()
            .map(|offset| migrate_sqlite::lex::line_col(self.script().sql(), offset));
        tracing::error!(
            version = self.version(),
            name = self.name(),
            direction = ?self.direction(),
            line = place.map(|(line, _)| line),
            column = place.map(|(_, column)| column),
            error = %failure.error,
            "migration failed"
        );
        let (version, name) = self.label();
        let source = failure.error;
        match self {
            Change::Apply(_) => Error::Migration {
                version,
                name,
                source,
                recovery,
            },
            Change::Revert { .. } => Error::Revert {
                version,
                name,
                source,
                recovery,
            },
        }
    }

    /// As [`Migrator::dry_run`](crate::Migrator::dry_run) shows it.
    pub(crate) fn step(&self) -> Step {
        let source = match self {
            Change::Apply(_) => ScriptSource::Binary,
            Change::Revert { source, .. } => *source,
        };
        Step {
            version: self.version(),
            name: self.name().to_string(),
            direction: self.direction(),
            sql: self.script().sql().to_string(),
            directives: self.script().directives(),
            source,
        }
    }
}

/// `3 (add_email)`.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.version(), self.name())
    }
}

#[cfg(test)]
mod tests;
