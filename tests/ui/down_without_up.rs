migrate_runtime::embed_migrations!("fixtures/down_without_up");

fn main() {}
