migrate_runtime::embed_migrations!("fixtures/lint_rebuild_foreign_keys");

fn main() {}
