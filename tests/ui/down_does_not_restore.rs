migrate_runtime::embed_migrations!("fixtures/down_does_not_restore");

fn main() {}
