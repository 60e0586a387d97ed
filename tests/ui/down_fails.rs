migrate_runtime::embed_migrations!("fixtures/down_fails");

fn main() {}
