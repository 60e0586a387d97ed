//! The one way a migration script runs on a connection. The compile-time
//! validation, the seeded run, the down-script check, the runtime's apply
//! and revert, and `verify`'s replay all go through [`Applying`], so that
//! what compiled is what runs.
//!
//! What wraps a script is what its directives say:
//!
//! - by default, a `BEGIN IMMEDIATE` transaction;
//! - `foreign-keys-off`: `PRAGMA foreign_keys = OFF` before the transaction
//!   (inside one it does nothing), `PRAGMA foreign_key_check` before the
//!   commit, failing on a row the script left referring to nothing, and
//!   the setting put back after;
//! - `no-transaction`: nothing; the script's own `PRAGMA foreign_keys` is
//!   undone after it, so that the connection keeps its setting.
//!
//! A script that wraps itself in `BEGIN` … `COMMIT` runs its statements in
//! the transaction opened for it, without those two.
//!
//! Statements are cut by the [lexer](crate::lex) and each is stepped to
//! its end; a failure says which statement failed and where in it.

use std::fmt;
use std::ops::Range;
use std::time::Instant;

use rusqlite::Connection;

use crate::rusqlite_versions;
use crate::{lex, Directives};

/// A script, or a group of scripts, being applied: the transaction its
/// directives ask for is open (or none), and the deadline is watched.
/// [`Applying::commit`] ends it; dropped without, it rolls back and puts
/// the connection's settings back.
///
/// ```
/// use migrate_sqlite::{Applying, Directives};
///
/// let mut conn = rusqlite::Connection::open_in_memory()?;
/// let applying = Applying::begin(&mut conn, Directives::NONE, None)?;
/// applying.run("CREATE TABLE t (x);\nINSERT INTO t VALUES (1);")?;
/// applying.commit()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Applying<'c> {
    conn: &'c mut Connection,
    directives: Directives,
    /// `PRAGMA foreign_keys` before, put back at the end.
    foreign_keys: bool,
    /// The rows that referred to nothing before a `foreign-keys-off` script:
    /// not its doing (SQLite's foreign keys are off by default, so old
    /// databases have some), so not held against it.
    violations_before: Vec<Violation>,
    /// Whether this opened a transaction that is not ended yet.
    in_transaction: bool,
    /// Whether this installed a progress handler.
    watching: bool,
    /// Whether the settings were put back already.
    restored: bool,
}

impl<'c> Applying<'c> {
    /// Opens what `directives` ask for on `conn`, which must not be in a
    /// transaction. Past `deadline`, SQLite interrupts the running statement
    /// (`SQLITE_INTERRUPT`), and the transaction rolls back.
    pub fn begin(
        conn: &'c mut Connection,
        directives: Directives,
        deadline: Option<Instant>,
    ) -> Result<Self, Failure> {
        let foreign_keys = foreign_keys(conn).map_err(Failure::control)?;
        let watching = deadline.is_some();
        if let Some(deadline) = deadline {
            rusqlite_versions::progress_handler(
                conn,
                1000,
                Some(move || Instant::now() >= deadline),
            )
            .map_err(Failure::control)?;
        }
        let mut applying = Self {
            conn,
            directives,
            foreign_keys,
            violations_before: Vec::new(),
            in_transaction: false,
            watching,
            restored: false,
        };
        if directives.no_transaction() {
            return Ok(applying);
        }
        if directives.foreign_keys_off() {
            set_foreign_keys(applying.conn, false).map_err(Failure::control)?;
        }
        applying
            .conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(Failure::control)?;
        applying.in_transaction = true;
        if directives.foreign_keys_off() {
            applying.violations_before =
                foreign_key_violations(applying.conn).map_err(Failure::control)?;
        }
        Ok(applying)
    }

    /// The connection, for what the caller does inside the same transaction
    /// (a history row, say).
    pub fn conn(&self) -> &Connection {
        self.conn
    }

    /// Runs `sql`, statement by statement, each stepped to its end. Inside
    /// the transaction this opened, the `BEGIN` … `COMMIT` a script wraps
    /// itself in ([`lex::wrapping_transaction`]) is left out: its
    /// statements run in this transaction.
    pub fn run(&self, sql: &str) -> Result<(), Failure> {
        let statements = match self.in_transaction {
            true => lex::transaction_body(sql),
            false => lex::statements(sql),
        };
        run_statements(self.conn, sql, statements)
    }

