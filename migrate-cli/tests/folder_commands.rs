//! `migrate new`, `lint` and `schema` on real folders, with their human
//! output kept as snapshots.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn migrate() -> Command {
    Command::cargo_bin("migrate").unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn new_numbers_the_next_migration_as_the_folder_does() {
    let root = tempfile::tempdir().unwrap();
    migrate()
        .args(["new", "Create users", "--root"])
        .arg(root.path())
        .assert()
        .success()
        .stdout("created migrations/0001_create_users.sql\n");
    migrate()
        .args(["new", "add-email", "--reversible", "--root"])
        .arg(root.path())
        .assert()
        .success()
        .stdout(
            "created migrations/0002_add_email.up.sql\ncreated migrations/0002_add_email.down.sql\n",
        );
    let folder = root.path().join("migrations");
    assert_eq!(
        files(&folder),
        [
            "0001_create_users.sql",
            "0002_add_email.down.sql",
            "0002_add_email.up.sql"
        ]
    );
    assert_eq!(
        fs::read_to_string(folder.join("0001_create_users.sql")).unwrap(),
        "-- create_users: the change, in SQL.\n"
    );
    // Until SQL is written, the check warns that the migration changes nothing.
    let output = migrate()
        .args(["check", "--root"])
        .arg(root.path())
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("warning: migrations/0001_create_users.sql:1:1: the migration holds no SQL statement: applying it changes nothing [empty-migration]"),
        "{stderr}"
    );
}

#[test]
fn new_refuses_a_down_script_in_a_refinery_folder_and_a_bad_description() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("db");
    fs::create_dir(&folder).unwrap();
    fs::write(folder.join("V1__init.sql"), "CREATE TABLE t (x);").unwrap();
    let output = migrate()
        .args(["new", "more", "db", "--reversible", "--root"])
        .arg(root.path())
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no down scripts"), "{stderr}");
    migrate()
        .args(["new", "drop;table", "db", "--root"])
        .arg(root.path())
        .assert()
        .code(1);
    assert_eq!(files(&folder), ["V1__init.sql"]);
    migrate()
        .args(["new", "more", "db", "--root"])
        .arg(root.path())
        .assert()
        .success()
        .stdout("created db/V2__more.sql\n");
}

#[test]
fn new_keeps_the_layout_of_a_folder_that_does_not_read_cleanly() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("db");
    fs::create_dir(&folder).unwrap();
    fs::write(
        folder.join("00001_users.sql"),
        "-- +goose Up\nCREATE TABLE users (id);\n",
    )
    .unwrap();
    // A file that does not read (an unknown annotation) leaves the layout told.
    fs::write(
        folder.join("00002_broken.sql"),
        "-- +goose Sideways\nSELECT 1;\n",
    )
    .unwrap();
    let output = migrate()
        .args(["new", "tags", "db", "--root"])
        .arg(root.path())
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "created db/00003_tags.sql\n"
    );
    let text = fs::read_to_string(folder.join("00003_tags.sql")).unwrap();
    assert!(text.starts_with("-- +goose Up\n"), "{text}");
    // A folder of two layouts gets no file in a guessed one.
    fs::write(folder.join("V4__refinery.sql"), "SELECT 1;").unwrap();
    let output = migrate()
        .args(["new", "more", "db", "--root"])
        .arg(root.path())
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("mixes the layouts of two migration tools"),
        "{stderr}"
    );
    assert_eq!(files(&folder).len(), 4);
}

