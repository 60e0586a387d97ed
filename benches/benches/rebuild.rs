//! A 12-step table rebuild of a large table: this toolkit's migration
//! against plain rusqlite running the same statements.
//!
//! `rebuild/1000000_rows`: the `items` table holds 1,000,000 rows, has two
//! indexes and a foreign key to `categories`. Migration 2 changes it in the
//! way `ALTER TABLE` cannot (`price` becomes `NOT NULL` with a `CHECK`):
//! create the new table, `INSERT … SELECT` every row, drop the old table,
//! rename the new one, recreate both indexes.
//!
//! - `migrator_open`: `migrator.open(path)` with migrations 1 and 2 on a
//!   database holding migration 1 and the rows; the migration says
//!   `-- migrate: foreign-keys-off`, so the toolkit turns foreign keys off
//!   before its transaction, runs `PRAGMA foreign_key_check` before and
//!   after the migration, records it, and turns them back on. Backups off.
//! - `raw_rusqlite` (floor): `Connection::open`, `PRAGMA foreign_keys = OFF`,
//!   BEGIN, `PRAGMA foreign_key_check`, the same SQL, `PRAGMA
//!   foreign_key_check`, COMMIT, `PRAGMA foreign_keys = ON`.
//!
//! The database is made once; each iteration works on a copy of it, made
//! (and deleted) outside the timing. Under `cargo test --all-targets` the
//! table holds 1000 rows instead.
//!
//! Run with `cargo bench -p migrate-benches --bench rebuild`.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use migrate_benches::{database, fresh, measuring, Chain};
use migrate_runtime::rusqlite::Connection;

const CREATE: &str = "\
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories(id),
    price REAL,
    note TEXT
);
CREATE INDEX items_name ON items (name);
CREATE INDEX items_category_price ON items (category_id, price);
";

const REBUILD: &str = "\
-- migrate: foreign-keys-off
CREATE TABLE items_new (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories(id),
    price REAL NOT NULL DEFAULT 0 CHECK (price >= 0),
    note TEXT
);
INSERT INTO items_new (id, name, category_id, price, note)
    SELECT id, name, category_id, coalesce(price, 0), note FROM items;
DROP TABLE items;
ALTER TABLE items_new RENAME TO items;
CREATE INDEX items_name ON items (name);
CREATE INDEX items_category_price ON items (category_id, price);
";

fn files() -> Vec<(String, String)> {
    vec![
        ("0001_create_items.sql".to_string(), CREATE.to_string()),
        ("0002_rebuild_items.sql".to_string(), REBUILD.to_string()),
    ]
}

/// Migration 1 applied by the toolkit, then `rows` items (and 100
/// categories) inserted; closed, so the WAL is checkpointed into the file.
fn make_template(path: &Path, rows: i64) {
    let first = Chain::prefix(&files(), 1);
    let conn = first.migrator.open(path).unwrap();
    conn.execute_batch("BEGIN").unwrap();
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
         INSERT INTO categories (id, name) SELECT i, 'category ' || i FROM n",
    )
    .unwrap();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO items (id, name, category_id, price, note)
         SELECT i, 'item ' || (i * 7919 % ?1), i % 100 + 1,
                CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 1000) / 10.0 END,
                CASE WHEN i % 3 = 0 THEN 'note ' || i END
         FROM n",
        [rows],
    )
    .unwrap();
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    assert!(!path.with_extension("db-wal").exists());
}

/// The floor: the same statements, foreign keys off, and the foreign key
/// check before and after, as the toolkit runs a `foreign-keys-off` migration.
fn raw_rebuild(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    conn.execute_batch("BEGIN").unwrap();
    let violations = |conn: &Connection| -> usize {
        let mut check = conn.prepare("PRAGMA foreign_key_check").unwrap();
        let mut rows = check.query([]).unwrap();
        let mut count = 0;
        while rows.next().unwrap().is_some() {
            count += 1;
        }
        count
    };
    assert_eq!(violations(&conn), 0);
    conn.execute_batch(REBUILD).unwrap();
    assert_eq!(violations(&conn), 0);
    conn.execute_batch("COMMIT").unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    conn
}

fn items(conn: &Connection) -> (i64, i64) {
    conn.query_row(
        "SELECT count(*), count(price) FROM items INDEXED BY items_category_price",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .unwrap()
}

fn bench_rebuild(c: &mut Criterion) {
    let rows: i64 = if measuring() { 1_000_000 } else { 1000 };
    let base = tempfile::tempdir().unwrap();
    let template = base.path().join("template.db");
    make_template(&template, rows);
    let chain = Chain::new(&files());
    let copy = || {
        let dir = fresh(base.path());
        std::fs::copy(&template, database(&dir)).unwrap();
        dir
    };
    // Both sides give the same table.
    let (ours, raw) = (copy(), copy());
    for conn in [
        chain.migrator.open(database(&ours)).unwrap(),
        raw_rebuild(&database(&raw)),
    ] {
        assert_eq!(items(&conn), (rows, rows));
    }
    drop((ours, raw));

    let mut group = c.benchmark_group(format!("rebuild/{rows}_rows"));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(100));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("migrator_open", |b| {
        b.iter_batched(
            copy,
            |dir| (chain.migrator.open(database(&dir)).unwrap(), dir),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("raw_rusqlite", |b| {
        b.iter_batched(
            copy,
            |dir| (raw_rebuild(&database(&dir)), dir),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_rebuild);
criterion_main!(benches);