    /// Checks foreign keys for a `foreign-keys-off` script, commits, and puts
    /// the connection's settings back.
    pub fn commit(mut self) -> Result<(), Failure> {
        if self.in_transaction && self.directives.foreign_keys_off() {
            let new: Vec<Violation> = foreign_key_violations(self.conn)
                .map_err(Failure::control)?
                .into_iter()
                .filter(|violation| !self.violations_before.contains(violation))
                .collect();
            if !new.is_empty() {
                return Err(Failure::broken_references(Violations(new)));
            }
        }
        if self.in_transaction {
            self.conn.execute_batch("COMMIT").map_err(|error| Failure {
                error,
                at: FailedAt::Commit,
            })?;
            self.in_transaction = false;
        }
        self.restore().map_err(Failure::control)
    }

    /// Rolls back what ran, and puts the connection's settings back: for
    /// running a script only to look at what it leaves.
    pub fn roll_back(mut self) -> Result<(), Failure> {
        if self.in_transaction {
            self.in_transaction = false;
            self.conn
                .execute_batch("ROLLBACK")
                .map_err(Failure::control)?;
        }
        self.restore().map_err(Failure::control)
    }

    /// Foreign keys as they were, and no deadline.
    fn restore(&mut self) -> rusqlite::Result<()> {
        self.restored = true;
        if self.watching {
            self.watching = false;
            rusqlite_versions::progress_handler(self.conn, 0, None::<fn() -> bool>)?;
        }
        if foreign_keys(self.conn)? != self.foreign_keys {
            set_foreign_keys(self.conn, self.foreign_keys)?;
        }
        Ok(())
    }
}

impl Drop for Applying<'_> {
    fn drop(&mut self) {
        if self.in_transaction && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        if !self.restored {
            let _ = self.restore();
        }
    }
}

/// Applies one script as its directives say, on its own: begin, run,
/// commit. What validation, the seeded run and `verify`'s replay do for
/// each migration.
pub fn apply(conn: &mut Connection, sql: &str, directives: Directives) -> Result<(), Failure> {
    let applying = Applying::begin(conn, directives, None)?;
    applying.run(sql)?;
    applying.commit()
}

/// Whether a script with these directives can share a transaction with
/// others: not when it runs outside one, nor when it switches foreign keys
/// off, which only takes effect outside a transaction, nor when it asks
/// for a transaction of its own.
pub fn can_share_transaction(directives: Directives) -> bool {
    !directives.no_transaction() && !directives.foreign_keys_off() && !directives.own_transaction()
}

/// Runs `statements` of `sql` in order, each stepped to its end, as
/// `sqlite3_exec` does.
fn run_statements(
    conn: &Connection,
    sql: &str,
    statements: Vec<lex::Statement>,
) -> Result<(), Failure> {
    for statement in statements {
        let range = statement.range;
        let text = &sql[range.clone()];
        let fail = |error: rusqlite::Error| {
            let (error, token) = rusqlite_versions::failing_token(error, text);
            let within = token
                .or_else(|| offset_of_named_object(text, &sqlite_message(&error)))
                .unwrap_or(0);
            Failure {
                at: FailedAt::Statement {
                    range: range.clone(),
                    offset: range.start + within,
                },
                error,
            }
        };
        let mut prepared = conn.prepare(text).map_err(fail)?;
        let mut rows = prepared.raw_query();
        while rows.next().map_err(fail)?.is_some() {}
    }
    Ok(())
}

/// Where in `statement` the object named by a "no such …" message is, for
/// the messages SQLite gives without an offset (`no such table: main.post`).
fn offset_of_named_object(statement: &str, message: &str) -> Option<usize> {
    const NAMING: [&str; 4] = [
        "no such table: ",
        "no such column: ",
        "has no column named ",
        "no such index: ",
    ];
    let name = NAMING
        .iter()
        .find_map(|prefix| message.split_once(prefix).map(|(_, name)| name))?;
    let name = name.strip_prefix("main.").unwrap_or(name);
    lex::find_name(statement, name)
}

/// A script that failed: what SQLite said, and where.
#[derive(Debug)]
pub struct Failure {
    /// SQLite's error; for a failed foreign key check, one made to say what
    /// the check found, with `SQLITE_CONSTRAINT_FOREIGNKEY`.
    pub error: rusqlite::Error,
    /// Where it failed.
    pub at: FailedAt,
}

