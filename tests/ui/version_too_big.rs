migrate_runtime::embed_migrations!("fixtures/version_too_big");

fn main() {}
