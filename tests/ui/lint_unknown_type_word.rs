migrate_runtime::embed_migrations!("fixtures/lint_unknown_type_word");

fn main() {}