#[test]
fn lint_notes_a_down_script_that_rebuilds_a_table_as_check_does() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("migrations");
    fs::create_dir(&folder).unwrap();
    fs::write(
        folder.join("0001_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    )
    .unwrap();
    fs::write(
        folder.join("0002_email.up.sql"),
        "ALTER TABLE users ADD COLUMN email TEXT;\n",
    )
    .unwrap();
    fs::write(
        folder.join("0002_email.down.sql"),
        "CREATE TABLE users_old (id INTEGER PRIMARY KEY, name TEXT);\n\
         INSERT INTO users_old SELECT id, name FROM users;\n\
         DROP TABLE users;\nALTER TABLE users_old RENAME TO users;\n",
    )
    .unwrap();
    for command in ["check", "lint"] {
        let output = migrate()
            .args([command, "--root"])
            .arg(root.path())
            .assert()
            .success()
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(
                "note: migrations/0002_email.down.sql: this down script rebuilds a table, and runs as `foreign-keys-off`"
            ),
            "{command}: {stderr}"
        );
    }
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = migrate()
        .args(args)
        .arg("--root")
        .arg(fixtures_root())
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn lint_reports_errors_and_fails() {
    let (code, stdout, stderr) = run(&["lint", "fixtures/lint_rebuild_cascade"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("lint_errors", format!("{stderr}{stdout}"));
}

#[test]
fn lint_shows_warnings_and_fails_on_them_only_when_asked() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("migrations");
    fs::create_dir(&folder).unwrap();
    fs::write(
        folder.join("0001_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    fs::write(
        folder.join("0002_posts.sql"),
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));",
    )
    .unwrap();
    let lint = |extra: &[&str]| {
        migrate()
            .arg("lint")
            .args(extra)
            .arg("--root")
            .arg(root.path())
            .output()
            .unwrap()
    };
    let output = lint(&[]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr
            .starts_with("warning: migrations/0002_posts.sql:1:61: foreign key `posts` (user_id)"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "migrations: 0 lint error(s), 1 warning(s) in 2 migrations\n"
    );
    assert_eq!(lint(&["--deny-warnings"]).status.code(), Some(1));
}

#[test]
fn schema_prints_the_sql_that_makes_the_final_schema() {
    let (code, stdout, stderr) = run(&["schema", "fixtures/real_world"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("real_world_schema", stdout);

    // Run as one migration, the printed SQL makes the same schema again.
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("migrations");
    fs::create_dir(&folder).unwrap();
    fs::write(folder.join("0001_schema.sql"), &stdout).unwrap();
    let output = migrate()
        .args(["schema", "--root"])
        .arg(root.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let again = String::from_utf8(output.stdout).unwrap();
    let body = |text: &str| text.split_once('\n').unwrap().1.to_string();
    assert_eq!(body(&again), body(&stdout));
}

#[test]
fn seal_records_a_shipped_folder_and_lint_sealed_lists_what_it_keeps_from_failing() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("migrations");
    fs::create_dir(&folder).unwrap();
    fs::write(
        folder.join("0001_users.sql"),
        "CREATE TABLE users (id INT PRIMARY KEY);\n",
    )
    .unwrap();
    fs::write(folder.join("0002_purge.sql"), "DELETE FROM users;\n").unwrap();
    fs::write(
        folder.join("migrate.toml"),
        "# Checked by CI.\n[lints]\nunindexed-foreign-key = \"deny\"\n",
    )
    .unwrap();
    let check = |code: i32| {
        migrate()
            .args(["check", "--root"])
            .arg(root.path())
            .assert()
            .code(code)
    };
    check(1);

    let sealed = migrate()
        .args(["seal", "--root"])
        .arg(root.path())
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&sealed.get_output().stdout),
        "sealed 2 migration(s) in migrations/migrate.toml (2 new)\n"
    );
    let config = fs::read_to_string(folder.join("migrate.toml")).unwrap();
    assert!(
        config.starts_with(
            "# Checked by CI.\n[lints]\nunindexed-foreign-key = \"deny\"\n\n[sealed]\n"
        ),
        "{config}"
    );
    assert!(config.contains("\n2 = \""), "{config}");
    assert!(config.ends_with("\"  # purge\n"), "{config}");
    let output = check(0).get_output().clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("warning: migrations: 2 finding(s) in 2 sealed migration(s) are not errors"),
        "{stderr}"
    );

    let listed = migrate()
        .args(["lint", "--sealed", "--root"])
        .arg(root.path())
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&listed.stderr);
    assert!(
        stderr.contains("sealed: migrations/0001_users.sql:1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sealed: migrations/0002_purge.sql:1:1:"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "migrations: 2 finding(s) in 2 sealed migration(s)\n"
    );

    // An edit is refused until accepted, by the check and by seal alike.
    fs::write(
        folder.join("0002_purge.sql"),
        "DELETE FROM users; -- all of them\n",
    )
    .unwrap();
    check(1);
    migrate()
        .args(["seal", "--root"])
        .arg(root.path())
        .assert()
        .code(1);
    let accepted = migrate()
        .args(["seal", "--accept", "2", "--root"])
        .arg(root.path())
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&accepted.get_output().stdout)
        .contains("accepted the edit of 2: run `repair --version 2`"),);
    check(0);
}

