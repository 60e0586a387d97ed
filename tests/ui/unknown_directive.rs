migrate_runtime::embed_migrations!("fixtures/unknown_directive");

fn main() {}