/// Where a script failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailedAt {
    /// A statement of the script: its byte range, and the offset SQLite's
    /// error points at (the statement's start when it names no place).
    Statement {
        /// The statement.
        range: Range<usize>,
        /// The place in the script the error points at.
        offset: usize,
    },
    /// The foreign key check before the commit of a `foreign-keys-off`
    /// script: the rows it left referring to nothing.
    ForeignKeyCheck(Violations),
    /// `COMMIT`.
    Commit,
    /// `BEGIN` or a `PRAGMA` around the script: nothing of its own SQL.
    Control,
}

impl Failure {
    fn control(error: rusqlite::Error) -> Self {
        Self {
            error,
            at: FailedAt::Control,
        }
    }

    fn broken_references(violations: Violations) -> Self {
        let error = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
            Some(format!(
                "foreign key check failed after the migration: {violations} (the migration \
                 must keep references whole: copy every parent row, or delete or fix the \
                 child rows in the same migration)"
            )),
        );
        Self {
            error,
            at: FailedAt::ForeignKeyCheck(violations),
        }
    }

    /// SQLite's message, without rusqlite's framing.
    pub fn message(&self) -> String {
        sqlite_message(&self.error)
    }

    /// SQLite's extended result code, when it gave one.
    pub fn code(&self) -> Option<i32> {
        match &self.error {
            rusqlite::Error::SqliteFailure(failure, _) => Some(failure.extended_code),
            _ => None,
        }
    }

    /// The byte offset in the script the failure points at, if it is in a
    /// statement.
    pub fn offset(&self) -> Option<usize> {
        match &self.at {
            FailedAt::Statement { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// What to do about it, for the failures whose cause is elsewhere than
    /// the statement: SQLite checks every view and trigger when a table is
    /// altered.
    pub fn help(&self) -> Option<&'static str> {
        let message = self.message();
        if message.starts_with("error in view ") {
            Some("SQLite checks every view when a table is altered: drop the views that read what is removed or renamed, and create them again afterwards (in a rebuild, drop them before the old table and create them after the new one is renamed into place)")
        } else if message.starts_with("error in trigger ") {
            Some("SQLite checks every trigger when a table is altered: drop the triggers that name what is removed or renamed, and create them again afterwards (in a rebuild, drop them before the old table and create them after the new one is renamed into place)")
        } else {
            None
        }
    }
}

/// A failure around the script, not in it.
impl From<rusqlite::Error> for Failure {
    fn from(error: rusqlite::Error) -> Self {
        Self::control(error)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// SQLite's own message, without rusqlite's framing.
pub fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    }
}

/// A row whose foreign key refers to a parent row that does not exist, as
/// `PRAGMA foreign_key_check` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The child table.
    pub table: String,
    /// The row's rowid; `None` for a `WITHOUT ROWID` table.
    pub rowid: Option<i64>,
    /// The parent table it refers to.
    pub parent: String,
}

/// The rows a `foreign-keys-off` script left referring to nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violations(pub Vec<Violation>);

/// `row 1 of `posts` refers to a missing row of `users``, the first five,
/// and how many more.
impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 5;
        for (index, violation) in self.0.iter().take(SHOWN).enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "row {} of `{}` refers to a missing row of `{}`",
                violation.rowid.unwrap_or(0),
                violation.table,
                violation.parent
            )?;
        }
        if self.0.len() > SHOWN {
            write!(f, " and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// Every row `PRAGMA foreign_key_check` reports, in its order.
pub fn foreign_key_violations(conn: &Connection) -> rusqlite::Result<Vec<Violation>> {
    let mut statement = conn.prepare("PRAGMA foreign_key_check")?;
    let rows = statement.query_map([], |row| {
        Ok(Violation {
            table: row.get(0)?,
            rowid: row.get(1)?,
            parent: row.get(2)?,
        })
    })?;
    rows.collect()
}

/// `PRAGMA foreign_keys`.
pub fn foreign_keys(conn: &Connection) -> rusqlite::Result<bool> {
    conn.pragma_query_value(None, "foreign_keys", |row| row.get(0))
}

/// Sets `PRAGMA foreign_keys`; it takes effect only outside a transaction.
pub fn set_foreign_keys(conn: &Connection, on: bool) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", on)
}

#[cfg(test)]
mod tests;
