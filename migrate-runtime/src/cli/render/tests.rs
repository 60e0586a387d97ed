use std::path::{Path, PathBuf};
use std::time::Duration;

use migrate_sqlite::Directives;

use super::*;
use crate::lock::LockReport;
use crate::{Applied, ForeignKeyViolation, Reverted};

fn migration(version: u64, name: &str, state: State) -> MigrationStatus {
    let applied = matches!(
        state,
        State::Applied | State::ChecksumChanged | State::UnknownToBinary
    );
    MigrationStatus {
        version,
        name: name.into(),
        state,
        applied_at: applied.then(|| format!("2026-01-0{version}T10:00:00.000Z")),
        duration: applied.then(|| Duration::from_millis(version * 7)),
        has_down: version.is_multiple_of(2),
    }
}

fn mixed() -> Status {
    Status {
        migrations: vec![
            migration(1, "create_notes", State::Applied),
            migration(2, "add_tags", State::ChecksumChanged),
            migration(3, "add_done", State::Pending),
            migration(9, "from_a_newer_build", State::UnknownToBinary),
        ],
    }
}

#[test]
fn durations_and_sizes_read_as_people_write_them() {
    assert_eq!(duration_text(Duration::from_micros(400)), "0 ms");
    assert_eq!(duration_text(Duration::from_millis(12)), "12 ms");
    assert_eq!(duration_text(Duration::from_millis(1250)), "1.2 s");
    assert_eq!(duration_text(Duration::from_secs(75)), "75 s");
    assert_eq!(bytes_text(512), "512 B");
    assert_eq!(bytes_text(24 * 1024), "24.0 KiB");
    assert_eq!(bytes_text(3 * 1024 * 1024 + 100 * 1024), "3.1 MiB");
    assert_eq!(bytes_text(5 * 1024 * 1024 * 1024 * 1024), "5120.0 GiB");
}

#[test]
fn the_status_table_aligns_every_state() {
    assert_eq!(
        status_table(&mixed()),
        "\
version  name                state                   applied at                duration
1        create_notes        applied                 2026-01-01T10:00:00.000Z  7 ms
2        add_tags            checksum changed        2026-01-02T10:00:00.000Z  14 ms
3        add_done            pending                 -                         -
9        from_a_newer_build  unknown to this binary  2026-01-09T10:00:00.000Z  63 ms
"
    );
}

#[test]
fn the_summary_counts_each_state_and_the_hints_say_what_to_do() {
    assert_eq!(
        status_summary(&mixed()),
        "1 applied, 1 pending, 1 checksum changed, 1 unknown to this binary"
    );
    let hints = status_hints(&mixed());
    assert_eq!(hints.len(), 3, "{hints:?}");
    assert!(hints[0].contains("`up`"), "{hints:?}");
    assert!(hints[1].contains("`repair --version 2`"), "{hints:?}");
    assert!(
        hints[2].contains("migration 9 has no down script"),
        "{hints:?}"
    );
    let mut revertible = mixed();
    revertible.migrations[3].has_down = true;
    let hints = status_hints(&revertible);
    assert!(hints[2].contains("`down --to 2`, which runs"), "{hints:?}");
    let done = Status {
        migrations: vec![migration(1, "a", State::Applied)],
    };
    assert_eq!(status_summary(&done), "up to date: 1 migrations applied");
    assert!(status_hints(&done).is_empty());
    assert_eq!(
        status_summary(&Status::default()),
        "no migrations, none applied"
    );
}

#[test]
fn status_json_names_states_for_machines() {
    let json: serde_json::Value =
        serde_json::from_str(&status_json(Path::new("app.db"), &mixed())).unwrap();
    assert_eq!(json["database"], "app.db");
    assert_eq!(json["up_to_date"], false);
    assert_eq!(json["current_version"], 9);
    let states: Vec<&str> = json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "applied",
            "checksum_changed",
            "pending",
            "unknown_to_binary"
        ]
    );
    assert_eq!(json["migrations"][0]["duration_ms"], 7);
    assert_eq!(json["migrations"][2]["applied_at"], serde_json::Value::Null);
    assert_eq!(json["migrations"][1]["has_down"], true);
}

fn step(version: u64, direction: Direction, source: ScriptSource, sql: &str) -> Step {
    Step {
        version,
        name: format!("m{version}"),
        direction,
        sql: sql.into(),
        directives: Directives::NONE,
        source,
    }
}

