//! The server's schema and history, copied into an in-memory SQLite, so
//! that status, verify and dry runs read it exactly as they read a file.

use rusqlite::{params, Connection};

use super::hrana::{Hrana, Statement};
use super::server;
use crate::history;

/// An in-memory database holding every object of the server's schema (no
/// rows) and the rows of its history table.
pub(crate) async fn snapshot(hrana: &Hrana, table: &str) -> Result<Connection, String> {
    // Tables first, so that what refers to them can be made.
    let schema = "SELECT name, sql FROM sqlite_schema
                  WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                  ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1
                                     WHEN 'view' THEN 2 ELSE 3 END, rowid";
    let objects = hrana
        .execute(vec![Statement::new(schema)])
        .await?
        .remove(0)?;
    let applied = server::read_history(hrana, table).await?;
    let conn = Connection::open_in_memory().map_err(|error| error.to_string())?;
    for row in &objects.rows {
        let (name, sql) = (
            row[0].text().unwrap_or_default(),
            row[1].text().unwrap_or_default(),
        );
        conn.execute_batch(sql)
            .map_err(|error| format!("cannot read {name} from the server's schema: {error}"))?;
    }
    if !applied.is_empty() {
        let insert = format!(
            "INSERT INTO {} (version, name, checksum, applied_at, duration_ms, down_sql)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            history::quoted(table)
        );
        for row in &applied {
            conn.execute(
                &insert,
                params![
                    row.version as i64,
                    row.name,
                    row.checksum_hex,
                    row.applied_at,
                    row.duration.as_millis() as i64,
                    row.down_sql,
                ],
            )
            .map_err(|error| format!("cannot copy the server's history: {error}"))?;
        }
    }
    Ok(conn)
}
