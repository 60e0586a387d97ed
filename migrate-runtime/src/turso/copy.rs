//! This instance's synced copy of the Turso database: the history it
//! carries, read through the `turso` crate.

use turso::sync::Database;
use turso::Value;

use super::hrana::Cell;
use super::server::recorded;
use crate::history::{self, Recorded};

/// The history the copy carries, ordered by version; none when it has no
/// history table yet.
pub(crate) async fn read_history(copy: &Database, table: &str) -> Result<Vec<Recorded>, String> {
    let conn = copy.connect().await.map_err(|error| error.to_string())?;
    let sql = format!(
        "SELECT version, name, checksum, applied_at, duration_ms, down_sql FROM {}",
        history::quoted(table)
    );
    // One query when the table exists, as at every start but the first.
    let rows = match query(&conn, &sql, Vec::new()).await {
        Ok(rows) => rows,
        Err(error) => {
            let exists = query(
                &conn,
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                vec![Value::Text(table.to_string())],
            )
            .await?;
            if exists.first().and_then(|row| row[0].integer()) != Some(1) {
                return Ok(Vec::new());
            }
            return Err(error);
        }
    };
    let mut applied: Vec<Recorded> = rows.iter().map(|row| recorded(row)).collect();
    applied.sort_by_key(|row| row.version);
    Ok(applied)
}

async fn query(
    conn: &turso::Connection,
    sql: &str,
    params: Vec<Value>,
) -> Result<Vec<Vec<Cell>>, String> {
    let failed = |error: turso::Error| format!("{error}, in `{sql}`");
    let mut rows = conn.query(sql, params).await.map_err(failed)?;
    let columns = rows.column_count();
    let mut found = Vec::new();
    while let Some(row) = rows.next().await.map_err(failed)? {
        let cells = (0..columns)
            .map(|index| row.get_value(index).map(cell))
            .collect::<Result<_, _>>()
            .map_err(failed)?;
        found.push(cells);
    }
    Ok(found)
}

fn cell(value: Value) -> Cell {
    match value {
        Value::Null => Cell::Null,
        Value::Integer(value) => Cell::Integer(value),
        Value::Real(value) => Cell::Float(value),
        Value::Text(value) => Cell::Text(value),
        Value::Blob(_) => Cell::Blob,
    }
}
