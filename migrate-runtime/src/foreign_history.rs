//! The history tables other migration tools (sqlx, refinery, diesel,
//! golang-migrate, goose, dbmate, Prisma, Drizzle) keep in the databases
//! they migrated, as [`Migrator::import_history`] reads them.
//!
//! [`Migrator::import_history`]: crate::Migrator::import_history

use std::fmt;
use std::time::Duration;

use migrate_sqlite::schema::has_table;
use migrate_sqlite::Migration;
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::Error;

/// Another migration tool, whose history table [`Migrator::import_history`](crate::Migrator::import_history)
/// reads. Each keeps its table in the migrated database, under its default
/// name, as its SQLite driver makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForeignHistory {
    /// sqlx (`sqlx::migrate!`, `sqlx migrate run`): the table
    /// `_sqlx_migrations` (`version`, `description`, `installed_on`,
    /// `success`, `checksum`, `execution_time` in nanoseconds).
    Sqlx,
    /// refinery (`embed_migrations!`, `V<n>__<name>.sql`): the table
    /// `refinery_schema_history` (`version`, `name`, `applied_on` in RFC
    /// 3339, `checksum`).
    Refinery,
    /// diesel (`diesel migration run`, `diesel_migrations`): the table
    /// `__diesel_schema_migrations` (`version`, the folder name's leading
    /// part with its dashes dropped, and `run_on`).
    Diesel,
    /// golang-migrate (`migrate up`): the table `schema_migrations`
    /// (`version`, `dirty`), holding one row, the current version. Every
    /// migration up to it is applied; `dirty` marks it as failed half-way.
    GolangMigrate,
    /// goose (`goose up`): the table `goose_db_version` (`id`, `version_id`,
    /// `is_applied`, `tstamp`), a row per migration applied or rolled back.
    /// A version is applied when its latest row says so; goose's own row of
    /// version 0 is no migration.
    Goose,
    /// dbmate (`dbmate up`): the table `schema_migrations` with the one
    /// column `version`, the digits that start the file name, a row per
    /// applied migration. Told from golang-migrate's table of the same name
    /// by its lack of a `dirty` column.
    Dbmate,
    /// Prisma (`prisma migrate deploy`): the table `_prisma_migrations`
    /// (`migration_name`, the folder's name, whose leading digits are the
    /// version; `finished_at`; `rolled_back_at`; …). A row rolled back is
    /// ignored; one neither finished nor rolled back is a failed migration.
    Prisma,
    /// Drizzle (`migrate()` of `drizzle-orm`): the table
    /// `__drizzle_migrations` (`hash`, the SHA-256 of the migration file;
    /// `created_at`, the journal's time of the migration in milliseconds).
    /// It keeps no version: each row is the binary's migration whose up
    /// script has that hash.
    Drizzle,
}

/// `$column` as text the history takes: a number is milliseconds since the
/// Unix epoch (Prisma's and Drizzle's times), made ISO 8601 in UTC; text is
/// kept as it is.
macro_rules! millis_as_text {
    ($column:literal) => {
        concat!(
            "CASE WHEN typeof(",
            $column,
            ") IN ('integer', 'real') ",
            "THEN strftime('%Y-%m-%dT%H:%M:%fZ', ",
            $column,
            " / 1000.0, 'unixepoch') ",
            "ELSE CAST(",
            $column,
            " AS TEXT) END"
        )
    };
}

impl ForeignHistory {
    /// Every tool whose history can be imported.
    pub const ALL: [ForeignHistory; 8] = [
        Self::Sqlx,
        Self::Refinery,
        Self::Diesel,
        Self::GolangMigrate,
        Self::Goose,
        Self::Dbmate,
        Self::Prisma,
        Self::Drizzle,
    ];

