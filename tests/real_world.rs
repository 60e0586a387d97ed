//! A realistic migrations folder (STRICT and WITHOUT ROWID tables, generated
//! columns, partial and expression-backed indexes, FTS5 kept in step by
//! triggers, views, a soft-delete trigger, a 12-step rebuild of a parent
//! table with its view and trigger made again) passes every compile-time check
//! without a false alarm, and works at run time.

use migrate_runtime::rusqlite::params;

migrate_runtime::embed_migrations!("fixtures/real_world");

#[test]
fn applies_and_works_as_an_application_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = migrations::MIGRATOR
        .open(dir.path().join("app.db"))
        .unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute(
        "INSERT INTO accounts (email, name) VALUES ('ada@example.com', 'Ada')",
        [],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO documents (account_id, title, body, meta)
         VALUES (1, 'Notes', 'the analytical engine weaves patterns', ?1)",
        params![r#"{"language": "en"}"#],
    )
    .unwrap();
    tx.commit().unwrap();

    let found: i64 = conn
        .query_row(
            "SELECT rowid FROM documents_fts WHERE documents_fts MATCH 'weaving'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(found, 1, "porter stemming finds 'weaves' for 'weaving'");
    let (language, words): (String, i64) = conn
        .query_row("SELECT language, words FROM documents", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!((language.as_str(), words), ("en", 5));

    // Soft delete: the row stays, stamped, and leaves the dashboard.
    conn.execute("DELETE FROM documents WHERE id = 1", [])
        .unwrap();
    let deleted: Option<String> = conn
        .query_row("SELECT deleted_at FROM documents WHERE id = 1", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert!(deleted.is_some());
    let shown: i64 = conn
        .query_row("SELECT documents FROM account_activity", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(shown, 0);

    // Disabling an account is audited and ends its sessions.
    conn.execute(
        "INSERT INTO sessions (token, account_id, expires_at) VALUES ('t', 1, '2099-01-01')",
        [],
    )
    .unwrap();
    conn.execute("UPDATE accounts SET disabled = 1 WHERE id = 1", [])
        .unwrap();
    let sessions: i64 = conn
        .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
        .unwrap();
    let audited: String = conn
        .query_row("SELECT action FROM audit", [], |row| row.get(0))
        .unwrap();
    assert_eq!((sessions, audited.as_str()), (0, "disable"));
}

#[test]
fn typed_schema_leaves_out_what_sqlite_keeps_for_itself() {
    use migrations::schema;

    let tables: Vec<&str> = [
        schema::ACCOUNTS,
        schema::AUDIT,
        schema::DOCUMENTS,
        schema::DOCUMENTS_FTS,
        schema::SESSIONS,
    ]
    .iter()
    .map(|table| table.name)
    .collect();
    assert_eq!(
        tables,
        [
            "accounts",
            "audit",
            "documents",
            "documents_fts",
            "sessions"
        ]
    );
    // FTS5's hidden columns (the table's own name, rank) are not listed.
    let fts: Vec<&str> = schema::DOCUMENTS_FTS
        .columns
        .iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(fts, ["title", "body"]);
    // Generated columns are, with their declared type.
    assert_eq!(schema::documents::WORDS.declared_type, "INTEGER");
    assert_eq!(schema::accounts::TIMEZONE.name, "timezone");
    assert_eq!(schema::accounts::UPDATED_AT.declared_type, "TEXT");
    assert!(schema::sessions::TOKEN.primary_key);
}
