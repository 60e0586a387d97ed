//! Each command: open the database as it needs, call the library, print.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::confirm::confirm;
use super::progress::Progress;
use super::render;
use super::{
    BaselineArgs, DownArgs, ImportArgs, MigrateCommand, RepairArgs, RestoreArgs, SchemaArgs,
    SchemaFormat, StatusArgs, UpArgs, EXIT_ERROR, EXIT_OK, EXIT_PENDING,
};
use crate::connection;
use crate::migrator::version_text;
use crate::operation::{Direction, Operation};
use crate::plan;
use crate::{Error, ForeignHistory, Migration, Migrator, State, Status, Step};

type Outcome = Result<u8, Box<dyn std::error::Error>>;

pub(super) fn execute(migrator: &Migrator, db: &Path, command: MigrateCommand) -> Outcome {
    match command {
        MigrateCommand::Status(args) => status(migrator, db, &args),
        MigrateCommand::Up(args) => up(migrator, db, &args),
        MigrateCommand::Down(args) => down(migrator, db, &args),
        MigrateCommand::Verify => verify(migrator, db),
        MigrateCommand::Baseline(args) => baseline(migrator, db, &args),
        MigrateCommand::Import(args) => import(migrator, db, &args),
        MigrateCommand::Repair(args) => repair(migrator, db, &args),
        MigrateCommand::Backup => backup(migrator, db),
        MigrateCommand::Backups => backups(migrator, db),
        MigrateCommand::Restore(args) => restore(migrator, db, &args),
        MigrateCommand::Doctor => doctor(migrator, db),
        MigrateCommand::Schema(args) => schema(migrator, &args),
    }
}

/// The schema recorded at compile time, as SQL or drawn.
fn schema(migrator: &Migrator, args: &SchemaArgs) -> Outcome {
    let objects = migrator
        .expected_schema()
        .ok_or("this binary's migrator has no schema recorded at compile time")?;
    if args.format == SchemaFormat::Sql {
        for object in objects {
            println!("{};\n", object.sql);
        }
        return Ok(EXIT_OK);
    }
    let diagram = migrate_sqlite::diagram::Diagram::of_objects(objects)?;
    print!("{}", args.format.draw(&diagram).unwrap_or_default());
    Ok(EXIT_OK)
}

/// The database to read, or, when there is no file yet, an empty one in
/// memory: every migration is pending. Nothing is created.
fn read_or_empty(migrator: &Migrator, db: &Path) -> Result<Connection, Error> {
    if db.exists() {
        return open_existing(migrator, db);
    }
    eprintln!(
        "note: there is no database at {} yet: read as an empty one",
        db.display()
    );
    Connection::open_in_memory().map_err(|source| Error::Database {
        action: "open an empty database in memory",
        source,
    })
}

/// The database at `db`, which must exist, opened to read or change
/// without configuring it.
fn open_existing(migrator: &Migrator, db: &Path) -> Result<Connection, Error> {
    connection::open_existing(db, migrator.options().busy_timeout)
}

/// As [`Migrator::connect`], for a database that must exist already.
fn connect_existing(migrator: &Migrator, db: &Path) -> Result<Connection, Error> {
    if !db.is_file() {
        return Err(Error::NoDatabase {
            path: db.to_path_buf(),
        });
    }
    migrator.connect(db)
}

fn status(migrator: &Migrator, db: &Path, args: &StatusArgs) -> Outcome {
    print_status(migrator, db, &read_or_empty(migrator, db)?, args)
}

/// `status` of `conn`, the database `db` names.
fn print_status(migrator: &Migrator, db: &Path, conn: &Connection, args: &StatusArgs) -> Outcome {
    let status = migrator.status(conn)?;
    if args.json {
        println!("{}", render::status_json(db, &status));
    } else {
        print!("{}", render::status_table(&status));
        println!("\n{}", render::status_summary(&status));
        for hint in render::status_hints(&status) {
            println!("- {hint}");
        }
    }
    Ok(if args.check {
        check_exit(migrator, &status)
    } else {
        EXIT_OK
    })
}

