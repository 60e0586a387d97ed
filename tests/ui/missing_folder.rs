migrate_runtime::embed_migrations!("fixtures/does_not_exist");

fn main() {}
