migrate_runtime::embed_migrations!("fixtures/lint_redundant_index");

fn main() {}
