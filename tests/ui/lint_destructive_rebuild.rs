migrate_runtime::embed_migrations!("fixtures/lint_destructive_rebuild");

fn main() {}
