//! What the commands print, as plain functions of the library's data.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::operation::{Direction, ScriptSource, Step};
use crate::{Diagnosis, Holder, MigrationStatus, Repaired, Report, State, Status, WriteLock};

/// A `-wal` file above this size is worth a word in `doctor`.
const LARGE_WAL: u64 = 64 * 1024 * 1024;

/// How a state reads in the table.
pub(crate) fn state_label(state: State) -> &'static str {
    match state {
        State::Applied => "applied",
        State::Pending => "pending",
        State::OutOfOrder => "out of order",
        State::ChecksumChanged => "checksum changed",
        State::UnknownToBinary => "unknown to this binary",
    }
}

/// How a state reads in JSON.
fn state_key(state: State) -> &'static str {
    match state {
        State::Applied => "applied",
        State::Pending => "pending",
        State::OutOfOrder => "out_of_order",
        State::ChecksumChanged => "checksum_changed",
        State::UnknownToBinary => "unknown_to_binary",
    }
}

/// `0 ms`, `12 ms`, `1.2 s`, `75 s`.
pub(crate) fn duration_text(duration: Duration) -> String {
    let millis = duration.as_millis();
    match millis {
        0..=999 => format!("{millis} ms"),
        1000..=59_999 => format!("{:.1} s", duration.as_secs_f64()),
        _ => format!("{} s", duration.as_secs()),
    }
}

/// `512 B`, `24.0 KiB`, `3.1 MiB`, `1.2 GiB`.
pub(crate) fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Rows under headers (see [`aligned`]).
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let all: Vec<Vec<String>> = std::iter::once(header)
        .chain(rows.iter().cloned())
        .collect();
    aligned(&all)
}

/// Each column as wide as its widest cell, two spaces apart, no trailing
/// spaces.
fn aligned(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        widths.resize(widths.len().max(row.len()), 0);
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The `status` table: one line per migration.
pub fn status_table(status: &Status) -> String {
    let rows: Vec<Vec<String>> = status.migrations.iter().map(status_row).collect();
    table(
        &["version", "name", "state", "applied at", "duration"],
        &rows,
    )
}

fn status_row(migration: &MigrationStatus) -> Vec<String> {
    let dash = || "-".to_string();
    vec![
        migration.version.to_string(),
        migration.name.clone(),
        state_label(migration.state).to_string(),
        migration.applied_at.clone().unwrap_or_else(dash),
        migration.duration.map_or_else(dash, duration_text),
    ]
}

/// `up to date: 5 migrations applied`, or the count of each state.
pub(crate) fn status_summary(status: &Status) -> String {
    let applied = count(status, State::Applied);
    if status.migrations.is_empty() {
        return "no migrations, none applied".into();
    }
    if status.is_up_to_date() {
        return format!("up to date: {applied} migrations applied");
    }
    let parts: Vec<String> = [
        State::Applied,
        State::Pending,
        State::OutOfOrder,
        State::ChecksumChanged,
        State::UnknownToBinary,
    ]
    .into_iter()
    .filter_map(|state| match count(status, state) {
        0 => None,
        n => Some(format!("{n} {}", state_label(state))),
    })
    .collect();
    parts.join(", ")
}

fn count(status: &Status, state: State) -> usize {
    status
        .migrations
        .iter()
        .filter(|m| m.state == state)
        .count()
}

fn versions_in(status: &Status, state: State) -> Vec<u64> {
    status
        .migrations
        .iter()
        .filter(|m| m.state == state)
        .map(|m| m.version)
        .collect()
}

/// What to do about each state that is not `applied`.
pub(crate) fn status_hints(status: &Status) -> Vec<String> {
    let mut hints = Vec::new();
    if count(status, State::Pending) > 0 {
        hints.push(
            "pending migrations are applied by the application's next start, or by `up`".into(),
        );
    }
    for version in versions_in(status, State::ChecksumChanged) {
        hints.push(format!(
            "migration {version} was edited after it was applied: restore its file, or, if the \
             edit changes nothing (a comment, formatting), accept it with `repair --version {version}`"
        ));
    }
    if count(status, State::UnknownToBinary) > 0 {
        hints.push(newer_build_hint(status));
    }
    if count(status, State::OutOfOrder) > 0 {
        hints.push(
            "a migration older than the newest applied one is pending: give it a higher \
             version, or allow it with Migrator::allow_out_of_order"
                .into(),
        );
    }
    hints
}

/// What to do about migrations a newer build applied: revert them with the
/// down scripts the history recorded, or, when one has none, restore a backup.
fn newer_build_hint(status: &Status) -> String {
    let without_down: Vec<String> = status
        .migrations
        .iter()
        .filter(|m| m.state == State::UnknownToBinary && !m.has_down)
        .map(|m| m.version.to_string())
        .collect();
    if !without_down.is_empty() {
        return format!(
            "a newer build migrated this database: run that build, or restore a backup taken \
             before it (`backups`, `restore`); migration {} has no down script to revert it",
            without_down.join(", ")
        );
    }
    let newest_known = status
        .migrations
        .iter()
        .filter(|m| m.state != State::UnknownToBinary && m.applied_at.is_some())
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    format!(
        "a newer build migrated this database: run that build, or revert its migrations with \
         `down --to {newest_known}`, which runs the down scripts recorded in the history"
    )
}

/// One migration in `status --json`.
#[derive(Serialize)]
struct JsonMigration<'a> {
    version: u64,
    name: &'a str,
    state: &'static str,
    applied_at: Option<&'a str>,
    duration_ms: Option<u128>,
    has_down: bool,
}

