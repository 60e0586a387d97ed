use rusqlite::Connection;

#[path = "../../sqlite_line.rs"]
mod sqlite_line;

migrate_runtime::embed_migrations!("../migrations");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: compat DB")?;
    // The application's own connection, of the application's rusqlite.
    let mut conn: Connection = Connection::open(&path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let report = migrations::MIGRATOR.run(&mut conn)?;
    conn.execute("INSERT INTO tasks (title) VALUES ('from rusqlite')", [])?;
    let open: i64 = conn.query_row("SELECT count(*) FROM tasks WHERE done = 0", [], |row| {
        row.get(0)
    })?;
    println!(
        "rusqlite: SQLite {}, {} applied, {open} open",
        rusqlite::version(),
        report.applied.len()
    );
    sqlite_line::print(&migrations::MIGRATOR);
    Ok(())
}