    /// The tool's name: `sqlx`, `refinery`, `diesel`, `golang-migrate`,
    /// `goose`, `dbmate`, `prisma`, `drizzle`.
    pub const fn tool(self) -> &'static str {
        match self {
            Self::Sqlx => "sqlx",
            Self::Refinery => "refinery",
            Self::Diesel => "diesel",
            Self::GolangMigrate => "golang-migrate",
            Self::Goose => "goose",
            Self::Dbmate => "dbmate",
            Self::Prisma => "prisma",
            Self::Drizzle => "drizzle",
        }
    }

    /// The table in which the tool records the migrations it applied
    /// (golang-migrate and dbmate share the name `schema_migrations`).
    pub const fn table(self) -> &'static str {
        match self {
            Self::Sqlx => "_sqlx_migrations",
            Self::Refinery => "refinery_schema_history",
            Self::Diesel => "__diesel_schema_migrations",
            Self::GolangMigrate | Self::Dbmate => "schema_migrations",
            Self::Goose => "goose_db_version",
            Self::Prisma => "_prisma_migrations",
            Self::Drizzle => "__drizzle_migrations",
        }
    }

    /// What tells the tool's table from another of the same name, for
    /// messages: empty when the name alone does.
    pub(crate) const fn shape(self) -> &'static str {
        match self {
            Self::GolangMigrate => " with a `dirty` column",
            Self::Dbmate => " without a `dirty` column (golang-migrate's has one)",
            _ => "",
        }
    }

    /// What to do about a migration the tool recorded as failed, for
    /// messages.
    pub(crate) fn failed_remedy(self) -> String {
        match self {
            Self::GolangMigrate => "mark where it stands with `migrate force <version>` (the \
                                    version before it if none of it ran)"
                .to_string(),
            Self::Prisma => "mark it with `prisma migrate resolve --applied <name>` (or \
                             `--rolled-back` if none of it ran)"
                .to_string(),
            _ => format!("finish the migration with {self} (or delete its row if none of it ran)"),
        }
    }

    /// The tools whose history table the database of `conn` holds, in the
    /// order of [`ForeignHistory::ALL`]. Only reads. A `schema_migrations`
    /// table is golang-migrate's when it has a `dirty` column, dbmate's
    /// otherwise.
    pub fn detect(conn: &Connection) -> Result<Vec<ForeignHistory>, Error> {
        let mut found = Vec::new();
        for tool in Self::ALL {
            if tool.is_in(conn)? {
                found.push(tool);
            }
        }
        Ok(found)
    }

    fn is_in(self, conn: &Connection) -> Result<bool, Error> {
        if !has_table(conn, self.table()).map_err(reading)? {
            return Ok(false);
        }
        match self {
            Self::GolangMigrate => has_column(conn, self.table(), "dirty"),
            Self::Dbmate => has_column(conn, self.table(), "dirty").map(|dirty| !dirty),
            _ => Ok(true),
        }
    }

    /// Reads the table as `(version, name, applied_at, failed, nanoseconds)`,
    /// keeping the rows that say a migration is applied or failed.
    fn query(self) -> String {
        format!(
            "SELECT {} FROM main.\"{}\" AS foreign_row {}",
            self.columns(),
            self.table(),
            self.kept_rows()
        )
    }

    /// The tool's columns, cast to the types [`ForeignHistory::query`] reads.
    fn columns(self) -> &'static str {
        match self {
            Self::Sqlx => {
                "CAST(version AS TEXT), description, CAST(installed_on AS TEXT), \
                 coalesce(lower(success) IN ('0', 'false'), 0), CAST(execution_time AS INTEGER)"
            }
            Self::Refinery => "CAST(version AS TEXT), name, CAST(applied_on AS TEXT), 0, 0",
            Self::Diesel => "CAST(version AS TEXT), NULL, CAST(run_on AS TEXT), 0, 0",
            // go-sqlite3 writes a Go bool as 1 or 0.
            Self::GolangMigrate => {
                "CAST(version AS TEXT), NULL, NULL, coalesce(lower(dirty) IN ('1', 'true'), 0), 0"
            }
            Self::Goose => "CAST(version_id AS TEXT), NULL, CAST(tstamp AS TEXT), 0, 0",
            Self::Dbmate => "CAST(version AS TEXT), NULL, NULL, 0, 0",
            Self::Prisma => concat!(
                "migration_name, NULL, ",
                millis_as_text!("finished_at"),
                ", finished_at IS NULL, 0"
            ),
            // created_at is the journal's `when`, which finds the entry.
            Self::Drizzle => concat!(
                "hash, 'created_at ' || created_at, ",
                millis_as_text!("created_at"),
                ", 0, 0"
            ),
        }
    }

    /// What keeps the rows that record a migration applied or failed, and
    /// orders them where it matters.
    fn kept_rows(self) -> &'static str {
        match self {
            // A later row with is_applied = 0 is the version rolled back.
            Self::Goose => {
                "WHERE coalesce(lower(is_applied) IN ('1', 'true'), 0) AND id = \
                 (SELECT max(id) FROM main.goose_db_version AS later \
                  WHERE later.version_id = foreign_row.version_id)"
            }
            // Prisma applies a migration rolled back again, with a new row.
            Self::Prisma => "WHERE rolled_back_at IS NULL",
            // Files of the same text are matched in the journal's order.
            Self::Drizzle => "ORDER BY created_at",
            _ => "",
        }
    }

    /// The version this toolkit gives a migration the tool recorded as
    /// `text`; `None` when it is no version of ours (not a whole number up
    /// to 2^64-1, or 0 where the tool never numbers a migration 0). Diesel's
    /// dashes are dropped, as diesel and this toolkit's folder names both
    /// drop them; Prisma's folder name gives its leading digits. Drizzle
    /// records no version.
    pub(crate) fn version(self, text: &str) -> Option<u64> {
        let text = text.trim();
        let version = match self {
            Self::Diesel => text.replace('-', "").parse().ok()?,
            Self::Prisma => leading_digits(text)?.parse().ok()?,
            Self::Drizzle => return None,
            _ => text.parse().ok()?,
        };
        (version > 0 || self.numbers_from_zero()).then_some(version)
    }

    /// Whether 0 can be a migration's version: goose numbers from 1, and
    /// diesel's all-zero version is its own set-up.
    const fn numbers_from_zero(self) -> bool {
        !matches!(self, Self::Goose | Self::Diesel)
    }

    /// A row of the tool's own, no migration of the project's: diesel's
    /// placeholder for its set-up (`00000000000000`, on PostgreSQL), and the
    /// row of version 0 goose writes when it creates its table.
    fn is_placeholder(self, text: &str) -> bool {
        let zeros = !text.is_empty() && text.chars().all(|c| c == '0');
        match self {
            Self::Diesel => zeros,
            Self::Goose => text.trim() == "0",
            _ => false,
        }
    }

    /// Whether the table holds only the current version, every migration up
    /// to it being applied (golang-migrate), rather than a row per migration.
    pub(crate) const fn holds_current_version(self) -> bool {
        matches!(self, Self::GolangMigrate)
    }
}

