//! `migrations::schema`: the tables the migrations leave, as Rust items.

use migrate_build_support::schema::{Column, ColumnKind, Schema};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `pub mod schema { pub const USERS: &Table = …; pub mod users { pub const ID: &Column = …; } }`.
///
/// Tables are constants at the module's top level (`schema::USERS`), and
/// each has a module of column constants (`schema::users::EMAIL`), so that a
/// column named like the table never collides with it. The tables are those
/// the application sees: shadow tables of virtual tables and hidden columns
/// are SQLite's business.
pub(crate) fn schema_module(schema: &Schema) -> TokenStream {
    let mut used = Vec::new();
    let tables = schema.tables.iter().filter(|(_, table)| !table.shadow);
    let items = tables.map(|(table_name, table)| {
        let module = unique(module_name(table_name), &mut used);
        let constant = format_ident!("{}", module.to_ascii_uppercase().trim_start_matches("R#"));
        let module = syn::parse_str::<syn::Ident>(&module).expect("a valid module name");
        let mut used_columns = Vec::new();
        let columns: Vec<_> = table
            .columns
            .iter()
            .filter(|column| column.kind != ColumnKind::Hidden)
            .map(|column| {
                (
                    unique(constant_name(&column.name), &mut used_columns),
                    column,
                )
            })
            .collect();
        let column_items = columns.iter().map(|(ident, column)| {
            let ident = format_ident!("{ident}");
            let (name, declared_type, nullable, primary_key) = (
                &column.name,
                &column.declared_type,
                column.nullable(),
                column.in_primary_key(),
            );
            let doc = column_doc(column);
            quote! {
                #[doc = #doc]
                pub const #ident: &::migrate_runtime::Column = &::migrate_runtime::Column {
                    name: #name,
                    declared_type: #declared_type,
                    nullable: #nullable,
                    primary_key: #primary_key,
                };
            }
        });
        let column_idents = columns.iter().map(|(ident, _)| format_ident!("{ident}"));
        let name = table_name;
        let table_doc = format!("Table `{name}`; its columns are in [`{module}`].");
        let module_doc = format!("The columns of table `{name}`.");
        quote! {
            #[doc = #table_doc]
            pub const #constant: &::migrate_runtime::Table = &::migrate_runtime::Table {
                name: #name,
                columns: &[#(#module::#column_idents),*],
            };
            #[doc = #module_doc]
            pub mod #module {
                #(#column_items)*
            }
        }
    });
    quote! {
        /// The schema the migrations leave: a constant per table, and a
        /// module of column constants per table. Code that names a column a
        /// later migration renamed or dropped stops compiling.
        pub mod schema {
            #(#items)*
        }
    }
}

fn column_doc(column: &Column) -> String {
    let mut doc = format!("Column `{}`", column.name);
    if !column.declared_type.is_empty() {
        doc.push_str(&format!(" {}", column.declared_type));
    }
    if column.in_primary_key() {
        doc.push_str(", primary key");
    }
    doc.push_str(if column.nullable() {
        ", nullable."
    } else {
        ", NOT NULL."
    });
    doc
}

/// `users`, `order_items`; a Rust keyword becomes a raw identifier (`r#type`).
fn module_name(table: &str) -> String {
    let snake = identifier(table).to_ascii_lowercase();
    if syn::parse_str::<syn::Ident>(&snake).is_ok() {
        snake
    } else {
        format!("r#{snake}")
    }
}

/// `EMAIL`, `CREATED_AT`.
fn constant_name(column: &str) -> String {
    identifier(column).to_ascii_uppercase()
}

/// The name with every character that cannot be in an identifier as `_`,
/// and `_` in front of a leading digit.
fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `name`, or `name_2`, … when an earlier item took it.
fn unique(name: String, used: &mut Vec<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while used.contains(&candidate.to_ascii_lowercase()) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    used.push(candidate.to_ascii_lowercase());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_identifiers() {
        assert_eq!(module_name("users"), "users");
        assert_eq!(module_name("Order Items"), "order_items");
        assert_eq!(module_name("type"), "r#type");
        assert_eq!(module_name("2fa"), "_2fa");
        assert_eq!(constant_name("createdAt"), "CREATEDAT");
        assert_eq!(constant_name("e-mail"), "E_MAIL");
    }

    #[test]
    fn names_that_collide_get_a_suffix() {
        let mut used = Vec::new();
        assert_eq!(unique("users".into(), &mut used), "users");
        assert_eq!(unique("Users".into(), &mut used), "Users_2");
    }

    #[test]
    fn generates_a_constant_per_table_and_column() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE type (id INTEGER PRIMARY KEY);
             CREATE VIRTUAL TABLE docs USING fts5(body);",
        )
        .unwrap();
        let code = schema_module(&Schema::read(&conn).unwrap()).to_string();
        assert!(code.contains("pub const TYPE"), "{code}");
        assert!(code.contains("pub mod r#type"), "{code}");
        assert!(code.contains("pub const ID"), "{code}");
        assert!(code.contains("pub const DOCS"), "{code}");
        assert!(
            !code.contains("DOCS_DATA"),
            "shadow tables are left out: {code}"
        );
    }
}
