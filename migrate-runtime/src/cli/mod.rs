//! The operator CLI an application mounts as a subcommand, so that its
//! operators get `myapp migrate <command>` for the migrations the binary
//! embeds (feature `cli`).
//!
//! Mounting is one variant in the application's clap subcommands and one
//! line where it dispatches them, before the database is opened (opening it
//! with [`Migrator::open`] would apply the pending migrations, and an older
//! build would refuse a database a newer one migrated, which `down` is there
//! to revert):
//!
//! ```no_run
//! # migrate_runtime::embed_migrations!("tests/migrations");
//! use std::path::PathBuf;
//! use std::process::ExitCode;
//!
//! use clap::{Parser, Subcommand};
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[arg(long, default_value = "app.db")]
//!     db: PathBuf,
//!     #[command(subcommand)]
//!     command: Command,
//! }
//!
//! #[derive(Subcommand)]
//! enum Command {
//!     /// Serve the application
//!     Serve,
//!     /// Inspect and operate the database's migrations
//!     Migrate(migrate_runtime::cli::MigrateArgs),
//! }
//!
//! fn main() -> ExitCode {
//!     let cli = Cli::parse();
//!     match cli.command {
//!         Command::Migrate(args) => migrate_runtime::cli::run(&migrations::MIGRATOR, &cli.db, args),
//!         Command::Serve => {
//!             let conn = migrations::MIGRATOR.open(&cli.db).expect("database");
//!             // …
//!             ExitCode::SUCCESS
//!         }
//!     }
//! }
//! ```
//!
//! # Commands
//!
//! | command | what it does |
//! | --- | --- |
//! | `status [--json] [--check]` | every migration of the binary or the history: version, name, state (applied, pending, checksum changed, unknown to this binary, out of order), when it was applied and how long it took |
//! | `up [--to VERSION] [--dry-run]` | applies the pending migrations (up to VERSION); the dry run prints the SQL it would run, in order |
//! | `down [--to VERSION \| --steps N \| --all] [--dry-run] [--yes]` | reverts the newest migrations (one by default, or all) with their down scripts, from the binary or recorded in the history; refused, naming it, when one has none |
//! | `verify` | the history against the binary, the schema against the one the migrations make |
//! | `baseline --version V [--yes]` | adopts a database this toolkit never migrated: records the migrations up to V as applied, without running them, once its schema is what they make |
//! | `import [--from TOOL] [--yes]` | adopts a database another tool migrated (`sqlx`, `refinery`, `diesel`, `golang-migrate`, `goose`, `dbmate`, `prisma`, `drizzle`), from that tool's history, after the same schema check |
//! | `repair --version V [--yes]` | accepts the binary's checksum for an applied migration that was edited |
//! | `backup` | writes a backup now |
//! | `backups` | lists the backups |
//! | `restore [NAME] [--yes]` | copies a backup (the latest by default) back over the database |
//! | `doctor` | who holds the file, its -wal and -shm files, journal mode, busy timeout, `integrity_check`, `foreign_key_check`, and what to do |
//! | `schema [--format sql\|mermaid\|dot\|svg]` | the schema the binary's migrations make, recorded at compile time: its `CREATE` statements, or an entity-relationship diagram; the database is not opened |
//!
//! `up` and `down` take `--deadline SECONDS` to allow longer than the
//! migrator's deadline, for a maintenance window.
//!
//! `down`, `baseline`, `import`, `repair` and `restore` change or discard state: on a terminal they
//! ask for confirmation; otherwise (a script, CI) they are refused unless
//! `--yes` is given.
//!
//! Progress (migrations applied or reverted, backups written or restored)
//! shows as a bar on stderr when stderr is a terminal and the work takes
//! more than a moment, and as plain lines otherwise. Results go to stdout.
//!
//! # Exit codes
//!
//! | code | meaning |
//! | --- | --- |
//! | [`EXIT_OK`] (0) | done; nothing to report |
//! | [`EXIT_ERROR`] (1) | an error, a refusal (no confirmation, no down script, …), or a check that found a problem: `verify` not ok, `doctor` found the file unsound or refused by the next start, `status --check` found a state the next start refuses |
//! | [`EXIT_USAGE`] (2) | a mistake on the command line (clap's usage error) |
//! | [`EXIT_PENDING`] (3) | `status --check`: migrations are pending, nothing is amiss; the next start (or `up`) applies them |

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::{ForeignHistory, Migrator};

