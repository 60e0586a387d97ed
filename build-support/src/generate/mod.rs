//! Generated migrations: the migration that takes the schema a chain of
//! migrations leaves to the desired schema, what `migrate diff` writes.
//!
//! The steps are found on a scratch database holding the schema before
//! (`plan.rs`), so that SQLite itself decides what `ALTER TABLE` can do.
//! What is generated is then applied again as the runtime applies it
//! (directives and all), on a fresh copy: it must arrive at the desired
//! schema, and its down script must come back, or nothing is written.

mod hints;
mod plan;
mod sql;

use migrate_sqlite::schema::read_objects;
use migrate_sqlite::{apply, Directives, Lint, Schema, SchemaObject, DIRECTIVE_PREFIX};
use rusqlite::Connection;

use crate::setup::Setup;
use crate::validate::fresh_connection;

pub use hints::{read_hints, Renames};
pub use plan::Ambiguity;

/// What is asked of a generated migration.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// The renames it makes.
    pub renames: Renames,
    /// Whether it may drop tables and columns (it then carries
    /// `-- migrate: allow destructive`).
    pub allow_destructive: bool,
    /// One migration per changed table instead of one in all.
    pub per_table: bool,
    /// Whether to write down scripts.
    pub down: bool,
}

/// One generated migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// With `per_table`, the table it changes (or `views_and_triggers`);
    /// `None` otherwise.
    pub subject: Option<String>,
    /// Its up script.
    pub up: String,
    /// Its down script, when asked for.
    pub down: Option<String>,
}

/// The migrations that take one schema to another, and what to know of them.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The migrations, in order; none when the schemas are alike.
    pub migrations: Vec<Generated>,
    /// What they lose: tables and columns whose values go.
    pub lost: Vec<String>,
    /// What may fail on the rows of a database.
    pub warnings: Vec<String>,
}

/// Why no migration was generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenerateError {
    /// It would lose what is listed, and that was not allowed.
    Destructive(Vec<String>),
    /// A rename names a table or column that is not there.
    BadRename(String),
    /// A schema could not be made, or the migration found does not do
    /// what it must (a fault of the generator, said so).
    Failed(String),
}

impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenerateError::Destructive(lost) => {
                writeln!(f, "the migration would lose:")?;
                for item in lost {
                    writeln!(f, "  - {item}")?;
                }
                write!(
                    f,
                    "if that is meant, `--allow-destructive` writes it (the file then carries \
                     `-- migrate: allow destructive`); if something was renamed, say so with \
                     `--rename old=new` (`table.old=new` for a column) or a \
                     `-- migrate: renamed from <old>` comment in the desired schema"
                )
            }
            GenerateError::BadRename(message) | GenerateError::Failed(message) => {
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for GenerateError {}

fn failed(what: &str) -> impl Fn(rusqlite::Error) -> GenerateError + '_ {
    move |error| GenerateError::Failed(format!("{what}: {error}"))
}

/// A scratch database holding the schema `objects` make.
///
/// Its foreign keys are off, as they are in every script that drops or
/// rebuilds a table: on, SQLite's `DROP TABLE` deletes the rows first and
/// so reads the foreign keys of other tables, which may name one gone.
fn scratch(setup: &Setup, objects: &[SchemaObject]) -> rusqlite::Result<Connection> {
    let conn = as_run(setup, objects)?;
    conn.pragma_update(None, "foreign_keys", false)?;
    Ok(conn)
}

/// A database holding the schema `objects` make, as the runtime has one:
/// foreign keys on, which a script's directives may switch off.
fn as_run(setup: &Setup, objects: &[SchemaObject]) -> rusqlite::Result<Connection> {
    let conn = fresh_connection(setup)?;
    plan::make(&conn, objects)?;
    Ok(conn)
}

