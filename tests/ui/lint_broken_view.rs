migrate_runtime::embed_migrations!("fixtures/lint_broken_view");

fn main() {}
