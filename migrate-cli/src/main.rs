//! `migrate`: the developer CLI over a migrations folder.
//!
//! Its checks are `embed_migrations!`'s own, through `migrate-build-support`,
//! so a message here is the message the compiler gives.
//!
//! `status --db FILE` reads the folder at run time and prints the status
//! table of `migrate_runtime::cli`, the CLI applications embed.
//!
//! Exit codes: 0 when all is well, 1 when the folder has a problem (or, for
//! `lint --deny-warnings`, a warning), 2 for a mistake on the command line;
//! `status --check` exits 3 when migrations are pending and 1 when the
//! database would be refused.

mod diff;
mod picture;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use migrate_build_support::config::{Config, CONFIG_FILE};
use migrate_build_support::desired;
use migrate_build_support::{
    check_chain, check_folder, lint_sorted, read_folder, scaffold, seal_folder, Checked,
    Diagnostic, Folder as ReadFolder, Format, Setup, Sorted,
};
use migrate_runtime::cli::{self, MigrateCommand, SchemaFormat, StatusArgs};
use migrate_runtime::{Migration, Migrator, DEFAULT_HISTORY_TABLE};

/// Work with a folder of SQLite migrations.
#[derive(Parser)]
#[command(name = "migrate", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the next migration's file(s), named and numbered as the folder
    /// already is (sequence or timestamp; plain, up/down, refinery, diesel,
    /// goose, dbmate or Prisma).
    New {
        /// What the migration does: `add tags` gives `0006_add_tags.sql`.
        description: String,
        /// Also create a down script.
        #[arg(long)]
        reversible: bool,
        #[command(flatten)]
        folder: Folder,
    },
    /// Check the folder as the compiler would: names, directives, lints, and
    /// every migration executed in order on an in-memory SQLite, empty and
    /// with rows.
    Check {
        #[command(flatten)]
        folder: Folder,
    },
    /// Only the lints: legal SQL that production regrets, warnings included.
    Lint {
        #[command(flatten)]
        folder: Folder,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// List the findings on sealed migrations instead (lints, rows,
        /// down scripts), which do not fail the build.
        #[arg(long, conflicts_with = "deny_warnings")]
        sealed: bool,
    },
    /// Record every migration of the folder as shipped, in its
    /// `migrate.toml`: sealed migrations still run at compile time, but their
    /// findings no longer fail the build, and editing one does.
    Seal {
        #[command(flatten)]
        folder: Folder,
        /// Accept the edit of this sealed migration and record its new
        /// checksum (databases that applied it need `repair --version`).
        #[arg(long, value_name = "VERSION")]
        accept: Vec<u64>,
    },
    /// Write the next migration: the one that takes the schema the
    /// migrations leave to the desired schema (`schema.sql` beside the
    /// folder, or `[schema] file` of its `migrate.toml`), with its down
    /// script where the folder has them.
    Diff {
        /// What the migration does: `add tags` gives `0006_add_tags.sql`.
        description: String,
        /// A rename: `old_table=new_table`, or `table.old_column=new_column`.
        /// Renames are never guessed; a `-- migrate: renamed from <old>`
        /// comment in the desired schema says the same.
        #[arg(long, value_name = "OLD=NEW")]
        rename: Vec<String>,
        /// Write it even if it drops tables or columns (and their values);
        /// the file then carries `-- migrate: allow destructive`.
        #[arg(long)]
        allow_destructive: bool,
        /// Print the migration's files instead of writing them.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run, print the desired schema as a diagram, the tables
        /// and views the migration changes highlighted, instead of its SQL
        #[arg(long, value_enum, default_value_t, requires = "dry_run")]
        format: SchemaFormat,
        /// One migration per changed table, in an order that applies.
        #[arg(long)]
        per_table: bool,
        #[command(flatten)]
        folder: Folder,
    },
    /// Print the schema the migrations leave: as SQL that makes it, or as
    /// an entity-relationship diagram.
    Schema {
        #[command(flatten)]
        folder: Folder,
        /// How to write it
        #[arg(long, value_enum, default_value_t, conflicts_with = "write")]
        format: SchemaFormat,
        /// Highlight the tables and views the migrations after this version
        /// changed (a diagram only)
        #[arg(long, value_name = "VERSION", conflicts_with = "write")]
        since: Option<u64>,
        /// Write it into the desired-schema file instead (`schema.sql`
        /// beside the folder, or `[schema] file` of its `migrate.toml`), to
        /// start declaring the schema from an existing chain.
        #[arg(long)]
        write: bool,
        /// With `--write`, replace a desired-schema file that declares another schema.
        #[arg(long, requires = "write")]
        force: bool,
    },
    /// Show the state of the folder's migrations in a database file, as the
    /// application's own `migrate status` shows it: applied, pending,
    /// checksum changed, unknown to the folder, out of order.
    Status {
        /// The database file; it is only read, never created.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[command(flatten)]
        options: StatusArgs,
        #[command(flatten)]
        folder: Folder,
        /// The history table, if the application renamed it.
        #[arg(long, value_name = "NAME", default_value = DEFAULT_HISTORY_TABLE)]
        history_table: String,
    },
}

