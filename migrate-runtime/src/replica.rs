//! Nodes that may not write: a LiteFS replica, a read-only file or mount.
//!
//! Every instance of a deployment starts the same binary; only the one that
//! may write migrates. The others wait for the primary's migrations to
//! arrive, fail naming the primary, or start without migrating, as
//! [`OnReplica`] says.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use crate::migrator::Migrator;
use crate::Error;

/// The environment switch for [`OnReplica`]: `wait`, `fail` or `start`.
pub const ON_REPLICA_VARIABLE: &str = "MIGRATE_ON_REPLICA";

/// LiteFS keeps this file in its mount on a replica connected to a
/// primary, holding the primary's name; on the primary it is absent.
const LITEFS_PRIMARY_FILE: &str = ".primary";

/// How often a waiting replica looks for the primary's migrations.
const POLL: Duration = Duration::from_millis(100);

/// What a start does on a node that may not write (a LiteFS replica, a
/// read-only file or mount) when its database lacks this binary's
/// migrations.
///
/// Unless one is set, a LiteFS replica waits, and a file or mount that
/// refuses writing fails with [`Error::ReadOnly`], which says how to let
/// it write: on a single node that is a mistake to fix, not a primary to
/// wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnReplica {
    /// Wait, within the deadline ([`Migrator::deadline`]), until the
    /// database carries them (the primary migrated and replication
    /// delivered it), then start.
    Wait,
    /// Fail at once with [`Error::Replica`], naming the primary.
    Fail,
    /// Start without them: for an app that copes with the schema before.
    Start,
}

impl OnReplica {
    /// The policy `MIGRATE_ON_REPLICA` names.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "wait" => Some(Self::Wait),
            "fail" => Some(Self::Fail),
            "start" => Some(Self::Start),
            _ => None,
        }
    }
}

/// Why this node may not write its database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica {
    /// LiteFS's `.primary` file says so: a replica by design, which waits
    /// unless told otherwise. A file or mount that merely refuses writing
    /// may be a mistake: it fails with [`Error::ReadOnly`] unless a policy
    /// is set.
    pub litefs: bool,
    /// The node that may, when known (LiteFS's `.primary`).
    pub primary: Option<String>,
    /// How this node knows, for messages.
    pub reason: String,
}

impl Replica {
    /// The node may not write `path`, as SQLite said when asked to.
    pub(crate) fn read_only(path: &Path) -> Self {
        Self {
            litefs: false,
            primary: None,
            reason: format!("SQLite cannot write {}", path.display()),
        }
    }

    /// The policy that applies to this node: the one set, else waiting
    /// on a LiteFS replica; `None` for a read-only file with none set.
    pub(crate) fn policy(&self, set: Option<OnReplica>) -> Option<OnReplica> {
        set.or(self.litefs.then_some(OnReplica::Wait))
    }
}

/// Whether this node may not write the database at `path`, and why: LiteFS's
/// `.primary` file beside it, or a file or mount that refuses writing.
pub(crate) fn detect(path: &Path) -> Option<Replica> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    let marker = folder.unwrap_or(Path::new(".")).join(LITEFS_PRIMARY_FILE);
    if let Ok(primary) = std::fs::read_to_string(&marker) {
        let primary = primary.trim();
        return Some(Replica {
            litefs: true,
            primary: (!primary.is_empty()).then(|| primary.to_string()),
            reason: format!("{} says another node is the primary", marker.display()),
        });
    }
    match std::fs::OpenOptions::new().write(true).open(path) {
        Err(error) if refuses_writing(&error) => Some(Replica {
            litefs: false,
            primary: None,
            reason: format!("{} cannot be written here ({error})", path.display()),
        }),
        _ => None,
    }
}

/// Permission denied, or a read-only file system.
fn refuses_writing(error: &std::io::Error) -> bool {
    const EPERM: i32 = 1;
    const EACCES: i32 = 13;
    const EROFS: i32 = 30;
    matches!(error.raw_os_error(), Some(EPERM | EACCES | EROFS))
}

