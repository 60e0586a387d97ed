//! The history tables other migration tools (sqlx, refinery, diesel) keep
//! in the databases they migrated, as [`Migrator::import_history`] reads
//! them.
//!
//! [`Migrator::import_history`]: crate::Migrator::import_history

use std::fmt;
use std::time::Duration;

use migrate_sqlite::schema::has_table;
use rusqlite::Connection;

use crate::Error;

/// Another migration tool, whose history table [`Migrator::import_history`](crate::Migrator::import_history)
/// reads. Each keeps its table in the migrated database, under its default
/// name.
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
}

impl ForeignHistory {
    /// Every tool whose history can be imported.
    pub const ALL: [ForeignHistory; 3] = [Self::Sqlx, Self::Refinery, Self::Diesel];

    /// The tool's name: `sqlx`, `refinery`, `diesel`.
    pub const fn tool(self) -> &'static str {
        match self {
            Self::Sqlx => "sqlx",
            Self::Refinery => "refinery",
            Self::Diesel => "diesel",
        }
    }

    /// The table in which the tool records the migrations it applied.
    pub const fn table(self) -> &'static str {
        match self {
            Self::Sqlx => "_sqlx_migrations",
            Self::Refinery => "refinery_schema_history",
            Self::Diesel => "__diesel_schema_migrations",
        }
    }

    /// The tools whose history table the database of `conn` holds, in the
    /// order of [`ForeignHistory::ALL`]. Only reads.
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
        has_table(conn, self.table()).map_err(reading)
    }

    /// Reads the table as `(version, name, applied_at, failed, nanoseconds)`,
    /// each tool's columns cast to those types.
    fn query(self) -> String {
        let columns = match self {
            Self::Sqlx => {
                "CAST(version AS TEXT), description, CAST(installed_on AS TEXT), \
                 coalesce(lower(success) IN ('0', 'false'), 0), CAST(execution_time AS INTEGER)"
            }
            Self::Refinery => "CAST(version AS TEXT), name, CAST(applied_on AS TEXT), 0, 0",
            Self::Diesel => "CAST(version AS TEXT), NULL, CAST(run_on AS TEXT), 0, 0",
        };
        format!("SELECT {columns} FROM main.\"{}\"", self.table())
    }

    /// The version this toolkit gives a migration the tool recorded as
    /// `text`; `None` when it is no version of ours (not a whole number from
    /// 1 to 2^64-1). Diesel's dashes are dropped, as diesel and this
    /// toolkit's folder names both drop them.
    pub(crate) fn version(self, text: &str) -> Option<u64> {
        let text = text.trim();
        let version = match self {
            Self::Diesel => text.replace('-', "").parse().ok()?,
            Self::Sqlx | Self::Refinery => text.parse().ok()?,
        };
        (version > 0).then_some(version)
    }

    /// Diesel's placeholder for its own set-up (`00000000000000`, on
    /// PostgreSQL): no migration of the project's.
    fn is_placeholder(self, text: &str) -> bool {
        self == Self::Diesel && !text.is_empty() && text.chars().all(|c| c == '0')
    }
}

/// `sqlx`.
impl fmt::Display for ForeignHistory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tool())
    }
}

/// One row of another tool's history.
pub(crate) struct ForeignRow {
    /// The version as the tool stored it.
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

    /// `5 (add_tags)`, or the version alone when the tool keeps no name.
    pub(crate) fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({name})", self.text),
            None => self.text.clone(),
        }
    }
}

/// Every row of the tool's table but diesel's placeholder.
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

/// A migration the tool recorded as failed may have run in part.
pub(crate) fn refuse_failed(from: ForeignHistory, rows: &[ForeignRow]) -> Result<(), Error> {
    let failed: Vec<(u64, String)> = rows
        .iter()
        .filter(|row| row.failed)
        .map(|row| {
            let version = from.version(&row.text).unwrap_or(0);
            (version, row.name.clone().unwrap_or_default())
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

fn reading(source: rusqlite::Error) -> Error {
    Error::Database {
        action: "read the migration history of another tool",
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_as_the_folder_names_give_them() {
        use ForeignHistory::{Diesel, Refinery, Sqlx};
        assert_eq!(Sqlx.version("20250919140443"), Some(20250919140443));
        assert_eq!(Refinery.version("3"), Some(3));
        assert_eq!(Diesel.version("2025-09-19-140443"), Some(20250919140443));
        assert_eq!(Diesel.version("0001"), Some(1));
        assert_eq!(Sqlx.version("-1"), None);
        assert_eq!(Refinery.version("0"), None);
        assert_eq!(Diesel.version("abc"), None);
        assert!(Diesel.is_placeholder("00000000000000"));
        assert!(!Sqlx.is_placeholder("0"));
    }
}
