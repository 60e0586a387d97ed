//! `migrate`: the developer CLI over a migrations folder.
//!
//! `migrate check [DIR]` validates the folder exactly as `embed_migrations!`
//! does at compile time, with the same messages, without building the app.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Work with a folder of SQLite migrations.
#[derive(Parser)]
#[command(name = "migrate", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the folder as the compiler would: names, directives, and every
    /// migration executed in order on an in-memory SQLite.
    Check {
        /// The migrations folder, relative to --root.
        #[arg(default_value = "migrations")]
        dir: String,
        /// The folder paths are relative to (the crate root).
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check { dir, root } => check(&root, &dir),
    }
}

fn check(root: &std::path::Path, dir: &str) -> ExitCode {
    match migrate_build_support::check_folder(root, dir) {
        Ok(migrate_build_support::Checked {
            sources,
            validated,
            warnings,
        }) => {
            for warning in &warnings {
                eprintln!("warning: {warning}\n");
            }
            println!(
                "{dir}: {} migrations ok, executed in order on SQLite {}",
                sources.len(),
                validated.sqlite_version
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                eprintln!("error: {diagnostic}\n");
            }
            eprintln!("{dir}: {} problem(s) found", diagnostics.len());
            ExitCode::FAILURE
        }
    }
}
