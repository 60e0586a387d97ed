migrate_runtime::embed_migrations!("fixtures/data_check_column");

fn main() {}
