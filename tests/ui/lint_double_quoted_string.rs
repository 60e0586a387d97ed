migrate_runtime::embed_migrations!("fixtures/lint_double_quoted_string");

fn main() {}
