migrate_runtime::embed_migrations!("fixtures/sql_error_first");

fn main() {}
