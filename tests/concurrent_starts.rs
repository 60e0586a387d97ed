//! Sixteen processes start at once on one new database file, as sixteen
//! workers of an app do after a deploy: every one must start, and every
//! migration must be applied exactly once.
//!
//! The processes are real (`migrate-probe chain`), so the file locks, the
//! switch to WAL and the busy timeout are SQLite's own between processes.
//! The fixture `fixtures/concurrent` fails loudly if any migration runs
//! twice: `ALTER TABLE … ADD COLUMN` ("duplicate column name"), seed rows
//! in `UNIQUE` columns, a trigger that would fire twice.

use std::fmt::{Display, Write as _};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::{self, Connection};
use migrate_tests::{
    columns, count, history, history_versions, integrity_check, journal_mode, object_names, schema,
    user_version, wait_until, Finished, SchemaEntry,
};

mod chain {
    migrate_runtime::embed_migrations!("fixtures/concurrent");
    pub use migrations::*;
}

const PROBE: &str = env!("CARGO_BIN_EXE_migrate-probe");
const PROCESSES: usize = 16;
/// A lost race shows in a few rounds in a hundred: enough rounds that a
/// race is caught on most runs, in a few seconds.
const ROUNDS: usize = 40;
/// Far above the runtime's 60 s busy timeout: a process still running then is hung.
const ROUND_DEADLINE: Duration = Duration::from_secs(120);

#[test]
fn sixteen_processes_starting_at_once_apply_each_migration_once() {
    let reference = lone_start();
    let mut report = String::new();
    let mut failed_rounds = 0;
    for round in 1..=ROUNDS {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("app.db");
        let (finished, elapsed) = start_all_at_once(&db, &dir.path().join("start"));

        let mut problems = Vec::new();
        let failures: Vec<(usize, &Finished)> = finished
            .iter()
            .enumerate()
            .filter(|(_, process)| !process.success() || process.stdout.trim() != "ok")
            .collect();
        for (index, process) in &failures {
            problems.push(format!(
                "process {index} {}: stdout {:?}, stderr {:?}",
                match process.status {
                    Some(status) => format!("exited with {status}"),
                    None => format!("still running after {ROUND_DEADLINE:?}, killed"),
                },
                process.stdout.trim(),
                process.stderr.trim()
            ));
        }
        match Connection::open(&db) {
            Ok(conn) => {
                if let Err(error) = check_database(&conn, &reference, &mut problems) {
                    problems.push(format!("reading the database failed: {error}"));
                }
            }
            Err(error) => problems.push(format!("cannot open the database: {error}")),
        }

        eprintln!(
            "round {round}: {}/{PROCESSES} processes failed, {} problem(s), {elapsed:?}",
            failures.len(),
            problems.len()
        );
        if !problems.is_empty() {
            failed_rounds += 1;
            let _ = writeln!(
                report,
                "round {round}: {}/{PROCESSES} processes failed:",
                failures.len()
            );
            for problem in &problems {
                let _ = writeln!(report, "  {problem}");
            }
        }
    }
    assert!(
        failed_rounds == 0,
        "{failed_rounds}/{ROUNDS} rounds went wrong:\n{report}"
    );
}

/// Starts every process, waiting at a start line (a file that does not
/// exist yet), then draws the line and waits for them all: how each ended,
/// and how long they took from the start line.
fn start_all_at_once(db: &Path, start_line: &Path) -> (Vec<Finished>, Duration) {
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(PROBE)
                .arg("chain")
                .arg(db)
                .arg("--wait-for")
                .arg(start_line)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start migrate-probe")
        })
        .collect();
    // Let every process reach its waiting loop, then start them together.
    thread::sleep(Duration::from_millis(100));
    fs::write(start_line, b"go").expect("create the start line");
    let started = Instant::now();
    let deadline = started + ROUND_DEADLINE;
    let finished = children
        .into_iter()
        .map(|child| wait_until(child, deadline))
        .collect();
    (finished, started.elapsed())
}

/// What one process starting alone on a new file leaves: the schema and
/// the header's `user_version`.
struct Reference {
    schema: Vec<SchemaEntry>,
    user_version: i64,
}

