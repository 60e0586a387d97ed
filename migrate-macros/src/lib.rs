//! The `embed_migrations!` proc macro. Use it through `migrate-runtime`,
//! which re-exports it together with the types the expansion names.
//!
//! This crate only translates: reading, checking and validating the folder
//! is done by `migrate-build-support`, whose diagnostics become compile errors.

#![warn(missing_docs)]

mod schema;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use migrate_build_support::{check_folder_cached, Checked, Diagnostic, Needed};
use migrate_sqlite::{Checksum, Fingerprint, Migration};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::LitStr;

/// Checks a migrations folder at compile time and embeds it as `mod migrations`.
///
/// See `migrate_runtime::embed_migrations!` for the documentation.
#[proc_macro]
pub fn embed_migrations(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand(input.into()).into()
}

fn expand(input: TokenStream) -> TokenStream {
    let (dir, span) = match folder_argument(input) {
        Ok(found) => found,
        Err(error) => return error.to_compile_error(),
    };
    let Some(base) = crate_root() else {
        return compile_errors(
            &[Diagnostic::file(
                &dir,
                "CARGO_MANIFEST_DIR is not set: build the crate with cargo",
            )],
            span,
        );
    };
    match check_folder_cached(&base, &dir, cache_folder(&dir).as_deref()) {
        Ok(checked) => {
            // A note is neither a warning nor an error: stable Rust has no
            // way for a proc macro to raise one, so it goes to the build's
            // output as it runs.
            for note in &checked.notes {
                eprintln!("note: {}", one_line(note));
            }
            migrations_module(&dir, &checked, span)
        }
        Err(diagnostics) => compile_errors(&diagnostics, span),
    }
}

/// The folder argument: a string literal, or nothing for `"migrations"`.
fn folder_argument(input: TokenStream) -> syn::Result<(String, Span)> {
    if input.is_empty() {
        return Ok(("migrations".to_string(), Span::call_site()));
    }
    let literal: LitStr = syn::parse2(input.clone()).map_err(|_| {
        syn::Error::new_spanned(
            &input,
            "embed_migrations! takes the migrations folder as a string literal, \
             relative to the crate root: `embed_migrations!(\"migrations\")`",
        )
    })?;
    Ok((literal.value(), literal.span()))
}

/// The folder the macro's path is relative to: the invoking crate's root.
///
/// `MIGRATE_MANIFEST_DIR` overrides it for harnesses that compile code
/// outside the crate that owns the migrations, such as compile-fail tests.
fn crate_root() -> Option<PathBuf> {
    std::env::var_os("MIGRATE_MANIFEST_DIR")
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
}

/// Where the checks keep their saved runs for the folder `dir`, so that a
/// build after adding a migration runs only that one: the crate's
/// `OUT_DIR`, which cargo sets when the crate has a build script (the one
/// `track_migrations` needs for added files to trigger a build at all).
fn cache_folder(dir: &str) -> Option<PathBuf> {
    let out = std::env::var_os("OUT_DIR")?;
    let name: String = dir
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    Some(PathBuf::from(out).join("migrate-check").join(name))
}

/// Whether this expansion is for `cargo doc`: the macro runs inside the
/// compiler, here rustdoc. Only the docs show the schema's diagram, whose
/// layout would otherwise cost every build of a large schema (a second for
/// 400 tables).
fn documenting() -> bool {
    std::env::args_os()
        .next()
        .and_then(|program| {
            Path::new(&program)
                .file_stem()
                .map(|stem| stem.to_string_lossy().starts_with("rustdoc"))
        })
        .unwrap_or(false)
}