/// `status --json`.
#[derive(Serialize)]
struct JsonStatus<'a> {
    database: String,
    up_to_date: bool,
    current_version: Option<u64>,
    migrations: Vec<JsonMigration<'a>>,
}

/// The status as pretty-printed JSON.
pub(crate) fn status_json(database: &Path, status: &Status) -> String {
    let json = JsonStatus {
        database: database.display().to_string(),
        up_to_date: status.is_up_to_date(),
        current_version: status.current_version(),
        migrations: status
            .migrations
            .iter()
            .map(|m| JsonMigration {
                version: m.version,
                name: &m.name,
                state: state_key(m.state),
                applied_at: m.applied_at.as_deref(),
                duration_ms: m.duration.map(|d| d.as_millis()),
                has_down: m.has_down,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&json).expect("plain data serializes")
}

/// The SQL a dry run would run, in order, each script under a comment
/// naming it.
pub(crate) fn dry_run(steps: &[Step], direction: Direction) -> String {
    let verb = verb(direction);
    if steps.is_empty() {
        return format!("-- nothing to {verb}\n");
    }
    let mut out = String::new();
    for (index, step) in steps.iter().enumerate() {
        let from_history = match step.source {
            ScriptSource::History => ", with the down script recorded in the history",
            ScriptSource::Binary => "",
        };
        let _ = writeln!(
            out,
            "-- [{}/{}] {verb} migration {} ({}){from_history}",
            index + 1,
            steps.len(),
            step.version,
            step.name
        );
        out.push_str(step.sql.trim_end());
        out.push_str("\n\n");
    }
    let _ = writeln!(
        out,
        "-- dry run: {} migration(s) would be {}; nothing was changed",
        steps.len(),
        past(direction)
    );
    out
}

fn verb(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "apply",
        Direction::Down => "revert",
    }
}

fn past(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "applied",
        Direction::Down => "reverted",
    }
}

