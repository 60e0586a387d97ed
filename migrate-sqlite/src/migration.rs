use std::borrow::Cow;
use std::fmt;

use crate::{Checksum, Directives};

/// One SQL script of a migration (its up or its down) with its directives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    sql: Cow<'static, str>,
    directives: Directives,
}

impl Script {
    /// A script whose text lives in the binary; used by the generated code.
    pub const fn embedded(sql: &'static str, directives: Directives) -> Self {
        Self {
            sql: Cow::Borrowed(sql),
            directives,
        }
    }

    /// A script read at run time (from a folder, or from a history table).
    pub fn owned(sql: String, directives: Directives) -> Self {
        Self {
            sql: Cow::Owned(sql),
            directives,
        }
    }

    /// The SQL text, exactly as in the file (less a UTF-8 byte order mark).
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The `-- migrate: …` directives at the top of the script.
    pub fn directives(&self) -> Directives {
        self.directives
    }

    /// The script as a text that says how it runs: its SQL, after a line for
    /// each directive it runs with that its text does not state (a layout's
    /// own marker such as goose's `NO TRANSACTION`, diesel's
    /// `metadata.toml`, a rebuild run with foreign keys off). Reading the
    /// text again ([`Directives::parse_for_running`]) gives the directives
    /// back: what a history keeps, for a build without the migration.
    pub fn self_describing_sql(&self) -> Cow<'_, str> {
        let stated = Directives::parse_for_running(&self.sql).unwrap_or(Directives::NONE);
        let mut header = String::new();
        if self.directives.no_transaction() && !stated.no_transaction() {
            header.push_str("-- migrate: no-transaction\n");
        }
        if self.directives.foreign_keys_off() && !stated.foreign_keys_off() {
            header.push_str("-- migrate: foreign-keys-off\n");
        }
        match header.is_empty() {
            true => Cow::Borrowed(&self.sql),
            false => Cow::Owned(header + &self.sql),
        }
    }
}

/// A migration: a version, a name, the SQL that applies it, optionally the SQL
/// that reverts it, and the checksum of the applying SQL.
///
/// The `embed_migrations!` macro creates one constant of this type per file;
/// `migrate-build-support` creates the same values from a folder at build time.
#[derive(Clone, PartialEq, Eq)]
pub struct Migration {
    version: u64,
    name: Cow<'static, str>,
    up: Script,
    down: Option<Script>,
    checksum: Checksum,
}

impl Migration {
    /// A migration whose parts live in the binary; used by the generated code.
    pub const fn embedded(
        version: u64,
        name: &'static str,
        up: Script,
        down: Option<Script>,
        checksum: Checksum,
    ) -> Self {
        Self {
            version,
            name: Cow::Borrowed(name),
            up,
            down,
            checksum,
        }
    }

    /// A migration built at run time.
    pub fn new(
        version: u64,
        name: impl Into<Cow<'static, str>>,
        up: Script,
        down: Option<Script>,
        checksum: Checksum,
    ) -> Self {
        Self {
            version,
            name: name.into(),
            up,
            down,
            checksum,
        }
    }

    /// The version: a number (from 0) that orders the migrations.
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// The migration with this version among `migrations`, which are
    /// ordered by version.
    pub fn find(migrations: &[Migration], version: u64) -> Option<&Migration> {
        let index = migrations
            .binary_search_by_key(&version, Migration::version)
            .ok()?;
        Some(&migrations[index])
    }

    /// The description from the file name, e.g. `add_email` for `0003_add_email.sql`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The script that applies the migration.
    pub const fn up(&self) -> &Script {
        &self.up
    }

    /// The script that reverts it, when the migration has one.
    pub const fn down(&self) -> Option<&Script> {
        self.down.as_ref()
    }

    /// SHA-256 of the up script with normalised line endings.
    pub const fn checksum(&self) -> Checksum {
        self.checksum
    }
}

impl fmt::Debug for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migration")
            .field("version", &self.version)
            .field("name", &self.name)
            .field("checksum", &self.checksum)
            .field("up", &self.up)
            .field("down", &self.down)
            .finish()
    }
}

/// `3 (add_email)`: how messages name a migration.
impl fmt::Display for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.version, self.name)
    }
}
