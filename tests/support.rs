//! Helpers shared by this crate's tests.

use std::path::{Path, PathBuf};

/// The root of this test crate; fixture paths are relative to it.
pub fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    crate_root()
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}
