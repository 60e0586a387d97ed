//! What the test files of `migrate` share.

use std::path::Path;

use assert_cmd::Command;

/// `migrate <args> --root <root>`: its exit code, stdout and stderr.
pub fn migrate(root: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("migrate")
        .unwrap()
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}
