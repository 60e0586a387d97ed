migrate_runtime::embed_migrations!("fixtures/empty_file");

fn main() {}
