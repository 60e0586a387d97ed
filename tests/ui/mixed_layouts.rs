migrate_runtime::embed_migrations!("fixtures/mixed_layouts");

fn main() {}
