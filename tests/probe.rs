//! `migrate-probe <chain|long> <db-path> [--wait-for FILE]`
//!
//! Starts the way an app does: opens the database with an embedded
//! migrator, which applies the pending migrations, then exits. The
//! concurrency and crash tests run it as real processes.
//!
//! - `chain`: `fixtures/concurrent`, several quick migrations that fail if
//!   any of them runs twice;
//! - `long`: `fixtures/long`, whose second migration runs for a second or so.
//!
//! With `--wait-for FILE` it waits until `FILE` exists before opening the
//! database: a start line, so that many processes open it at once.
//!
//! Prints `ok` and exits 0 once the database is migrated; prints the error
//! to stderr and exits 1 otherwise (2 for a bad command line).

use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use migrate_runtime::Migrator;

mod chain {
    migrate_runtime::embed_migrations!("fixtures/concurrent");
    pub use migrations::*;
}

mod long {
    migrate_runtime::embed_migrations!("fixtures/long");
    pub use migrations::*;
}

const USAGE: &str = "usage: migrate-probe <chain|long> <db-path> [--wait-for FILE]";

struct Args {
    migrator: &'static Migrator,
    db: PathBuf,
    wait_for: Option<PathBuf>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let migrator = match args.next().as_deref() {
        Some("chain") => &chain::MIGRATOR,
        Some("long") => &long::MIGRATOR,
        Some(other) => return Err(format!("unknown migrator `{other}`")),
        None => return Err("missing the migrator".to_owned()),
    };
    let db = PathBuf::from(args.next().ok_or("missing the database path")?);
    let mut wait_for = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--wait-for" => {
                wait_for = Some(PathBuf::from(args.next().ok_or("--wait-for needs a file")?));
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(Args {
        migrator,
        db,
        wait_for,
    })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("migrate-probe: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(barrier) = &args.wait_for {
        while !barrier.exists() {
            thread::sleep(Duration::from_millis(1));
        }
    }
    match args.migrator.open(&args.db) {
        Ok(_conn) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
