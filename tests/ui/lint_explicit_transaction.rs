migrate_runtime::embed_migrations!("fixtures/lint_explicit_transaction");

fn main() {}
