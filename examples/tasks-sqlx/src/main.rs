//! `tasks-sqlx`: an async app on tokio whose queries go through sqlx 0.8.
//!
//! The schema is migrated at launch by `migrate-runtime`, on a blocking
//! thread and before the pool exists: the migrator takes its lock, backs the
//! file up and applies what is pending on one connection of its own; then
//! sqlx opens its pool on a database that is up to date.
//!
//! ```text
//! tasks-sqlx --db tasks.db add "write the report"
//! tasks-sqlx --db tasks.db done 1
//! tasks-sqlx --db tasks.db list
//! ```

use std::error::Error;
use std::path::PathBuf;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

migrate_runtime::embed_migrations!("migrations");

type Result<T, E = Box<dyn Error + Send + Sync>> = std::result::Result<T, E>;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let db = match args.iter().position(|arg| arg == "--db") {
        Some(at) if at + 1 < args.len() => {
            PathBuf::from(args.drain(at..=at + 1).nth(1).unwrap_or_default())
        }
        _ => PathBuf::from("tasks.db"),
    };

    migrate(db.clone()).await?;
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(SqliteConnectOptions::new().filename(&db))
        .await?;

    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["add", title @ ..] if !title.is_empty() => add(&pool, &title.join(" ")).await,
        ["done", id] => done(&pool, id.parse()?).await,
        ["list"] | [] => list(&pool).await,
        _ => Err("usage: tasks-sqlx [--db PATH] [add TITLE… | done ID | list]".into()),
    }
}

/// Brings the database at `db` up to date (creating it). The migrator is
/// synchronous (it holds SQLite's write lock, and may wait for it): it runs
/// on tokio's blocking threads, and the app awaits it before building its
/// pool. Its connection, set to WAL, is closed once it is done.
async fn migrate(db: PathBuf) -> Result<()> {
    let migrated = tokio::task::spawn_blocking(move || -> Result<()> {
        migrations::MIGRATOR.open(&db)?;
        Ok(())
    });
    migrated.await?
}

async fn add(pool: &SqlitePool, title: &str) -> Result<()> {
    let id: i64 = sqlx::query("INSERT INTO tasks (title) VALUES (?1) RETURNING id")
        .bind(title)
        .fetch_one(pool)
        .await?
        .get(0);
    println!("added {id}");
    Ok(())
}

async fn done(pool: &SqlitePool, id: i64) -> Result<()> {
    let changed = sqlx::query("UPDATE tasks SET done = 1 WHERE id = ?1")
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected();
    match changed {
        0 => Err(format!("no task {id}").into()),
        _ => Ok(()),
    }
}

async fn list(pool: &SqlitePool) -> Result<()> {
    let rows = sqlx::query("SELECT id, title, done FROM tasks ORDER BY done, id")
        .fetch_all(pool)
        .await?;
    for row in rows {
        let mark = if row.get::<bool, _>("done") { "x" } else { " " };
        println!(
            "[{mark}] {} {}",
            row.get::<i64, _>("id"),
            row.get::<String, _>("title")
        );
    }
    Ok(())
}