fn lone_start() -> Reference {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("alone.db");
    let child = Command::new(PROBE)
        .arg("chain")
        .arg(&db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start migrate-probe");
    let finished = wait_until(child, Instant::now() + ROUND_DEADLINE);
    assert!(finished.success(), "a lone start failed: {finished:?}");
    let conn = Connection::open(&db).expect("open the database of the lone start");
    let mut problems = Vec::new();
    let reference = Reference {
        schema: schema(&conn).unwrap(),
        user_version: user_version(&conn).unwrap(),
    };
    check_database(&conn, &reference, &mut problems).unwrap();
    assert!(
        problems.is_empty(),
        "a lone start:\n{}",
        problems.join("\n")
    );
    reference
}

/// Everything the migrations create is there once, as a lone start leaves
/// it; pushes what is not.
fn check_database(
    conn: &Connection,
    reference: &Reference,
    problems: &mut Vec<String>,
) -> rusqlite::Result<()> {
    // The history, row by row, against the embedded migrations.
    let rows = history(conn)?;
    expect(
        problems,
        "history rows",
        rows.len(),
        chain::MIGRATIONS.len(),
    );
    for (index, migration) in chain::MIGRATIONS.iter().enumerate() {
        let Some(row) = rows.get(index) else { break };
        expect(
            problems,
            &format!("history row {index}"),
            format!("{} {} {}", row.version, row.name, row.checksum),
            format!(
                "{} {} {}",
                migration.version(),
                migration.name(),
                migration.checksum().to_hex()
            ),
        );
        expect(
            problems,
            &format!("history row {index} down_sql"),
            format!("{:?}", row.down_sql),
            format!("{:?}", migration.down().map(|down| down.sql())),
        );
        if row.applied_at.is_empty() || row.duration_ms < 0 {
            problems.push(format!("history row {index} is incomplete: {row:?}"));
        }
    }

    // The schema the migrations create.
    let names = |kind| object_names(conn, kind).map(|names| names.join(" "));
    expect(
        problems,
        "tables",
        names("table")?,
        "_migrate_history audit posts tags users",
    );
    expect(
        problems,
        "indexes",
        names("index")?,
        "posts_published posts_user users_name",
    );
    expect(problems, "views", names("view")?, "user_post_counts");
    expect(problems, "triggers", names("trigger")?, "posts_audit");
    expect(
        problems,
        "columns of users",
        columns(conn, "users")?.join(" "),
        "id name email created_at post_count",
    );
    expect(
        problems,
        "columns of posts",
        columns(conn, "posts")?.join(" "),
        "id user_id title body published",
    );

    // The seed rows, once each.
    for (table, rows) in [("tags", 3), ("users", 3), ("posts", 4), ("audit", 1)] {
        expect(
            problems,
            &format!("rows of {table}"),
            count(conn, table)?,
            rows,
        );
    }
    let text = |sql: &str| conn.query_row(sql, [], |row| row.get::<_, String>(0));
    expect(
        problems,
        "tags",
        text("SELECT group_concat(name, ' ') FROM (SELECT name FROM tags ORDER BY id)")?,
        "home work urgent",
    );
    expect(
        problems,
        "users and their post counts",
        text(
            "SELECT group_concat(name || ':' || post_count, ' ')
             FROM (SELECT * FROM users ORDER BY id)",
        )?,
        "alice:1 bob:1 carol:1",
    );
    expect(
        problems,
        "user_post_counts",
        text(
            "SELECT group_concat(name || ':' || posts, ' ')
             FROM (SELECT * FROM user_post_counts ORDER BY user_id)",
        )?,
        "alice:2 bob:1 carol:1",
    );

    expect(
        problems,
        "integrity_check",
        integrity_check(conn)?.join("; "),
        "ok",
    );
    expect(problems, "journal_mode", journal_mode(conn)?, "wal");

    // Nothing else differs from a lone start: every schema object's SQL,
    // and the header.
    let actual = schema(conn)?;
    if actual != reference.schema {
        problems.push(format!(
            "the schema differs from a lone start's: {actual:#?}"
        ));
    }
    expect(
        problems,
        "user_version",
        user_version(conn)?,
        reference.user_version,
    );
    Ok(())
}

fn expect(problems: &mut Vec<String>, what: &str, actual: impl Display, expected: impl Display) {
    let (actual, expected) = (actual.to_string(), expected.to_string());
    if actual != expected {
        problems.push(format!("{what}: expected {expected:?}, found {actual:?}"));
    }
}

/// On a database that already has data, every start that finds migrations
/// pending would back it up first; under the locks only the one that
/// migrates does, so sixteen starts leave one backup, of the old state.
#[test]
fn sixteen_processes_on_a_database_with_data_take_one_backup() {
    for round in 1..=5 {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("app.db");
        let older = migrate_runtime::Migrator::new(&chain::MIGRATIONS[..3]);
        older
            .open(&db)
            .expect("migrate the first three")
            .execute(
                "INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')",
                [],
            )
            .expect("a user");
        let (finished, _) = start_all_at_once(&db, &dir.path().join("start"));

        for process in &finished {
            assert!(
                process.success() && process.stdout.trim() == "ok",
                "round {round}: {process:?}"
            );
        }
        let backups: Vec<_> = fs::read_dir(dir.path().join("backups"))
            .expect("the backups folder")
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(backups.len(), 1, "round {round}: {backups:?}");
        assert!(backups[0].ends_with(".v3-to-v7.sqlite"), "{backups:?}");
        let backup = Connection::open(dir.path().join("backups").join(&backups[0])).unwrap();
        assert_eq!(history_versions(&backup).unwrap(), [1, 2, 3]);
        assert_eq!(count(&backup, "users").unwrap(), 1);
    }
}
