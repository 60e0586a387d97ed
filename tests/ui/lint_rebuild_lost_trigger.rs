migrate_runtime::embed_migrations!("fixtures/lint_rebuild_lost_trigger");

fn main() {}
