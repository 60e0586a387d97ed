migrate_runtime::embed_migrations!("fixtures/error_after_multiline");

fn main() {}
