//! `migrate-probe <chain|long> <db-path> [--wait-for FILE] [--busy-ms N] [--deadline-ms N]`
//! `migrate-probe hold-lock <db-path> <millis>`
//! `migrate-probe hold-open <db-path> <millis>`
//! `migrate-probe backfill <db-path> <sql>`
//!
//! Starts the way an app does: opens the database with an embedded
//! migrator, which applies the pending migrations, then exits. The
//! concurrency, crash, lock and permission tests run it as real processes.
//!
//! - `chain`: `fixtures/concurrent`, several quick migrations that fail if
//!   any of them runs twice;
//! - `long`: `fixtures/long`, whose second migration runs for a second or so.
//!
//! With `--wait-for FILE` it waits until `FILE` exists before opening the
//! database: a start line, so that many processes open it at once. With
//! `--busy-ms N` the migrator waits at most `N` milliseconds for another
//! connection's lock (`Migrator::busy_timeout`) instead of the default 60 s;
//! with `--deadline-ms N` the migrations may take at most `N` milliseconds
//! (`Migrator::deadline`) instead of 120 s.
//!
//! Prints `ok` and exits 0 once the database is migrated; otherwise prints
//! the error to stderr, then a line `error variant: <Variant>` naming the
//! `migrate_runtime::Error` variant, and exits 1 (2 for a bad command line).
//!
//! `hold-lock` plays another program keeping a write transaction open: it
//! opens the database with a plain connection, runs `BEGIN IMMEDIATE`,
//! writes a row, prints `locked`, sleeps `millis` milliseconds, rolls back
//! and exits 0. `hold-open` plays an idle reader: it opens the database
//! with a plain connection, reads the schema (no transaction stays open),
//! prints `open`, sleeps `millis` milliseconds and exits 0.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use migrate_runtime::rusqlite::{self, Connection};
use migrate_runtime::Migrator;

mod chain {
    migrate_runtime::embed_migrations!("fixtures/concurrent");
    pub use migrations::*;
}

mod long {
    migrate_runtime::embed_migrations!("fixtures/long");
    pub use migrations::*;
}

const USAGE: &str =
    "usage: migrate-probe <chain|long> <db-path> [--wait-for FILE] [--busy-ms N] [--deadline-ms N]\n       \
                     migrate-probe <hold-lock|hold-open> <db-path> <millis>\n       \
                     migrate-probe backfill <db-path> <sql>";

enum Command {
    Migrate {
        migrator: Box<Migrator>,
        db: PathBuf,
        wait_for: Option<PathBuf>,
    },
    Hold {
        db: PathBuf,
        hold: Duration,
        /// Whether it keeps a write transaction open, or only the connection.
        write: bool,
    },
    Backfill {
        db: PathBuf,
        sql: String,
    },
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let migrator = match args.next().as_deref() {
        Some("chain") => &chain::MIGRATOR,
        Some("long") => &long::MIGRATOR,
        Some(mode @ ("hold-lock" | "hold-open")) => {
            let write = mode == "hold-lock";
            let db = PathBuf::from(args.next().ok_or("missing the database path")?);
            let millis = args
                .next()
                .ok_or_else(|| format!("{mode} needs a duration in ms"))?;
            let millis: u64 = millis
                .parse()
                .map_err(|_| format!("`{millis}` is not a number of milliseconds"))?;
            if let Some(other) = args.next() {
                return Err(format!("unexpected argument `{other}`"));
            }
            return Ok(Command::Hold {
                db,
                hold: Duration::from_millis(millis),
                write,
            });
        }
        Some("backfill") => {
            let db = PathBuf::from(args.next().ok_or("missing the database path")?);
            let sql = args.next().ok_or("backfill needs its statement")?;
            return Ok(Command::Backfill { db, sql });
        }
        Some(other) => return Err(format!("unknown mode `{other}`")),
        None => return Err("missing the mode".to_owned()),
    };
    let mut migrator = migrator.clone();
    let db = PathBuf::from(args.next().ok_or("missing the database path")?);
    let mut wait_for = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--wait-for" => {
                wait_for = Some(PathBuf::from(args.next().ok_or("--wait-for needs a file")?));
            }
            "--busy-ms" => {
                let millis = args.next().ok_or("--busy-ms needs a number")?;
                let millis: u64 = millis
                    .parse()
                    .map_err(|_| format!("--busy-ms: `{millis}` is not a number"))?;
                migrator = migrator.busy_timeout(Duration::from_millis(millis));
            }
            "--deadline-ms" => {
                let millis = args.next().ok_or("--deadline-ms needs a number")?;
                let millis: u64 = millis
                    .parse()
                    .map_err(|_| format!("--deadline-ms: `{millis}` is not a number"))?;
                migrator = migrator.deadline(Duration::from_millis(millis));
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(Command::Migrate {
        migrator: Box::new(migrator),
        db,
        wait_for,
    })
}

/// `migrate_runtime::backfill` on `db`, with `pause(ms)` registered: a
/// statement that calls it per row makes each batch slow enough for a test
/// to kill the process between two.
fn run_backfill(db: &Path, sql: &str) -> Result<migrate_runtime::Backfilled, String> {
    use migrate_runtime::rusqlite::functions::FunctionFlags;
    let mut conn = Connection::open(db).map_err(|error| error.to_string())?;
    conn.create_scalar_function("pause", 1, FunctionFlags::SQLITE_UTF8, |ctx| {
        thread::sleep(Duration::from_millis(ctx.get::<i64>(0)?.max(0) as u64));
        Ok(1)
    })
    .map_err(|error| error.to_string())?;
    migrate_runtime::backfill(&mut conn, sql).map_err(|error| error.to_string())
}

/// Keeps `db` open for `hold`: with `write`, inside a write transaction
/// with a row written and not committed, rolled back at the end; without,
/// idle after one read.
fn hold(db: &Path, hold: Duration, write: bool) -> rusqlite::Result<()> {
    let conn = Connection::open(db)?;
    if write {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS held (x);
             INSERT INTO held VALUES (1);",
        )?;
    } else {
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })?;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", if write { "locked" } else { "open" });
    let _ = stdout.flush();
    drop(stdout);
    thread::sleep(hold);
    if write {
        conn.execute_batch("ROLLBACK")?;
    }
    conn.close().map_err(|(_, error)| error)
}

fn main() -> ExitCode {
    let command = match parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("migrate-probe: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Hold {
            db,
            hold: duration,
            write,
        } => match hold(&db, duration, write) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("migrate-probe: {error}");
                ExitCode::FAILURE
            }
        },
        Command::Backfill { db, sql } => match run_backfill(&db, &sql) {
            Ok(done) => {
                println!("backfilled {} rows in {} batches", done.rows, done.batches);
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("{error}");
                ExitCode::FAILURE
            }
        },
        Command::Migrate {
            migrator,
            db,
            wait_for,
        } => {
            if let Some(barrier) = &wait_for {
                while !barrier.exists() {
                    thread::sleep(Duration::from_millis(1));
                }
            }
            match migrator.open(&db) {
                Ok(_conn) => {
                    println!("ok");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("{error}");
                    eprintln!("error variant: {}", migrate_tests::error_variant(&error));
                    ExitCode::FAILURE
                }
            }
        }
    }
}
