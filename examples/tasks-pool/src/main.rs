//! `tasks-pool`: an app whose connections come from an r2d2 pool of
//! rusqlite connections.
//!
//! At launch it takes one connection from its pool and hands it to the
//! migrator, which applies what is pending under its lock (with a backup
//! first); then the app's threads share the pool.
//!
//! ```text
//! tasks-pool --db tasks.db add ana "write the report"
//! tasks-pool --db tasks.db list
//! ```

use std::error::Error;
use std::path::PathBuf;
use std::thread;

use r2d2_sqlite::SqliteConnectionManager;

migrate_runtime::embed_migrations!("migrations");

type Result<T, E = Box<dyn Error + Send + Sync>> = std::result::Result<T, E>;
type Pool = r2d2::Pool<SqliteConnectionManager>;

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let db = match args.iter().position(|arg| arg == "--db") {
        Some(at) if at + 1 < args.len() => {
            PathBuf::from(args.drain(at..=at + 1).nth(1).unwrap_or_default())
        }
        _ => PathBuf::from("tasks.db"),
    };
    // Each connection of the pool is set up as the migrator sets up its own:
    // WAL, a busy timeout, foreign keys on.
    let manager = SqliteConnectionManager::file(&db).with_init(|conn| {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
        )
    });
    let pool = Pool::builder().max_size(4).build(manager)?;

    // Migrate through a connection of the pool, before anything else uses it.
    let mut conn = pool.get()?;
    let report = migrations::MIGRATOR.run(&mut conn)?;
    drop(conn);
    if !report.applied.is_empty() {
        eprintln!("applied {} migration(s)", report.applied.len());
    }

    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["add", owner, title @ ..] if !title.is_empty() => add(&pool, owner, &title.join(" ")),
        ["list"] | [] => list(&pool),
        _ => Err("usage: tasks-pool [--db PATH] [add OWNER TITLE… | list]".into()),
    }
}

fn add(pool: &Pool, owner: &str, title: &str) -> Result<()> {
    let conn = pool.get()?;
    conn.execute("INSERT OR IGNORE INTO owners (name) VALUES (?1)", [owner])?;
    conn.execute(
        "INSERT INTO tasks (title, owner_id) SELECT ?1, id FROM owners WHERE name = ?2",
        [title, owner],
    )?;
    println!("added {}", conn.last_insert_rowid());
    Ok(())
}

/// Lists each owner's tasks, one owner per thread, each on a connection of
/// the pool.
fn list(pool: &Pool) -> Result<()> {
    let owners: Vec<(i64, String)> = {
        let conn = pool.get()?;
        let mut statement = conn.prepare("SELECT id, name FROM owners ORDER BY name")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let lists = thread::scope(|scope| {
        let threads: Vec<_> = owners
            .iter()
            .map(|(id, name)| scope.spawn(move || tasks_of(pool, *id).map(|titles| (name, titles))))
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().expect("a listing thread panicked"))
            .collect::<Result<Vec<_>>>()
    })?;
    for (name, titles) in lists {
        println!("{name}: {}", titles.join(", "));
    }
    Ok(())
}

fn tasks_of(pool: &Pool, owner: i64) -> Result<Vec<String>> {
    let conn = pool.get()?;
    let mut statement = conn.prepare("SELECT title FROM tasks WHERE owner_id = ?1 ORDER BY id")?;
    let titles = statement.query_map([owner], |row| row.get(0))?;
    Ok(titles.collect::<Result<_, _>>()?)
}