mod commands;
mod confirm;
mod progress;
mod render;

pub use render::status_table;

/// Done; nothing to report.
pub const EXIT_OK: u8 = 0;
/// An error, a refusal, or a check that found a problem.
pub const EXIT_ERROR: u8 = 1;
/// A mistake on the command line: clap's own code for a usage error.
pub const EXIT_USAGE: u8 = 2;
/// `status --check`: migrations are pending and nothing is amiss. Not 2, so
/// that a deployment script can tell "pending" from a mistyped command.
pub const EXIT_PENDING: u8 = 3;

/// The `migrate` subcommand: mount it as a variant of the application's
/// clap subcommands, `Migrate(migrate_runtime::cli::MigrateArgs)`, and hand
/// it to [`run`].
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: MigrateCommand,
}

impl From<MigrateCommand> for MigrateArgs {
    fn from(command: MigrateCommand) -> Self {
        Self { command }
    }
}

/// The operator commands.
#[derive(Debug, Subcommand)]
#[non_exhaustive]
pub enum MigrateCommand {
    /// Show every migration: applied, pending, or amiss
    Status(StatusArgs),
    /// Apply the pending migrations
    Up(UpArgs),
    /// Revert applied migrations with their down scripts
    Down(DownArgs),
    /// Check the history against this binary, and the schema against the
    /// one the applied migrations make
    Verify,
    /// Adopt a database this toolkit never migrated: record the migrations
    /// up to a version as applied, without running them, once its schema is
    /// shown to be what they make
    Baseline(BaselineArgs),
    /// Adopt a database another tool migrated: record what its history
    /// (sqlx, refinery, diesel, golang-migrate, goose, dbmate, Prisma or
    /// Drizzle) says was applied, once the schema matches
    Import(ImportArgs),
    /// Accept this binary's checksum for an applied migration whose file was
    /// edited harmlessly (a comment, formatting); nothing runs again
    Repair(RepairArgs),
    /// Write a backup of the database now
    Backup,
    /// List the backups of the database, oldest first
    Backups,
    /// Copy a backup back over the database
    Restore(RestoreArgs),
    /// Diagnose the database: who holds it, journal, integrity, foreign keys,
    /// migrations, and what to do
    Doctor,
    /// Print the schema this binary's migrations make: as SQL, or as an
    /// entity-relationship diagram (Mermaid, Graphviz DOT, SVG)
    Schema(SchemaArgs),
}

/// Options of `schema`.
#[derive(Debug, Default, Args)]
pub struct SchemaArgs {
    /// How to write it
    #[arg(long, value_enum, default_value_t)]
    pub format: SchemaFormat,
}

