migrate_runtime::embed_migrations!("fixtures/lint_pragma_in_transaction");

fn main() {}
