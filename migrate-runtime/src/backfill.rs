//! Large backfills in chunks: one statement that changes a batch of rows,
//! run again and again, each run committed on its own, until a run changes
//! nothing. Replication (LiteFS, Litestream) then carries one small
//! transaction at a time, readers and writers get the lock between them,
//! and a crash loses one batch at most: the next start picks up the rows
//! still to do, because the statement picks only those.

use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};

use crate::Error;

/// What [`backfill`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backfilled {
    /// The batches that changed rows, each committed on its own.
    pub batches: u64,
    /// The rows they changed.
    pub rows: u64,
    /// How long it took.
    pub duration: Duration,
}

/// Runs `sql`, one statement that changes a batch of the rows still to do,
/// each run in a transaction of its own (`BEGIN IMMEDIATE`, within the
/// connection's busy timeout), until a run changes no row.
///
/// The statement must leave out the rows it has done, or it never stops:
///
/// ```sql
/// UPDATE notes SET words = length(body) - length(replace(body, ' ', '')) + 1
///  WHERE id IN (SELECT id FROM notes WHERE words IS NULL LIMIT 1000)
/// ```
///
/// Run it after the start that added the column (a migration adds the
/// column; the application, once started, fills it); after a crash, the
/// next call goes on from the rows still to do.
pub fn backfill(conn: &mut Connection, sql: &str) -> Result<Backfilled, Error> {
    let started = Instant::now();
    let mut done = Backfilled::default();
    loop {
        let failed = |source| Error::Database {
            action: "run a batch of the backfill",
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let changed = tx.execute(sql, []).map_err(failed)?;
        tx.commit().map_err(failed)?;
        if changed == 0 {
            done.duration = started.elapsed();
            tracing::info!(
                batches = done.batches,
                rows = done.rows,
                duration = ?done.duration,
                "backfill done"
            );
            return Ok(done);
        }
        done.batches += 1;
        done.rows += changed as u64;
        tracing::debug!(
            batch = done.batches,
            rows = changed,
            "backfill batch committed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_run_until_none_is_left_and_a_second_call_finds_none() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0, done INTEGER);
             WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 2500)
             INSERT INTO t (id) SELECT i FROM k;",
        )
        .unwrap();
        let sql = "UPDATE t SET n = n + 1, done = 1 \
                   WHERE id IN (SELECT id FROM t WHERE done IS NULL LIMIT 1000)";

        let first = backfill(&mut conn, sql).unwrap();
        let again = backfill(&mut conn, sql).unwrap();

        assert_eq!((first.batches, first.rows), (3, 2500));
        assert_eq!((again.batches, again.rows), (0, 0));
        let counted: (i64, i64) = conn
            .query_row("SELECT count(*), sum(n = 1) FROM t", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(counted, (2500, 2500), "each row once");
    }
}
