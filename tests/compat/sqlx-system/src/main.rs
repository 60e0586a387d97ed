use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Row, SqliteConnection};

#[path = "../../sqlite_line.rs"]
mod sqlite_line;

migrate_runtime::embed_migrations!("../migrations");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let path = std::env::args().nth(1).ok_or("usage: compat DB")?;
    let migrated = path.clone();
    tokio::task::spawn_blocking(move || migrations::MIGRATOR.open(&migrated).map(drop))
        .await?
        .map_err(|error| error.to_string())?;
    let mut conn =
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path)).await?;
    sqlx::query("INSERT INTO tasks (title) VALUES ('from sqlx')")
        .execute(&mut conn)
        .await?;
    let row = sqlx::query("SELECT count(*), sqlite_version() FROM tasks WHERE done = 0")
        .fetch_one(&mut conn)
        .await?;
    let (open, version): (i64, String) = (row.get(0), row.get(1));
    println!("sqlx 0.8: SQLite {version}, {open} open");
    sqlite_line::print(&migrations::MIGRATOR);
    Ok(())
}
