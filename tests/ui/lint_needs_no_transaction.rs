migrate_runtime::embed_migrations!("fixtures/lint_needs_no_transaction");

fn main() {}
