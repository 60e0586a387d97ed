migrate_runtime::embed_migrations!("fixtures/lint_rebuild_cascade");

fn main() {}