/// The digits that start `text`, when there are any.
fn leading_digits(text: &str) -> Option<&str> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    (end > 0).then(|| &text[..end])
}

/// Whether `table` of the `main` database has `column`.
fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool, Error> {
    conn.query_row(
        "SELECT 1 FROM pragma_table_info(?1, 'main') WHERE name = ?2 COLLATE NOCASE",
        [table, column],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
    .map_err(reading)
}

/// `sqlx`.
impl fmt::Display for ForeignHistory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tool())
    }
}

/// One row of another tool's history.
pub(crate) struct ForeignRow {
    /// The version as the tool stored it: Prisma's folder name, Drizzle's
    /// hash.
    pub(crate) text: String,
    /// The tool's name for the migration, if it keeps one.
    pub(crate) name: Option<String>,
    /// When the tool applied it, as it recorded it.
    pub(crate) applied_at: Option<String>,
    /// The tool recorded it as failed.
    pub(crate) failed: bool,
    /// How long it took, as the tool recorded it.
    pub(crate) duration: Duration,
}

impl ForeignRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let nanos: Option<i64> = row.get(4)?;
        Ok(Self {
            text: row.get::<_, Option<String>>(0)?.unwrap_or_default(),
            name: row.get(1)?,
            applied_at: row.get(2)?,
            failed: row.get(3)?,
            // sqlx stores -1 while it has not measured it yet.
            duration: Duration::from_nanos(nanos.unwrap_or(0).max(0) as u64),
        })
    }

    /// `5 (add_tags)`, or the version alone when the tool keeps no name;
    /// a Drizzle hash by its first 12 hex digits, enough to tell it apart.
    pub(crate) fn label(&self, from: ForeignHistory) -> String {
        let text = match from {
            ForeignHistory::Drizzle => self.text.get(..12).unwrap_or(&self.text),
            _ => &self.text,
        };
        match &self.name {
            Some(name) => format!("{text} ({name})"),
            None => text.to_string(),
        }
    }
}