/// What a node that may not write does, as `policy` says, when the
/// database at `path` lacks migrations of `migrator`: whether the database
/// then carries them (not when the policy starts without them).
pub(crate) fn follow(
    migrator: &Migrator,
    conn: &Connection,
    path: &Path,
    replica: Replica,
    policy: OnReplica,
) -> Result<bool, Error> {
    let pending = pending(migrator, conn)?;
    if pending.is_empty() {
        return Ok(true);
    }
    let primary = replica.primary.as_deref().unwrap_or("unknown");
    match policy {
        OnReplica::Start => {
            tracing::warn!(
                primary,
                reason = %replica.reason,
                pending = pending.len(),
                "this node may not write: starting without the pending migrations, which the primary applies"
            );
            Ok(false)
        }
        OnReplica::Fail => Err(Error::Replica {
            path: path.to_path_buf(),
            replica,
            pending,
        }),
        OnReplica::Wait => wait(migrator, conn, path, replica, pending).map(|()| true),
    }
}

/// Waits, within the deadline, until the database carries the migrations.
fn wait(
    migrator: &Migrator,
    conn: &Connection,
    path: &Path,
    replica: Replica,
    mut pending: Vec<(u64, String)>,
) -> Result<(), Error> {
    let started = Instant::now();
    let deadline = migrator.options().deadline;
    tracing::info!(
        primary = replica.primary.as_deref().unwrap_or("unknown"),
        reason = %replica.reason,
        pending = pending.len(),
        "this node may not write: waiting for the primary's migrations"
    );
    while !pending.is_empty() {
        if started.elapsed() >= deadline {
            return Err(Error::ReplicaBehind {
                path: PathBuf::from(path),
                replica,
                waited: started.elapsed(),
                pending,
            });
        }
        thread::sleep(POLL.min(deadline.saturating_sub(started.elapsed())));
        pending = match fresh(path) {
            Some(fresh) => self::pending(migrator, &fresh)?,
            None => self::pending(migrator, conn)?,
        };
    }
    tracing::info!(
        waited = ?started.elapsed(),
        "the primary's migrations arrived"
    );
    Ok(())
}

/// A new read-only connection to the file at `path`: what replication
/// delivered is read through it, not through a connection that may still
/// hold the files replication replaced (a -wal another process removed).
fn fresh(path: &Path) -> Option<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    path.is_file()
        .then(|| Connection::open_with_flags(path, flags).ok())
        .flatten()
}

/// The binary's migrations the database lacks: version and name.
fn pending(migrator: &Migrator, conn: &Connection) -> Result<Vec<(u64, String)>, Error> {
    Ok(crate::status::pending(migrator, conn)?
        .into_iter()
        .map(|m| (m.version(), m.name().to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn litefs_names_the_primary_and_a_writable_file_is_no_replica() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        std::fs::write(&db, b"").unwrap();
        assert_eq!(detect(&db), None);
        std::fs::write(dir.path().join(".primary"), "node-a\n").unwrap();
        let replica = detect(&db).unwrap();
        assert_eq!(replica.primary.as_deref(), Some("node-a"));
        assert_eq!(replica.policy(None), Some(OnReplica::Wait));
        assert_eq!(Replica::read_only(&db).policy(None), None);
        let set = Some(OnReplica::Fail);
        assert_eq!(Replica::read_only(&db).policy(set), set);
        assert!(replica
            .reason
            .ends_with(".primary says another node is the primary"));
    }

    #[test]
    fn the_switch_names_a_policy() {
        assert_eq!(OnReplica::parse(" Wait "), Some(OnReplica::Wait));
        assert_eq!(OnReplica::parse("fail"), Some(OnReplica::Fail));
        assert_eq!(OnReplica::parse("start"), Some(OnReplica::Start));
        assert_eq!(OnReplica::parse("later"), None);
    }
}
