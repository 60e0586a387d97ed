use deadpool_sqlite::{Config, Runtime};

#[path = "../../sqlite_line.rs"]
mod sqlite_line;

migrate_runtime::embed_migrations!("../migrations");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let path = std::env::args().nth(1).ok_or("usage: compat DB")?;
    let pool = Config::new(&path).create_pool(Runtime::Tokio1)?;
    let conn = pool.get().await?;
    // The pool's connection, on the pool's blocking thread.
    let applied = conn
        .interact(|conn| {
            migrations::MIGRATOR
                .run(conn)
                .map(|report| report.applied.len())
        })
        .await
        .map_err(|error| error.to_string())??;
    let open: i64 = conn
        .interact(|conn| {
            conn.execute("INSERT INTO tasks (title) VALUES ('from deadpool')", [])?;
            conn.query_row("SELECT count(*) FROM tasks WHERE done = 0", [], |row| {
                row.get(0)
            })
        })
        .await
        .map_err(|error| error.to_string())??;
    // tokio-rusqlite's connection finds the database migrated.
    let single = tokio_rusqlite::Connection::open(&path).await?;
    let pending = single
        .call(|conn| {
            migrations::MIGRATOR
                .run(conn)
                .map(|report| report.applied.len())
        })
        .await
        .map_err(|error| error.to_string())?;
    assert_eq!(pending, 0);
    println!(
        "deadpool-sqlite and tokio-rusqlite: SQLite {}, {applied} applied, {open} open",
        migrate_runtime::rusqlite::version()
    );
    sqlite_line::print(&migrations::MIGRATOR);
    Ok(())
}