/// `status --check`: 1 when the next start refuses the database, 3 when it
/// applies something, 0 when it has nothing to do.
fn check_exit(migrator: &Migrator, status: &Status) -> u8 {
    let states = status.migrations.iter().map(|m| m.state);
    let refused = plan::refuses(states, migrator.allowances());
    if refused {
        EXIT_ERROR
    } else if status.pending().next().is_some() {
        EXIT_PENDING
    } else {
        EXIT_OK
    }
}

fn with_deadline(migrator: &Migrator, seconds: Option<u64>) -> Migrator {
    match seconds {
        Some(seconds) => migrator.clone().deadline(Duration::from_secs(seconds)),
        None => migrator.clone(),
    }
}

fn print_dry_run(migrator: &Migrator, db: &Path, operation: Operation) -> Outcome {
    print_steps(
        migrator.dry_run(&read_or_empty(migrator, db)?, operation)?,
        operation,
    )
}

fn print_steps(steps: Vec<Step>, operation: Operation) -> Outcome {
    let direction = match operation {
        Operation::Up | Operation::UpTo(_) => Direction::Up,
        _ => Direction::Down,
    };
    print!("{}", render::dry_run(&steps, direction));
    Ok(EXIT_OK)
}

/// Runs `operation` with progress once `approve` has seen its steps;
/// `false` when there was nothing to do.
fn migrate(
    migrator: &Migrator,
    conn: &mut Connection,
    operation: Operation,
    approve: impl FnOnce(&[Step]) -> Result<(), String>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let steps = migrator.dry_run(conn, operation)?;
    if steps.is_empty() {
        return Ok(false);
    }
    approve(&steps)?;
    let progress = Progress::steps(steps.len());
    let result = progress.attach(migrator).execute(conn, operation);
    progress.finish();
    print!("{}", render::report(&result?));
    Ok(true)
}

fn up(migrator: &Migrator, db: &Path, args: &UpArgs) -> Outcome {
    let operation = args
        .to
        .map_or(Operation::Up, |to| Operation::UpTo(to.into()));
    if args.dry_run {
        return print_dry_run(migrator, db, operation);
    }
    let migrator = with_deadline(migrator, args.deadline);
    let mut conn = migrator.connect(db)?;
    if !migrate(&migrator, &mut conn, operation, |_| Ok(()))? {
        let status = migrator.status(&conn)?;
        println!("nothing to apply: {}", render::status_summary(&status));
    }
    Ok(EXIT_OK)
}

fn down(migrator: &Migrator, db: &Path, args: &DownArgs) -> Outcome {
    let operation = match (args.all, args.to) {
        (true, _) => Operation::RevertAll,
        (false, Some(to)) => Operation::RevertTo(to.into()),
        (false, None) => Operation::RevertSteps(args.steps.unwrap_or(1)),
    };
    if args.dry_run {
        return print_dry_run(migrator, db, operation);
    }
    let migrator = with_deadline(migrator, args.deadline);
    let mut conn = connect_existing(&migrator, db)?;
    // A plain `down` on a database with nothing applied has nothing to do;
    // `--steps N` asks for N, and is refused when there are fewer.
    if args.steps.is_none() && migrator.status(&conn)?.current_version().is_none() {
        println!("nothing to revert: no migration is applied");
        return Ok(EXIT_OK);
    }
    let approve = |steps: &[Step]| {
        let scripts = match steps.len() {
            1 => "its down script",
            _ => "their down scripts, newest first",
        };
        let question = format!(
            "Revert {} of {} with {scripts}?",
            migrations_named(steps),
            db.display()
        );
        confirm(&question, args.yes)
    };
    if !migrate(&migrator, &mut conn, operation, approve)? {
        println!("nothing to revert");
    }
    Ok(EXIT_OK)
}

/// `migration 5 (x)` or `migrations 5 (x), 4 (y)`.
fn migrations_named(steps: &[Step]) -> String {
    let plural = if steps.len() > 1 { "s" } else { "" };
    format!("migration{plural} {}", render::step_list(steps))
}

fn verify(migrator: &Migrator, db: &Path) -> Outcome {
    print_verification(migrator.verify(&open_existing(migrator, db)?)?)
}

