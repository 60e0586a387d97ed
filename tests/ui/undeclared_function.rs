migrate_runtime::embed_migrations!("fixtures/undeclared_function");

fn main() {}
