//! Who holds a database: the processes that have it open or hold a lock on
//! it, and its -wal and -shm files.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What was found about a database that stayed locked past the busy timeout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockReport {
    /// The database path.
    pub path: PathBuf,
    /// How long this process waited.
    pub waited: Duration,
    /// Other processes that have the database (or its -wal, -shm, -journal or
    /// migration lock file) open. Found in /proc, so on Linux only.
    pub holders: Vec<Holder>,
    /// Size of the `-wal` file, if there is one.
    pub wal_bytes: Option<u64>,
    /// Size of the `-shm` file, if there is one.
    pub shm_bytes: Option<u64>,
}

/// A process that has the database open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Its command line.
    pub command: String,
    /// It holds SQLite's write lock (a write lock on the database, its -shm
    /// or its -journal, from /proc/locks): the process to wait for or stop.
    /// Readers hold only read locks.
    pub holds_write_lock: bool,
    /// It holds the migration lock: another start is migrating.
    pub is_migrating: bool,
}

impl LockReport {
    /// Gathers what can be seen about who holds `path`.
    pub fn gather(path: &Path, waited: Duration) -> Self {
        let size = |suffix: &str| {
            fs::metadata(with_suffix(path, suffix))
                .ok()
                .map(|m| m.len())
        };
        Self {
            path: path.to_path_buf(),
            waited,
            holders: holders(&database_files(path)),
            wal_bytes: size("-wal"),
            shm_bytes: size("-shm"),
        }
    }
}

impl fmt::Display for LockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the database {} is locked: it stayed locked for the {:.1?} this start waited. ",
            self.path.display(),
            self.waited
        )?;
        if self.holders.is_empty() {
            f.write_str(
                "No other process on this machine has it open (checked in /proc on Linux); ",
            )?;
            f.write_str("it may be used from another machine over a network file system. ")?;
        } else {
            f.write_str("Processes that have it open: ")?;
            let named: Vec<_> = self
                .holders
                .iter()
                .map(|h| {
                    let role = match (h.holds_write_lock, h.is_migrating) {
                        (true, _) => ", holds the write lock",
                        (false, true) => ", migrating",
                        (false, false) => "",
                    };
                    format!("{} ({}{role})", h.pid, h.command)
                })
                .collect();
            write!(f, "{}. ", named.join(", "))?;
        }
        let file = |f: &mut fmt::Formatter<'_>, suffix: &str, bytes: Option<u64>| match bytes {
            Some(bytes) => write!(f, "{suffix} file: {bytes} bytes. "),
            None => write!(f, "no {suffix} file. "),
        };
        file(f, "-wal", self.wal_bytes)?;
        file(f, "-shm", self.shm_bytes)?;
        f.write_str(
            "What to do: let that process finish its write, or stop it (a sqlite3 shell left \
             inside BEGIN is a common cause); if long writes are normal, raise the busy \
             timeout (Migrator::busy_timeout)",
        )
    }
}

/// The database file and the files SQLite and this crate keep beside it.
fn database_files(path: &Path) -> Vec<PathBuf> {
    let mut files = vec![path.to_path_buf()];
    files.extend(["-wal", "-shm", "-journal", LOCK_SUFFIX].map(|s| with_suffix(path, s)));
    files
}

pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(target_os = "linux")]
fn holders(files: &[PathBuf]) -> Vec<Holder> {
    use std::os::unix::fs::MetadataExt;

    let targets: Vec<PathBuf> = files.iter().filter_map(|f| f.canonicalize().ok()).collect();
    let inode = |file: &PathBuf| fs::metadata(file).ok().map(|m| m.ino());
    let is_lock_file = |file: &&PathBuf| file.to_string_lossy().ends_with(LOCK_SUFFIX);
    let migration_lock = files.iter().find(is_lock_file).and_then(inode);
    let sqlite_files: Vec<u64> = files
        .iter()
        .filter(|file| !is_lock_file(file))
        .filter_map(inode)
        .collect();
    let locks = write_locks();
    let me = std::process::id();
    let Ok(processes) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for process in processes.filter_map(Result::ok) {
        let Some(pid) = process
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me || !has_open(&process.path(), &targets) {
            continue;
        }
        let command = fs::read(process.path().join("cmdline"))
            .map(|raw| {
                String::from_utf8_lossy(&raw)
                    .replace('\0', " ")
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        let holds = |inodes: &[u64]| locks.iter().any(|(p, i)| *p == pid && inodes.contains(i));
        found.push(Holder {
            pid,
            command,
            holds_write_lock: holds(&sqlite_files),
            is_migrating: migration_lock.is_some_and(|i| holds(&[i])),
        });
    }
    found.sort_by_key(|h| h.pid);
    found
}

#[cfg(target_os = "linux")]
fn has_open(process: &Path, targets: &[PathBuf]) -> bool {
    let Ok(fds) = fs::read_dir(process.join("fd")) else {
        return false;
    };
    fds.filter_map(Result::ok)
        .filter_map(|fd| fs::read_link(fd.path()).ok())
        .any(|file| targets.contains(&file))
}

/// The write locks (POSIX or flock) held on this machine, as (pid, inode).
/// SQLite's readers hold only read locks; its writer holds a write lock.
#[cfg(target_os = "linux")]
pub(crate) fn write_locks() -> Vec<(u32, u64)> {
    // Lines look like: `1: POSIX  ADVISORY  WRITE 4242 fd:01:1234 1073741824 1073741824`.
    let Ok(locks) = fs::read_to_string("/proc/locks") else {
        return Vec::new();
    };
    locks
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let at = fields.iter().position(|f| *f == "WRITE")?;
            let pid = fields.get(at + 1)?.parse().ok()?;
            let inode = fields.get(at + 2)?.rsplit(':').next()?.parse().ok()?;
            Some((pid, inode))
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn holders(_files: &[PathBuf]) -> Vec<Holder> {
    Vec::new()
}

/// Appended to the database path to name the migration lock file.
pub(crate) const LOCK_SUFFIX: &str = "-migrate-lock";
