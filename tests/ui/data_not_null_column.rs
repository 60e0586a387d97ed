migrate_runtime::embed_migrations!("fixtures/data_not_null_column");

fn main() {}
