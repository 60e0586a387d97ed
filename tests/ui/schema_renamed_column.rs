migrate_runtime::embed_migrations!("fixtures/schema_renamed_column");

fn main() {
    // Migration 2 renamed `name` to `full_name`: this must not compile.
    let column = migrations::schema::users::NAME;
    println!("{column}");
}