/// One `compile_error!` per diagnostic, plus an empty `mod migrations` so
/// that the code using it does not add a cascade of unrelated errors.
fn compile_errors(diagnostics: &[Diagnostic], span: Span) -> TokenStream {
    let errors = diagnostics.iter().map(|diagnostic| {
        let message = diagnostic.to_string();
        quote::quote_spanned!(span=> ::core::compile_error!(#message);)
    });
    quote! {
        #(#errors)*
        #[allow(dead_code)]
        mod migrations {
            pub const MIGRATIONS: &[::migrate_runtime::Migration] = &[];
            pub static MIGRATOR: ::migrate_runtime::Migrator = ::migrate_runtime::Migrator::new(MIGRATIONS);
        }
    }
}

fn migrations_module(dir: &str, checked: &Checked, span: Span) -> TokenStream {
    let Checked {
        sources,
        validated,
        warnings,
        tracked,
        needed,
        ..
    } = checked;
    let warnings = warnings.iter().map(|warning| warning_tokens(warning, span));
    // A constant per migration, by value, and `MIGRATIONS` made of them: a
    // constant `&MIGRATIONS[i]` would cost the compiler, in an incremental
    // build, about a millisecond each.
    let idents: Vec<syn::Ident> = sources
        .iter()
        .map(|source| constant_name(&source.migration))
        .collect();
    let constants = sources.iter().zip(&idents).map(|(source, ident)| {
        let doc = format!(
            "Migration {}, from `{}`.",
            source.migration, source.up_file.display
        );
        let migration = migration_tokens(&source.migration);
        quote! {
            #[doc = #doc]
            pub const #ident: ::migrate_runtime::Migration = #migration;
        }
    });
    // include_bytes! makes the compiler re-run this macro when a file
    // changes; in one item, since the compiler's cost is per item. goose and
    // dbmate keep both scripts in one file: it is named once.
    let tracked: BTreeSet<String> = sources
        .iter()
        .flat_map(|source| std::iter::once(&source.up_file).chain(&source.down_file))
        .map(|file| &file.path)
        .chain(tracked)
        .map(|path| path.to_string_lossy().into_owned())
        .collect();
    let tracked = tracked.iter();
    let sqlite = migrate_build_support::sqlite_version_number();
    let chain: Vec<(u64, Checksum)> = sources
        .iter()
        .map(|source| (source.migration.version(), source.migration.checksum()))
        .collect();
    let fingerprint =
        Fingerprint::of_applied(chain.iter().map(|(version, checksum)| (*version, checksum)))
            .to_user_version();
    let schema = schema::schema_module(&validated.schema);
    let objects = validated.objects.iter().map(|object| {
        let (kind, name, table, sql) = (&*object.kind, &*object.name, &*object.table, &*object.sql);
        quote! { ::migrate_runtime::SchemaObject::embedded(#kind, #name, #table, #sql) }
    });
    let requirements = needed.iter().map(|needed| match needed {
        Needed::Function(name, arguments) => {
            quote! { ::migrate_runtime::Requirement::Function(#name, #arguments) }
        }
        Needed::Module(name) => quote! { ::migrate_runtime::Requirement::Module(#name) },
    });
    let doc = migrate_build_support::module_doc(dir, sources, &validated.objects, documenting());
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        mod migrations {
            /// Every migration, ordered by version.
            pub const MIGRATIONS: &[::migrate_runtime::Migration] = &[#(#idents),*];

            #(#constants)*

            /// The `CREATE` statements of the schema [`MIGRATIONS`] make, in
            /// the order they were made, as the compiler found them.
            pub const FINAL_SCHEMA: &[::migrate_runtime::SchemaObject] = &[#(#objects),*];

            /// Applies [`MIGRATIONS`] to a database: see [`::migrate_runtime::Migrator`].
            pub static MIGRATOR: ::migrate_runtime::Migrator =
                ::migrate_runtime::Migrator::embedded(
                    MIGRATIONS,
                    ::migrate_runtime::Fingerprint::from_user_version(#fingerprint),
                )
                    .validated_with_sqlite(#sqlite)
                    .expecting_schema(FINAL_SCHEMA)
                    .requiring(&[#(#requirements),*]);

            #schema

            const _: &[&[u8]] = &[#(include_bytes!(#tracked)),*];

            #(#warnings)*
        }
    }
}

/// A warning in `cargo build` on stable Rust, where proc macros cannot emit
/// one: the use of a deprecated item whose note is the warning, spanned at
/// the macro's argument. Rustc prints one line,
/// `warning: use of deprecated unit struct `…::migration_lint`: <message>`,
/// and `#[allow(deprecated)]` around the invocation silences it.
fn warning_tokens(warning: &Diagnostic, span: Span) -> TokenStream {
    let note = one_line(warning);
    let name = syn::Ident::new("migration_lint", span);
    quote::quote_spanned! {span=>
        const _: () = {
            #[deprecated(note = #note)]
            #[allow(non_camel_case_types)]
            struct #name;
            let _ = #name;
        };
    }
}

/// A diagnostic on one line: `path:line:col: message (help: …)`.
fn one_line(diagnostic: &Diagnostic) -> String {
    let mut line = match &diagnostic.location {
        Some(at) => format!(
            "{}:{}:{}: {}",
            diagnostic.path, at.line, at.column, diagnostic.message
        ),
        None => format!("{}: {}", diagnostic.path, diagnostic.message),
    };
    for note in &diagnostic.notes {
        line.push_str(&format!(" ({note})"));
    }
    line
}

fn migration_tokens(migration: &Migration) -> TokenStream {
    let version = migration.version();
    let name = migration.name();
    let up = script_tokens(migration.up());
    let down = match migration.down() {
        Some(down) => {
            let down = script_tokens(down);
            quote!(::core::option::Option::Some(#down))
        }
        None => quote!(::core::option::Option::None),
    };
    let checksum = migration.checksum().as_bytes().to_vec();
    quote! {
        ::migrate_runtime::Migration::embedded(
            #version,
            #name,
            #up,
            #down,
            ::migrate_runtime::Checksum::from_bytes([#(#checksum),*]),
        )
    }
}

fn script_tokens(script: &migrate_sqlite::Script) -> TokenStream {
    let sql = script.sql();
    let (flags, allowed) = script.directives().to_raw();
    quote! {
        ::migrate_runtime::Script::embedded(#sql, ::migrate_runtime::Directives::from_raw(#flags, #allowed))
    }
}

/// `V3_ADD_EMAIL` for migration 3 `add_email`: the version keeps it unique.
fn constant_name(migration: &Migration) -> syn::Ident {
    let mut name = String::new();
    for c in migration.name().chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_uppercase());
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    let name = name.trim_matches('_');
    if name.is_empty() {
        format_ident!("V{}", migration.version())
    } else {
        format_ident!("V{}_{}", migration.version(), name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_sqlite::{Checksum, Directives, Script};

    fn named(version: u64, name: &'static str) -> Migration {
        let up = Script::embedded("SELECT 1;", Directives::NONE);
        Migration::embedded(version, name, up, None, Checksum::from_bytes([0; 32]))
    }

    #[test]
    fn constant_names() {
        assert_eq!(constant_name(&named(3, "add_email")), "V3_ADD_EMAIL");
        assert_eq!(
            constant_name(&named(20250919140443, "Create users!")),
            "V20250919140443_CREATE_USERS"
        );
        assert_eq!(constant_name(&named(7, "é")), "V7");
    }

    #[test]
    fn non_literal_argument_is_refused_with_the_right_form() {
        let error = folder_argument(quote!(MIGRATIONS_DIR)).unwrap_err();
        assert!(error.to_string().contains("string literal"));
    }
}
