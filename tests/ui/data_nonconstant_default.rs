migrate_runtime::embed_migrations!("fixtures/data_nonconstant_default");

fn main() {}
