migrate_runtime::embed_migrations!("fixtures/lint_foreign_key_violation");

fn main() {}
