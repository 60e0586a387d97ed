migrate_runtime::embed_migrations!("fixtures/desired_disagrees/migrations");

fn main() {}
