//! Every lint fixture passes without a finding once the file each finding
//! names carries `-- migrate: allow <lint>`: the opt-out the message offers
//! works, for errors and warnings alike.
//! Where SQLite itself refuses what the lint explained (a `BEGIN` inside the
//! runner's transaction), SQLite's own error is what is left.

use std::fs;
use std::path::Path;

use migrate_build_support::check_folder;

/// The lint name at the end of a diagnostic's message: `… [destructive]`.
fn lint_name(message: &str) -> &str {
    let open = message.rfind('[').expect("a lint names itself");
    message[open + 1..].trim_end_matches(']')
}

fn copy_folder(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn each_lint_fixture_passes_with_the_opt_out_its_message_names() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut seen = Vec::new();
    for entry in fs::read_dir(&fixtures).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("lint_") {
            continue;
        }
        let base = tempfile::tempdir().unwrap();
        copy_folder(&fixtures.join(&name), &base.path().join("m"));
        let errors = match check_folder(base.path(), "m") {
            Err(errors) => errors,
            Ok(checked) => checked.warnings,
        };
        assert!(!errors.is_empty(), "{name} finds nothing");
        for error in &errors {
            let lint = lint_name(&error.message);
            let file = base.path().join(&error.path);
            let sql = fs::read_to_string(&file).unwrap();
            fs::write(&file, format!("-- migrate: allow {lint}\n{sql}")).unwrap();
            seen.push(lint.to_string());
        }
        match check_folder(base.path(), "m") {
            Ok(checked) => assert_eq!(checked.warnings, [], "{name}"),
            Err(left) => {
                let left: Vec<String> = left.iter().map(ToString::to_string).collect();
                let sqlite_refuses = ["lint_explicit_transaction", "lint_needs_no_transaction"];
                let lint_left = left
                    .iter()
                    .any(|e| e.lines().next().unwrap().ends_with(']'));
                assert!(
                    sqlite_refuses.contains(&name.as_str()) && !lint_left,
                    "{name} still fails with its lints allowed: {left:#?}"
                );
            }
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            "broken-view",
            "data-dependent",
            "destructive",
            "double-quoted-string",
            "explicit-transaction",
            "foreign-key-target",
            "foreign-key-violation",
            "int-primary-key",
            "needs-no-transaction",
            "pragma-in-transaction",
            "rebuild-cascade",
            "rebuild-foreign-keys",
            "rebuild-lost-trigger",
            "redundant-index",
            "unknown-type-word",
        ]
    );
}
