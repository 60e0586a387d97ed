migrate_runtime::embed_migrations!("fixtures/lint_destructive");

fn main() {}
