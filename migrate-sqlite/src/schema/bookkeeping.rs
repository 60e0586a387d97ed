//! Tables that live in an application's database file without being part
//! of its schema: the toolkit's history, the histories of other migration
//! tools, and what replication keeps. `verify` does not count them as
//! drift, and a desired schema dumped from a real database may declare them.

/// The default name of the toolkit's history table. It lives in the
/// migrated database itself, so that the schema and the record of how it
/// got there change in one transaction.
pub const HISTORY_TABLE: &str = "_migrate_history";

/// Bookkeeping tables by name, with what keeps each: the history tables of
/// the tools whose folders the toolkit reads (and whose histories
/// `import_history` reads), and Turso's sync state.
const TABLES: &[(&str, &str)] = &[
    (HISTORY_TABLE, "the toolkit's history"),
    ("_sqlx_migrations", "sqlx's history"),
    ("refinery_schema_history", "refinery's history"),
    ("__diesel_schema_migrations", "diesel's history"),
    (
        "schema_migrations",
        "the history of golang-migrate or dbmate",
    ),
    ("goose_db_version", "goose's history"),
    ("_prisma_migrations", "Prisma's history"),
    ("__drizzle_migrations", "Drizzle's history"),
    ("turso_sync_last_change_id", "Turso's sync"),
];

/// Bookkeeping tables by the start of their names: Litestream's
/// (`_litestream_seq`, `_litestream_lock`) and Turso's change capture.
const PREFIXES: &[(&str, &str)] = &[
    ("_litestream_", "Litestream"),
    ("turso_cdc", "Turso's sync"),
];

/// What keeps the table `name` when it is bookkeeping rather than schema:
/// `"the toolkit's history"`, `"sqlx's history"`, `"Litestream"`, …
/// Names are compared without regard to ASCII case, as SQLite does.
pub fn bookkeeping_table(name: &str) -> Option<&'static str> {
    let by_name = TABLES
        .iter()
        .find(|(table, _)| name.eq_ignore_ascii_case(table));
    let by_prefix = || {
        PREFIXES.iter().find(|(prefix, _)| {
            name.get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        })
    };
    by_name.or_else(by_prefix).map(|(_, keeper)| *keeper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histories_and_replication_are_bookkeeping_in_any_case() {
        assert_eq!(
            bookkeeping_table("_migrate_history"),
            Some("the toolkit's history")
        );
        assert_eq!(
            bookkeeping_table("_SQLX_Migrations"),
            Some("sqlx's history")
        );
        assert_eq!(
            bookkeeping_table("schema_migrations"),
            Some("the history of golang-migrate or dbmate")
        );
        assert_eq!(bookkeeping_table("_litestream_seq"), Some("Litestream"));
        assert_eq!(bookkeeping_table("turso_cdc_version"), Some("Turso's sync"));
        assert_eq!(bookkeeping_table("users"), None);
        assert_eq!(bookkeeping_table("_litestream"), None);
        assert_eq!(bookkeeping_table("migrations"), None);
    }
}
