migrate_runtime::embed_migrations!("fixtures/not_utf8");

fn main() {}
