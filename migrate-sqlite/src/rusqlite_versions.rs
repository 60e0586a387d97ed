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
