const MIGRATIONS_DIR: &str = "migrations";

migrate_runtime::embed_migrations!(MIGRATIONS_DIR);

fn main() {}
