//! What the migrations need of the connection beyond SQLite itself: the
//! functions the application registers and what its extensions add, as the
//! folder's `migrate.toml` declares them. The macro embeds the list
//! ([`Migrator::requiring`]); before applying or reverting anything, a
//! connection that lacks one is refused, naming it.
//!
//! [`Migrator::requiring`]: crate::Migrator::requiring

use std::fmt;

use rusqlite::Connection;

use crate::Error;

/// Something the migrations call that SQLite alone does not provide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// A function, by name and number of arguments (-1 for any).
    Function(&'static str, i32),
    /// A virtual table module, as `CREATE VIRTUAL TABLE … USING <name>` names it.
    Module(&'static str),
}

impl Requirement {
    /// Whether `conn` provides it.
    fn is_met(self, conn: &Connection) -> rusqlite::Result<bool> {
        match self {
            Requirement::Function(name, arguments) => conn.query_row(
                "SELECT count(*) > 0 FROM pragma_function_list \
                 WHERE name = lower(?1) AND (narg = ?2 OR narg = -1 OR ?2 = -1)",
                (name, arguments),
                |row| row.get(0),
            ),
            Requirement::Module(name) => conn.query_row(
                "SELECT count(*) > 0 FROM pragma_module_list WHERE name = ?1",
                [name],
                |row| row.get(0),
            ),
        }
    }
}

/// "the function `normalize` (1 argument)", "the virtual table module `vec0`".
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Function(name, -1) => write!(f, "the function `{name}`"),
            Requirement::Function(name, 1) => write!(f, "the function `{name}` (1 argument)"),
            Requirement::Function(name, n) => write!(f, "the function `{name}` ({n} arguments)"),
            Requirement::Module(name) => write!(f, "the virtual table module `{name}`"),
        }
    }
}

/// Refuses `conn` when it lacks one of `requirements`.
pub(crate) fn check(requirements: &[Requirement], conn: &Connection) -> Result<(), Error> {
    let mut missing = Vec::new();
    for requirement in requirements {
        let met = requirement.is_met(conn).map_err(|source| Error::Database {
            action: "list the functions and modules of the connection",
            source,
        })?;
        if !met {
            missing.push(requirement.to_string());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::MissingOnConnection { missing })
    }
}