/// Where the migrations are.
#[derive(Args)]
struct Folder {
    /// The migrations folder, relative to --root.
    #[arg(default_value = "migrations")]
    dir: String,
    /// The folder paths are relative to (the crate root).
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::New {
            description,
            reversible,
            folder,
        } => new(&folder, &description, reversible),
        Command::Check { folder } => check(&folder),
        Command::Lint {
            folder,
            sealed: true,
            ..
        } => lint_sealed(&folder),
        Command::Lint {
            folder,
            deny_warnings,
            ..
        } => lint_folder(&folder, deny_warnings),
        Command::Seal { folder, accept } => seal(&folder, &accept),
        Command::Diff {
            description,
            rename,
            allow_destructive,
            dry_run,
            format,
            per_table,
            folder,
        } => diff::diff(
            &folder,
            &diff::DiffArgs {
                description,
                renames: rename,
                allow_destructive,
                dry_run,
                format,
                per_table,
            },
        ),
        Command::Schema {
            folder,
            format,
            since,
            write,
            force,
        } => match write {
            true => write_schema(&folder, force),
            false => schema(&folder, format, since),
        },
        Command::Status {
            db,
            options,
            folder,
            history_table,
        } => status(&db, options, &folder, history_table),
    }
}

fn new(folder: &Folder, description: &str, reversible: bool) -> ExitCode {
    let path = folder.root.join(&folder.dir);
    let entries = match entries(&path) {
        Ok(entries) => entries,
        Err(message) => return fail(message),
    };
    // The layout is told from the files' contents too (goose's and dbmate's
    // sections); a folder that mixes layouts gets no file in a guessed one.
    let format = match Format::of_folder(&folder.root, &folder.dir) {
        Ok(format) => format,
        Err(error) => return fail(error.to_string()),
    };
    let files = match scaffold::new_migration_in(
        format,
        &entries,
        description,
        reversible,
        scaffold::utc_timestamp(),
    ) {
        Ok(files) => files,
        Err(message) => return fail(message),
    };
    if let Err(failed) = create_all(folder, &files) {
        return failed;
    }
    ExitCode::SUCCESS
}

