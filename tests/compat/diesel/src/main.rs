use diesel::prelude::*;
use diesel::sql_types::BigInt;

#[path = "../../sqlite_line.rs"]
mod sqlite_line;

migrate_runtime::embed_migrations!("../migrations");

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: compat DB")?;
    // Migrate first, on the toolkit's connection; then diesel's.
    let report = migrations::MIGRATOR.open(&path).map(drop);
    report?;
    let mut conn = SqliteConnection::establish(&path)?;
    diesel::sql_query("INSERT INTO tasks (title) VALUES ('from diesel')").execute(&mut conn)?;
    let open = diesel::sql_query("SELECT count(*) AS n FROM tasks WHERE done = 0")
        .get_result::<Count>(&mut conn)?
        .n;
    println!(
        "diesel: SQLite {}, {open} open",
        migrate_runtime::rusqlite::version()
    );
    sqlite_line::print(&migrations::MIGRATOR);
    Ok(())
}
