//! Reverting applied migrations with their down scripts: by steps or to a
//! version, in one transaction, after a backup, with the down script from
//! the history when the binary does not contain the migration.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{
    Backups, Error, Event, Migration, Migrator, Recovery, ScriptSource, TransactionMode,
};

const CREATE_NOTES: &str = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);";
const DROP_NOTES: &str = "DROP TABLE notes;";
const ADD_TAG: &str = "ALTER TABLE notes ADD COLUMN tag TEXT;";
const DROP_TAG: &str = "ALTER TABLE notes DROP COLUMN tag;";
/// Moves the part of the body before `:` into a title column.
const SPLIT_TITLE: &str = "ALTER TABLE notes ADD COLUMN title TEXT;
UPDATE notes SET title = substr(body, 1, instr(body, ':') - 1),
                 body = substr(body, instr(body, ':') + 1)
 WHERE instr(body, ':') > 0;";
/// Puts the title back in front of the body.
const JOIN_TITLE: &str = "UPDATE notes SET body = title || ':' || body WHERE title IS NOT NULL;
ALTER TABLE notes DROP COLUMN title;";

/// 1 create_notes, 2 add_tag, 3 split_title: each with a down script.
fn chain() -> Vec<Migration> {
    vec![
        with_down(1, "create_notes", CREATE_NOTES, DROP_NOTES, 1),
        with_down(2, "add_tag", ADD_TAG, DROP_TAG, 2),
        with_down(3, "split_title", SPLIT_TITLE, JOIN_TITLE, 3),
    ]
}

/// The chain applied up to `version`, with two notes written at migration 2.
/// Returns the dump of the database at migration 2, notes included.
fn notes_at_v3(path: &Path) -> Vec<String> {
    drop(migrator(chain()[..2].to_vec()).open(path).unwrap());
    inspect(path)
        .execute_batch(
            "INSERT INTO notes (body, tag) VALUES ('shopping:milk', 'home');
             INSERT INTO notes (body) VALUES ('no title here');",
        )
        .unwrap();
    let at_v2 = dump(path);
    drop(migrator(chain()).open(path).unwrap());
    at_v2
}

