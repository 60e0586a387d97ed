migrate_runtime::embed_migrations!("fixtures/data_unique_index");

fn main() {}
