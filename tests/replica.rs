//! Nodes that may not write, as the application sees them, with real
//! processes on real files: LiteFS's `.primary` file beside the database,
//! the primary's migrated database arriving under a running replica (the
//! way replication changes the file), and a connection SQLite cannot write.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::{backup::Backup, Connection, OpenFlags};
use migrate_runtime::{Error, Migrator, OnReplica};
use migrate_tests::{history_versions, wait_until, Finished};

mod chain {
    migrate_runtime::embed_migrations!("fixtures/concurrent");
    pub use migrations::*;
}

const PROBE: &str = env!("CARGO_BIN_EXE_migrate-probe");
const DEADLINE: Duration = Duration::from_secs(60);

/// A LiteFS mount as a replica sees it: the database at the binary's
/// first three migrations, and `.primary` naming the primary.
fn replica_mount() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("app.db");
    drop(
        Migrator::new(&chain::MIGRATIONS[..3])
            .open(&db)
            .expect("the primary's first release"),
    );
    fs::write(dir.path().join(".primary"), "node-a\n").unwrap();
    (dir, db)
}

/// A start of the binary with every migration, on `db`.
fn start(db: &Path, policy: Option<&str>, deadline_ms: u64) -> Child {
    let mut command = Command::new(PROBE);
    command
        .arg("chain")
        .arg(db)
        .args(["--deadline-ms", &deadline_ms.to_string()])
        .env_remove("MIGRATE_ON_REPLICA")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(policy) = policy {
        command.env("MIGRATE_ON_REPLICA", policy);
    }
    command.spawn().expect("start migrate-probe")
}

/// What replication does: the primary's database, page by page, into the
/// replica's file while the replica has it open.
fn replicate(primary: &Path, replica: &Path) {
    let source = Connection::open(primary).unwrap();
    let mut target = Connection::open(replica).unwrap();
    Backup::new(&source, &mut target)
        .unwrap()
        .run_to_completion(64, Duration::ZERO, None)
        .unwrap();
}

fn versions(db: &Path) -> Vec<i64> {
    history_versions(&Connection::open(db).unwrap()).unwrap()
}

fn finish(child: Child) -> Finished {
    wait_until(child, Instant::now() + DEADLINE)
}

#[test]
fn a_replica_waits_for_the_primarys_migrations_then_starts_without_running_them() {
    let (_mount, db) = replica_mount();
    let primary = tempfile::tempdir().unwrap();
    let primary_db = primary.path().join("app.db");
    fs::copy(&db, &primary_db).unwrap();

    let mut replica = start(&db, None, 30_000);
    thread::sleep(Duration::from_millis(700));
    assert!(
        replica.try_wait().unwrap().is_none(),
        "the replica waits for the primary"
    );
    assert_eq!(versions(&db), [1, 2, 3], "and writes nothing");

    // The primary migrates; replication brings its file to the replica.
    drop(
        chain::MIGRATOR
            .open(&primary_db)
            .expect("the primary migrates"),
    );
    let arrived = Instant::now();
    replicate(&primary_db, &db);
    let finished = finish(replica);
    let started_after = arrived.elapsed();

    assert!(finished.success(), "{finished:?}");
    assert_eq!(finished.stdout, "ok\n");
    assert_eq!(versions(&db), [1, 2, 3, 4, 5, 6, 7]);
    // The chain's migrations fail if any runs twice: the replica ran none.
    assert_eq!(versions(&db), versions(&primary_db));
    eprintln!("the replica started {started_after:?} after the primary's migrations arrived");
}

#[test]
fn told_to_fail_a_replica_names_the_primary_and_what_is_pending() {
    let (_mount, db) = replica_mount();

    let finished = finish(start(&db, Some("fail"), 30_000));

    assert_eq!(finished.status.and_then(|s| s.code()), Some(1));
    let message = finished.stderr.trim_end();
    assert!(message.ends_with("error variant: Replica"), "{message}");
    assert!(
        message.contains(&format!(
            "{}: this node may not write the database ({} says another node is the primary) \
             and migrations are pending: 4 (post_counts_view)",
            db.display(),
            db.with_file_name(".primary").display()
        )),
        "{message}"
    );
    assert!(
        message.contains("They are applied by the primary (node-a)"),
        "{message}"
    );
    assert_eq!(versions(&db), [1, 2, 3]);
}

#[test]
fn told_to_start_a_replica_starts_on_the_schema_it_has() {
    let (_mount, db) = replica_mount();

    let finished = finish(start(&db, Some("start"), 30_000));

    assert!(finished.success(), "{finished:?}");
    assert_eq!(versions(&db), [1, 2, 3]);
}

#[test]
fn a_replica_that_never_catches_up_fails_at_the_deadline_saying_what_to_check() {
    let (_mount, db) = replica_mount();
    let began = Instant::now();

    let finished = finish(start(&db, None, 800));

    assert!(
        began.elapsed() < Duration::from_secs(20),
        "bounded by the deadline"
    );
    let message = finished.stderr.trim_end();
    assert!(
        message.ends_with("error variant: ReplicaBehind"),
        "{message}"
    );
    assert!(message.contains("and after waiting 80"), "{message}");
    assert!(
        message.contains("Check that the primary (node-a) started and migrated"),
        "{message}"
    );
    assert_eq!(versions(&db), [1, 2, 3]);
}

#[test]
fn a_replica_ahead_of_the_binary_is_the_rolling_deploy_case() {
    let (_mount, db) = replica_mount();
    // Already carrying every migration of an older binary: it starts.
    let older = Migrator::new(&chain::MIGRATIONS[..2]);
    let conn = older.open(&db);
    assert!(
        matches!(conn, Err(Error::UnknownVersions { .. })),
        "refused unless allowed: {conn:?}"
    );
    assert!(older.allow_newer_database(true).open(&db).is_ok());
}

#[test]
fn a_connection_sqlite_cannot_write_follows_the_policy_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    drop(Migrator::new(&chain::MIGRATIONS[..3]).open(&db).unwrap());
    let read_only = || Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();

    // No policy: a read-only file is a mistake to fix, said as before.
    let error = chain::MIGRATOR
        .clone()
        .read_environment(false)
        .run(&mut read_only());
    assert!(matches!(error, Err(Error::ReadOnly { .. })), "{error:?}");

    let failing = chain::MIGRATOR
        .clone()
        .read_environment(false)
        .on_replica(OnReplica::Fail);
    let error = failing.run(&mut read_only()).unwrap_err();
    assert!(
        error.to_string().contains(&format!(
            "this node may not write the database (SQLite cannot write {})",
            db.display()
        )),
        "{error}"
    );

    let waiting = chain::MIGRATOR
        .clone()
        .read_environment(false)
        .on_replica(OnReplica::Wait)
        .deadline(Duration::from_millis(300));
    let error = waiting.run(&mut read_only()).unwrap_err();
    assert!(matches!(error, Error::ReplicaBehind { .. }), "{error}");
    assert_eq!(versions(&db), [1, 2, 3]);
}
