//! Views a migration leaves broken. SQLite keeps a view's text and compiles
//! it at each query, so a view can outlive what it reads: a table renamed
//! away and dropped (the rename rewrote the view to follow it), a column
//! dropped by a rebuild.

use std::collections::BTreeSet;

use migrate_sqlite::apply::sqlite_message;
use migrate_sqlite::Lint;
use rusqlite::Connection;

use super::{File, Finding};
use crate::file::{dropped_table, rename};

/// Reports the views of `views` that no longer compile after `file` and did
/// before it; `broken` holds the views broken before the file and is
/// brought up to date.
pub(super) fn broken_views(
    conn: &Connection,
    file: &File,
    views: &[&str],
    broken: &mut BTreeSet<String>,
    findings: &mut Vec<Finding>,
) {
    let mut now = BTreeSet::new();
    for &view in views {
        let query = format!("SELECT * FROM main.\"{}\"", view.replace('"', "\"\""));
        let Err(error) = conn.prepare(&query) else {
            continue;
        };
        now.insert(view.to_string());
        if broken.contains(view) {
            continue;
        }
        let message = sqlite_message(&error);
        let finding = file.finding(
            Lint::BrokenView,
            cause(file, view, &message),
            format!("after this migration the view `{view}` no longer works ({message}): every query that reads it fails"),
            "a table renamed away takes its views along, so rebuild by creating the new table and renaming it into place; or drop the view and create it again in this migration, reading what exists",
        );
        file.push(findings, finding);
    }
    *broken = now;
}

/// Whether `file` can leave a view broken: it drops or renames something,
/// or creates a view. Adding tables, columns, indexes or rows cannot, so
/// the views are not compiled again after such a migration.
pub(super) fn may_break_views(file: &File) -> bool {
    file.statements.iter().any(|s| {
        let t = &s.tokens;
        let first = |word| t.first().is_some_and(|w| w.is(word));
        first("DROP")
            || (first("ALTER") && t.iter().any(|w| w.is("RENAME") || w.is("DROP")))
            || (first("CREATE") && t.iter().take(4).any(|w| w.is("VIEW")))
            || first("PRAGMA")
    })
}

/// Where in `file` the view was broken: the rename or drop of the object
/// SQLite's message names, else the statement naming the view, else the top.
fn cause(file: &File, view: &str, message: &str) -> usize {
    let missing = message
        .rsplit([' ', '.'])
        .next()
        .unwrap_or_default()
        .trim_matches('"');
    let is = |name: &str, wanted: &str| name.eq_ignore_ascii_case(wanted);
    let statements = || file.statements.iter();
    statements()
        .find(|s| rename(&s.tokens).is_some_and(|(_, to)| is(&to, missing)))
        .or_else(|| {
            statements().find(|s| dropped_table(&s.tokens).is_some_and(|t| is(&t, missing)))
        })
        .or_else(|| {
            statements().find(|s| {
                s.tokens
                    .iter()
                    .any(|t| t.name().is_some_and(|n| is(&n, view)))
            })
        })
        .map_or(0, |s| s.range.start)
}
