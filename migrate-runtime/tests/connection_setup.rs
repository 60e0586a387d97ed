//! What the migrations need of the connection beyond SQLite: the functions
//! `migrate.toml` declares are required of the connection before anything
//! changes, and `on_connect` is where the application registers them.

mod common;

use common::*;
use migrate_runtime::rusqlite::functions::FunctionFlags;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migrator, Requirement};

const NEEDS: &[Requirement] = &[Requirement::Function("normalize", 1)];

fn chain() -> Migrator {
    migrator(vec![
        migration(
            1,
            "users",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
            1,
        ),
        migration(
            2,
            "unique_emails",
            "CREATE UNIQUE INDEX users_email ON users (normalize(email));",
            2,
        ),
    ])
    .requiring(NEEDS)
}

fn register(conn: &Connection) -> migrate_runtime::rusqlite::Result<()> {
    conn.create_scalar_function(
        "normalize",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<String>(0)?.trim().to_lowercase()),
    )
}

#[test]
fn a_connection_without_a_required_function_is_refused_before_anything_changes() {
    let (_dir, path) = temp_db();
    let error = chain().open(&path).unwrap_err();
    assert!(
        matches!(&error, Error::MissingOnConnection { missing } if missing == &["the function `normalize` (1 argument)"]),
        "{error}"
    );
    assert!(
        error.to_string().contains("`Migrator::on_connect`"),
        "{error}"
    );
    assert_eq!(tables(&inspect(&path)), Vec::<String>::new());
}

#[test]
fn on_connect_registers_what_the_migrations_call() {
    let (_dir, path) = temp_db();
    let conn = chain().on_connect(register).open(&path).unwrap();
    assert_eq!(history_versions(&conn), [1, 2]);
    conn.execute("INSERT INTO users (email) VALUES (' A@x.org ')", [])
        .unwrap();
    let again = conn.execute("INSERT INTO users (email) VALUES ('a@x.org')", []);
    assert!(again.is_err(), "the index uses the application's function");
    // Nothing pending: the fast path asks nothing of the connection.
    drop(conn);
    assert!(chain().open(&path).is_ok());
}

#[test]
fn a_connection_the_application_set_up_itself_passes() {
    let (_dir, path) = temp_db();
    let mut conn = Connection::open(&path).unwrap();
    register(&conn).unwrap();
    chain().run(&mut conn).unwrap();
    assert_eq!(history_versions(&conn), [1, 2]);
}
