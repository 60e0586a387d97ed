//! Backups taken before migrating a database that holds something, and
//! copying one back.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use migrate_runtime::rusqlite::{Connection, OpenFlags};
use migrate_runtime::{Backups, Migrator};

/// A database at migration 2 (users, posts) with ada and her post.
fn at_v2_with_ada(path: &Path) {
    let conn = first(2).open(path).unwrap();
    conn.execute_batch(
        "INSERT INTO users (id, name) VALUES (1, 'ada');
         INSERT INTO posts (user_id, body) VALUES (1, 'notes');",
    )
    .unwrap();
}

/// The user names, in id order.
fn names(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM users ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// `<database>.<YYYY-MM-DDTHH-MM-SS.mmmZ>.v<from>-to-v<to>.sqlite`: the
/// time part, or a panic naming what does not match.
fn backup_time<'n>(name: &'n str, database: &str, from: u64, to: u64) -> &'n str {
    let time = name
        .strip_prefix(&format!("{database}."))
        .and_then(|rest| rest.strip_suffix(&format!(".v{from}-to-v{to}.sqlite")))
        .unwrap_or_else(|| panic!("{name} is not {database}.<time>.v{from}-to-v{to}.sqlite"));
    // 2025-09-19T14-04-43.123Z
    let shape: String = time
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99T99-99-99.999Z", "time part of {name}");
    time
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Opens a backup without changing it.
fn open_backup(backup: &Path) -> Connection {
    Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// `first(1)` on a fresh file, then `count` starts each adding one table
/// (versions 2, 3, …): every one of them migrates a database holding data.
fn growing_starts(path: &Path, backups: Backups, count: u64) -> Migrator {
    const NAMES: [&str; 6] = ["t2", "t3", "t4", "t5", "t6", "t7"];
    drop(first(1).open(path).unwrap());
    let mut chain = first(1);
    for version in 2..2 + count {
        let extra = (2..=version)
            .map(|v| create_table(v, NAMES[v as usize - 2]))
            .collect();
        chain = fixtures_then(1, extra).backups(backups.clone());
        drop(chain.open(path).unwrap());
    }
    chain
}

#[test]
fn migrating_a_database_with_data_backs_it_up_beside_it_first() {
    let (dir, path) = temp_db();
    at_v2_with_ada(&path);

    drop(MIGRATOR.open(&path).unwrap());

    let backups = file_names(&dir.path().join("backups"));
    assert_eq!(backups.len(), 1, "{backups:?}");
    backup_time(&backups[0], "app.db", 2, 4);
}

#[test]
fn backup_holds_the_state_before_the_migrations() {
    let (dir, path) = temp_db();
    at_v2_with_ada(&path);
    let before = dump(&path);

    drop(MIGRATOR.open(&path).unwrap());

    let name = &file_names(&dir.path().join("backups"))[0];
    let backup = dir.path().join("backups").join(name);
    let conn = open_backup(&backup);
    assert_eq!(pragma(&conn, "integrity_check"), "ok");
    assert_eq!(history_versions(&conn), [1, 2]);
    assert_eq!(names(&conn), ["ada"]);
    drop(conn);
    assert_eq!(dump(&backup), before);
}

#[test]
fn backup_time_is_the_utc_time_of_the_start() {
    let (dir, path) = temp_db();
    at_v2_with_ada(&path);

    drop(MIGRATOR.open(&path).unwrap());

    let name = &file_names(&dir.path().join("backups"))[0];
    let time = backup_time(name, "app.db", 2, 4);
    // Back to ISO 8601: 2025-09-19T14:04:43.123Z.
    let iso = format!("{}:{}:{}", &time[..13], &time[14..16], &time[17..]);
    let seconds_ago: f64 = inspect(&path)
        .query_row(
            "SELECT (julianday('now') - julianday(?1)) * 86400",
            [&iso],
            |row| row.get(0),
        )
        .unwrap();
    assert!(
        (0.0..60.0).contains(&seconds_ago),
        "{iso}: {seconds_ago} s ago"
    );
}

#[test]
fn report_points_at_the_backup() {
    let (dir, path) = temp_db();
    at_v2_with_ada(&path);

    let mut conn = Connection::open(&path).unwrap();
    let report = MIGRATOR.run(&mut conn).unwrap();

    let backup = report.backup.expect("a backup was taken");
    assert_eq!(backup.parent(), Some(dir.path().join("backups").as_path()));
    assert!(backup.is_file());
    assert_eq!(history_versions(&open_backup(&backup)), [1, 2]);
}

/// Plain migrations only: the fixtures' rebuild and VACUUM each get a
/// transaction of their own, and the database is no longer empty by then.
#[test]
fn new_empty_database_is_not_backed_up() {
    let (dir, path) = temp_db();
    let plain = fixtures_then(2, vec![create_table(3, "tags")]);

    let mut conn = Connection::open(&path).unwrap();
    let report = plain.run(&mut conn).unwrap();

    assert_eq!(report.applied.len(), 3);
    assert_eq!(report.backup, None);
    assert!(!dir.path().join("backups").exists());
    assert_eq!(plain.backups_of(&path).unwrap(), Vec::<PathBuf>::new());
}

/// The fixtures' rebuild (3, `foreign-keys-off`) gets a transaction of its
/// own after 1 and 2 are committed: the file is no longer empty then, but
/// all it holds is what this start created, and the rebuild's transaction
/// rolls back by itself.
#[test]
fn new_database_is_not_backed_up_before_a_rebuild() {
    let (dir, path) = temp_db();

    let report = first(3).run(&mut Connection::open(&path).unwrap()).unwrap();

    assert_eq!(report.applied.len(), 3);
    assert_eq!(report.backup, None);
    assert_eq!(
        file_names(&dir.path().join("backups")),
        Vec::<String>::new()
    );
}

#[test]
fn up_to_date_start_takes_no_backup() {
    let (dir, path) = temp_db();
    at_v2_with_ada(&path);
    drop(MIGRATOR.open(&path).unwrap());

    let mut conn = Connection::open(&path).unwrap();
    assert_eq!(MIGRATOR.run(&mut conn).unwrap().backup, None);
    assert_eq!(file_names(&dir.path().join("backups")).len(), 1);
}

#[test]
fn only_the_last_backups_are_kept() {
    let (dir, path) = temp_db();

    growing_starts(&path, Backups::keep(2), 4);

    let kept = file_names(&dir.path().join("backups"));
    assert_eq!(kept.len(), 2, "{kept:?}");
    backup_time(&kept[0], "app.db", 3, 4);
    backup_time(&kept[1], "app.db", 4, 5);
}

#[test]
fn disabled_backups_take_none() {
    let (dir, path) = temp_db();
    at_v2_with_ada(&path);

    let mut conn = Connection::open(&path).unwrap();
    let report = MIGRATOR
        .clone()
        .backups(Backups::disabled())
        .run(&mut conn)
        .unwrap();

    assert_eq!(report.applied.len(), 2);
    assert_eq!(report.backup, None);
    assert!(!dir.path().join("backups").exists());
}

#[test]
fn backups_go_to_the_folder_given() {
    let (dir, path) = temp_db();
    let elsewhere = tempfile::tempdir().unwrap();
    let folder = elsewhere.path().join("app-backups");
    at_v2_with_ada(&path);

    let mut conn = Connection::open(&path).unwrap();
    let report = MIGRATOR
        .clone()
        .backups(Backups::keep(3).in_folder(&folder))
        .run(&mut conn)
        .unwrap();

    let backup = report.backup.expect("a backup was taken");
    assert_eq!(backup.parent(), Some(folder.as_path()));
    backup_time(&file_name(&backup), "app.db", 2, 4);
    assert_eq!(file_names(&folder), [file_name(&backup)]);
    assert!(!dir.path().join("backups").exists());
}

#[test]
fn keep_counts_the_backups_in_the_folder_given() {
    let (_dir, path) = temp_db();
    let elsewhere = tempfile::tempdir().unwrap();

    growing_starts(&path, Backups::keep(3).in_folder(elsewhere.path()), 5);

    assert_eq!(file_names(elsewhere.path()).len(), 3);
}

#[test]
fn backups_of_lists_oldest_first() {
    let (dir, path) = temp_db();

    let chain = growing_starts(&path, Backups::keep(5), 3);

    let listed = chain.backups_of(&path).unwrap();
    let names: Vec<String> = listed.iter().map(|p| file_name(p)).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    backup_time(&names[0], "app.db", 1, 2);
    backup_time(&names[1], "app.db", 2, 3);
    backup_time(&names[2], "app.db", 3, 4);
    for backup in &listed {
        assert_eq!(backup.parent(), Some(dir.path().join("backups").as_path()));
    }
}

#[test]
fn backups_of_a_database_never_backed_up_is_empty() {
    let (_dir, path) = temp_db();
    assert_eq!(MIGRATOR.backups_of(&path).unwrap(), Vec::<PathBuf>::new());
}

#[test]
fn backups_of_ignores_the_backups_of_another_database_in_the_folder() {
    let (dir, path) = temp_db();
    growing_starts(&path, Backups::keep(5), 2);
    let other = dir.path().join("other.db");
    growing_starts(&other, Backups::keep(5), 1);

    assert_eq!(MIGRATOR.backups_of(&path).unwrap().len(), 2);
    assert_eq!(MIGRATOR.backups_of(&other).unwrap().len(), 1);
}

#[test]
fn backups_of_a_database_whose_name_prefixes_another_are_its_own() {
    let (dir, path) = temp_db();
    growing_starts(&path, Backups::keep(5), 2);
    let app = dir.path().join("app");

    assert_eq!(
        MIGRATOR.backups_of(&app).unwrap(),
        Vec::<PathBuf>::new(),
        "`app` was never backed up; the two backups are of `app.db`"
    );
}

#[test]
fn pruning_one_database_keeps_the_backups_of_another() {
    let (dir, path) = temp_db();
    growing_starts(&path, Backups::keep(5), 2);
    let app_db_backups = file_names(&dir.path().join("backups"));
    assert_eq!(app_db_backups.len(), 2);

    growing_starts(&dir.path().join("app"), Backups::keep(1), 1);

    let left = file_names(&dir.path().join("backups"));
    for backup in &app_db_backups {
        assert!(left.contains(backup), "{backup} was deleted: {left:?}");
    }
}

#[test]
fn restore_brings_back_the_old_state_under_an_open_connection() {
    let (_dir, path) = temp_db();
    at_v2_with_ada(&path);
    let before = dump(&path);
    drop(MIGRATOR.open(&path).unwrap());
    let backup = MIGRATOR.backups_of(&path).unwrap().pop().unwrap();

    // Another connection, opened before the restore and kept open.
    let other = Connection::open(&path).unwrap();
    other
        .execute("INSERT INTO users (name) VALUES ('bob')", [])
        .unwrap();
    assert_eq!(names(&other), ["ada", "bob"]);
    assert_eq!(history_versions(&other), [1, 2, 3, 4]);

    MIGRATOR.restore(&path, &backup).unwrap();

    assert_eq!(names(&other), ["ada"]);
    assert_eq!(history_versions(&other), [1, 2]);
    assert_eq!(user_version(&other), fingerprint_of(&MIGRATIONS[..2]));
    assert_eq!(pragma(&other, "integrity_check"), "ok");
    drop(other);
    assert_eq!(dump(&path), before);
}

/// The migrated state lives partly in the `-wal` file of the connection
/// still open: a copy of the file would be overlaid by it, SQLite's backup
/// is not.
#[test]
fn restore_wins_over_the_wal_of_a_connection_still_open() {
    let (_dir, path) = temp_db();
    at_v2_with_ada(&path);
    let before = dump(&path);
    let app = MIGRATOR.open(&path).unwrap();
    app.execute("INSERT INTO users (name) VALUES ('bob')", [])
        .unwrap();
    let wal = std::fs::metadata(path.with_extension("db-wal")).unwrap();
    assert!(wal.len() > 0, "the changes are in the WAL");
    let backup = MIGRATOR.backups_of(&path).unwrap().pop().unwrap();

    MIGRATOR.restore(&path, &backup).unwrap();

    assert_eq!(names(&app), ["ada"]);
    assert_eq!(history_versions(&app), [1, 2]);
    assert_eq!(pragma(&app, "integrity_check"), "ok");
    assert_eq!(names(&inspect(&path)), ["ada"]);
    drop(app);
    assert_eq!(dump(&path), before);
}

#[test]
fn restored_database_is_migrated_again_by_the_next_start() {
    let (_dir, path) = temp_db();
    at_v2_with_ada(&path);
    drop(MIGRATOR.open(&path).unwrap());
    let backup = MIGRATOR.backups_of(&path).unwrap().pop().unwrap();
    MIGRATOR.restore(&path, &backup).unwrap();

    let mut conn = Connection::open(&path).unwrap();
    let report = MIGRATOR.run(&mut conn).unwrap();

    let versions: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, [3, 4]);
    assert_eq!(names(&conn), ["ada"]);
}

