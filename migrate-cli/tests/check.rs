//! `migrate check` reports what the compiler reports.

use std::process::{Command, Output};

fn check(fixture: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["check", &format!("fixtures/{fixture}"), "--root"])
        .arg(fixtures_root())
        .output()
        .expect("run migrate")
}

#[test]
fn a_valid_folder_passes() {
    let output = check("valid");
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with("fixtures/valid: 5 migrations ok"),
        "{stdout}"
    );
}

#[test]
fn an_invalid_folder_fails_with_the_compiler_message() {
    let output = check("sql_error_middle");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let compiler =
        std::fs::read_to_string(fixtures_root().join("ui/sql_error_middle.stderr")).unwrap();
    let message = stderr.lines().next().unwrap();
    assert_eq!(message, compiler.lines().next().unwrap());
    assert!(
        message.ends_with("0002_add_email.sql:4:22: no such column: emial"),
        "{message}"
    );
}

/// The workspace's `tests` folder, whose `fixtures/` the compiler's own
/// tests use too.
fn fixtures_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests")
}