fn bodies(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT body FROM notes ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn reverted_versions(report: &migrate_runtime::Report) -> Vec<u64> {
    report.reverted.iter().map(|r| r.version).collect()
}

#[test]
fn one_step_reverts_the_newest_and_its_down_script_restores_the_data() {
    let (_dir, path) = temp_db();
    let at_v2 = notes_at_v3(&path);
    assert_eq!(bodies(&inspect(&path)), ["milk", "no title here"]);

    let mut conn = Connection::open(&path).unwrap();
    let report = migrator(chain()).revert_steps(&mut conn, 1).unwrap();

    assert_eq!(reverted_versions(&report), [3]);
    assert_eq!(report.reverted[0].name, "split_title");
    assert_eq!(report.reverted[0].source, ScriptSource::Binary);
    assert_eq!(report.applied, []);
    assert_eq!(bodies(&conn), ["shopping:milk", "no title here"]);
    assert_eq!(history_versions(&conn), [1, 2]);
    assert_eq!(user_version(&conn), fingerprint_of(&chain()[..2]));
    drop(conn);
    assert_eq!(dump(&path), at_v2, "schema and rows as they were at 2");
}

#[test]
fn revert_to_a_version_reverts_everything_above_it_newest_first() {
    let (_dir, path) = temp_db();
    notes_at_v3(&path);
    let chain = chain();

    let mut conn = Connection::open(&path).unwrap();
    let report = migrator(chain.clone())
        .revert_to(&mut conn, &chain[0])
        .unwrap();

    assert_eq!(reverted_versions(&report), [3, 2]);
    assert_eq!(history_versions(&conn), [1]);
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('notes')")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(columns, ["id", "body"]);
    assert_eq!(bodies(&conn), ["shopping:milk", "no title here"]);
    assert_eq!(user_version(&conn), fingerprint_of(&chain[..1]));
}

#[test]
fn revert_to_zero_reverts_every_migration() {
    let (_dir, path) = temp_db();
    notes_at_v3(&path);

    let mut conn = Connection::open(&path).unwrap();
    let report = migrator(chain()).revert_to(&mut conn, 0).unwrap();

    assert_eq!(reverted_versions(&report), [3, 2, 1]);
    assert_eq!(tables(&conn), ["_migrate_history"]);
    assert_eq!(history_versions(&conn), Vec::<i64>::new());
}

#[test]
fn a_chain_that_starts_at_zero_keeps_migration_0_above_0_and_reverts_it_with_all() {
    // golang-migrate and Drizzle number their first migration 0.
    let from_zero = || {
        vec![
            with_down(0, "create_notes", CREATE_NOTES, DROP_NOTES, 1),
            with_down(1, "add_tag", ADD_TAG, DROP_TAG, 2),
        ]
    };
    let (_dir, path) = temp_db();
    let mut conn = migrator(from_zero()).open(&path).unwrap();
    assert_eq!(history_versions(&conn), [0, 1]);

    let report = migrator(from_zero()).revert_to(&mut conn, 0).unwrap();
    assert_eq!(reverted_versions(&report), [1]);
    assert_eq!(history_versions(&conn), [0]);

    let steps = migrator(from_zero())
        .dry_run(&conn, migrate_runtime::Operation::RevertAll)
        .unwrap();
    assert_eq!(steps.iter().map(|s| s.version).collect::<Vec<_>>(), [0]);
    let report = migrator(from_zero())
        .execute(&mut conn, migrate_runtime::Operation::RevertAll)
        .unwrap();
    assert_eq!(reverted_versions(&report), [0]);
    assert_eq!(tables(&conn), ["_migrate_history"]);
}

#[test]
fn revert_without_a_down_script_is_refused_naming_it_and_changes_nothing() {
    let (dir, path) = temp_db();
    let mut chain = chain();
    chain[1] = migration(2, "add_tag", ADD_TAG, 2);
    drop(migrator(chain.clone()).open(&path).unwrap());
    inspect(&path)
        .execute("INSERT INTO notes (body) VALUES ('a:b')", [])
        .unwrap();
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let error = migrator(chain).revert_to(&mut conn, 1).unwrap_err();

    let Error::NoDownScript { ref migrations } = error else {
        panic!("expected NoDownScript, got {error}");
    };
    assert_eq!(migrations, &[(2, "add_tag".to_string())]);
    let message = error.to_string();
    assert!(message.contains("2 (add_tag)"), "{message}");
    assert!(message.contains("restore a backup"), "{message}");
    drop(conn);
    assert_eq!(dump(&path), before);
    assert_eq!(
        file_names(&dir.path().join("backups")),
        Vec::<String>::new()
    );
}

#[test]
fn a_failing_down_script_rolls_the_whole_revert_back() {
    let (_dir, path) = temp_db();
    let mut chain = chain();
    chain[1] = with_down(2, "add_tag", ADD_TAG, "DROP TABLE missing;", 2);
    drop(migrator(chain.clone()).open(&path).unwrap());
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let error = migrator(chain).revert_to(&mut conn, 1).unwrap_err();

    let Error::Revert {
        version,
        ref name,
        ref recovery,
        ..
    } = error
    else {
        panic!("expected Revert, got {error}");
    };
    assert_eq!((version, name.as_str()), (2, "add_tag"));
    assert_eq!(recovery, &Recovery::RolledBack);
    assert!(error
        .to_string()
        .contains("reverting migration 2 (add_tag) failed"));
    drop(conn);
    assert_eq!(dump(&path), before, "the revert of 3 was rolled back too");
}

#[test]
fn per_migration_mode_commits_each_revert() {
    let (_dir, path) = temp_db();
    let mut chain = chain();
    chain[1] = with_down(2, "add_tag", ADD_TAG, "DROP TABLE missing;", 2);
    drop(migrator(chain.clone()).open(&path).unwrap());

    let mut conn = Connection::open(&path).unwrap();
    let per_migration = migrator(chain).transaction_mode(TransactionMode::PerMigration);
    let error = per_migration.revert_to(&mut conn, 1).unwrap_err();

    assert!(matches!(error, Error::Revert { version: 2, .. }), "{error}");
    assert_eq!(history_versions(&conn), [1, 2], "3 stays reverted");
}

#[test]
fn a_revert_backs_the_database_up_first() {
    let (dir, path) = temp_db();
    notes_at_v3(&path);
    let earlier = file_names(&dir.path().join("backups"));

    let mut conn = Connection::open(&path).unwrap();
    let report = migrator(chain()).revert_to(&mut conn, 1).unwrap();

    let mut backups = file_names(&dir.path().join("backups"));
    backups.retain(|name| !earlier.contains(name));
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(backups[0].ends_with(".v3-to-v1.sqlite"), "{backups:?}");
    let backup = report.backup.expect("the report names the backup");
    assert_eq!(history_versions(&inspect(&backup)), [1, 2, 3]);
    assert_eq!(bodies(&inspect(&backup)), ["milk", "no title here"]);
}

#[test]
fn no_backup_when_backups_are_disabled() {
    let (dir, path) = temp_db();
    notes_at_v3(&path);
    let earlier = file_names(&dir.path().join("backups"));

    let mut conn = Connection::open(&path).unwrap();
    let report = migrator(chain())
        .backups(Backups::disabled())
        .revert_steps(&mut conn, 2)
        .unwrap();

    assert_eq!(reverted_versions(&report), [3, 2]);
    assert_eq!(report.backup, None);
    assert_eq!(file_names(&dir.path().join("backups")), earlier);
}

#[test]
fn an_older_binary_reverts_a_newer_builds_migration_with_the_recorded_down_script() {
    let (_dir, path) = temp_db();
    let at_v2 = notes_at_v3(&path);
    let older = migrator(chain()[..2].to_vec());
    let mut conn = Connection::open(&path).unwrap();
    assert!(matches!(
        older.run(&mut conn).unwrap_err(),
        Error::UnknownVersions { .. }
    ));

    let report = older.revert_to(&mut conn, 2).unwrap();

    assert_eq!(reverted_versions(&report), [3]);
    assert_eq!(report.reverted[0].name, "split_title");
    assert_eq!(report.reverted[0].source, ScriptSource::History);
    assert_eq!(bodies(&conn), ["shopping:milk", "no title here"]);
    assert_eq!(user_version(&conn), fingerprint_of(older.migrations()));
    assert_eq!(older.run(&mut conn).unwrap().applied, []);
    drop(conn);
    assert_eq!(dump(&path), at_v2);
}

#[test]
fn the_binarys_down_script_is_used_when_it_has_one() {
    let (_dir, path) = temp_db();
    // Applied by a build whose migration 2 had no down script.
    let mut without = chain();
    without[1] = migration(2, "add_tag", ADD_TAG, 2);
    drop(migrator(without).open(&path).unwrap());
    assert_eq!(history(&inspect(&path))[1].down_sql, None);

    let mut conn = Connection::open(&path).unwrap();
    let report = migrator(chain()).revert_to(&mut conn, 1).unwrap();

    assert_eq!(reverted_versions(&report), [3, 2]);
    assert_eq!(report.reverted[1].source, ScriptSource::Binary);
}

#[test]
fn an_older_binary_is_refused_when_the_history_has_no_down_script_either() {
    let (_dir, path) = temp_db();
    let mut newer = chain();
    newer[2] = migration(3, "split_title", SPLIT_TITLE, 3);
    drop(migrator(newer).open(&path).unwrap());
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let error = migrator(chain()[..2].to_vec())
        .revert_steps(&mut conn, 1)
        .unwrap_err();

    let Error::NoDownScript { ref migrations } = error else {
        panic!("expected NoDownScript, got {error}");
    };
    assert_eq!(migrations, &[(3, "split_title".to_string())]);
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn an_edited_migration_is_not_reverted() {
    let (_dir, path) = temp_db();
    notes_at_v3(&path);
    let before = dump(&path);
    let mut edited = chain();
    edited[2] = with_down(3, "split_title", SPLIT_TITLE, JOIN_TITLE, 0x33);

    let mut conn = Connection::open(&path).unwrap();
    let error = migrator(edited).revert_steps(&mut conn, 1).unwrap_err();

    assert!(
        matches!(error, Error::ChecksumMismatch { version: 3, .. }),
        "{error}"
    );
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn more_steps_than_applied_migrations_is_refused() {
    let (_dir, path) = temp_db();
    notes_at_v3(&path);
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let error = migrator(chain()).revert_steps(&mut conn, 4).unwrap_err();

    assert!(
        matches!(
            error,
            Error::TooManySteps {
                steps: 4,
                applied: 3
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("`--all`"), "{error}");
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn a_target_that_is_no_migration_is_refused() {
    let (_dir, path) = temp_db();
    notes_at_v3(&path);
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let error = migrator(chain()).revert_to(&mut conn, 7).unwrap_err();

    assert!(
        matches!(
            error,
            Error::NotInBinary {
                version: 7,
                operation: "revert to"
            }
        ),
        "{error}"
    );
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn zero_steps_and_a_target_above_the_newest_revert_nothing() {
    let (_dir, path) = temp_db();
    drop(migrator(chain()[..2].to_vec()).open(&path).unwrap());
    let before = dump(&path);
    let chain = migrator(chain());

    let mut conn = Connection::open(&path).unwrap();
    assert_eq!(chain.revert_steps(&mut conn, 0).unwrap().reverted, []);
    assert_eq!(chain.revert_to(&mut conn, 3).unwrap().reverted, []);
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn the_hook_sees_each_revert() {
    let (_dir, path) = temp_db();
    notes_at_v3(&path);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook_seen = seen.clone();
    let chain = migrator(chain()).on_event(move |event| {
        let line = match event {
            Event::Reverting { version, name } => format!("reverting {version} {name}"),
            Event::Reverted { version, name, .. } => format!("reverted {version} {name}"),
            Event::BackingUp { .. } | Event::BackedUp { .. } => return,
            other => format!("{other:?}"),
        };
        hook_seen.lock().unwrap().push(line);
    });

    let mut conn = Connection::open(&path).unwrap();
    chain.revert_to(&mut conn, 1).unwrap();

    assert_eq!(
        *seen.lock().unwrap(),
        [
            "reverting 3 split_title",
            "reverted 3 split_title",
            "reverting 2 add_tag",
            "reverted 2 add_tag",
        ]
    );
}

#[test]
fn after_a_revert_the_next_start_applies_them_again_then_takes_the_fast_path() {
    let (_dir, path) = temp_db();
    notes_at_v3(&path);
    let chain: Migrator = migrator(chain());
    let mut conn = Connection::open(&path).unwrap();
    chain.revert_to(&mut conn, 1).unwrap();

    let report = chain.run(&mut conn).unwrap();

    let applied: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(applied, [2, 3]);
    assert_eq!(chain.run(&mut conn).unwrap(), Default::default());
    assert_eq!(user_version(&conn), fingerprint_of(chain.migrations()));
    drop(conn);
    // Only the fast path can accept the database without its history.
    inspect(&path)
        .execute_batch("DROP TABLE _migrate_history")
        .unwrap();
    let conn = chain.open(&path).unwrap();
    assert!(!tables(&conn).contains(&"_migrate_history".to_string()));
}

#[test]
fn a_no_transaction_down_script_runs_alone() {
    let (_dir, path) = temp_db();
    let chain = migrator(vec![
        with_down(1, "create_notes", CREATE_NOTES, DROP_NOTES, 1),
        with_down(
            2,
            "vacuum",
            "-- migrate: no-transaction\nVACUUM;",
            "-- migrate: no-transaction\nVACUUM;",
            2,
        ),
    ]);
    drop(chain.open(&path).unwrap());

    let mut conn = Connection::open(&path).unwrap();
    let report = chain.revert_to(&mut conn, 0).unwrap();

    assert_eq!(reverted_versions(&report), [2, 1]);
    assert_eq!(history_versions(&conn), Vec::<i64>::new());
}

/// A down script a newer build recorded, with an `allow` of a lint this
/// build does not know: its `foreign-keys-off` still holds, so dropping the
/// parent table does not cascade into the children.
#[test]
fn a_recorded_down_script_keeps_its_directives_when_it_names_an_unknown_lint() {
    let (_dir, path) = temp_db();
    let tables = migration(
        1,
        "tables",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE);",
        1,
    );
    let rebuild = |from: &str, to: &str, unique: &str| {
        format!(
            "-- migrate: foreign-keys-off\nCREATE TABLE {to} (id INTEGER PRIMARY KEY, name TEXT {unique});\n\
             INSERT INTO {to} SELECT id, name FROM {from};\nDROP TABLE {from};\nALTER TABLE {to} RENAME TO {from};"
        )
    };
    let up = rebuild("users", "users_new", "UNIQUE");
    let down = format!(
        "-- migrate: allow a-lint-added-later\n{}",
        rebuild("users", "users_old", "")
    );
    // The newer build knew the lint: its down script parsed there.
    let known = migrate_runtime::Directives::NONE.with(migrate_runtime::Directive::ForeignKeysOff);
    let two = migration(2, "unique_names", &up, 2);
    let two = migrate_runtime::Migration::new(
        2,
        "unique_names",
        two.up().clone(),
        Some(migrate_runtime::Script::owned(down, known)),
        two.checksum(),
    );
    let newer = migrator(vec![tables.clone(), two]);
    let mut conn = newer.open(&path).unwrap();
    conn.execute_batch("INSERT INTO users VALUES (1, 'ada'); INSERT INTO posts VALUES (10, 1);")
        .unwrap();
    migrator(vec![tables]).revert_to(&mut conn, 1).unwrap();
    let posts: i64 = conn
        .query_row("SELECT count(*) FROM posts", [], |row| row.get(0))
        .unwrap();
    assert_eq!(posts, 1);
    assert_eq!(history_versions(&conn), [1]);
}
