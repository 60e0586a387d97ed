//! The event hook, and a database migrated by a newer build.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Event, Migrator};

/// What the hook saw: `applying 1 create_users`, `applied 1 create_users`, …
type Seen = Arc<Mutex<Vec<String>>>;

/// Durations the hook saw in `Applied`, by version.
type Durations = Arc<Mutex<Vec<(u64, Duration)>>>;

fn recording(migrator: Migrator) -> (Migrator, Seen, Durations) {
    let seen = Seen::default();
    let durations = Durations::default();
    let (hook_seen, hook_durations) = (seen.clone(), durations.clone());
    let migrator = migrator.on_event(move |event| match event {
        Event::Applying { migration } => hook_seen.lock().unwrap().push(format!(
            "applying {} {}",
            migration.version(),
            migration.name()
        )),
        Event::Applied {
            migration,
            duration,
        } => {
            hook_seen.lock().unwrap().push(format!(
                "applied {} {}",
                migration.version(),
                migration.name()
            ));
            hook_durations
                .lock()
                .unwrap()
                .push((migration.version(), *duration));
        }
        Event::BackingUp { database } => hook_seen
            .lock()
            .unwrap()
            .push(format!("backing up {}", database.display())),
        Event::BackedUp { backup, .. } => hook_seen.lock().unwrap().push(format!(
            "backed up to {}",
            backup.file_name().unwrap().to_string_lossy()
        )),
        _ => hook_seen.lock().unwrap().push(format!("{event:?}")),
    });
    (migrator, seen, durations)
}

/// A migration whose SQL takes a moment: a table of 300 000 rows.
const SLOW_SQL: &str = "CREATE TABLE numbers AS
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000)
    SELECT x FROM c;";

#[test]
fn hook_sees_applying_then_applied_for_each_migration_in_order() {
    let (_dir, path) = temp_db();
    let (migrator, seen, _) = recording(MIGRATOR.clone());

    migrator.open(&path).unwrap();

    // The no-transaction migration 4 is backed up for, even on a new database.
    let backup = MIGRATOR.backups_of(&path).unwrap().pop().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "applying 1 create_users".to_string(),
            "applied 1 create_users".into(),
            "applying 2 create_posts".into(),
            "applied 2 create_posts".into(),
            "applying 3 users_name_unique".into(),
            "applied 3 users_name_unique".into(),
            format!("backing up {}", path.display()),
            format!(
                "backed up to {}",
                backup.file_name().unwrap().to_string_lossy()
            ),
            "applying 4 vacuum".into(),
            "applied 4 vacuum".into(),
        ]
    );
}

#[test]
fn hook_sees_only_the_pending_migrations() {
    let (_dir, path) = temp_db();
    drop(first(3).open(&path).unwrap());
    let (migrator, seen, _) = recording(MIGRATOR.clone());

    migrator.open(&path).unwrap();

    let seen = seen.lock().unwrap();
    let backup = MIGRATOR.backups_of(&path).unwrap().pop().unwrap();
    assert_eq!(
        *seen,
        [
            format!("backing up {}", path.display()),
            format!(
                "backed up to {}",
                backup.file_name().unwrap().to_string_lossy()
            ),
            "applying 4 vacuum".to_string(),
            "applied 4 vacuum".to_string(),
        ]
    );
}

#[test]
fn hook_sees_nothing_when_up_to_date() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());
    let (migrator, seen, _) = recording(MIGRATOR.clone());

    migrator.open(&path).unwrap();

    assert_eq!(*seen.lock().unwrap(), Vec::<String>::new());
}

#[test]
fn hook_sees_the_failing_migration_applying_but_never_applied() {
    let (_dir, path) = temp_db();
    let chain = migrator(vec![
        create_table(1, "tags"),
        migration(2, "broken", "INSERT INTO missing (x) VALUES (1);", 2),
    ]);
    let (chain, seen, _) = recording(chain);

    chain.open(&path).unwrap_err();

    assert_eq!(
        *seen.lock().unwrap(),
        ["applying 1 tags", "applied 1 tags", "applying 2 broken"]
    );
}

#[test]
fn applied_carries_the_duration_of_the_migrations_sql() {
    let (_dir, path) = temp_db();
    let chain = fixtures_then(1, vec![migration(2, "numbers", SLOW_SQL, 2)]);
    let (chain, _, durations) = recording(chain);

    let report = chain.run(&mut Connection::open(&path).unwrap()).unwrap();

    let from_report: Vec<(u64, Duration)> = report
        .applied
        .iter()
        .map(|a| (a.version, a.duration))
        .collect();
    let durations = durations.lock().unwrap();
    assert_eq!(*durations, from_report, "the hook and the report agree");
    assert!(durations[1].1 > Duration::ZERO, "{durations:?}");
}

#[test]
fn newer_database_is_refused_by_default() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());
    let before = dump(&path);

    let error = first(2).open(&path).unwrap_err();

    let Error::UnknownVersions { ref versions } = error else {
        panic!("expected UnknownVersions, got {error}");
    };
    assert_eq!(
        versions,
        &[
            (3, "users_name_unique".to_string()),
            (4, "vacuum".to_string())
        ]
    );
    assert!(
        error.to_string().contains("allow_newer_database(true)"),
        "{error}"
    );
    assert_eq!(dump(&path), before);
}

#[test]
fn allow_newer_database_lets_an_older_build_open_it_unchanged() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());
    let before = dump(&path);
    let header = user_version(&inspect(&path));

    let conn = first(2).allow_newer_database(true).open(&path).unwrap();

    assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
    drop(conn);
    assert_eq!(dump(&path), before);
    assert_eq!(
        user_version(&inspect(&path)),
        header,
        "the header keeps the newer chain's fingerprint"
    );
    // The newer build still takes its fast path.
    MIGRATOR.open(&path).unwrap();
}

#[test]
fn allow_newer_database_applies_nothing_and_reports_nothing() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());
    let backups = MIGRATOR.backups_of(&path).unwrap();
    let (older, seen, _) = recording(first(2).allow_newer_database(true));

    let report = older.run(&mut Connection::open(&path).unwrap()).unwrap();

    assert_eq!(report, migrate_runtime::Report::default());
    assert_eq!(*seen.lock().unwrap(), Vec::<String>::new());
    assert_eq!(MIGRATOR.backups_of(&path).unwrap(), backups, "no backup");
}

#[test]
fn allow_newer_database_still_refuses_an_edited_migration() {
    let (_dir, path) = temp_db();
    drop(MIGRATOR.open(&path).unwrap());
    let before = dump(&path);
    let edited = migrator(vec![
        MIGRATIONS[0].clone(),
        migration(2, "create_posts", MIGRATIONS[1].up().sql(), 0x77),
    ])
    .allow_newer_database(true);

    let error = edited.open(&path).unwrap_err();

    assert!(
        matches!(error, Error::ChecksumMismatch { version: 2, .. }),
        "{error}"
    );
    assert_eq!(dump(&path), before);
}
