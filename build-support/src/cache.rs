//! Saved runs of the chain, so that checking a chain that starts with the
//! migrations of an earlier check runs only the migrations after them.
//!
//! A saved run is a folder named by the digest of the migrations it ran
//! ([`Cache::new`] says what goes into it), holding the databases of the
//! validation runs and `state.json`. A folder is written under a temporary
//! name and renamed into place, so a reader sees all of one or none: the
//! library and the test targets of a crate expand the macro at the same
//! time, in the same `OUT_DIR`. Anything that cannot be read or written is
//! passed over, and the chain runs from the start.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use migrate_sqlite::Checksum;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::folder::Source;
use crate::setup::Setup;

/// Changes when what a saved run holds changes shape.
const FORMAT: &str = "migrate-check-cache-1";
/// A digest of this crate's source, written by its build script.
const SOURCE_DIGEST: &str = include_str!(concat!(env!("OUT_DIR"), "/source_digest"));
const STATE: &str = "state.json";
/// How old a partial folder is when it is taken as abandoned.
const ABANDONED: Duration = Duration::from_secs(3600);

/// A run of the chain that can be saved in a folder and resumed from it.
pub(crate) trait Resumable: Sized {
    /// What is saved beside the databases, as `state.json`.
    type State: Serialize + DeserializeOwned;

    /// How many migrations it has run.
    fn done(&self) -> usize;

    /// Writes its databases into `dir` and returns the rest of it.
    fn save(&self, dir: &Path) -> rusqlite::Result<Self::State>;

    /// The run [`Resumable::save`] saved in `dir`.
    fn resume(dir: &Path, state: Self::State) -> rusqlite::Result<Self>;
}

/// The cache of one migrations folder.
pub(crate) struct Cache {
    folder: PathBuf,
    /// `digests[k]`: the digest of the first `k` migrations.
    digests: Vec<String>,
    /// How many migrations the resumed run had run.
    resumed_at: Option<usize>,
}

impl Cache {
    /// The cache in `folder` for the chain `sources`.
    ///
    /// Each migration's digest chains the one before it with its files'
    /// names, texts and directives: everything the checks read and the
    /// messages quote.
    /// The first also covers the format, this crate's version and source,
    /// the SQLite version, and the functions and extensions set up.
    pub(crate) fn new(folder: &Path, sources: &[Source], setup: &Setup) -> Self {
        let mut digest = Sha256::new();
        for part in [
            FORMAT,
            env!("CARGO_PKG_VERSION"),
            SOURCE_DIGEST,
            rusqlite::version(),
            &format!("{setup:?}"),
        ] {
            add(&mut digest, part);
        }
        let mut digests = vec![hex(digest.clone())];
        for source in sources {
            add(&mut digest, &source.up_file.display);
            add(&mut digest, source.migration.up().sql());
            // Directives can come from outside the text (diesel's metadata.toml).
            add(
                &mut digest,
                &format!("{:?}", source.migration.up().directives()),
            );
            match (&source.down_file, source.migration.down()) {
                (Some(file), Some(script)) => {
                    add(&mut digest, &file.display);
                    add(&mut digest, script.sql());
                    add(&mut digest, &format!("{:?}", script.directives()));
                }
                _ => add(&mut digest, ""),
            }
            digests.push(hex(digest.clone()));
        }
        Self {
            folder: folder.to_path_buf(),
            digests,
            resumed_at: None,
        }
    }

    /// The saved run of the longest prefix of the chain there is one for.
    pub(crate) fn resume<R: Resumable>(&mut self) -> Option<R> {
        let (done, digest) = self
            .digests
            .iter()
            .enumerate()
            .rev()
            .find(|(_, digest)| self.folder.join(digest).is_dir())?;
        let dir = self.folder.join(digest);
        let state: R::State = serde_json::from_slice(&fs::read(dir.join(STATE)).ok()?).ok()?;
        let run = R::resume(&dir, state).ok()?;
        if run.done() != done {
            return None;
        }
        self.resumed_at = Some(done);
        Some(run)
    }

    /// Saves `run` under the digest of the migrations it ran, unless a run
    /// is saved there already.
    pub(crate) fn save(&self, run: &impl Resumable) {
        let target = self.folder.join(&self.digests[run.done()]);
        if target.is_dir() {
            return;
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let partial = self
            .folder
            .join(format!(".partial-{}-{nanos}", std::process::id()));
        let written = fs::create_dir_all(&partial).is_ok()
            && run
                .save(&partial)
                .ok()
                .and_then(|state| serde_json::to_vec(&state).ok())
                .is_some_and(|json| fs::write(partial.join(STATE), json).is_ok());
        // Another check may have saved the same run meanwhile: then the
        // rename fails and this copy goes.
        if !written || fs::rename(&partial, &target).is_err() {
            let _ = fs::remove_dir_all(&partial);
        }
    }

    /// Removes the saved runs this chain no longer needs: all but the whole
    /// chain's, the one without its last migration, and the one resumed.
    pub(crate) fn prune(&self) {
        let Ok(entries) = fs::read_dir(&self.folder) else {
            return;
        };
        let n = self.digests.len() - 1;
        let keep: Vec<&String> = [Some(n), n.checked_sub(1), self.resumed_at]
            .into_iter()
            .flatten()
            .map(|done| &self.digests[done])
            .collect();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Another check may be writing a partial folder; one older than
            // any check takes was left by a check that was stopped.
            let abandoned = || {
                entry
                    .metadata()
                    .and_then(|metadata| metadata.modified())
                    .is_ok_and(|modified| modified.elapsed().unwrap_or_default() > ABANDONED)
            };
            let kept = keep.iter().any(|kept| **kept == name);
            if kept || (name.starts_with(".partial-") && !abandoned()) {
                continue;
            }
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Adds `part` to `digest`, length first, so that parts cannot run together.
fn add(digest: &mut Sha256, part: &str) {
    digest.update((part.len() as u64).to_le_bytes());
    digest.update(part.as_bytes());
}

fn hex(digest: Sha256) -> String {
    let bytes: [u8; 32] = digest.finalize().into();
    Checksum::from_bytes(bytes).to_hex()
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use super::*;

    #[test]
    fn a_partial_folder_is_removed_once_abandoned() {
        let folder = tempfile::tempdir().unwrap();
        let cache = Cache::new(folder.path(), &[], &Setup::default());
        let writing = folder.path().join(".partial-1-1");
        let abandoned = folder.path().join(".partial-2-2");
        let stale = folder.path().join("0".repeat(64));
        for dir in [&writing, &abandoned, &stale] {
            fs::create_dir(dir).unwrap();
        }
        let long_ago = SystemTime::now() - ABANDONED - Duration::from_secs(60);
        File::open(&abandoned)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        cache.prune();
        assert!(writing.is_dir(), "another check may be writing it");
        assert!(!abandoned.exists());
        assert!(!stale.exists(), "a run this chain does not need");
    }
}
