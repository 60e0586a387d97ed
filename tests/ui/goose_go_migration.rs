migrate_runtime::embed_migrations!("fixtures/goose_go_migration");

fn main() {}
