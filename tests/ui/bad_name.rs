migrate_runtime::embed_migrations!("fixtures/bad_name");

fn main() {}
