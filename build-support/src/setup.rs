//! What the migrations need on a connection beyond SQLite itself, as the
//! folder's `migrate.toml` declares it: functions the application registers
//! (the check registers stand-ins for them) and extensions (the check loads
//! them). The binary is told what to require of its connection
//! ([`Needed`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rusqlite::{Connection, LoadExtensionGuard};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::diagnostic::Diagnostic;

/// The functions and extensions the migrations need on their connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    /// Application functions: name and number of arguments (-1 for any).
    pub functions: Vec<(String, i32)>,
    /// Extensions: name, and the path of the library to load.
    pub extensions: Vec<(String, PathBuf)>,
}

/// What a binary requires of the connection it migrates, beyond SQLite.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Needed {
    /// A function, by name and number of arguments (-1 for any).
    Function(String, i32),
    /// A virtual table module, as `CREATE VIRTUAL TABLE … USING <name>` names it.
    Module(String),
}

impl Setup {
    /// The setup `config` declares; extension paths are relative to `base`,
    /// the crate root.
    pub fn of(config: &Config, base: &Path) -> Setup {
        Setup {
            functions: config
                .functions
                .iter()
                .map(|(name, n)| (name.clone(), *n))
                .collect(),
            extensions: config
                .extensions
                .iter()
                .map(|(name, path)| (name.clone(), base.join(path)))
                .collect(),
        }
    }

    /// Loads the extensions on `conn` and registers the stand-ins.
    ///
    /// A stand-in returns its first argument (NULL without one), and is
    /// deterministic, so that the migrations can use it where SQLite asks
    /// for that (an index on an expression, a generated column).
    pub(crate) fn apply(&self, conn: &Connection) -> rusqlite::Result<()> {
        if !self.extensions.is_empty() {
            // SAFETY: the libraries are the ones the project's own
            // `migrate.toml` names, loaded as the application loads them.
            unsafe {
                let _enabled = LoadExtensionGuard::new(conn)?;
                for (_, path) in &self.extensions {
                    conn.load_extension(path, None::<&str>)?;
                }
            }
        }
        for (name, arguments) in &self.functions {
            conn.create_scalar_function(
                name.as_str(),
                *arguments,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                |context| match context.len() {
                    0 => Ok(Value::Null),
                    _ => context.get::<Value>(0),
                },
            )?;
        }
        Ok(())
    }

    /// What the binary must require of its connection: the declared
    /// functions, and every function and module each extension adds.
    /// `display` names the configuration file in an error.
    pub fn needed(&self, display: &str) -> Result<Vec<Needed>, Diagnostic> {
        let mut needed: BTreeSet<Needed> = self
            .functions
            .iter()
            .map(|(name, n)| Needed::Function(name.clone(), *n))
            .collect();
        if !self.extensions.is_empty() {
            let unreadable = |error: rusqlite::Error| {
                Diagnostic::file(
                    display,
                    format!("cannot list what the extensions add: {error}"),
                )
            };
            let conn = Connection::open_in_memory().map_err(unreadable)?;
            let before = provided(&conn).map_err(unreadable)?;
            self.load(&conn, display)?;
            let after = provided(&conn).map_err(unreadable)?;
            needed.extend(after.difference(&before).cloned());
        }
        Ok(needed.into_iter().collect())
    }

    /// Loads each extension, naming the one that fails.
    fn load(&self, conn: &Connection, display: &str) -> Result<(), Diagnostic> {
        for (name, path) in &self.extensions {
            // SAFETY: as in `apply`.
            let loaded = unsafe {
                LoadExtensionGuard::new(conn)
                    .and_then(|_enabled| conn.load_extension(path, None::<&str>))
            };
            loaded.map_err(|error| {
                Diagnostic::file(
                    display,
                    format!("cannot load the extension `{name}` from {}: {error}", path.display()),
                )
                .help("the path is relative to the crate root; SQLite adds the platform's suffix (.so, .dylib, .dll) when the file has none")
            })?;
        }
        Ok(())
    }

    /// Checks that the extensions load, for an error at the configuration
    /// rather than at the first migration.
    pub(crate) fn check(&self, display: &str) -> Result<(), Diagnostic> {
        if self.extensions.is_empty() {
            return Ok(());
        }
        let conn = Connection::open_in_memory()
            .map_err(|error| Diagnostic::file(display, format!("cannot open SQLite: {error}")))?;
        self.load(&conn, display)
    }
}

