//! The line every compatibility app ends with, which `.ci/compat` reads.

/// Prints the SQLite that checked the migrations at compile time and the
/// one linked: what compiled is what runs when the two are the same.
pub fn print(migrator: &migrate_runtime::Migrator) {
    println!(
        "sqlite: validated {}, linked {}",
        migrator.validated_sqlite_version().unwrap_or_default(),
        migrate_runtime::rusqlite::version_number()
    );
}
