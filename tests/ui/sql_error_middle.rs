migrate_runtime::embed_migrations!("fixtures/sql_error_middle");

fn main() {}
