migrate_runtime::embed_migrations!("fixtures/empty_folder");

fn main() {}