/// The workspace's `tests` folder, whose `fixtures/` the compiler's own
/// tests use too.
fn fixtures_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests")
}

#[test]
fn schema_write_starts_the_desired_schema_from_the_chain_and_keeps_edits_unless_forced() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("db/migrations");
    fs::create_dir_all(&folder).unwrap();
    fs::write(
        folder.join("0001_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
    )
    .unwrap();
    fs::write(
        folder.join("0002_email.sql"),
        "ALTER TABLE users ADD COLUMN email TEXT;\nCREATE UNIQUE INDEX users_email ON users (email);\n",
    )
    .unwrap();
    let write = |extra: &[&str]| {
        migrate()
            .args(["schema", "db/migrations", "--write"])
            .args(extra)
            .arg("--root")
            .arg(root.path())
            .output()
            .unwrap()
    };

    let output = write(&[]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "wrote db/schema.sql: 2 object(s), the schema db/migrations leaves at version 2\n"
    );
    let desired = root.path().join("db/schema.sql");
    let text = fs::read_to_string(&desired).unwrap();
    assert!(
        text.contains(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);"
        ),
        "{text}"
    );
    assert!(
        text.contains("CREATE UNIQUE INDEX users_email ON users (email);"),
        "{text}"
    );
    // The file makes the chain's schema again.
    let read = migrate_build_support::desired::read_desired(
        root.path(),
        "db/schema.sql",
        &migrate_build_support::Setup::of(&Default::default(), root.path()),
        |_| false,
    );
    assert_eq!(read.unwrap().unwrap().objects.len(), 2);

    // Written again, the same: nothing to do. Nor when the file declares
    // the same schema in other words.
    let again = write(&[]);
    let same = "db/schema.sql already declares the schema db/migrations leaves at version 2: nothing written\n";
    assert_eq!(String::from_utf8_lossy(&again.stdout), same);
    let reworded = "create table users (id integer primary key, name text not null, email text);\n\
                    create unique index USERS_EMAIL on USERS (EMAIL);\n";
    fs::write(&desired, reworded).unwrap();
    assert_eq!(String::from_utf8_lossy(&write(&[]).stdout), same);
    assert_eq!(fs::read_to_string(&desired).unwrap(), reworded);
    // Edited by hand: kept, unless forced.
    fs::write(&desired, "CREATE TABLE users (id INTEGER PRIMARY KEY);\n").unwrap();
    // The build, and `migrate check`, now hold the chain to the file.
    let check = migrate()
        .args(["check", "db/migrations", "--root"])
        .arg(root.path())
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        stderr.contains(
            "db/schema.sql: the schema the migrations in db/migrations leave is not the one this file declares"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("column email: the migrations make it") || stderr.contains("table users"),
        "{stderr}"
    );
    let refused = write(&[]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr),
        "error: db/schema.sql declares another schema (2 difference(s)): `migrate diff \
         <description> db/migrations` writes the migration to it; `--force` replaces it with the \
         migrations' schema, and what was written there is lost\n"
    );
    assert_eq!(
        fs::read_to_string(&desired).unwrap(),
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
    );
    assert!(write(&["--force"]).status.success());
    assert_eq!(fs::read_to_string(&desired).unwrap(), text);
}