/// The tables and columns of `to` that may be renamed from ones of `from`
/// that it no longer has, given `renames` already known.
pub fn ambiguities(
    from: &[SchemaObject],
    to: &[SchemaObject],
    setup: &Setup,
    renames: &Renames,
) -> Result<Vec<Ambiguity>, GenerateError> {
    let before = scratch(setup, from).map_err(failed("cannot make the schema before"))?;
    let desired = scratch(setup, to)
        .and_then(|conn| Schema::read(&conn))
        .map_err(failed("cannot make the desired schema"))?;
    check_renames(
        &Schema::read(&before).map_err(failed("cannot read the schema before"))?,
        &desired,
        renames,
    )?;
    plan::ambiguities(&before, &desired, to, renames).map_err(failed("cannot compare the schemas"))
}

/// The renames of `hints` that are still to make on the schema `from`
/// makes: a hint can stay in the desired schema after its migration, and
/// is then passed over.
pub fn still_to_make(
    hints: &Renames,
    from: &[SchemaObject],
    setup: &Setup,
) -> Result<Renames, GenerateError> {
    let before = scratch(setup, from)
        .and_then(|conn| Schema::read(&conn))
        .map_err(failed("cannot make the schema before"))?;
    let table = |name: &str| {
        before
            .tables
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, t)| t)
    };
    let mut pending = Renames::none();
    for (old, new) in &hints.tables {
        if table(old).is_some() {
            pending.tables.push((old.clone(), new.clone()));
        }
    }
    for (at, old, new) in &hints.columns {
        let source = pending.table_from(at).unwrap_or(at);
        if table(source).is_some_and(|t| t.column(old).is_some()) {
            pending.columns.push((at.clone(), old.clone(), new.clone()));
        }
    }
    Ok(pending)
}

/// Each rename names a table or column the schema before has and the
/// desired one declares.
fn check_renames(
    before: &Schema,
    desired: &Schema,
    renames: &Renames,
) -> Result<(), GenerateError> {
    let table = |schema: &Schema, name: &str| {
        schema
            .tables
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, t)| t.clone())
    };
    let bad = |message: String| Err(GenerateError::BadRename(message));
    for (old, new) in &renames.tables {
        if table(before, old).is_none() {
            return bad(format!(
                "`{old}` is renamed to `{new}`, but the migrations leave no table `{old}`"
            ));
        }
        if table(desired, new).is_none() {
            return bad(format!(
                "`{old}` is renamed to `{new}`, but the desired schema declares no table `{new}`"
            ));
        }
    }
    for (at, old, new) in &renames.columns {
        let source = renames.table_from(at).unwrap_or(at);
        if table(before, source).is_none_or(|t| t.column(old).is_none()) {
            return bad(format!("`{at}.{old}` is renamed to `{new}`, but the migrations leave no column `{source}.{old}`"));
        }
        if table(desired, at).is_none_or(|t| t.column(new).is_none()) {
            return bad(format!("`{at}.{old}` is renamed to `{new}`, but the desired schema declares no column `{at}.{new}`"));
        }
    }
    Ok(())
}

