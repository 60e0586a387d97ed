//! `notes migrate <command>`: the operator CLI of `migrate-runtime`, mounted
//! in the example app, run as a real process on real database files. The
//! human outputs are kept as snapshots, with times, durations and sizes
//! filtered out.

use std::path::PathBuf;

use assert_cmd::Command;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::Migrator;

// The same folder the binary embeds, to migrate a database part of the way.
migrate_runtime::embed_migrations!("migrations");

/// What one run printed, and its exit code.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A database path in a fresh temporary folder.
struct Db {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Db {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("notes.db");
        Self { dir, path }
    }

    /// A database with the first `count` migrations applied and one note.
    fn at(count: usize) -> Self {
        let db = Self::new();
        let conn = Migrator::new(&migrations::MIGRATIONS[..count])
            .open(&db.path)
            .expect("the first migrations apply");
        conn.execute("INSERT INTO notes (title) VALUES ('buy milk')", [])
            .expect("a note");
        db
    }

    /// Runs `notes --db <db> <args>` off a terminal, logging at its default level.
    fn notes(&self, args: &[&str]) -> Run {
        let output = Command::cargo_bin("notes")
            .expect("the notes binary")
            .arg("--db")
            .arg(&self.path)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .env_remove("NOTES_DB")
            .output()
            .expect("notes runs");
        let text = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes).replace(&self.dir.path().display().to_string(), "[dir]")
        };
        Run {
            code: output.status.code().expect("an exit code"),
            stdout: text(&output.stdout),
            stderr: text(&output.stderr),
        }
    }

    /// `notes migrate <args>`, which must exit with `code`.
    fn migrate(&self, args: &[&str], code: i32) -> Run {
        let mut all = vec!["migrate"];
        all.extend(args);
        let run = self.notes(&all);
        assert_eq!(
            run.code, code,
            "notes {all:?}:\n{}\n{}",
            run.stdout, run.stderr
        );
        run
    }

    fn conn(&self) -> Connection {
        Connection::open(&self.path).expect("the database opens")
    }

    /// The applied versions, in order.
    fn history(&self) -> Vec<i64> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT version FROM _migrate_history ORDER BY version")
            .expect("the history table");
        let rows = statement.query_map([], |row| row.get(0)).expect("rows");
        rows.collect::<Result<_, _>>().expect("versions")
    }

    /// Every schema object and every row: equal dumps, an unchanged database.
    fn dump(&self) -> Vec<String> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .expect("the schema");
        let objects: Vec<(String, String, Option<String>)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("objects")
            .collect::<Result<_, _>>()
            .expect("objects");
        let mut dump = Vec::new();
        for (kind, name, sql) in objects {
            dump.push(format!("{kind} {name} {sql:?}"));
            if kind == "table" {
                let count: i64 = conn
                    .query_row(&format!("SELECT count(*) FROM \"{name}\""), [], |r| {
                        r.get(0)
                    })
                    .expect("a count");
                dump.push(format!("  {count} rows"));
            }
        }
        dump
    }
}

/// Snapshots `text` with what changes from run to run filtered out.
macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d\d-\d\dT\d\d[:-]\d\d[:-]\d\d\.\d{3}Z", "[time]"),
            (r"\b\d+(\.\d)? (ms|s)\b", "[duration]"),
            (r"\b\d+(\.\d)? (B|KiB|MiB)\b", "[size]"),
            (r"\b3\.\d+\.\d+\b", "[sqlite]"),
        ]}, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

#[test]
fn status_of_a_new_file_shows_every_migration_pending_and_creates_nothing() {
    let db = Db::new();
    let run = db.migrate(&["status"], 0);
    snapshot!("status_new", run.stdout);
    assert!(
        run.stderr.contains("there is no database at"),
        "{}",
        run.stderr
    );
    db.migrate(&["status", "--check"], 3);
    assert!(!db.path.exists(), "status creates no database");
}

