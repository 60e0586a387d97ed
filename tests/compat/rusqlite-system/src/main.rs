use rusqlite::Connection;

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
    // What compiled is what runs: the SQLite that checked the migrations
    // is the one linked.
    println!(
        "sqlite: validated {}, linked {}",
        migrations::MIGRATOR
            .validated_sqlite_version()
            .unwrap_or_default(),
        migrate_runtime::rusqlite::version_number()
    );
    Ok(())
}