/// Every row of the tool's table that records a migration applied or
/// failed, but the tool's own (diesel's placeholder, goose's version 0).
pub(crate) fn read_rows(conn: &Connection, from: ForeignHistory) -> Result<Vec<ForeignRow>, Error> {
    if !from.is_in(conn)? {
        return Err(Error::NoForeignHistory { from });
    }
    let mut statement = conn.prepare(&from.query()).map_err(reading)?;
    let rows = statement
        .query_map([], ForeignRow::read)
        .map_err(reading)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(reading)?;
    Ok(rows
        .into_iter()
        .filter(|row| !from.is_placeholder(&row.text))
        .collect())
}

/// A migration the tool recorded as failed may have run in part. It is
/// named as the tool named it, else as the binary does.
pub(crate) fn refuse_failed(
    migrations: &'static [Migration],
    from: ForeignHistory,
    rows: &[ForeignRow],
) -> Result<(), Error> {
    let failed: Vec<(u64, String)> = rows
        .iter()
        .filter(|row| row.failed)
        .map(|row| {
            let version = from.version(&row.text);
            let binarys = version
                .and_then(|v| Migration::find(migrations, v))
                .map(Migration::name);
            let name = row.name.as_deref().or(binarys).unwrap_or_default();
            (version.unwrap_or(0), name.to_string())
        })
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::ForeignMigrationFailed {
        from,
        versions: failed,
    })
}

/// Finds the binary's migration each row of a tool's history records.
pub(crate) struct Lookup {
    migrations: &'static [Migration],
    from: ForeignHistory,
    /// Drizzle's: the SHA-256s, in lowercase hex, that Drizzle may have
    /// recorded for each migration's up script (see [`drizzle_hashes`]).
    hashes: Vec<(Vec<String>, &'static Migration)>,
}

impl Lookup {
    /// A lookup of `from`'s rows among the binary's `migrations`.
    pub(crate) fn new(migrations: &'static [Migration], from: ForeignHistory) -> Self {
        let hashes = match from {
            ForeignHistory::Drizzle => migrations
                .iter()
                .map(|migration| (drizzle_hashes(migration.up().sql()), migration))
                .collect(),
            _ => Vec::new(),
        };
        Self {
            migrations,
            from,
            hashes,
        }
    }

    /// The binary's migration `row` records; `None` when the binary has none.
    /// A Drizzle row takes the first migration with its hash not taken yet,
    /// so that files of the same text (custom migrations left empty) are
    /// each matched once.
    pub(crate) fn migration(&mut self, row: &ForeignRow) -> Option<&'static Migration> {
        if self.from == ForeignHistory::Drizzle {
            let hash = row.text.trim().to_ascii_lowercase();
            let index = self
                .hashes
                .iter()
                .position(|(hashes, _)| hashes.contains(&hash))?;
            return Some(self.hashes.remove(index).1);
        }
        self.from
            .version(&row.text)
            .and_then(|version| Migration::find(self.migrations, version))
    }
}

/// The hashes Drizzle may have recorded for a file whose text is `sql`:
/// Drizzle hashes the file as it was on the machine that migrated, which
/// may have had other line endings than the one that built this binary, or
/// a byte order mark the build leaves out.
fn drizzle_hashes(sql: &str) -> Vec<String> {
    let lf = sql.replace("\r\n", "\n");
    let crlf = lf.replace('\n', "\r\n");
    let mut hashes = Vec::new();
    for text in [sql.to_string(), lf, crlf] {
        for text in [format!("\u{feff}{text}"), text] {
            let hash = sha256_hex(&text);
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
        }
    }
    hashes
}

