migrate_runtime::embed_migrations!("fixtures/duplicate_version");

fn main() {}
