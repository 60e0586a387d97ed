//! Compile-time validation against its floor.
//!
//! For N generated migrations, `check_folder` (read the folder, then execute
//! the chain on an in-memory SQLite: what `embed_migrations!` does) is set
//! next to raw rusqlite executing the same SQL texts, each migration inside
//! BEGIN/COMMIT, on a fresh in-memory connection.
//!
//! Run with `cargo bench -p migrate-build-support --bench validate`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rusqlite::Connection;

/// A deterministic, realistic chain of migrations.
mod workload {
    /// Knuth's MMIX LCG with a fixed seed: the same chain on every run.
    struct Lcg(u64);

    const SEED: u64 = 0x5eed_0000_2025;

    impl Lcg {
        fn below(&mut self, bound: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % bound
        }
    }

    #[derive(Clone, Copy)]
    enum Type {
        Integer,
        Text,
        Real,
        Blob,
    }

    impl Type {
        const ALL: [Type; 4] = [Type::Integer, Type::Text, Type::Real, Type::Blob];

        fn sql(self) -> &'static str {
            match self {
                Type::Integer => "INTEGER",
                Type::Text => "TEXT",
                Type::Real => "REAL",
                Type::Blob => "BLOB",
            }
        }

        fn literal(self, row: usize) -> String {
            match self {
                Type::Integer => format!("{}", row * 7),
                Type::Text => format!("'value {row}'"),
                Type::Real => format!("{row}.5"),
                Type::Blob => format!("x'{:04x}'", row & 0xffff),
            }
        }
    }

    /// A table made so far, with the columns an INSERT may fill.
    struct Table {
        name: String,
        /// Every column but `id`, in order; `None` is a nullable foreign key.
        columns: Vec<(String, Option<Type>)>,
    }

    /// The chain as `(file name, SQL)`, named `{version:04}_{description}.sql`.
    ///
    /// About 65% CREATE TABLE with 4-6 columns and an index, 15% ALTER TABLE
    /// ADD COLUMN on an earlier table, 12% CREATE VIEW over an earlier table
    /// and 8% three-row seed INSERTs.
    pub fn generate(count: usize) -> Vec<(String, String)> {
        let mut rng = Lcg(SEED);
        let mut tables: Vec<Table> = Vec::new();
        let mut files = Vec::with_capacity(count);
        for version in 1..=count {
            let roll = if tables.is_empty() { 0 } else { rng.below(100) };
            let (description, sql) = match roll {
                0..65 => create_table(&mut rng, &mut tables, version),
                65..80 => add_column(&mut rng, &mut tables, version),
                80..92 => create_view(&mut rng, &tables, version),
                _ => seed_rows(&mut rng, &tables, version),
            };
            files.push((format!("{version:04}_{description}.sql"), sql));
        }
        files
    }

    fn create_table(rng: &mut Lcg, tables: &mut Vec<Table>, version: usize) -> (String, String) {
        let name = format!("t_{version}");
        let mut columns = vec![("name".to_string(), Some(Type::Text))];
        let mut lines = vec![
            "    id INTEGER PRIMARY KEY".to_string(),
            "    name TEXT NOT NULL".to_string(),
        ];
        // 4-6 columns in all: id, name and 2-4 more.
        for extra in 0..2 + rng.below(3) {
            let column = format!("c{extra}");
            let ty = Type::ALL[rng.below(4) as usize];
            let line = if rng.below(3) == 0 {
                format!(
                    "    {column} {} NOT NULL DEFAULT {}",
                    ty.sql(),
                    ty.literal(0)
                )
            } else {
                format!("    {column} {}", ty.sql())
            };
            lines.push(line);
            columns.push((column, Some(ty)));
        }
        if !tables.is_empty() && rng.below(3) == 0 {
            let parent = &tables[rng.below(tables.len() as u64) as usize].name;
            lines.push(format!("    parent_id INTEGER REFERENCES {parent}(id)"));
            columns.push(("parent_id".to_string(), None));
        }
        let sql = format!(
            "-- Migration {version}: the {name} table.\n\
             CREATE TABLE {name} (\n{}\n);\n\
             CREATE INDEX {name}_name ON {name} (name);\n",
            lines.join(",\n")
        );
        tables.push(Table {
            name: name.clone(),
            columns,
        });
        (format!("create_{name}"), sql)
    }

    fn add_column(rng: &mut Lcg, tables: &mut [Table], version: usize) -> (String, String) {
        let table = &mut tables[rng.below(tables.len() as u64) as usize];
        let column = format!("added_{version}");
        let ty = Type::ALL[rng.below(4) as usize];
        let sql = format!(
            "ALTER TABLE {} ADD COLUMN {column} {};\n",
            table.name,
            ty.sql()
        );
        table.columns.push((column, Some(ty)));
        (format!("add_{}_{version}", table.name), sql)
    }

    fn create_view(rng: &mut Lcg, tables: &[Table], version: usize) -> (String, String) {
        let table = &tables[rng.below(tables.len() as u64) as usize];
        let (column, _) = &table.columns[rng.below(table.columns.len() as u64) as usize];
        let sql = format!(
            "CREATE VIEW v_{version} AS\n    SELECT id, name, {column} FROM {}\n    WHERE id > 0;\n",
            table.name
        );
        (format!("view_{version}"), sql)
    }

    fn seed_rows(rng: &mut Lcg, tables: &[Table], version: usize) -> (String, String) {
        let table = &tables[rng.below(tables.len() as u64) as usize];
        let names: Vec<&str> = table
            .columns
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        let rows: Vec<String> = (0..3)
            .map(|row| {
                let row = version * 3 + row;
                let values: Vec<String> = table
                    .columns
                    .iter()
                    .map(|(_, ty)| ty.map_or_else(|| "NULL".to_string(), |ty| ty.literal(row)))
                    .collect();
                format!("    ({})", values.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES\n{};\n",
            table.name,
            names.join(", "),
            rows.join(",\n")
        );
        (format!("seed_{}_{version}", table.name), sql)
    }
}

/// The floor: the same texts, in order, on a fresh in-memory SQLite, each
/// migration in its own transaction, with foreign keys on as `validate` has.
fn raw_rusqlite(sqls: &[&str]) {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    for sql in sqls {
        conn.execute_batch("BEGIN").unwrap();
        conn.execute_batch(sql).unwrap();
        conn.execute_batch("COMMIT").unwrap();
    }
}

fn write_folder(base: &Path, files: &[(String, String)]) {
    let folder = base.join("migrations");
    std::fs::create_dir(&folder).unwrap();
    for (name, sql) in files {
        std::fs::write(folder.join(name), sql).unwrap();
    }
}

fn bench_validate(c: &mut Criterion) {
    for count in [100, 1000] {
        let files = workload::generate(count);
        let sqls: Vec<&str> = files.iter().map(|(_, sql)| sql.as_str()).collect();
        let base = tempfile::tempdir().unwrap();
        write_folder(base.path(), &files);

        // Both sides must do the whole work, not stop at an error.
        let (sources, _) = migrate_build_support::check_folder(base.path(), "migrations")
            .unwrap_or_else(|diagnostics| {
                panic!("generated chain does not validate: {diagnostics:?}")
            });
        assert_eq!(sources.len(), count);
        raw_rusqlite(&sqls);

        let mut group = c.benchmark_group(format!("validate/{count}"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(6));
        group.bench_function("check_folder", |b| {
            b.iter(|| {
                migrate_build_support::check_folder(black_box(base.path()), black_box("migrations"))
            })
        });
        group.bench_function("raw_rusqlite", |b| {
            b.iter(|| raw_rusqlite(black_box(&sqls)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench_validate);
criterion_main!(benches);