/// SHA-256 of `text` in lowercase hex.
fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn reading(source: rusqlite::Error) -> Error {
    Error::Database {
        action: "read the migration history of another tool",
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ForeignHistory::{Dbmate, Diesel, Drizzle, GolangMigrate, Goose, Prisma, Refinery, Sqlx};

    #[test]
    fn versions_read_as_the_folder_names_give_them() {
        assert_eq!(Sqlx.version("20250919140443"), Some(20250919140443));
        assert_eq!(Refinery.version("3"), Some(3));
        assert_eq!(Diesel.version("2025-09-19-140443"), Some(20250919140443));
        assert_eq!(Diesel.version("0001"), Some(1));
        assert_eq!(Sqlx.version("-1"), None);
        assert_eq!(Diesel.version("abc"), None);
        assert!(Diesel.is_placeholder("00000000000000"));
        assert!(!Sqlx.is_placeholder("0"));
    }

    #[test]
    fn version_0_is_a_migration_where_the_tool_numbers_from_0() {
        assert_eq!(GolangMigrate.version("0"), Some(0));
        assert_eq!(Sqlx.version("0"), Some(0));
        assert_eq!(Refinery.version("0"), Some(0));
        assert_eq!(Dbmate.version("0000"), Some(0));
        assert_eq!(Goose.version("0"), None);
        assert_eq!(Diesel.version("0"), None);
        assert!(Goose.is_placeholder("0"));
        assert!(!Goose.is_placeholder("00004"));
        assert!(!GolangMigrate.is_placeholder("0"));
    }

    #[test]
    fn golang_migrate_goose_and_dbmate_versions_are_whole_numbers() {
        assert_eq!(GolangMigrate.version("3"), Some(3));
        assert_eq!(GolangMigrate.version("-1"), None);
        assert_eq!(Goose.version("00004"), Some(4));
        assert_eq!(Goose.version("20250919140443"), Some(20250919140443));
        assert_eq!(Dbmate.version("20151129054053"), Some(20151129054053));
        assert_eq!(Dbmate.version("20151129054053_add_tags"), None);
        assert_eq!(Dbmate.version("18446744073709551616"), None);
    }

    #[test]
    fn prisma_versions_are_the_leading_digits_of_the_folder_name() {
        assert_eq!(Prisma.version("20240101120000_init"), Some(20240101120000));
        assert_eq!(Prisma.version("0001_create_users"), Some(1));
        assert_eq!(Prisma.version("20240101120000"), Some(20240101120000));
        assert_eq!(Prisma.version("init"), None);
        assert_eq!(Prisma.version("_init"), None);
        assert_eq!(Prisma.version(""), None);
    }

    #[test]
    fn drizzle_records_no_version() {
        let hash = sha256_hex("CREATE TABLE t (id INTEGER);");
        assert_eq!(Drizzle.version(&hash), None);
        assert_eq!(Drizzle.version("0"), None);
    }

    #[test]
    fn drizzle_hashes_are_the_lowercase_hex_sha256_of_the_text() {
        // sha256("abc"), a published test vector.
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn drizzle_rows_are_labelled_by_the_start_of_their_hash() {
        let row = ForeignRow {
            text: sha256_hex("abc"),
            name: Some("created_at 1714558830123".into()),
            applied_at: None,
            failed: false,
            duration: Duration::ZERO,
        };
        assert_eq!(
            row.label(Drizzle),
            "ba7816bf8f01 (created_at 1714558830123)"
        );
        assert!(row.label(Sqlx).starts_with("ba7816bf8f01cfea"));
    }

    #[test]
    fn tools_sharing_a_table_are_told_apart_in_messages() {
        assert_eq!(GolangMigrate.table(), Dbmate.table());
        assert_ne!(GolangMigrate.shape(), Dbmate.shape());
        assert_eq!(Sqlx.shape(), "");
    }

    #[test]
    fn every_tool_has_its_own_name() {
        let mut names: Vec<&str> = ForeignHistory::ALL.iter().map(|t| t.tool()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ForeignHistory::ALL.len());
    }
}
