migrate_runtime::embed_migrations!("fixtures/data_rebuild_null");

fn main() {}