/// The functions and modules a connection has.
fn provided(conn: &Connection) -> rusqlite::Result<BTreeSet<Needed>> {
    let mut found = BTreeSet::new();
    let mut functions = conn.prepare("SELECT name, narg FROM pragma_function_list")?;
    for row in functions.query_map([], |row| Ok(Needed::Function(row.get(0)?, row.get(1)?)))? {
        found.insert(row?);
    }
    let mut modules = conn.prepare("SELECT name FROM pragma_module_list")?;
    for row in modules.query_map([], |row| Ok(Needed::Module(row.get(0)?)))? {
        found.insert(row?);
    }
    Ok(found)
}

/// The help for a migration that calls a function SQLite does not know.
pub(crate) fn undeclared_function_help(message: &str) -> Option<String> {
    let name = message.strip_prefix("no such function: ")?;
    Some(format!(
        "if the application registers `{name}` on its connection, or an extension provides it, \
         declare it in the migrations folder's `migrate.toml`: `[functions]` `{name} = <number of arguments>`, \
         or `[extensions]` `<name> = \"<path of the library>\"`; the binary then requires it of its \
         connection (`Migrator::on_connect` registers it)"
    ))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::process::Command;

    use super::*;
    use crate::check_folder;

    /// A loadable extension adding `tag(x)`, which returns `x`: written
    /// against the layout of `sqlite3_api_routines` (whose members SQLite
    /// only ever appends), so that it needs no header to build.
    const TAG_EXTENSION: &str = r#"
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
typedef void (*slot)(void);
typedef void (*scalar)(sqlite3_context *, int, sqlite3_value **);
typedef int (*create_function)(sqlite3 *, const char *, int, int, void *, scalar, scalar,
                               void (*)(sqlite3_context *));
typedef void (*result_value)(sqlite3_context *, sqlite3_value *);
static const slot *api;
static void tag(sqlite3_context *context, int argc, sqlite3_value **argv) {
  ((result_value)api[89])(context, argv[0]);
}
int sqlite3_extension_init(sqlite3 *db, char **error, const slot *routines) {
  api = routines;
  return ((create_function)api[45])(db, "tag", 1, 1 | 0x800, 0, tag, 0, 0);
}
"#;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let base = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = base.path().join("m").join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        base
    }

    const NORMALIZED: (&str, &str) = (
        "1_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n\
         CREATE UNIQUE INDEX users_email ON users (normalize(email));",
    );

    #[test]
    fn an_undeclared_function_says_how_to_declare_it() {
        let base = folder(&[NORMALIZED]);
        let errors = check_folder(base.path(), "m").unwrap_err();
        let text = errors[0].to_string();
        assert!(text.starts_with("m/1_users.sql:2:"), "{text}");
        assert!(text.contains("no such function: normalize"), "{text}");
        assert!(
            text.contains("`[functions]` `normalize = <number of arguments>`"),
            "{text}"
        );
    }

    #[test]
    fn a_declared_function_gets_a_stand_in_and_is_required_of_the_binary() {
        let base = folder(&[NORMALIZED, ("migrate.toml", "[functions]\nnormalize = 1\n")]);
        let checked = check_folder(base.path(), "m").unwrap();
        assert_eq!(checked.needed, [Needed::Function("normalize".into(), 1)]);
        assert!(checked.validated.schema.indexes.contains_key("users_email"));
    }

    #[test]
    fn an_extension_is_loaded_and_what_it_adds_is_required() {
        let base = folder(&[(
            "1_tags.sql",
            "CREATE TABLE tags (name TEXT);\nCREATE INDEX tags_tag ON tags (tag(name));",
        )]);
        let source = base.path().join("tag.c");
        fs::write(&source, TAG_EXTENSION).unwrap();
        let library = base.path().join("libtag.so");
        let built = Command::new("cc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(&library)
            .arg(&source)
            .status()
            .expect("a C compiler, as the bundled SQLite needs");
        assert!(built.success());
        fs::write(
            base.path().join("m/migrate.toml"),
            "[extensions]\ntag = \"libtag.so\"\n",
        )
        .unwrap();
        let checked = check_folder(base.path(), "m").unwrap();
        assert_eq!(checked.needed, [Needed::Function("tag".into(), 1)]);

        fs::write(
            base.path().join("m/migrate.toml"),
            "[extensions]\ntag = \"missing/libtag\"\n",
        )
        .unwrap();
        let errors = check_folder(base.path(), "m").unwrap_err();
        let text = errors[0].to_string();
        assert!(
            text.starts_with("m/migrate.toml: cannot load the extension `tag` from "),
            "{text}"
        );
    }
}
