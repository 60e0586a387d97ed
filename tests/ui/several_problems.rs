migrate_runtime::embed_migrations!("fixtures/several_problems");

fn main() {}
