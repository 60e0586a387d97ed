migrate_runtime::embed_migrations!("fixtures/sealed_edited");

fn main() {}
