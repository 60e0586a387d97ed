//! Deterministic, realistic chains of generated migrations, for benchmarks.
//!
//! Every function here returns the same chain on every run and every
//! machine: a fixed-seed generator, no clock, no environment. A chain is a
//! list of `(file name, SQL)` pairs, ordered by version, with file names of
//! the form `{version:04}_{description}.sql` (versions 1, 2, 3, …), so that
//! it can be written to a migrations folder as is, or turned into runtime
//! migrations with [`version_and_name`].
//!
//! - [`migrations`]: a mixed chain (tables, indexes, added columns, views,
//!   seed rows), the workload of the validation and start-up benchmarks;
//! - [`tables`]: one `CREATE TABLE` per migration, for a database with many
//!   tables.
//!
//! Every chain executes without error, in order, on an empty SQLite database
//! with foreign keys on.

/// Knuth's MMIX LCG with a fixed seed: the same chain on every run. Kept
/// private to this module: changing how numbers are drawn changes the
/// benchmarks' workload.
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

/// A mixed chain of `count` migrations as `(file name, SQL)`, ordered by
/// version, named `{version:04}_{description}.sql`.
///
/// About 65% CREATE TABLE with 4-6 columns (a third of them with a foreign
/// key to an earlier table) and an index (and one on the foreign key), 15% ALTER TABLE ADD COLUMN on an
/// earlier table, 12% CREATE VIEW over an earlier table and 8% three-row
/// seed INSERTs. Migration 1 always creates a table. The chain of `n`
/// migrations is the first `n` of any longer one.
pub fn migrations(count: usize) -> Vec<(String, String)> {
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

/// A chain of `count` migrations as `(file name, SQL)`, each creating one
/// table `t_{version}` with five columns and nothing else (no index), named
/// `{version:04}_create_t_{version}.sql`: after it, the schema holds exactly
/// `count` tables.
pub fn tables(count: usize) -> Vec<(String, String)> {
    (1..=count)
        .map(|version| {
            let name = format!("t_{version}");
            let sql = format!(
                "CREATE TABLE {name} (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL,\n    \
                 amount REAL,\n    payload BLOB,\n    created_at TEXT NOT NULL DEFAULT ''\n);\n"
            );
            (format!("{version:04}_create_{name}.sql"), sql)
        })
        .collect()
}

/// The version and the description of a generated file name:
/// `(12, "create_t_12")` for `0012_create_t_12.sql`.
///
/// # Panics
///
/// If `file_name` is not of the form `{version}_{description}.sql`, as every
/// name this module generates is.
pub fn version_and_name(file_name: &str) -> (u64, &str) {
    let stem = file_name
        .strip_suffix(".sql")
        .unwrap_or_else(|| panic!("{file_name:?} does not end in .sql"));
    let (version, name) = stem
        .split_once('_')
        .unwrap_or_else(|| panic!("{file_name:?} has no `_` after its version"));
    let version = version
        .parse()
        .unwrap_or_else(|_| panic!("{file_name:?} does not start with a version"));
    (version, name)
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
    let mut indexes = format!("CREATE INDEX {name}_name ON {name} (name);\n");
    if !tables.is_empty() && rng.below(3) == 0 {
        let parent = &tables[rng.below(tables.len() as u64) as usize].name;
        lines.push(format!("    parent_id INTEGER REFERENCES {parent}(id)"));
        columns.push(("parent_id".to_string(), None));
        indexes.push_str(&format!(
            "CREATE INDEX {name}_parent_id ON {name} (parent_id);\n"
        ));
    }
    let sql = format!(
        "-- Migration {version}: the {name} table.\n\
         CREATE TABLE {name} (\n{}\n);\n{indexes}",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_is_the_prefix_of_a_longer_one_and_names_parse() {
        let short = migrations(50);
        let long = migrations(200);
        assert_eq!(short[..], long[..50]);
        for (index, (file, _)) in long.iter().enumerate() {
            assert_eq!(version_and_name(file).0, index as u64 + 1);
        }
        assert_eq!(
            version_and_name("0012_create_t_12.sql"),
            (12, "create_t_12")
        );
        assert_eq!(tables(3)[2].0, "0003_create_t_3.sql");
    }
}
