use diesel::prelude::*;
use diesel::sql_types::BigInt;

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
