//! `turso-probe start <server-url> <copy-path> [--chain C] [--copy-from URL] [--wait-for FILE] [--deadline-ms N]`
//! `turso-probe cli <server-url> [--chain C] <migrate command…>`
//!
//! `start` starts the way an app on Turso does: it builds its synced copy
//! of the database at `copy-path` (syncing from `server-url`, or from
//! `--copy-from`), runs `Migrator::run_turso`, then reads the copy. It
//! prints one line, `applied A followed F start-ms S audit N` (`audit` is
//! the rows of `fixtures/concurrent`'s audit table, one unless a migration
//! ran twice; `after-big` with `--chain long`), and exits 0; or prints the
//! error to stderr with a line `error variant: <Variant>` and exits 1.
//!
//! - `concurrent` (the default) is `fixtures/concurrent`, whose migrations
//!   fail if any runs twice;
//! - `long` is `fixtures/turso_long`, whose second migration takes the
//!   server seconds;
//! - `recursive` is `fixtures/long`, valid SQLite whose recursive CTEs the
//!   Turso server does not run.
//!
//! `--wait-for FILE` waits until `FILE` exists before starting, so that
//! many processes start at once; `--deadline-ms` sets `Migrator::deadline`.
//!
//! `cli` is the operator CLI an app mounts (`migrate_runtime::cli::run_turso`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use migrate_runtime::cli::MigrateArgs;
use migrate_runtime::turso::Server;
use migrate_runtime::Migrator;

mod concurrent {
    migrate_runtime::embed_migrations!("fixtures/concurrent");
    pub use migrations::*;
}

mod long {
    migrate_runtime::embed_migrations!("fixtures/turso_long");
    pub use migrations::*;
}

mod recursive {
    migrate_runtime::embed_migrations!("fixtures/long");
    pub use migrations::*;
}

#[derive(Clone, Copy, Default, PartialEq, clap::ValueEnum)]
enum Chain {
    #[default]
    Concurrent,
    Long,
    Recursive,
}

#[derive(Parser)]
enum Probe {
    Start {
        url: String,
        copy: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        chain: Chain,
        #[arg(long)]
        copy_from: Option<String>,
        #[arg(long)]
        wait_for: Option<PathBuf>,
        #[arg(long)]
        deadline_ms: Option<u64>,
    },
    Cli {
        url: String,
        #[arg(long, value_enum, default_value_t)]
        chain: Chain,
        #[command(flatten)]
        args: MigrateArgs,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match Probe::parse() {
        Probe::Cli { url, chain, args } => {
            migrate_runtime::cli::run_turso(migrator(chain), &Server::new(url), args).await
        }
        Probe::Start {
            url,
            copy,
            chain,
            copy_from,
            wait_for,
            deadline_ms,
        } => {
            if let Some(file) = wait_for {
                while !file.exists() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            let mut migrator = migrator(chain).clone();
            if let Some(ms) = deadline_ms {
                migrator = migrator.deadline(Duration::from_millis(ms));
            }
            let copy_from = copy_from.as_deref().unwrap_or(&url);
            match start(&migrator, &url, &copy, copy_from, chain).await {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("{error}");
                    if let Some(error) = error.downcast_ref::<migrate_runtime::Error>() {
                        eprintln!("error variant: {}", migrate_tests::error_variant(error));
                    }
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn migrator(chain: Chain) -> &'static Migrator {
    match chain {
        Chain::Concurrent => &concurrent::MIGRATOR,
        Chain::Long => &long::MIGRATOR,
        Chain::Recursive => &recursive::MIGRATOR,
    }
}

async fn start(
    migrator: &Migrator,
    url: &str,
    copy: &std::path::Path,
    copy_from: &str,
    chain: Chain,
) -> Result<String, Box<dyn std::error::Error>> {
    let copy = turso::sync::Builder::new_remote(copy.to_str().ok_or("a UTF-8 path")?)
        .with_remote_url(copy_from)
        .with_client_name("turso-probe")
        .build()
        .await?;
    let started = Instant::now();
    let report = migrator.run_turso(&Server::new(url), &copy).await?;
    let start_ms = started.elapsed().as_millis();
    let conn = copy.connect().await?;
    let (table, label) = match chain {
        Chain::Concurrent => ("audit", "audit"),
        Chain::Long => ("after_big", "after-big"),
        Chain::Recursive => ("big", "big"),
    };
    let mut rows = conn
        .query(format!("SELECT count(*) FROM {table}"), ())
        .await?;
    let count: i64 = match rows.next().await? {
        Some(row) => row.get(0)?,
        None => 0,
    };
    Ok(format!(
        "applied {} followed {} start-ms {start_ms} {label} {count}",
        report.applied.len(),
        report.followed_primary
    ))
}
