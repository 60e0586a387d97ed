//! What the macro embeds is exactly what build-support reads from the folder.

use migrate_runtime::Migration;

migrate_runtime::embed_migrations!("fixtures/valid");

#[test]
fn macro_embeds_what_build_support_reads() {
    let read = migrate_build_support::read_folder(migrate_tests::crate_root(), "fixtures/valid")
        .expect("the fixture folder is valid");
    let from_folder: Vec<&Migration> = read.iter().map(|source| &source.migration).collect();
    let embedded: Vec<&Migration> = migrations::MIGRATIONS.iter().collect();
    assert_eq!(embedded, from_folder);
    assert_eq!(migrations::MIGRATOR.migrations().len(), 5);
}

#[test]
fn migrations_are_ordered_by_numeric_version() {
    let versions: Vec<u64> = migrations::MIGRATIONS
        .iter()
        .map(Migration::version)
        .collect();
    assert_eq!(versions, [1, 2, 9, 10, 20250919140443]);
}

#[test]
fn typed_constants_name_each_migration() {
    assert_eq!(migrations::V2_ADD_EMAIL.version(), 2);
    assert_eq!(migrations::V2_ADD_EMAIL.name(), "add_email");
    assert!(migrations::V2_ADD_EMAIL.down().is_some());
    assert!(migrations::V1_CREATE_USERS.down().is_none());
    assert_eq!(
        migrations::V20250919140443_CREATE_POSTS.name(),
        "create_posts"
    );
    assert!(migrations::V10_VACUUM.up().directives().no_transaction());
}

#[test]
fn crlf_checkout_has_the_same_checksum_as_lf() {
    let crlf = migrations::V20250919140443_CREATE_POSTS;
    assert!(
        crlf.up().sql().contains("\r\n"),
        "the fixture is stored with CRLF"
    );
    let lf = crlf.up().sql().replace("\r\n", "\n");
    assert_eq!(migrate_runtime::Checksum::of(&lf), crlf.checksum());
}

#[test]
fn the_migrator_knows_which_sqlite_validated_it() {
    assert_eq!(
        migrations::MIGRATOR.validated_sqlite_version(),
        Some(migrate_runtime::rusqlite::version_number()),
        "the runtime links the SQLite that validated the chain"
    );
}

#[test]
fn schema_describes_the_tables_the_chain_leaves() {
    use migrations::schema;

    assert_eq!(schema::USERS.name, "users");
    let columns: Vec<&str> = schema::USERS.columns.iter().map(|c| c.name).collect();
    assert_eq!(columns, ["id", "name", "email"]);
    assert!(schema::users::ID.primary_key && !schema::users::ID.nullable);
    assert_eq!(schema::users::NAME.declared_type, "TEXT");
    assert!(!schema::users::NAME.nullable);
    assert!(
        schema::users::EMAIL.nullable,
        "added without NOT NULL by migration 2"
    );
    assert_eq!(schema::USERS.column("email"), Some(schema::users::EMAIL));
    assert_eq!(
        schema::POSTS.column("user_id").map(|c| c.nullable),
        Some(false)
    );
    assert_eq!(
        format!("SELECT {} FROM {}", schema::users::EMAIL, schema::USERS),
        "SELECT email FROM users"
    );
}

#[test]
fn the_embedded_fingerprint_is_the_one_the_migrations_have() {
    // The macro computes it while expanding; a database the migrator
    // brought up to date keeps it in its header.
    let dir = tempfile::tempdir().unwrap();
    let conn = migrations::MIGRATOR
        .open(dir.path().join("app.db"))
        .expect("the fixture migrates");
    let stored: i32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    let expected = migrate_runtime::Fingerprint::of(migrations::MIGRATIONS);
    assert_eq!(stored, expected.to_user_version());
}

/// A folder whose migrations call a function the application registers.
mod declared_function {
    migrate_runtime::embed_migrations!("fixtures/declared_function");

    #[test]
    fn the_binary_requires_the_functions_its_folder_declares() {
        assert_eq!(
            migrations::MIGRATOR.requirements(),
            [migrate_runtime::Requirement::Function("normalize", 1)]
        );
    }
}