/// The names in the folder `path`; none when it does not exist.
fn entries(path: &Path) -> Result<Vec<String>, String> {
    match fs::read_dir(path) {
        Ok(entries) => Ok(entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

/// Creates `files` in the migrations folder, saying so for each.
/// Creates every file of `files`, or none: one that cannot be created
/// takes back those created before it. Then says what was created, to an
/// output that may have been closed (`| head`) without losing any.
fn create_all(folder: &Folder, files: &[scaffold::NewFile]) -> Result<(), ExitCode> {
    let targets: Vec<PathBuf> = files
        .iter()
        .map(|file| folder.root.join(&folder.dir).join(&file.path))
        .collect();
    for (k, (file, target)) in files.iter().zip(&targets).enumerate() {
        if let Err(error) = create(target, &file.text) {
            for created in &targets[..k] {
                let _ = fs::remove_file(created);
            }
            return Err(fail(format!("cannot create {}: {error}", target.display())));
        }
    }
    let mut out = std::io::stdout().lock();
    for file in files {
        let shown = Path::new(&folder.dir).join(&file.path);
        let _ = writeln!(out, "created {}", shown.display());
    }
    Ok(())
}

/// Creates `path` (and its folder), never overwriting a file.
fn create(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?
        .write_all(text.as_bytes())
}

fn check(folder: &Folder) -> ExitCode {
    match check_folder(&folder.root, &folder.dir) {
        Ok(checked) => {
            print_all("note", &checked.notes);
            print_all("warning", &checked.warnings);
            println!(
                "{}: {} migrations ok, executed in order on SQLite {}",
                folder.dir,
                checked.sources.len(),
                checked.validated.sqlite_version
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => problems(folder, &diagnostics),
    }
}

fn lint_folder(folder: &Folder, deny_warnings: bool) -> ExitCode {
    let read = match ReadFolder::read_to_run(&folder.root, &folder.dir) {
        Ok(read) => read,
        Err(diagnostics) => return problems(folder, &diagnostics),
    };
    let Sorted {
        errors,
        warnings,
        sealed,
    } = lint_sorted(&read, &folder.dir);
    print_all("note", &read.notes);
    print_all("error", &errors);
    print_all("warning", &warnings);
    let sealed = match sealed.len() {
        0 => String::new(),
        n => format!(", and {n} on sealed migrations (`--sealed` lists them)"),
    };
    println!(
        "{}: {} lint error(s), {} warning(s) in {} migrations{sealed}",
        folder.dir,
        errors.len(),
        warnings.len(),
        read.sources.len()
    );
    let failed = !errors.is_empty() || (deny_warnings && !warnings.is_empty());
    if !failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The findings that sealing keeps from failing the build, everything the
/// compiler checks included.
fn lint_sealed(folder: &Folder) -> ExitCode {
    match check_folder(&folder.root, &folder.dir) {
        Ok(checked) => {
            print_all("sealed", &checked.sealed);
            let files: std::collections::BTreeSet<&str> =
                checked.sealed.iter().map(|d| d.path.as_str()).collect();
            println!(
                "{}: {} finding(s) in {} sealed migration(s)",
                folder.dir,
                checked.sealed.len(),
                files.len()
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => problems(folder, &diagnostics),
    }
}

fn seal(folder: &Folder, accept: &[u64]) -> ExitCode {
    match seal_folder(&folder.root, &folder.dir, accept) {
        Ok(sealed) => {
            let mut line = format!(
                "sealed {} migration(s) in {} ({} new)",
                sealed.migrations,
                Path::new(&folder.dir).join(CONFIG_FILE).display(),
                sealed.added
            );
            for version in &sealed.accepted {
                line.push_str(&format!(
                    "; accepted the edit of {version}: run `repair --version {version}` on each database that applied it"
                ));
            }
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(diagnostics) => problems(folder, &diagnostics),
    }
}

fn schema(folder: &Folder, format: SchemaFormat, since: Option<u64>) -> ExitCode {
    match (format, since) {
        (SchemaFormat::Sql, None) => schema_sql(folder),
        (SchemaFormat::Sql, Some(_)) => fail(
            "--since highlights tables in a diagram: add --format mermaid, dot or svg".to_string(),
        ),
        (format, since) => schema_drawn(folder, format, since),
    }
}

fn schema_drawn(folder: &Folder, format: SchemaFormat, since: Option<u64>) -> ExitCode {
    let checked = match chain(folder) {
        Ok(checked) => checked,
        Err(failed) => return failed,
    };
    let before = match since.map(|version| picture::schema_at(&checked.sources, version)) {
        Some(Err(message)) => return fail(message),
        Some(Ok(before)) => Some(before),
        None => None,
    };
    match picture::draw(format, &checked.validated.objects, before.as_ref()) {
        Ok(drawn) => {
            print!("{drawn}");
            ExitCode::SUCCESS
        }
        Err(message) => fail(message),
    }
}

fn schema_sql(folder: &Folder) -> ExitCode {
    match chain(folder) {
        Ok(checked) => {
            let last = checked.sources.last().map(|s| s.migration.version());
            println!(
                "-- The schema {} leaves, at version {}.",
                folder.dir,
                last.unwrap_or(0)
            );
            for object in &checked.validated.objects {
                println!("\n{};", object.sql);
            }
            ExitCode::SUCCESS
        }
        Err(failed) => failed,
    }
}

/// The chain of the folder checked for the schema it leaves
/// ([`check_chain`]), with a note when the build would still fail on it.
pub(crate) fn chain(folder: &Folder) -> Result<Checked, ExitCode> {
    let checked =
        check_chain(&folder.root, &folder.dir).map_err(|errors| problems(folder, &errors))?;
    if !checked.failing.is_empty() {
        eprintln!(
            "note: {dir}: the build fails on {} finding(s) in these migrations, `migrate check {dir}` \
             lists them; `migrate seal {dir}` records the migrations that already shipped\n",
            checked.failing.len(),
            dir = folder.dir
        );
    }
    Ok(checked)
}

/// Writes the schema the chain leaves into the folder's desired-schema file.
fn write_schema(folder: &Folder, force: bool) -> ExitCode {
    let checked = match chain(folder) {
        Ok(checked) => checked,
        Err(failed) => return failed,
    };
    let config_file = format!("{}/{CONFIG_FILE}", folder.dir);
    let config = match Config::read(&folder.root.join(&folder.dir), &config_file) {
        Ok(config) => config,
        Err(diagnostic) => return problems(folder, &[diagnostic]),
    };
    let format = match Format::of_folder(&folder.root, &folder.dir) {
        Ok(format) => format,
        Err(error) => return fail(error.to_string()),
    };
    let file = match desired::desired_file(&folder.dir, &config, format) {
        Ok(file) => file,
        Err(message) => return fail(message),
    };
    let version = checked.sources.last().map_or(0, |s| s.migration.version());
    let text = desired::desired_text(&checked.validated.objects, &folder.dir, version);
    let path = folder.root.join(&file);
    if path.exists() && !force {
        // Compared as the build compares them, not as text.
        let left = &checked.validated.schema;
        let setup = Setup::of(&config, &folder.root);
        let read = desired::read_desired(&folder.root, &file, &setup, |name| left.has_table(name));
        let differences = match read {
            Ok(Some(existing)) => left.differences(&existing.schema).len(),
            Ok(None) => 0,
            Err(diagnostic) => return problems(folder, &[diagnostic]),
        };
        if differences == 0 {
            println!("{file} already declares the schema {} leaves at version {version}: nothing written", folder.dir);
            return ExitCode::SUCCESS;
        }
        return fail(format!(
            "{file} declares another schema ({differences} difference(s)): `migrate diff \
             <description> {}` writes the migration to it; `--force` replaces it with the \
             migrations' schema, and what was written there is lost",
            folder.dir
        ));
    }
    if let Err(error) = fs::write(&path, text) {
        return fail(format!("cannot write {}: {error}", path.display()));
    }
    println!(
        "wrote {file}: {} object(s), the schema {} leaves at version {version}",
        checked.validated.objects.len(),
        folder.dir
    );
    ExitCode::SUCCESS
}

/// The folder read at run time, as a `Migrator` like the one an
/// application embeds, then the embeddable CLI's own `status`.
fn status(db: &Path, options: StatusArgs, folder: &Folder, history_table: String) -> ExitCode {
    let sources = match read_folder(&folder.root, &folder.dir) {
        Ok(sources) => sources,
        Err(diagnostics) => return problems(folder, &diagnostics),
    };
    // A Migrator holds `&'static` migrations; this process reads one folder.
    let migrations: Vec<Migration> = sources.into_iter().map(|s| s.migration).collect();
    let migrator = Migrator::new(Vec::leak(migrations)).history_table(history_table);
    cli::run(&migrator, db, MigrateCommand::Status(options).into())
}

fn print_all(level: &str, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        eprintln!("{level}: {diagnostic}\n");
    }
}

fn problems(folder: &Folder, diagnostics: &[Diagnostic]) -> ExitCode {
    print_all("error", diagnostics);
    eprintln!("{}: {} problem(s) found", folder.dir, diagnostics.len());
    ExitCode::FAILURE
}

fn fail(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}