/// How `schema` writes the schema.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaFormat {
    /// The `CREATE` statements that make it
    #[default]
    Sql,
    /// A Mermaid `erDiagram` (GitHub and GitLab draw it from a `mermaid` block)
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg` draws it)
    Dot,
    /// SVG, laid out and drawn
    Svg,
}

impl SchemaFormat {
    /// The diagram in this format; `None` for SQL, which is no diagram.
    pub fn draw(self, diagram: &migrate_sqlite::diagram::Diagram) -> Option<String> {
        match self {
            SchemaFormat::Sql => None,
            SchemaFormat::Mermaid => Some(diagram.mermaid()),
            SchemaFormat::Dot => Some(diagram.dot()),
            SchemaFormat::Svg => Some(diagram.svg()),
        }
    }
}

/// Options of `status`.
#[derive(Debug, Default, Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Exit 3 when migrations are pending, 1 when the next start would
    /// refuse the database
    #[arg(long)]
    pub check: bool,
}

/// Options of `up`.
#[derive(Debug, Default, Args)]
pub struct UpArgs {
    /// Apply the pending migrations up to and including this version
    #[arg(long, value_name = "VERSION")]
    pub to: Option<u64>,
    /// Print the SQL that would run, in order, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Allow this long instead of the application's deadline
    #[arg(long, value_name = "SECONDS")]
    pub deadline: Option<u64>,
}

/// Options of `down`.
#[derive(Debug, Default, Args)]
pub struct DownArgs {
    /// Revert every applied migration above this version (0 reverts all but a migration 0)
    #[arg(long, value_name = "VERSION", conflicts_with = "steps")]
    pub to: Option<u64>,
    /// Revert this many migrations, newest first [default: 1]
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Revert every applied migration
    #[arg(long, conflicts_with_all = ["to", "steps"])]
    pub all: bool,
    /// Print the SQL that would run, in order, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short)]
    pub yes: bool,
    /// Allow this long instead of the application's deadline
    #[arg(long, value_name = "SECONDS")]
    pub deadline: Option<u64>,
}

/// Options of `baseline`.
#[derive(Debug, Default, Args)]
pub struct BaselineArgs {
    /// The last migration the database already holds
    #[arg(long, value_name = "V")]
    pub version: u64,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short)]
    pub yes: bool,
}

/// Options of `import`.
#[derive(Debug, Default, Args)]
pub struct ImportArgs {
    /// The tool whose history to import; found in the database when it
    /// holds the history of only one
    #[arg(long, value_name = "TOOL", value_parser = ForeignHistory::ALL.map(ForeignHistory::tool))]
    pub from: Option<String>,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short)]
    pub yes: bool,
}

/// Options of `repair`.
#[derive(Debug, Default, Args)]
pub struct RepairArgs {
    /// The applied migration whose checksum to replace with this binary's
    #[arg(long, value_name = "V")]
    pub version: u64,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short)]
    pub yes: bool,
}

/// Options of `restore`.
#[derive(Debug, Default, Args)]
pub struct RestoreArgs {
    /// The backup: a file name as `backups` lists it, or a path [default:
    /// the latest]
    pub name: Option<String>,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short)]
    pub yes: bool,
}

/// Runs one operator command on the database at `database`, printing its
/// results to stdout and progress and errors to stderr, and returns the exit
/// code (see the [module documentation](self)).
///
/// The database is opened here: the application must not open it with
/// [`Migrator::open`] first, which would apply the pending migrations. The
/// migrator's options (busy timeout, deadline, backups, history table, event
/// hook) apply; the environment switches do not.
pub fn run(migrator: &Migrator, database: impl AsRef<Path>, args: MigrateArgs) -> ExitCode {
    match commands::execute(migrator, database.as_ref(), args.command) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// [`run`] for the database a Turso server keeps (features `cli` and
/// `turso`): `status`, `verify`, `up` and the dry runs of `up` and `down`
/// read and change the server itself, not a synced copy.
#[cfg(feature = "turso")]
pub async fn run_turso(
    migrator: &Migrator,
    server: &crate::turso::Server,
    args: MigrateArgs,
) -> ExitCode {
    match commands::execute_turso(migrator, server, args.command).await {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    /// `myapp migrate …`, as an application mounts it.
    #[derive(Debug, Parser)]
    struct App {
        #[command(subcommand)]
        command: MigrateCommand,
    }

    #[test]
    fn import_takes_every_tool_it_can_import_from() {
        for tool in ForeignHistory::ALL {
            let app = App::try_parse_from(["myapp", "import", "--from", tool.tool()]).unwrap();
            let MigrateCommand::Import(args) = app.command else {
                panic!("expected import, got {:?}", app.command);
            };
            assert_eq!(args.from.as_deref(), Some(tool.tool()));
        }
        assert!(App::try_parse_from(["myapp", "import", "--from", "flyway"]).is_err());
    }

    #[test]
    fn import_help_lists_every_tool() {
        let mut app = App::command();
        let import = app.find_subcommand_mut("import").unwrap();
        let help = import.render_long_help().to_string();
        for tool in ForeignHistory::ALL {
            assert!(help.contains(tool.tool()), "{tool} missing from:\n{help}");
        }
    }
}
