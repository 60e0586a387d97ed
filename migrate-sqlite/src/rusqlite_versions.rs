//! What differs between the rusqlite versions the toolkit builds with
//! (0.32 to the newest), so that an application keeps the rusqlite, and the
//! one SQLite, it already has.

/// A call that returns `()` in older rusqlite versions and
/// `rusqlite::Result<()>` in newer ones, read as a `Result` in both.
pub trait Fallible {
    /// The call's outcome as a `Result`.
    fn fallible(self) -> rusqlite::Result<()>;
}

impl Fallible for () {
    fn fallible(self) -> rusqlite::Result<()> {
        Ok(())
    }
}

impl Fallible for rusqlite::Result<()> {
    fn fallible(self) -> rusqlite::Result<()> {
        self
    }
}

/// Whether the main database of `conn` is read-only: rusqlite's
/// `is_readonly` takes its name in a different type from version to version.
pub fn main_is_read_only(conn: &rusqlite::Connection) -> bool {
    // SAFETY: the handle is `conn`'s, alive for the call, and the name is a
    // NUL-terminated string.
    unsafe { rusqlite::ffi::sqlite3_db_readonly(conn.handle(), c"main".as_ptr()) == 1 }
}

/// Sets or clears `conn`'s progress handler, called every `num_ops`
/// virtual machine instructions; returning `true` interrupts the statement.
// Older versions return `()`: calling `fallible` on it is the point.
#[allow(clippy::unit_arg)]
pub fn progress_handler<F>(
    conn: &mut rusqlite::Connection,
    num_ops: std::ffi::c_int,
    handler: Option<F>,
) -> rusqlite::Result<()>
where
    F: FnMut() -> bool + Send + 'static,
{
    conn.progress_handler(num_ops, handler).fallible()
}

/// `error`, from preparing or stepping `sql`, as SQLite's code and message,
/// with the offset in `sql` of the token it failed at when rusqlite tells
/// it.
///
/// rusqlite tells the offset with `Error::SqlInputError`, a variant that
/// older versions have only when built with `modern_sqlite` (as `bundled`
/// builds are): it is recognised by its `Debug` form, the one way to name it
/// that compiles with every version, and turned into the
/// `Error::SqliteFailure` every version has.
pub fn failing_token(error: rusqlite::Error, sql: &str) -> (rusqlite::Error, Option<usize>) {
    let debug = format!("{error:?}");
    if !debug.starts_with("SqlInputError {") {
        return (error, None);
    }
    let number = |at: Option<usize>, key: &str| -> Option<i64> {
        let digits = &debug[at? + key.len()..];
        let end = digits.find(|c: char| !c.is_ascii_digit() && c != '-')?;
        digits[..end].parse().ok()
    };
    let offset = number(debug.rfind("offset: "), "offset: ");
    let code = number(debug.find("extended_code: "), "extended_code: ");
    let (Some(offset), Some(code)) = (offset, code) else {
        return (error, None);
    };
    let display = error.to_string();
    let Some(message) = display.strip_suffix(&format!(" in {sql} at offset {offset}")) else {
        return (error, None);
    };
    let plain = rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(code as std::ffi::c_int),
        Some(message.to_string()),
    );
    (plain, Some(offset.max(0) as usize))
}

/// Lets SQLite read a double-quoted token that names nothing as a string,
/// as it does by default, or not (`SQLITE_DBCONFIG_DQS_DDL` and `_DML`,
/// SQLite 3.29): rusqlite names these options only with `modern_sqlite` in
/// older versions.
pub fn allow_double_quoted_strings(
    conn: &rusqlite::Connection,
    allow: bool,
) -> rusqlite::Result<()> {
    const DQS_DML: std::ffi::c_int = 1013;
    const DQS_DDL: std::ffi::c_int = 1014;
    for option in [DQS_DDL, DQS_DML] {
        // SAFETY: the handle is `conn`'s; these options take an int and a
        // pointer to the int that receives the new setting, which may be
        // null.
        let code = unsafe {
            rusqlite::ffi::sqlite3_db_config(
                conn.handle(),
                option,
                std::ffi::c_int::from(allow),
                std::ptr::null_mut::<std::ffi::c_int>(),
            )
        };
        if code != rusqlite::ffi::SQLITE_OK {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_token_is_found_at_its_offset_with_sqlites_own_message() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let sql = "SELECT 1,\n  y FROM sqlite_schema";
        let error = conn.prepare(sql).unwrap_err();
        let (error, offset) = failing_token(error, sql);
        assert_eq!(offset, Some(12));
        assert_eq!(&sql[12..13], "y");
        let rusqlite::Error::SqliteFailure(code, Some(message)) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(message, "no such column: y");
        assert_eq!(code.code, rusqlite::ErrorCode::Unknown);
        // Double-quoted strings, refused then allowed again.
        allow_double_quoted_strings(&conn, false).unwrap();
        assert!(conn.prepare("SELECT \"text\"").is_err());
        allow_double_quoted_strings(&conn, true).unwrap();
        assert!(conn.prepare("SELECT \"text\"").is_ok());
        // Errors that are not about a token pass through.
        let (error, offset) = failing_token(rusqlite::Error::QueryReturnedNoRows, sql);
        assert!(matches!(error, rusqlite::Error::QueryReturnedNoRows) && offset.is_none());
    }
}