/// What a run of `up` or `down` did, in a line or two.
pub(crate) fn report(report: &Report) -> String {
    let mut out = String::new();
    if !report.applied.is_empty() {
        let named: Vec<String> = report
            .applied
            .iter()
            .map(|m| format!("{} ({})", m.version, m.name))
            .collect();
        let _ = writeln!(
            out,
            "applied {} migration(s): {}",
            named.len(),
            named.join(", ")
        );
    }
    if !report.reverted.is_empty() {
        let named: Vec<String> = report
            .reverted
            .iter()
            .map(|m| match m.source {
                ScriptSource::History => format!(
                    "{} ({}, with the down script recorded in the history)",
                    m.version, m.name
                ),
                ScriptSource::Binary => format!("{} ({})", m.version, m.name),
            })
            .collect();
        let _ = writeln!(
            out,
            "reverted {} migration(s): {}",
            named.len(),
            named.join(", ")
        );
    }
    if let Some(backup) = &report.backup {
        let _ = writeln!(out, "backup taken before: {}", backup.display());
    }
    out
}

/// `5 (rebuild_notes), 4 (add_view)`.
pub(crate) fn step_list(steps: &[Step]) -> String {
    let named: Vec<String> = steps
        .iter()
        .map(|step| format!("{} ({})", step.version, step.name))
        .collect();
    named.join(", ")
}