/// The migrations that take the schema `from` makes to the one `to` makes
/// (both as SQLite keeps them, [`read_objects`]).
pub fn generate(
    from: &[SchemaObject],
    to: &[SchemaObject],
    setup: &Setup,
    request: &Request,
) -> Result<Outcome, GenerateError> {
    let desired = scratch(setup, to)
        .and_then(|conn| Schema::read(&conn))
        .map_err(failed("cannot make the desired schema"))?;
    let work = scratch(setup, from).map_err(failed("cannot make the schema before"))?;
    let before = Schema::read(&work).map_err(failed("cannot read the schema before"))?;
    check_renames(&before, &desired, &request.renames)?;
    let found = plan::plan(&work, &desired, to, &request.renames)
        .map_err(failed("cannot find the steps to the desired schema"))?;
    let lost: Vec<String> = found.lost.iter().map(|(_, item)| item.clone()).collect();
    if !lost.is_empty() && !request.allow_destructive {
        return Err(GenerateError::Destructive(lost));
    }
    let groups: Vec<Option<&str>> = match request.per_table {
        true => found.groups.iter().map(|g| Some(g.as_str())).collect(),
        false if found.steps.is_empty() => Vec::new(),
        false => vec![None],
    };
    let mut migrations = Vec::new();
    let mut state = as_run(setup, from).map_err(failed("cannot make the schema before"))?;
    for (k, group) in groups.into_iter().enumerate() {
        let in_group =
            |g: &str| group.is_none_or(|group| group == g || (k == 0 && g == plan::FIRST));
        let steps: Vec<&plan::Step> = found.steps.iter().filter(|s| in_group(&s.group)).collect();
        let foreign_keys_off = found.foreign_keys_off.iter().any(|g| in_group(g));
        let loses = found.lost.iter().any(|(g, _)| in_group(g));
        let up = script(&steps, foreign_keys_off, loses);
        let before = read_objects(&state).map_err(failed("cannot read the schema"))?;
        run(&mut state, &up, "the generated migration").map_err(|error| match group {
            Some(group) => GenerateError::Failed(format!(
                "the changes do not split into one migration per table that apply in order \
                 (the one for {group}: {error}); without --per-table they are one migration"
            )),
            None => error,
        })?;
        let down = match request.down {
            true => Some(down_script(setup, &state, &before, &request.renames)?),
            false => None,
        };
        migrations.push(Generated {
            subject: group.map(str::to_string),
            up,
            down,
        });
    }
    let arrived = Schema::read(&state).map_err(failed("cannot read the schema"))?;
    let differences = arrived.diff(&desired);
    if !differences.is_empty() {
        return Err(GenerateError::Failed(format!(
            "the migration found does not arrive at the desired schema ({}); write this one by hand, and report the schemas",
            differences.join("; ")
        )));
    }
    Ok(Outcome {
        migrations,
        lost,
        warnings: found.warnings,
    })
}

/// Runs `sql` on `conn` as the runtime runs a migration.
fn run(conn: &mut Connection, sql: &str, what: &str) -> Result<(), GenerateError> {
    let directives = Directives::parse_for_running(sql).map_err(|error| {
        GenerateError::Failed(format!("{what} has a bad directive: {}", error.message))
    })?;
    apply(conn, sql, directives)
        .map(|_| ())
        .map_err(|failure| GenerateError::Failed(format!("{what} does not apply: {failure}")))
}

/// The down script that takes the schema on `after` back to `before`,
/// checked to do so.
fn down_script(
    setup: &Setup,
    after: &Connection,
    before: &[SchemaObject],
    renames: &Renames,
) -> Result<String, GenerateError> {
    let after = read_objects(after).map_err(failed("cannot read the schema"))?;
    let wanted = scratch(setup, before)
        .and_then(|conn| Schema::read(&conn))
        .map_err(failed("cannot make the schema before"))?;
    let work = scratch(setup, &after).map_err(failed("cannot make the schema after"))?;
    let found = plan::plan(&work, &wanted, before, &renames.reversed())
        .map_err(failed("cannot find the down script's steps"))?;
    let steps: Vec<&plan::Step> = found.steps.iter().collect();
    let down = script(&steps, !found.foreign_keys_off.is_empty(), false);
    let mut check = as_run(setup, &after).map_err(failed("cannot make the schema after"))?;
    run(&mut check, &down, "the generated down script")?;
    let back = Schema::read(&check).map_err(failed("cannot read the schema"))?;
    let differences = back.diff(&wanted);
    if !differences.is_empty() {
        return Err(GenerateError::Failed(format!(
            "the down script found does not come back ({}); write this one by hand, and report the schemas",
            differences.join("; ")
        )));
    }
    Ok(down)
}

/// A script of `steps`, with the directives it needs, a blank line
/// between the steps of one table and the next.
fn script(steps: &[&plan::Step], foreign_keys_off: bool, destructive: bool) -> String {
    let mut text = String::new();
    if foreign_keys_off {
        text.push_str(&format!("-- {DIRECTIVE_PREFIX} foreign-keys-off\n"));
    }
    if destructive {
        let name = Lint::Destructive.name();
        text.push_str(&format!("-- {DIRECTIVE_PREFIX} allow {name}\n"));
    }
    let mut group = None;
    for step in steps {
        if group.is_some_and(|g: &String| *g != step.group) || (group.is_none() && !text.is_empty())
        {
            text.push('\n');
        }
        group = Some(&step.group);
        text.push_str(&step.sql);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
