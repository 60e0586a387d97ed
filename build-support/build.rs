//! Writes a digest of this crate's own source, and of `migrate-sqlite`'s
//! beside it in the workspace, to `OUT_DIR/source_digest`.
//!
//! The validation cache (`src/cache.rs`) keys what it saves with it: a run
//! saved by one build of the checks is never resumed by another, even where
//! the version number is the same (a git or path dependency). A published
//! crate has no `migrate-sqlite` beside it; there the versions match.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let mut files = Vec::new();
    for dir in ["src", "../migrate-sqlite/src"] {
        if Path::new(dir).is_dir() {
            println!("cargo::rerun-if-changed={dir}");
            collect(Path::new(dir), &mut files);
        }
    }
    files.sort();
    // `DefaultHasher::new` has fixed keys: the same source gives the same digest.
    let mut hasher = DefaultHasher::new();
    for file in &files {
        hasher.write(file.to_string_lossy().as_bytes());
        hasher.write(&fs::read(file).expect("build-support: cannot read its own source"));
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(
        out.join("source_digest"),
        format!("{:016x}", hasher.finish()),
    )
    .expect("build-support: cannot write to OUT_DIR");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("build-support: cannot list its own source") {
        let path = entry
            .expect("build-support: cannot list its own source")
            .path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