#[test]
fn status_shows_applied_and_pending_as_a_table_and_as_json() {
    let db = Db::at(3);
    snapshot!("status_partial", db.migrate(&["status"], 0).stdout);
    db.migrate(&["status", "--check"], 3);

    let json: serde_json::Value =
        serde_json::from_str(&db.migrate(&["status", "--json"], 0).stdout).expect("JSON");
    assert_eq!(json["up_to_date"], false);
    assert_eq!(json["current_version"], 3);
    let states: Vec<&str> = json["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| m["state"].as_str().expect("a state"))
        .collect();
    assert_eq!(
        states,
        ["applied", "applied", "applied", "pending", "pending"]
    );
    assert!(json["migrations"][0]["applied_at"].is_string());
}

#[test]
fn up_dry_run_prints_the_sql_in_order_and_changes_nothing() {
    let db = Db::at(3);
    let before = db.dump();
    snapshot!("up_dry_run", db.migrate(&["up", "--dry-run"], 0).stdout);
    assert_eq!(db.dump(), before);
}

#[test]
fn up_to_a_version_then_up_then_status_check_passes() {
    let db = Db::at(3);
    let run = db.migrate(&["up", "--to", "4"], 0);
    assert!(
        run.stdout.starts_with(
            "applied 1 migration(s): 4 (add_note_overview)\n\
             backup taken before: [dir]/backups/notes.db."
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("applying migration 4 (add_note_overview)\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("backed up to [dir]/backups/notes.db."));
    assert_eq!(db.history(), [1, 2, 3, 4]);

    let run = db.migrate(&["up"], 0);
    assert!(
        run.stdout
            .starts_with("applied 1 migration(s): 5 (rebuild_notes_with_checks)\n"),
        "{}",
        run.stdout
    );
    db.migrate(&["status", "--check"], 0);
    assert_eq!(
        db.migrate(&["up"], 0).stdout,
        "nothing to apply: up to date: 5 migrations applied\n"
    );
}

#[test]
fn up_to_a_version_the_binary_does_not_have_is_refused() {
    let db = Db::at(3);
    let run = db.migrate(&["up", "--to", "42"], 1);
    assert!(
        run.stderr
            .starts_with("error: cannot apply migrations up to migration 42: this binary has no"),
        "{}",
        run.stderr
    );
    assert_eq!(db.history(), [1, 2, 3]);
}

#[test]
fn down_without_yes_off_a_terminal_is_refused_and_changes_nothing() {
    let db = Db::at(4);
    let before = db.dump();
    let run = db.migrate(&["down"], 1);
    assert_eq!(
        run.stderr,
        format!(
            "error: refused without confirmation: revert migration 4 (add_note_overview) of \
             {} with its down script; standard input is not a terminal, so \
             pass --yes to confirm. Nothing was changed\n",
            "[dir]/notes.db"
        )
    );
    assert_eq!(run.stdout, "");
    assert_eq!(db.dump(), before);
    assert_eq!(db.history(), [1, 2, 3, 4]);
}

#[test]
fn down_dry_run_prints_the_down_sql_then_down_with_yes_reverts() {
    let db = Db::at(4);
    snapshot!(
        "down_dry_run",
        db.migrate(&["down", "--to", "3", "--dry-run"], 0).stdout
    );
    let run = db.migrate(&["down", "--to", "3", "--yes"], 0);
    assert!(
        run.stdout
            .starts_with("reverted 1 migration(s): 4 (add_note_overview)\n"),
        "{}",
        run.stdout
    );
    assert_eq!(db.history(), [1, 2, 3]);
    let views: i64 = db
        .conn()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'view'",
            [],
            |r| r.get(0),
        )
        .expect("a count");
    assert_eq!(views, 0, "the view of migration 4 is gone");
    assert_eq!(
        db.migrate(&["down", "--steps", "0"], 0).stdout,
        "nothing to revert\n"
    );
}

#[test]
fn down_is_refused_naming_the_migration_without_a_down_script() {
    let db = Db::at(4);
    let before = db.dump();
    let run = db.migrate(&["down", "--to", "1", "--yes"], 1);
    assert!(
        run.stderr
            .starts_with("error: cannot revert migration 3 (add_done_columns): no down script"),
        "{}",
        run.stderr
    );
    let all = db.migrate(&["down", "--all", "--yes"], 1);
    assert!(
        all.stderr
            .contains("migrations 3 (add_done_columns), 1 (create_notes): no down script"),
        "{}",
        all.stderr
    );
    assert_eq!(db.dump(), before);
}

#[test]
fn down_takes_a_target_or_steps_not_both() {
    let db = Db::at(4);
    let run = db.migrate(&["down", "--to", "1", "--steps", "2"], 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    let run = db.migrate(&["down", "--all", "--steps", "2"], 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn verify_says_the_schema_matches_then_finds_a_change_by_hand() {
    let db = Db::at(5);
    snapshot!("verify_ok", db.migrate(&["verify"], 0).stdout);
    db.conn()
        .execute_batch("CREATE INDEX by_hand ON notes (title); DROP INDEX notes_done_created_at;")
        .expect("a change by hand");
    snapshot!("verify_drift", db.migrate(&["verify"], 1).stdout);
}

#[test]
fn repair_accepts_the_binarys_checksum_after_confirmation() {
    let db = Db::at(5);
    // As if migration 2 had been applied from another version of its file;
    // the header's fingerprint no longer matches either.
    db.conn()
        .execute_batch(&format!(
            "UPDATE _migrate_history SET checksum = '{}' WHERE version = 2;
             PRAGMA user_version = 0;",
            "ab".repeat(32)
        ))
        .expect("an edited migration");
    assert!(db
        .notes(&["list"])
        .stderr
        .contains("was changed after it was applied"));
    snapshot!("status_checksum_changed", db.migrate(&["status"], 0).stdout);
    db.migrate(&["status", "--check"], 1);

    let refused = db.migrate(&["repair", "--version", "2"], 1);
    assert!(
        refused.stderr.contains(
            "refused without confirmation: accept this binary's checksum \
             for migration 2 (add_tags)"
        ),
        "{}",
        refused.stderr
    );
    let run = db.migrate(&["repair", "--version", "2", "--yes"], 0);
    assert!(
        run.stdout.starts_with(&format!(
            "repaired migration 2 (add_tags): its recorded checksum {} is now this binary's ",
            "ab".repeat(32)
        )),
        "{}",
        run.stdout
    );
    db.migrate(&["status", "--check"], 0);
    assert_eq!(db.notes(&["list"]).code, 0);
}

#[test]
fn repair_of_a_migration_not_applied_is_refused() {
    let db = Db::at(4);
    let run = db.migrate(&["repair", "--version", "5", "--yes"], 1);
    assert!(
        run.stderr.starts_with(
            "error: cannot repair migration 5 (rebuild_notes_with_checks): it is not applied"
        ),
        "{}",
        run.stderr
    );
    let run = db.migrate(&["repair", "--version", "2", "--yes"], 0);
    assert_eq!(
        run.stdout,
        "nothing to repair: migration 2 (add_tags) was applied with this binary's checksum\n"
    );
}

#[test]
fn backup_lists_and_restore_brings_the_latest_back() {
    let db = Db::at(5);
    snapshot!("backups_none", db.migrate(&["backups"], 0).stdout);
    let run = db.migrate(&["backup"], 0);
    assert!(
        run.stdout
            .starts_with("backed up [dir]/notes.db to [dir]/backups/notes.db."),
        "{}",
        run.stdout
    );
    snapshot!("backups_one", db.migrate(&["backups"], 0).stdout);
    db.notes(&["add", "call", "mom"]);

    let refused = db.migrate(&["restore"], 1);
    assert!(refused.stderr.contains("pass --yes"), "{}", refused.stderr);
    assert!(db.notes(&["list"]).stdout.contains("call mom"));

    let run = db.migrate(&["restore", "--yes"], 0);
    assert!(
        run.stdout.ends_with(": up to date: 5 migrations applied\n"),
        "{}",
        run.stdout
    );
    let list = db.notes(&["list"]).stdout;
    assert!(
        list.contains("buy milk") && !list.contains("call mom"),
        "{list}"
    );

    let missing = db.migrate(&["restore", "nope.sqlite", "--yes"], 1);
    assert!(
        missing.stderr.contains("there is no backup nope.sqlite"),
        "{}",
        missing.stderr
    );
}

#[test]
fn doctor_reports_a_sound_database_and_a_held_write_lock() {
    let db = Db::at(5);
    snapshot!("doctor_sound", db.migrate(&["doctor"], 0).stdout);

    let holder = db.conn();
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("the write lock");
    let run = db.migrate(&["doctor"], 0);
    assert!(
        run.stdout
            .contains("write lock    held by another connection"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("{} (", std::process::id())),
        "this test process is named as a holder: {}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("- another connection holds the write lock"));
    holder.execute_batch("ROLLBACK").expect("rollback");
}

#[test]
fn commands_that_need_a_database_do_not_create_one() {
    let db = Db::new();
    let commands: [&[&str]; 5] = [
        &["verify"],
        &["doctor"],
        &["down", "--yes"],
        &["backup"],
        &["repair", "--version", "2", "--yes"],
    ];
    for command in commands {
        let run = db.migrate(command, 1);
        assert!(
            run.stderr
                .starts_with("error: there is no database at [dir]/notes.db"),
            "{command:?}: {}",
            run.stderr
        );
    }
    assert!(!db.path.exists());
}

#[test]
fn help_lists_the_operator_commands() {
    let run = Db::new().migrate(&["--help"], 0);
    for command in [
        "status", "up", "down", "verify", "repair", "backup", "backups", "restore", "doctor",
        "schema",
    ] {
        assert!(
            run.stdout.contains(&format!("\n  {command} ")),
            "{command}: {}",
            run.stdout
        );
    }
}

/// A database made by hand with the SQL of the first `count` migrations,
/// as if another tool (or a person) had run it: no history.
fn made_by_hand(db: &Db, count: usize) {
    let conn = db.conn();
    for migration in &migrations::MIGRATIONS[..count] {
        conn.execute_batch(migration.up().sql())
            .expect("the migration's SQL runs");
    }
}

#[test]
fn baseline_adopts_a_database_made_by_hand_after_confirmation() {
    let db = Db::new();
    made_by_hand(&db, 2);
    let refused = db.migrate(&["baseline", "--version", "2"], 1);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    let run = db.migrate(&["baseline", "--version", "2", "--yes"], 0);
    snapshot!("baseline", run.stdout);
    assert_eq!(db.history(), [1, 2]);
    db.migrate(&["up"], 0);
    assert_eq!(db.history(), [1, 2, 3, 4, 5]);
    db.migrate(&["verify"], 0);
}

#[test]
fn baseline_of_a_schema_that_differs_is_refused_listing_the_difference() {
    let db = Db::new();
    made_by_hand(&db, 2);
    db.conn()
        .execute_batch("CREATE TABLE scratch (x);")
        .expect("a table by hand");
    let before = db.dump();
    let run = db.migrate(&["baseline", "--version", "2", "--yes"], 1);
    assert!(
        run.stderr
            .contains("table `scratch` is not made by any migration"),
        "{}",
        run.stderr
    );
    assert_eq!(db.dump(), before);
}

#[test]
fn import_finds_the_other_tools_history_and_records_it() {
    let db = Db::new();
    made_by_hand(&db, 3);
    // diesel's own table, as diesel creates and fills it.
    db.conn()
        .execute_batch(
            "CREATE TABLE __diesel_schema_migrations (
                 version VARCHAR(50) PRIMARY KEY NOT NULL,
                 run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
             INSERT INTO __diesel_schema_migrations (version) VALUES ('0001'), ('0002'), ('0003');",
        )
        .expect("diesel's history");
    let run = db.migrate(&["import", "--yes"], 0);
    snapshot!("import_diesel", run.stdout);
    assert_eq!(db.history(), [1, 2, 3]);
    db.migrate(&["verify"], 0);
}

#[test]
fn down_with_nothing_applied_has_nothing_to_revert_and_steps_beyond_are_refused_once() {
    let db = Db::new();
    // A database file with no migration applied.
    Migrator::new(&[])
        .open(&db.path)
        .expect("an empty database");
    let run = db.migrate(&["down", "--yes"], 0);
    assert_eq!(run.stdout, "nothing to revert: no migration is applied\n");
    assert_eq!(run.stderr, "");
    let run = db.migrate(&["down", "--steps", "2", "--yes"], 1);
    assert_eq!(
        run.stderr,
        "error: cannot revert 2 migration(s): only 0 applied; nothing was reverted. \
         To revert every migration, use `--all` (`Operation::RevertAll`)\n"
    );
}

#[test]
fn each_operator_command_says_its_outcome_once_and_opens_nothing_first() {
    // Up to date, then one migration short: no command logs what a start
    // would (`database is up to date`, `migrating`), and an error is one line.
    for count in [migrations::MIGRATIONS.len(), 4] {
        let db = Db::at(count);
        for args in [
            &["status"][..],
            &["verify"],
            &["up", "--dry-run"],
            &["down", "--dry-run"],
            &["down", "--steps", "9", "--yes"],
            &["repair", "--version", "1", "--yes"],
            &["backups"],
        ] {
            let run = db.notes(&[&["migrate"][..], args].concat());
            let said = format!("{args:?} at {count}:\n{}\n{}", run.stdout, run.stderr);
            assert!(!run.stderr.contains("up to date"), "{said}");
            assert!(!run.stderr.contains("INFO"), "{said}");
            assert!(run.stderr.matches("error:").count() <= 1, "{said}");
            assert_eq!(
                run.stderr.matches("error:").count(),
                usize::from(run.code != 0),
                "{said}"
            );
        }
    }
}

#[test]
fn schema_prints_the_embedded_schema_as_sql_or_drawn_without_opening_the_database() {
    let db = Db::new();
    let sql = db.migrate(&["schema"], 0);
    assert!(sql.stdout.contains("CREATE TABLE"), "{}", sql.stdout);
    let mermaid = db.migrate(&["schema", "--format", "mermaid"], 0);
    snapshot!("schema_mermaid", mermaid.stdout);
    let dot = db.migrate(&["schema", "--format", "dot"], 0);
    snapshot!("schema_dot", dot.stdout);
    let svg = db.migrate(&["schema", "--format", "svg"], 0);
    assert!(svg.stdout.starts_with("<svg"), "{}", svg.stdout);
    for table in ["notes", "tags", "note_tags"] {
        assert!(
            svg.stdout.contains(&format!(">{table}<")),
            "{table} in the SVG"
        );
    }
    assert!(!db.path.exists(), "the database was created");
}