#[test]
fn restore_from_a_missing_backup_changes_nothing() {
    let (dir, path) = temp_db();
    at_v2_with_ada(&path);
    let before = dump(&path);

    let missing = dir.path().join("backups").join("app.db.nothing.sqlite");
    let error = MIGRATOR.restore(&path, &missing).unwrap_err();

    assert!(
        matches!(error, migrate_runtime::Error::Restore { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("no such backup"), "{error}");
    assert_eq!(dump(&path), before);
}

#[test]
fn a_backup_on_demand_is_named_for_the_current_version_and_counts_towards_those_kept() {
    let (_dir, path) = temp_db();
    at_v2_with_ada(&path);
    let keep_two = first(2).backups(Backups::keep(2));

    let taken: Vec<PathBuf> = (0..3).map(|_| keep_two.backup(&path).unwrap()).collect();

    let name = file_name(&taken[2]);
    backup_time(&name, "app.db", 2, 2);
    assert_eq!(keep_two.backups_of(&path).unwrap(), taken[1..]);
    assert_eq!(names(&open_backup(&taken[2])), ["ada"]);
    assert_eq!(
        keep_two.backup_folder(&path),
        path.with_file_name("backups")
    );
}

#[test]
fn a_backup_on_demand_is_kept_with_backups_off_and_refused_without_a_database() {
    let (dir, path) = temp_db();
    at_v2_with_ada(&path);
    let off = first(2).backups(Backups::disabled());

    let backup = off.backup(&path).unwrap();

    assert_eq!(off.backups_of(&path).unwrap(), [backup]);
    let missing = dir.path().join("missing.db");
    let error = off.backup(&missing).unwrap_err();
    assert!(
        matches!(error, migrate_runtime::Error::NoDatabase { .. }),
        "{error}"
    );
    assert!(!missing.exists(), "no database is created");
}
