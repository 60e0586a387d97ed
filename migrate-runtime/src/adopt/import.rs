//! Importing the history another migration tool kept (sqlx, refinery,
//! diesel), so that a project moves over without running anything again.

use std::fmt;
use std::time::Duration;

use migrate_sqlite::schema::has_table;
use rusqlite::Connection;

use super::Adoption;
use crate::migrator::Migrator;
use crate::Error;

/// Another migration tool, whose history table [`Migrator::import_history`]
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
    fn version(self, text: &str) -> Option<u64> {
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

/// What [`Migrator::import_history`] recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The tool whose history was imported.
    pub from: ForeignHistory,
    /// The migrations recorded as applied, in order: version and name (this
    /// binary's).
    pub recorded: Vec<(u64, String)>,
}

/// One row of another tool's history.
struct ForeignRow {
    /// The version as the tool stored it.
    text: String,
    /// The tool's name for the migration, if it keeps one.
    name: Option<String>,
    applied_at: Option<String>,
    failed: bool,
    duration: Duration,
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
    fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({name})", self.text),
            None => self.text.clone(),
        }
    }
}

impl Migrator {
    /// Adopts a database that sqlx, refinery or diesel migrated, so that a
    /// project moves over to this toolkit without running any migration
    /// again: the migrations `from` recorded as applied are recorded as
    /// applied in this toolkit's history, with this binary's checksum and
    /// down script, and the time the other tool applied them (and, from
    /// sqlx, how long they took).
    ///
    /// Each migration the other tool applied must be in this binary with
    /// the same version: the folder layouts of the three tools are read as
    /// they are (`<version>_<name>.sql`, `V<n>__<name>.sql`, diesel's
    /// `<version>_<name>/up.sql` with the dashes of the version dropped).
    /// The other tool's checksums are not compared (each tool has its own);
    /// instead, as for [`Migrator::baseline`], the database's schema must be
    /// the one those migrations make, compared before anything is written.
    ///
    /// Everything happens in one transaction, under the migration lock and
    /// `BEGIN IMMEDIATE`: the database is either as it was or adopted. The
    /// other tool's table is left in place (drop it once the move is done);
    /// [`Migrator::verify`] never counts it as drift. A following
    /// [`Migrator::run`] applies this binary's migrations that the other
    /// tool had not.
    ///
    /// Refused, with nothing changed, when the database has no table of
    /// that tool ([`Error::NoForeignHistory`]; [`ForeignHistory::detect`]
    /// lists those it has), already has this toolkit's history
    /// ([`Error::AlreadyHasHistory`]), records a failed migration (sqlx's
    /// `success = false`: [`Error::ForeignMigrationFailed`]) or a version
    /// this binary does not contain ([`Error::ForeignVersionsUnknown`]), and
    /// when the schema is not what the migrations make
    /// ([`Error::SchemaDiffers`]).
    ///
    /// ```no_run
    /// # migrate_runtime::embed_migrations!("tests/migrations");
    /// use migrate_runtime::ForeignHistory;
    ///
    /// let mut conn = migrate_runtime::rusqlite::Connection::open("app.db")?;
    /// if ForeignHistory::detect(&conn)?.contains(&ForeignHistory::Sqlx) {
    ///     migrations::MIGRATOR.import_history(&mut conn, ForeignHistory::Sqlx)?;
    /// }
    /// migrations::MIGRATOR.run(&mut conn)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn import_history(
        &self,
        conn: &mut Connection,
        from: ForeignHistory,
    ) -> Result<Imported, Error> {
        let operation = format!("import the history of {from}");
        let recorded = self.adopt(conn, operation, |conn| self.imports(conn, from))?;
        tracing::info!(
            from = from.tool(),
            count = recorded.len(),
            "imported the history of another tool: migrations recorded as applied"
        );
        Ok(Imported { from, recorded })
    }

    /// The migrations `from` applied, each as this binary's, in order.
    fn imports(&self, conn: &Connection, from: ForeignHistory) -> Result<Vec<Adoption>, Error> {
        let rows = read_rows(conn, from)?;
        refuse_failed(from, &rows)?;
        let mut unknown = Vec::new();
        let mut adoptions: Vec<Adoption> = Vec::new();
        for row in rows {
            match from.version(&row.text).and_then(|v| self.find(v)) {
                None => unknown.push(row.label()),
                Some(migration) => adoptions.push(Adoption {
                    migration,
                    applied_at: row.applied_at,
                    duration: row.duration,
                }),
            }
        }
        if !unknown.is_empty() {
            return Err(Error::ForeignVersionsUnknown {
                from,
                versions: unknown,
            });
        }
        adoptions.sort_by_key(|a| a.migration.version());
        adoptions.dedup_by_key(|a| a.migration.version());
        Ok(adoptions)
    }
}

/// Every row of the tool's table but diesel's placeholder.
fn read_rows(conn: &Connection, from: ForeignHistory) -> Result<Vec<ForeignRow>, Error> {
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
fn refuse_failed(from: ForeignHistory, rows: &[ForeignRow]) -> Result<(), Error> {
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
