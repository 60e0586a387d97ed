//! The migrations on the Turso server: its history, read; the pending
//! migrations, applied in one transaction with their history rows.

use std::time::Duration;

use migrate_sqlite::lex::transaction_body;
use migrate_sqlite::{Checksum, Migration};

use super::hrana::{Answer, Arg, Cell, Condition, Hrana, Statement, Step};
use crate::history::{self, Recorded};

/// What became of a batch of migrations sent to the server.
pub(crate) enum Applying {
    /// Committed; each migration with how long its SQL took there.
    Committed(Vec<(&'static Migration, Duration)>),
    /// Another start recorded one of them first: nothing was changed.
    Raced,
    /// The server was busy with another writer: nothing was changed.
    Busy(String),
    /// A statement of this migration failed: nothing was changed.
    Failed(&'static Migration, String),
}

/// The history the server keeps, ordered by version; none when it has no
/// history table yet.
pub(crate) async fn read_history(hrana: &Hrana, table: &str) -> Result<Vec<Recorded>, String> {
    let answers = hrana
        .execute(vec![
            Statement::with_args(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?",
                vec![Arg::Text(table.to_string())],
            ),
            Statement::new(format!(
                "SELECT version, name, checksum, applied_at, duration_ms, down_sql FROM {}",
                history::quoted(table)
            )),
        ])
        .await?;
    let mut answers = answers.into_iter();
    let exists = answers.next().unwrap_or(Ok(Default::default()))?;
    if exists.rows.first().and_then(|row| row[0].integer()) != Some(1) {
        return Ok(Vec::new());
    }
    let rows = answers.next().unwrap_or(Ok(Default::default()))?;
    let mut applied: Vec<Recorded> = rows.rows.iter().map(|row| recorded(row)).collect();
    applied.sort_by_key(|row| row.version);
    Ok(applied)
}

/// A history row as the server sent it.
pub(crate) fn recorded(row: &[Cell]) -> Recorded {
    let text = |index: usize| row.get(index).and_then(Cell::text).unwrap_or_default();
    let integer = |index: usize| row.get(index).and_then(Cell::integer).unwrap_or_default();
    Recorded {
        version: integer(0) as u64,
        name: text(1).to_string(),
        checksum_hex: text(2).to_string(),
        checksum: Checksum::from_hex(text(2)),
        applied_at: text(3).to_string(),
        duration: Duration::from_millis(integer(4).max(0) as u64),
        down_sql: row.get(5).and_then(Cell::text).map(str::to_string),
    }
}

/// Applies `migrations` on the server in one transaction with their history
/// rows, each row written before its migration's SQL: a start that raced
/// this one and recorded a migration first makes the row's insert fail, and
/// the whole transaction rolls back.
pub(crate) async fn apply(
    hrana: &Hrana,
    table: &str,
    migrations: &[&'static Migration],
) -> Result<Applying, String> {
    let mut batch = Batch::default();
    if migrations
        .iter()
        .any(|m| m.up().directives().foreign_keys_off())
    {
        // Outside the transaction, as SQLite requires; the stream ends with the batch.
        batch.push_always(Statement::new("PRAGMA foreign_keys = OFF"));
    }
    let begin = batch.push_always(Statement::new("BEGIN IMMEDIATE"));
    batch.push(Statement::new(history::create_sql(table)));
    let mut owners = Vec::new();
    for &migration in migrations {
        let recording = batch.push(record(table, migration));
        let first = batch.steps.len();
        for statement in body(migration) {
            batch.push(Statement::new(statement));
        }
        owners.push((migration, recording, first..batch.steps.len()));
    }
    let commit = batch.push(Statement::new("COMMIT"));
    batch.steps.push(Step {
        statement: Statement::new("ROLLBACK"),
        condition: Condition::NotOk(commit),
    });

    let answers = hrana.batch(batch.steps).await?;
    let failure = |index: usize| match answers.get(index) {
        Some(Some(Err(message))) => Some(message.clone()),
        _ => None,
    };
    if let Some(message) = failure(begin) {
        return Ok(Applying::Busy(message));
    }
    for (migration, recording, body) in &owners {
        if let Some(message) = failure(*recording) {
            return Ok(if message.contains("UNIQUE") {
                Applying::Raced
            } else {
                Applying::Failed(migration, format!("recording it in the history: {message}"))
            });
        }
        for index in body.clone() {
            if let Some(message) = failure(index) {
                let sql = self::body(migration)
                    .nth(index - body.start)
                    .unwrap_or_default();
                return Ok(Applying::Failed(
                    migration,
                    format!("{message}, in `{}`", sql.trim()),
                ));
            }
        }
    }
    if let Some(message) = failure(commit) {
        return Ok(Applying::Busy(format!("COMMIT: {message}")));
    }
    if !matches!(answers.get(commit), Some(Some(Ok(_)))) {
        return Err("the server skipped the COMMIT without saying why".to_string());
    }
    let took = |body: &std::ops::Range<usize>| {
        let millis: f64 = answers[body.clone()].iter().map(millis).sum();
        Duration::from_secs_f64(millis.max(0.0) / 1000.0)
    };
    Ok(Applying::Committed(
        owners
            .iter()
            .map(|(migration, _, body)| (*migration, took(body)))
            .collect(),
    ))
}

/// Records how long each migration took, once they are committed: the
/// history rows were written before their SQL ran.
pub(crate) async fn record_durations(
    hrana: &Hrana,
    table: &str,
    applied: &[(&'static Migration, Duration)],
) -> Result<(), String> {
    let updates = applied
        .iter()
        .map(|(migration, duration)| {
            Statement::with_args(
                format!(
                    "UPDATE {} SET duration_ms = ? WHERE version = ?",
                    history::quoted(table)
                ),
                vec![
                    Arg::Integer(duration.as_millis() as i64),
                    Arg::Integer(migration.version() as i64),
                ],
            )
        })
        .collect();
    for answer in hrana.execute(updates).await? {
        answer?;
    }
    Ok(())
}

/// The statements of a batch, each run once the one before it succeeded.
#[derive(Default)]
struct Batch {
    steps: Vec<Step>,
}

impl Batch {
    fn push_always(&mut self, statement: Statement) -> usize {
        self.steps.push(Step {
            statement,
            condition: Condition::Always,
        });
        self.steps.len() - 1
    }

    fn push(&mut self, statement: Statement) -> usize {
        let previous = self.steps.len() - 1;
        self.steps.push(Step {
            statement,
            condition: Condition::AllOk(vec![previous]),
        });
        self.steps.len() - 1
    }
}

/// The insert of `migration`'s history row, applied now, duration unknown.
fn record(table: &str, migration: &Migration) -> Statement {
    Statement::with_args(
        history::insert_sql(table),
        vec![
            Arg::Integer(migration.version() as i64),
            Arg::Text(migration.name().to_string()),
            Arg::Text(migration.checksum().to_hex()),
            Arg::Integer(0),
            migration.down().map_or(Arg::Null, |down| {
                Arg::Text(down.self_describing_sql().into())
            }),
            Arg::Null,
        ],
    )
}

/// The statements of `migration` that run in the batch's transaction.
fn body(migration: &Migration) -> impl Iterator<Item = &str> {
    let sql = migration.up().sql();
    transaction_body(sql)
        .into_iter()
        .map(move |statement| &sql[statement.range])
}

fn millis(answer: &Option<Answer>) -> f64 {
    match answer {
        Some(Ok(rows)) => rows.millis,
        _ => 0.0,
    }
}
