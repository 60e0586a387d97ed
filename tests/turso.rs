//! Instances of one app on a Turso database, each on its own synced copy,
//! as real processes (`turso-probe`) against a real `tursodb` sync server
//! on loopback. `.ci/turso` installs the server and names it in `TURSODB`.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use migrate_tests::turso_server::TursoServer;
use migrate_tests::{wait_until, Finished};

fn probe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_turso-probe"))
}

/// `turso-probe start`, for the copy at `copy`, with `extra` arguments.
fn start(server: &TursoServer, copy: &Path, extra: &[&str]) -> Child {
    probe()
        .arg("start")
        .arg(&server.url)
        .arg(copy)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> Finished {
    wait_until(child, Instant::now() + Duration::from_secs(120))
}

/// `turso-probe cli <url> <args>`: the operator CLI against the server.
fn cli(server: &TursoServer, args: &[&str]) -> Output {
    probe()
        .arg("cli")
        .arg(&server.url)
        .args(args)
        .output()
        .unwrap()
}

/// The figures of a start's line: `applied A followed F start-ms S audit N`.
struct Started {
    applied: usize,
    followed: bool,
    start_ms: u64,
    rows: i64,
}

fn started(finished: &Finished) -> Started {
    assert!(
        finished.success(),
        "the start failed:\n{}\n{}",
        finished.stdout,
        finished.stderr
    );
    let words: Vec<&str> = finished.stdout.split_whitespace().collect();
    assert_eq!(words.len(), 8, "unexpected line: {}", finished.stdout);
    Started {
        applied: words[1].parse().unwrap(),
        followed: words[3].parse().unwrap(),
        start_ms: words[5].parse().unwrap(),
        rows: words[7].parse().unwrap(),
    }
}

/// The versions the server's history records, from `status --json`.
fn applied_on_server(server: &TursoServer, chain: &str) -> Vec<u64> {
    let output = cli(server, &["--chain", chain, "status", "--json"]);
    assert!(output.status.success(), "{output:?}");
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    status["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "applied")
        .map(|m| m["version"].as_u64().unwrap())
        .collect()
}

#[test]
fn eight_instances_started_at_once_apply_each_migration_once_and_all_start_on_the_new_schema() {
    let server = TursoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let go = dir.path().join("go");
    let go_arg = go.to_str().unwrap();
    let starts: Vec<Child> = (0..8)
        .map(|i| {
            let copy = dir.path().join(format!("copy-{i}.db"));
            start(&server, &copy, &["--wait-for", go_arg])
        })
        .collect();
    // Every process is up and waiting for the line before any starts.
    thread::sleep(Duration::from_millis(500));
    std::fs::write(&go, "").unwrap();
    let results: Vec<Started> = starts.into_iter().map(|c| started(&finish(c))).collect();

    let migrating: Vec<&Started> = results.iter().filter(|r| r.applied > 0).collect();
    assert_eq!(
        migrating.len(),
        1,
        "exactly one start applies the migrations"
    );
    assert_eq!(migrating[0].applied, 7);
    assert!(!migrating[0].followed);
    for result in &results {
        // The trigger's row: one, unless a migration ran twice.
        assert_eq!(result.rows, 1);
    }
    // The others waited for it, unless their copy, built later, already
    // carried everything.
    let followed = results.iter().filter(|r| r.followed).count();
    assert_eq!(
        applied_on_server(&server, "concurrent"),
        (1..=7).collect::<Vec<_>>()
    );

    let mut waits: Vec<u64> = results.iter().map(|r| r.start_ms).collect();
    waits.sort_unstable();
    eprintln!(
        "turso: 8 starts at once: the migrating start {} ms; all done in {} ms (median {} ms); \
         {followed} waited for it",
        migrating[0].start_ms, waits[7], waits[4]
    );

    // A later instance finds its new copy carrying everything: no write.
    let later = started(&finish(start(&server, &dir.path().join("later.db"), &[])));
    assert_eq!((later.applied, later.followed, later.rows), (0, false, 1));
    eprintln!(
        "turso: a start after another migrated: {} ms",
        later.start_ms
    );
}

#[test]
fn a_start_killed_while_the_server_runs_its_migrations_leaves_them_applied_once_or_not_at_all() {
    let server = TursoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut first = start(&server, &dir.path().join("first.db"), &["--chain", "long"]);
    // The batch is on the server, which runs the long migration for seconds.
    thread::sleep(Duration::from_millis(1500));
    first.kill().unwrap();
    let killed = first.wait_with_output().unwrap();
    assert!(
        killed.status.code().is_none(),
        "the first start finished before it was killed: {killed:?}"
    );

    let second = started(&finish(start(
        &server,
        &dir.path().join("second.db"),
        &["--chain", "long"],
    )));
    // `after_big` counts the rows of `big` once: a second run would fail on
    // the existing table, and half a run would be rolled back.
    assert_eq!(second.rows, 1);
    assert_eq!(applied_on_server(&server, "long"), vec![1, 2, 3]);
    let verify = cli(&server, &["--chain", "long", "verify"]);
    assert!(verify.status.success(), "{verify:?}");
    eprintln!(
        "turso: after a killed start, the next applied {} migration(s) in {} ms",
        second.applied, second.start_ms
    );
}

#[test]
fn a_copy_that_never_catches_up_fails_at_the_deadline_saying_what_to_check() {
    let server = TursoServer::start();
    // The copy syncs from another server, which never gets the migrations.
    let elsewhere = TursoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let began = Instant::now();
    let finished = finish(start(
        &server,
        &dir.path().join("copy.db"),
        &["--copy-from", &elsewhere.url, "--deadline-ms", "2000"],
    ));
    let took = began.elapsed();
    assert!(!finished.success(), "{}", finished.stdout);
    assert!(
        finished.stderr.contains("error variant: TursoBehind"),
        "{}",
        finished.stderr
    );
    for needed in [
        server.url.as_str(),
        "has this binary's migrations",
        "still lacks 1 (create_users)",
        "Check that the copy syncs from this server",
        "raise the deadline",
    ] {
        assert!(
            finished.stderr.contains(needed),
            "{needed:?} in:\n{}",
            finished.stderr
        );
    }
    assert!(took >= Duration::from_secs(2), "gave up after {took:?}");
    // The server's migrations are applied; only the copy is behind.
    assert_eq!(
        applied_on_server(&server, "concurrent"),
        (1..=7).collect::<Vec<_>>()
    );
}

#[test]
fn the_operator_cli_reads_status_runs_dry_runs_and_verifies_against_the_server() {
    let server = TursoServer::start();

    let pending = cli(&server, &["status", "--check"]);
    assert_eq!(pending.status.code(), Some(3), "{pending:?}");
    let table = String::from_utf8_lossy(&pending.stdout);
    assert!(
        table.contains("create_users") && table.contains("7 pending"),
        "{table}"
    );

    let dry_run = cli(&server, &["up", "--dry-run"]);
    assert!(dry_run.status.success(), "{dry_run:?}");
    let sql = String::from_utf8_lossy(&dry_run.stdout);
    assert!(
        sql.contains("CREATE TABLE users") && sql.contains("CREATE TRIGGER posts_audit"),
        "{sql}"
    );
    assert!(
        applied_on_server(&server, "concurrent").is_empty(),
        "the dry run changed nothing"
    );

    let up = cli(&server, &["up"]);
    assert!(up.status.success(), "{up:?}");
    let applied = cli(&server, &["status", "--check"]);
    assert_eq!(applied.status.code(), Some(0), "{applied:?}");
    let verify = cli(&server, &["verify"]);
    assert!(verify.status.success(), "{verify:?}");
    assert!(String::from_utf8_lossy(&verify.stdout).contains("schema matches"));

    // As on a file: these migrations have no down scripts.
    let down = cli(&server, &["down", "--dry-run"]);
    assert_eq!(down.status.code(), Some(1), "{down:?}");
    assert!(
        String::from_utf8_lossy(&down.stderr)
            .contains("migration 7 (post_count_column): no down script"),
        "{down:?}"
    );
    let refused = cli(&server, &["backup"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("against a Turso server"),
        "{refused:?}"
    );
}

#[test]
fn the_operator_switches_hold_on_turso_check_only_refuses_and_skip_starts_without_migrating() {
    let server = TursoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let with = |variable: &str, copy: &str| {
        let child = probe()
            .arg("start")
            .arg(&server.url)
            .arg(dir.path().join(copy))
            .env(variable, "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        finish(child)
    };

    let checked = with("MIGRATE_CHECK_ONLY", "checked.db");
    assert!(!checked.success(), "{}", checked.stdout);
    assert!(
        checked.stderr.contains("error variant: PendingInCheckOnly")
            && checked.stderr.contains("1 (create_users)"),
        "{}",
        checked.stderr
    );
    assert!(applied_on_server(&server, "concurrent").is_empty());

    // Skipped, the start does not migrate; its copy lacks the tables the
    // probe then reads.
    let skipped = with("MIGRATE_SKIP", "skipped.db");
    assert!(!skipped.success(), "{}", skipped.stdout);
    assert!(skipped.stderr.contains("audit"), "{}", skipped.stderr);
    assert!(applied_on_server(&server, "concurrent").is_empty());
}

#[test]
fn a_migration_the_server_cannot_run_fails_naming_it_and_leaves_the_server_as_it_was() {
    let server = TursoServer::start();
    let dir = tempfile::tempdir().unwrap();
    // Valid SQLite, checked at compile time, but the Turso server runs no
    // recursive CTE.
    let finished = finish(start(
        &server,
        &dir.path().join("copy.db"),
        &["--chain", "recursive"],
    ));
    assert!(!finished.success(), "{}", finished.stdout);
    for needed in [
        "error variant: TursoMigration",
        "migration 1 (create_items) failed on the Turso server",
        "WITH RECURSIVE",
        "rolled back on the server",
    ] {
        assert!(
            finished.stderr.contains(needed),
            "{needed:?} in:\n{}",
            finished.stderr
        );
    }
    assert!(applied_on_server(&server, "recursive").is_empty());
    let status = cli(&server, &["--chain", "recursive", "status", "--check"]);
    assert_eq!(status.status.code(), Some(3), "{status:?}");
}