#[test]
fn a_dry_run_prints_each_script_under_a_comment_in_order() {
    let steps = [
        step(
            4,
            Direction::Down,
            ScriptSource::History,
            "DROP TABLE b;\n\n",
        ),
        step(3, Direction::Down, ScriptSource::Binary, "DROP TABLE a;"),
    ];
    assert_eq!(
        dry_run(&steps, Direction::Down),
        "\
-- [1/2] revert migration 4 (m4), with the down script recorded in the history
DROP TABLE b;

-- [2/2] revert migration 3 (m3)
DROP TABLE a;

-- dry run: 2 migration(s) would be reverted; nothing was changed
"
    );
    assert_eq!(dry_run(&[], Direction::Up), "-- nothing to apply\n");
}

#[test]
fn a_report_names_what_ran_and_the_backup() {
    let report = Report {
        applied: vec![Applied {
            version: 5,
            name: "five".into(),
            duration: Duration::from_millis(3),
        }],
        reverted: vec![Reverted {
            version: 7,
            name: "seven".into(),
            duration: Duration::from_millis(1),
            source: ScriptSource::History,
        }],
        backup: Some(PathBuf::from("backups/app.db.x.sqlite")),
        followed_primary: false,
    };
    assert_eq!(
        super::report(&report),
        "\
applied 1 migration(s): 5 (five)
reverted 1 migration(s): 7 (seven, with the down script recorded in the history)
backup taken before: backups/app.db.x.sqlite
"
    );
}

#[test]
fn backups_are_listed_with_their_sizes() {
    let found = [
        (PathBuf::from("b/app.db.1.sqlite"), 2048),
        (PathBuf::from("b/app.db.22.sqlite"), 100),
    ];
    assert_eq!(
        backups(Path::new("app.db"), Path::new("b"), &found, 5),
        "\
backups of app.db in b, oldest first (the last 5 are kept):
  file              size
  app.db.1.sqlite   2.0 KiB
  app.db.22.sqlite  100 B
"
    );
    assert_eq!(
        backups(Path::new("app.db"), Path::new("b"), &[], 5),
        "no backups of app.db in b\n"
    );
}

fn diagnosis() -> Diagnosis {
    Diagnosis {
        files: LockReport {
            path: PathBuf::from("/srv/app.db"),
            waited: Duration::ZERO,
            holders: Vec::new(),
            wal_bytes: Some(4096),
            shm_bytes: None,
        },
        file_bytes: 8192,
        write_lock: WriteLock::Free,
        journal_mode: "wal".into(),
        busy_timeout: Duration::from_secs(60),
        integrity: vec!["ok".into()],
        foreign_key_violations: Vec::new(),
        status: Status {
            migrations: vec![migration(1, "a", State::Applied)],
        },
        sqlite_version: "3.50.4",
    }
}

#[test]
fn doctor_on_a_sound_database_has_nothing_to_advise() {
    assert_eq!(
        doctor(&diagnosis(), Some("3.50.4".into())),
        "\
database      /srv/app.db (8.0 KiB)
journal mode  wal
-wal file     4.0 KiB
-shm file     none
processes     no other process on this machine has the database open
write lock    free
busy timeout  60 s (how long a start waits for the write lock)
integrity     ok
foreign keys  ok (no row refers to a missing row)
migrations    up to date: 1 migrations applied
sqlite        3.50.4 (migrations checked with 3.50.4)

what to do:
- nothing: the database is sound and up to date
"
    );
}

#[test]
fn doctor_advises_on_each_problem() {
    let mut sick = diagnosis();
    sick.files.holders = vec![Holder {
        pid: 42,
        command: "sqlite3 app.db".into(),
        holds_write_lock: true,
        is_migrating: false,
    }];
    sick.write_lock = WriteLock::Held;
    sick.journal_mode = "delete".into();
    sick.integrity = vec!["row 3 missing from index i".into()];
    sick.foreign_key_violations = vec![ForeignKeyViolation {
        table: "posts".into(),
        rowid: Some(7),
        parent: "users".into(),
    }];
    sick.status = mixed();
    let text = doctor(&sick, None);
    assert!(
        text.contains("processes     42 (sqlite3 app.db, holds the write lock)"),
        "{text}"
    );
    assert!(
        text.contains("1 row(s) refer to missing rows, the first: row 7 of `posts` to `users`"),
        "{text}"
    );
    let advice = doctor_advice(&sick);
    let expected = [
        "another connection holds the write lock",
        "the journal mode is delete",
        "the file is damaged",
        "fix or delete the rows",
        "pending migrations",
        "migration 2 was edited",
        "a newer build migrated",
    ];
    assert_eq!(advice.len(), expected.len(), "{advice:#?}");
    for (advice, start) in advice.iter().zip(expected) {
        assert!(advice.starts_with(start), "{advice}");
    }
}
