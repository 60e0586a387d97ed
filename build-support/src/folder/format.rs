//! Which migration tool's layout a folder follows, told from its files.

use std::fmt;

/// The layout of a migrations folder: this toolkit reads the folders of the
/// common migration tools as they are, one layout per folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `<version>_<name>.sql`, or `<version>_<name>.up.sql` beside
    /// `.down.sql`: this toolkit's own layout, sqlx's and golang-migrate's.
    Numbered,
    /// refinery: `V<version>__<name>.sql`.
    Refinery,
    /// diesel: a folder `<version>_<name>/` holding `up.sql` and `down.sql`.
    Diesel,
    /// goose: `<version>_<name>.sql` with `-- +goose Up` and `-- +goose Down`
    /// sections.
    Goose,
    /// dbmate: `<version>_<name>.sql` with `-- migrate:up` and
    /// `-- migrate:down` sections.
    Dbmate,
    /// Prisma: a folder `<timestamp>_<name>/` holding `migration.sql`, beside
    /// `migration_lock.toml`.
    Prisma,
    /// Drizzle: `<index>_<name>.sql`, in the order of `meta/_journal.json`.
    Drizzle,
}

impl Format {
    /// How a file of this layout looks, for messages.
    pub fn looks(self) -> &'static str {
        match self {
            Format::Numbered => {
                "a numbered migration without sections (`<version>_<name>.sql`, `.up.sql`, `.down.sql`)"
            }
            Format::Refinery => "a refinery migration (`V<version>__<name>.sql`)",
            Format::Diesel => "a diesel migration (`<version>_<name>/up.sql`)",
            Format::Goose => "a goose migration (`-- +goose Up`)",
            Format::Dbmate => "a dbmate migration (`-- migrate:up`)",
            Format::Prisma => "part of a Prisma folder (`<timestamp>_<name>/migration.sql`)",
            Format::Drizzle => "part of a Drizzle folder (`meta/_journal.json`)",
        }
    }
}

impl Format {
    /// The file names this layout reads, for a message about one that does
    /// not parse.
    pub fn file_forms(self) -> &'static str {
        match self {
            Format::Numbered => {
                "`<version>_<description>.sql`, or `<version>_<description>.up.sql` with `.down.sql`"
            }
            Format::Refinery => "`V<version>__<description>.sql`",
            Format::Diesel => "`<version>_<description>/up.sql`",
            Format::Goose => "`<version>_<description>.sql` with `-- +goose Up`",
            Format::Dbmate => "`<version>_<description>.sql` with `-- migrate:up`",
            Format::Prisma => "`<timestamp>_<description>/migration.sql`",
            Format::Drizzle => "`<index>_<tag>.sql`, as `meta/_journal.json` lists it",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Numbered => "numbered",
            Format::Refinery => "refinery",
            Format::Diesel => "diesel",
            Format::Goose => "goose",
            Format::Dbmate => "dbmate",
            Format::Prisma => "prisma",
            Format::Drizzle => "drizzle",
        })
    }
}

/// `V3__…` or refinery's unversioned `U3__…`.
pub(super) fn is_refinery_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('V' | 'U')) && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// goose's Go migrations: `<version>_<name>.go`.
pub(super) fn is_go_migration(name: &str) -> bool {
    name.ends_with(".go")
        && !name.ends_with("_test.go")
        && name.starts_with(|c: char| c.is_ascii_digit())
        && name.contains('_')
}
