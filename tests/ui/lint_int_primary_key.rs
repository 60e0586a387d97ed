migrate_runtime::embed_migrations!("fixtures/lint_int_primary_key");

fn main() {}