/// `backups`: the folder, then one line per backup with its size.
pub(crate) fn backups(
    database: &Path,
    folder: &Path,
    backups: &[(PathBuf, u64)],
    kept: usize,
) -> String {
    let database = database.display();
    if backups.is_empty() {
        return format!("no backups of {database} in {}\n", folder.display());
    }
    let kept = match kept {
        0 => "backups before migrating are off".to_string(),
        n => format!("the last {n} are kept"),
    };
    let mut out = format!(
        "backups of {database} in {}, oldest first ({kept}):\n",
        folder.display()
    );
    let rows: Vec<Vec<String>> = backups
        .iter()
        .map(|(path, bytes)| {
            let name = path.file_name().unwrap_or(path.as_os_str());
            vec![name.to_string_lossy().into_owned(), bytes_text(*bytes)]
        })
        .collect();
    for line in table(&["file", "size"], &rows).lines() {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// What `repair` changed.
pub(crate) fn repaired(repaired: &Repaired) -> String {
    format!(
        "repaired migration {} ({}): its recorded checksum {} is now this binary's {}\n",
        repaired.version, repaired.name, repaired.previous, repaired.checksum
    )
}

/// `baseline` and `import`: the migrations recorded without running.
pub(crate) fn adopted(how: &str, recorded: &[(u64, String)]) -> String {
    let mut out = format!(
        "{how}: recorded {} migration(s) as applied, without running them\n",
        recorded.len()
    );
    for (version, name) in recorded {
        let _ = writeln!(out, "  {version} {name}");
    }
    out
}

/// `doctor`: one line per thing looked at, then what to do.
pub(crate) fn doctor(diagnosis: &Diagnosis, validated_with: Option<String>) -> String {
    let mut out = aligned(&doctor_rows(diagnosis, validated_with));
    out.push_str("\nwhat to do:\n");
    for advice in doctor_advice(diagnosis) {
        let _ = writeln!(out, "- {advice}");
    }
    out
}

/// What `doctor` looked at, and what it found, one row each.
fn doctor_rows(diagnosis: &Diagnosis, validated_with: Option<String>) -> Vec<Vec<String>> {
    let files = &diagnosis.files;
    let file = |bytes: Option<u64>| bytes.map_or_else(|| "none".to_string(), bytes_text);
    let sqlite = match validated_with {
        Some(version) => format!(
            "{} (migrations checked with {version})",
            diagnosis.sqlite_version
        ),
        None => diagnosis.sqlite_version.to_string(),
    };
    let database = format!(
        "{} ({})",
        files.path.display(),
        bytes_text(diagnosis.file_bytes)
    );
    let busy_timeout = format!(
        "{} (how long a start waits for the write lock)",
        duration_text(diagnosis.busy_timeout)
    );
    [
        ("database", database),
        ("journal mode", diagnosis.journal_mode.clone()),
        ("-wal file", file(files.wal_bytes)),
        ("-shm file", file(files.shm_bytes)),
        ("processes", holders(&files.holders)),
        ("write lock", write_lock(diagnosis.write_lock).to_string()),
        ("busy timeout", busy_timeout),
        ("integrity", diagnosis.integrity.join("; ")),
        ("foreign keys", foreign_keys(diagnosis)),
        ("migrations", status_summary(&diagnosis.status)),
        ("sqlite", sqlite),
    ]
    .into_iter()
    .map(|(what, found)| vec![what.to_string(), found])
    .collect()
}

fn holders(holders: &[Holder]) -> String {
    if holders.is_empty() {
        return "no other process on this machine has the database open".into();
    }
    let named: Vec<String> = holders
        .iter()
        .map(|h| {
            let role = match (h.holds_write_lock, h.is_migrating) {
                (true, _) => ", holds the write lock",
                (false, true) => ", migrating",
                (false, false) => "",
            };
            format!("{} ({}{role})", h.pid, h.command)
        })
        .collect();
    named.join("; ")
}

fn write_lock(lock: WriteLock) -> &'static str {
    match lock {
        WriteLock::Free => "free",
        WriteLock::Held => "held by another connection",
        WriteLock::ReadOnly => "cannot be taken: the database is read-only for this process",
    }
}

fn foreign_keys(diagnosis: &Diagnosis) -> String {
    let violations = &diagnosis.foreign_key_violations;
    let Some(first) = violations.first() else {
        return "ok (no row refers to a missing row)".into();
    };
    let row = first
        .rowid
        .map_or_else(|| "a row".to_string(), |id| format!("row {id}"));
    format!(
        "{} row(s) refer to missing rows, the first: {row} of `{}` to `{}`",
        violations.len(),
        first.table,
        first.parent
    )
}

/// What an operator can do about what `doctor` found.
pub(crate) fn doctor_advice(diagnosis: &Diagnosis) -> Vec<String> {
    let mut advice = Vec::new();
    let files = &diagnosis.files;
    if let Some(migrating) = files.holders.iter().find(|h| h.is_migrating) {
        advice.push(format!(
            "process {} is migrating this database: wait for it to finish",
            migrating.pid
        ));
    }
    match diagnosis.write_lock {
        WriteLock::Held => advice.push(
            "another connection holds the write lock: a start waits for it up to the busy \
             timeout, then fails. Let that writer finish, or stop it (a sqlite3 shell left \
             inside BEGIN is a common cause)"
                .into(),
        ),
        WriteLock::ReadOnly => advice.push(
            "this process cannot write the database: it needs write access to the file and to \
             its folder, where SQLite keeps the -wal and -shm files"
                .into(),
        ),
        WriteLock::Free => {}
    }
    if diagnosis.journal_mode != "wal" {
        advice.push(format!(
            "the journal mode is {}: the application's next start switches it to WAL, so that \
             readers keep reading while it writes",
            diagnosis.journal_mode
        ));
    }
    if files.wal_bytes.is_some_and(|bytes| bytes > LARGE_WAL) {
        advice.push(
            "the -wal file is large: a reader that never finishes keeps SQLite from \
             checkpointing; look for a long-running reader among the processes above"
                .into(),
        );
    }
    if diagnosis.integrity != ["ok"] {
        advice.push(
            "the file is damaged: restore a backup (`backups`, `restore`) after checking it \
             with `doctor` on a copy"
                .into(),
        );
    }
    if !diagnosis.foreign_key_violations.is_empty() {
        advice.push(
            "fix or delete the rows that refer to missing rows (`PRAGMA foreign_key_check` \
             lists them all): a table rebuild with foreign keys off fails on them"
                .into(),
        );
    }
    advice.extend(status_hints(&diagnosis.status));
    if advice.is_empty() {
        advice.push("nothing: the database is sound and up to date".into());
    }
    advice
}

#[cfg(test)]
mod tests;
