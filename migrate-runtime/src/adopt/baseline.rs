//! Baseline: a database whose schema was made without this toolkit is
//! recorded as migrated up to a version, without running anything.

use rusqlite::Connection;

use super::Adoption;
use crate::migrator::Migrator;
use crate::operation::Target;
use crate::Error;

/// What [`Migrator::baseline`] recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baselined {
    /// The version the database was adopted at: the target.
    pub version: u64,
    /// The migrations recorded as applied without running, in order:
    /// version and name.
    pub recorded: Vec<(u64, String)>,
}

impl Migrator {
    /// Adopts a database this toolkit never migrated, whose schema was made
    /// some other way (by hand, by an older deployment script): records
    /// this binary's migrations up to and including `target` as applied,
    /// **without running them**.
    ///
    /// First, the database's schema is compared with the one those
    /// migrations make, as [`Migrator::verify`] compares them (tables,
    /// indexes, triggers and views, SQL normalised; the tables of
    /// [`Migrator::ignore_tables`] and of other tools are left out). Any
    /// difference refuses the baseline with [`Error::SchemaDiffers`], whose
    /// message lists each one. Rows are not compared: data a migration
    /// inserts is assumed to be there.
    ///
    /// The history rows are written as applying writes them (this binary's
    /// checksum and down script, applied now, in no time), with the
    /// fingerprint in the header, under the migration lock and `BEGIN
    /// IMMEDIATE`, in one transaction. A following [`Migrator::run`] applies
    /// the migrations above `target`; once none is pending, starts take the
    /// fast path.
    ///
    /// Refused, with nothing changed, when `target` is not one of this
    /// binary's migrations ([`Error::NotInBinary`]), when the database
    /// already has a history ([`Error::AlreadyHasHistory`]: see
    /// [`Migrator::status`] and [`Migrator::verify`] instead) and when the
    /// schema differs.
    ///
    /// ```no_run
    /// # migrate_runtime::embed_migrations!("tests/migrations");
    /// let mut conn = migrate_runtime::rusqlite::Connection::open("legacy.db")?;
    /// // The schema was made by hand, as migrations 1 and 2 make it:
    /// migrations::MIGRATOR.baseline(&mut conn, migrations::V2_CREATE_POSTS)?;
    /// migrations::MIGRATOR.run(&mut conn)?; // applies 3 and above
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn baseline(
        &self,
        conn: &mut Connection,
        target: impl Into<Target>,
    ) -> Result<Baselined, Error> {
        let version = self
            .in_binary(target.into().get(), "baseline at")?
            .version();
        let chain = self
            .migrations
            .iter()
            .take_while(|m| m.version() <= version);
        let adoptions = chain.map(Adoption::now).collect();
        let recorded = self.adopt(conn, format!("baseline at migration {version}"), |_| {
            Ok(adoptions)
        })?;
        tracing::info!(
            version,
            count = recorded.len(),
            "baseline: migrations recorded as applied without running"
        );
        Ok(Baselined { version, recorded })
    }
}