fn print_verification(verification: crate::Verification) -> Outcome {
    print!("{verification}");
    Ok(if verification.is_ok() {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}

fn baseline(migrator: &Migrator, db: &Path, args: &BaselineArgs) -> Outcome {
    let migration = migrator.in_binary(args.version, "baseline at")?;
    let mut conn = connect_existing(migrator, db)?;
    let question = format!(
        "Record migrations up to {} ({}) as applied in {}, without running them?",
        args.version,
        migration.name(),
        db.display()
    );
    confirm(&question, args.yes)?;
    let baselined = migrator.baseline(&mut conn, args.version)?;
    print!("{}", render::adopted("baseline", &baselined.recorded));
    Ok(EXIT_OK)
}

fn import(migrator: &Migrator, db: &Path, args: &ImportArgs) -> Outcome {
    let mut conn = connect_existing(migrator, db)?;
    let from = match args.from.as_deref() {
        Some(tool) => ForeignHistory::ALL
            .into_iter()
            .find(|history| history.tool() == tool)
            .ok_or_else(|| format!("unknown tool `{tool}`"))?,
        None => detected(&conn)?,
    };
    let question = format!(
        "Record the migrations {from} applied to {} as applied, without running them?",
        db.display()
    );
    confirm(&question, args.yes)?;
    let imported = migrator.import_history(&mut conn, from)?;
    print!(
        "{}",
        render::adopted(&format!("import from {from}"), &imported.recorded)
    );
    Ok(EXIT_OK)
}

/// The one tool whose history the database holds.
fn detected(conn: &Connection) -> Result<ForeignHistory, Box<dyn std::error::Error>> {
    let names = |tools: &[ForeignHistory]| {
        let names: Vec<&str> = tools.iter().map(|tool| tool.tool()).collect();
        names.join(", ")
    };
    match ForeignHistory::detect(conn)?.as_slice() {
        [only] => Ok(*only),
        [] => Err(format!(
            "the database holds no history of {}",
            names(&ForeignHistory::ALL)
        )
        .into()),
        several => Err(format!(
            "the database holds the history of more than one tool ({}): name one with --from",
            names(several)
        )
        .into()),
    }
}

fn repair(migrator: &Migrator, db: &Path, args: &RepairArgs) -> Outcome {
    let migration = migrator.in_binary(args.version, "repair")?;
    let mut conn = connect_existing(migrator, db)?;
    if !needs_repair(migrator, &conn, migration)? {
        println!(
            "nothing to repair: migration {} ({}) was applied with this binary's checksum",
            args.version,
            migration.name()
        );
        return Ok(EXIT_OK);
    }
    let question = format!(
        "Accept this binary's checksum for migration {} ({}) in {} (its SQL is not run again)?",
        args.version,
        migration.name(),
        db.display()
    );
    confirm(&question, args.yes)?;
    print!(
        "{}",
        render::repaired(&migrator.repair(&mut conn, args.version)?)
    );
    Ok(EXIT_OK)
}

/// Whether `migration` was applied with another checksum than the
/// binary's; an error when it is not applied at all.
fn needs_repair(
    migrator: &Migrator,
    conn: &Connection,
    migration: &Migration,
) -> Result<bool, Error> {
    let status = migrator.status(conn)?;
    let state = status
        .migrations
        .iter()
        .find(|m| m.version == migration.version())
        .map(|m| m.state);
    match state {
        Some(State::ChecksumChanged) => Ok(true),
        Some(State::Applied) => Ok(false),
        _ => Err(Error::NotApplied {
            version: migration.version(),
            name: migration.name().to_string(),
        }),
    }
}

fn backup(migrator: &Migrator, db: &Path) -> Outcome {
    let progress = Progress::events();
    let result = progress.attach(migrator).backup(db);
    progress.finish();
    println!("backed up {} to {}", db.display(), result?.display());
    Ok(EXIT_OK)
}

fn backups(migrator: &Migrator, db: &Path) -> Outcome {
    let found: Vec<(PathBuf, u64)> = migrator
        .backups_of(db)?
        .into_iter()
        .map(|path| {
            let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
            (path, bytes)
        })
        .collect();
    print!(
        "{}",
        render::backups(
            db,
            &migrator.backup_folder(db),
            &found,
            migrator.options().backups.kept()
        )
    );
    Ok(EXIT_OK)
}

/// The backup `name` names (a file in the backups folder, or a path), or
/// the latest.
fn find_backup(migrator: &Migrator, db: &Path, name: Option<&str>) -> Result<PathBuf, String> {
    let folder = migrator.backup_folder(db);
    let Some(name) = name else {
        let latest = migrator.backups_of(db).map_err(|e| e.to_string())?.pop();
        return latest.ok_or_else(|| {
            format!(
                "there is no backup of {} in {}",
                db.display(),
                folder.display()
            )
        });
    };
    [folder.join(name), PathBuf::from(name)]
        .into_iter()
        .find(|path| path.is_file())
        .ok_or_else(|| {
            format!(
                "there is no backup {name} in {} (`backups` lists them)",
                folder.display()
            )
        })
}

fn restore(migrator: &Migrator, db: &Path, args: &RestoreArgs) -> Outcome {
    let backup = find_backup(migrator, db, args.name.as_deref())?;
    let question = format!(
        "Replace {} with the backup {}, losing every change made since it was taken?",
        db.display(),
        backup.display()
    );
    confirm(&question, args.yes)?;
    let progress = Progress::spinner(&format!("restoring {}", db.display()));
    let result = migrator.restore(db, &backup);
    progress.finish();
    result?;
    let status = migrator.status(&open_existing(migrator, db)?)?;
    println!(
        "restored {} from {}: {}",
        db.display(),
        backup.display(),
        render::status_summary(&status)
    );
    Ok(EXIT_OK)
}

fn doctor(migrator: &Migrator, db: &Path) -> Outcome {
    let diagnosis = migrator.diagnose(db)?;
    let validated = migrator.validated_sqlite_version().map(version_text);
    print!("{}", render::doctor(&diagnosis, validated));
    let refused = check_exit(migrator, &diagnosis.status) == EXIT_ERROR;
    Ok(if diagnosis.is_sound() && !refused {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}

/// The commands that work against a Turso server: status, verify, `up`
/// and the dry runs.
#[cfg(feature = "turso")]
pub(super) async fn execute_turso(
    migrator: &Migrator,
    server: &crate::turso::Server,
    command: MigrateCommand,
) -> Outcome {
    let label = Path::new(server.url());
    match command {
        MigrateCommand::Status(args) => {
            let snapshot = migrator.turso_snapshot(server).await?;
            print_status(migrator, label, &snapshot, &args)
        }
        MigrateCommand::Verify => print_verification(migrator.verify_turso(server).await?),
        MigrateCommand::Schema(args) => schema(migrator, &args),
        MigrateCommand::Up(args) if args.dry_run => {
            let operation = args
                .to
                .map_or(Operation::Up, |to| Operation::UpTo(to.into()));
            print_steps(migrator.dry_run_turso(server, operation).await?, operation)
        }
        MigrateCommand::Up(UpArgs {
            to: None, deadline, ..
        }) => {
            let migrator = with_deadline(migrator, deadline);
            let report = migrator.apply_on_turso(server).await?;
            if report.applied.is_empty() {
                let status = migrator.status_turso(server).await?;
                println!("nothing to apply: {}", render::status_summary(&status));
            } else {
                print!("{}", render::report(&report));
            }
            Ok(EXIT_OK)
        }
        MigrateCommand::Down(args) if args.dry_run => {
            let operation = match (args.all, args.to) {
                (true, _) => Operation::RevertAll,
                (false, Some(to)) => Operation::RevertTo(to.into()),
                (false, None) => Operation::RevertSteps(args.steps.unwrap_or(1)),
            };
            print_steps(migrator.dry_run_turso(server, operation).await?, operation)
        }
        _ => Err(format!(
            "against a Turso server ({}) the migrate commands are status, verify, up (without \
             --to) and the dry runs of up and down; the others work on a database file",
            server.url()
        )
        .into()),
    }
}
