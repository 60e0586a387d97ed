//! Table rebuilds, SQLite's 12-step way of changing what `ALTER TABLE`
//! cannot: create the new table, copy the rows, drop the old one, rename the
//! new one into place. Done with foreign keys on it deletes or nulls the
//! children's rows; it drops the old table's triggers; and a column the copy
//! leaves out is gone.

use std::collections::BTreeMap;

use migrate_sqlite::lex::{normalize_sql, qualified_name, skip_words, Token, VirtualTable};
use migrate_sqlite::Lint;

use super::{File, Finding};
use crate::file::{created_table, dropped_table, rename};
use migrate_sqlite::schema::{ColumnKind, Schema, Table};

/// A rebuild found in a file's statements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rebuild {
    /// The table the rebuild replaces, by the name it has before and after
    /// the file.
    pub table: String,
    /// The name the old table is dropped under: `table` when the new one is
    /// renamed into place, or the name the old one was renamed away to.
    pub dropped: String,
    /// Where the old table is dropped.
    pub drop_at: usize,
}

/// The rebuilds in `file`: a `DROP TABLE x` with a later
/// `ALTER TABLE y RENAME TO x`, or an `ALTER TABLE x RENAME TO x_old`, a
/// `CREATE TABLE x` and a `DROP TABLE x_old`.
pub(crate) fn rebuilds(file: &File) -> Vec<Rebuild> {
    let renames: Vec<(usize, String, String)> = file
        .statements
        .iter()
        .enumerate()
        .filter_map(|(k, s)| rename(&s.tokens).map(|(from, to)| (k, from, to)))
        .collect();
    let created = |name: &str, after: usize| {
        file.statements[after..]
            .iter()
            .any(|s| created_table(&s.tokens).is_some_and(|c| c.eq_ignore_ascii_case(name)))
    };
    let mut found = Vec::new();
    for (k, statement) in file.statements.iter().enumerate() {
        let Some(dropped) = dropped_table(&statement.tokens) else {
            continue;
        };
        let same = |name: &str| name.eq_ignore_ascii_case(&dropped);
        let into_place = renames.iter().any(|(at, _, to)| *at > k && same(to));
        let renamed_away = renames
            .iter()
            .find(|(at, _, to)| *at < k && same(to))
            .filter(|(at, from, _)| created(from, *at));
        let table = if into_place {
            dropped.clone()
        } else if let Some((_, from, _)) = renamed_away {
            from.clone()
        } else {
            continue;
        };
        found.push(Rebuild {
            table,
            dropped,
            drop_at: statement.range.start,
        });
    }
    found
}

/// The lints on `file`'s rebuilds, given the schema and the triggers (name →
/// (table, SQL)) before the file and the triggers after it.
pub(super) fn rebuild_lints(
    file: &File,
    before: &Schema,
    triggers_before: &BTreeMap<String, (String, String)>,
    triggers_after: &BTreeMap<String, (String, String)>,
    findings: &mut Vec<Finding>,
) {
    for rebuild in rebuilds(file) {
        let Some((table, old)) = table_named(before, &rebuild.table) else {
            continue;
        };
        if !foreign_keys_off_before(file, rebuild.drop_at) {
            foreign_keys_on(file, &rebuild, table, before, findings);
        }
        lost_triggers(file, &rebuild, triggers_before, triggers_after, findings);
        // A full-text index over a content table holds no rows of its own.
        let holds_rows = !old
            .virtual_sql
            .as_deref()
            .and_then(VirtualTable::read)
            .is_some_and(|read| read.indexes_another_table());
        if holds_rows {
            left_out_columns(file, &rebuild, old, findings);
        }
    }
}

/// The rebuild runs with foreign keys on: DROP TABLE first deletes every row,
/// which runs the ON DELETE actions of the tables that refer to it.
fn foreign_keys_on(
    file: &File,
    rebuild: &Rebuild,
    table: &str,
    before: &Schema,
    findings: &mut Vec<Finding>,
) {
    let children: Vec<(&String, Vec<String>, String)> = before
        .tables
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case(table))
        .flat_map(|(name, child)| {
            child
                .foreign_keys
                .iter()
                .filter(|key| key.parent_table.eq_ignore_ascii_case(table))
                .map(move |key| {
                    (
                        name,
                        key.columns.clone(),
                        key.on_delete.to_ascii_uppercase(),
                    )
                })
        })
        .collect();
    let fix = "put `-- migrate: foreign-keys-off` at the top of the file: the runner turns foreign keys off around the migration and runs `foreign_key_check` before it commits";
    let cascading: Vec<String> = children
        .iter()
        .filter_map(|(child, columns, action)| {
            let effect = match action.as_str() {
                "CASCADE" => "are deleted".to_string(),
                "SET NULL" => format!("have `{}` set to NULL", columns.join("`, `")),
                "SET DEFAULT" => format!("have `{}` set to its default", columns.join("`, `")),
                _ => return None,
            };
            Some(format!(
                "the rows of `{child}` that refer to it {effect} (ON DELETE {action})"
            ))
        })
        .collect();
    let finding = if !cascading.is_empty() {
        file.finding(
            Lint::RebuildCascade,
            rebuild.drop_at,
            format!(
                "this rebuild of `{table}` runs with foreign keys on, so dropping the old table first deletes each of its rows, and {}: data lost without an error",
                cascading.join(", and ")
            ),
            fix,
        )
    } else {
        let consequence = match children.first() {
            Some((child, _, _)) => format!(
                "which fails with \"FOREIGN KEY constraint failed\" once `{child}` has rows that refer to it"
            ),
            None => "running the ON DELETE action of any table that refers to it".to_string(),
        };
        file.finding(
            Lint::RebuildForeignKeys,
            rebuild.drop_at,
            format!(
                "this rebuild of `{table}` runs with foreign keys on: dropping the old table first deletes each of its rows, {consequence}; SQLite's procedure for a rebuild turns foreign keys off"
            ),
            fix,
        )
    };
    file.push(findings, finding);
}

/// Triggers on the old table that the rebuild dropped and the file does not
/// create again (or drop on purpose).
fn lost_triggers(
    file: &File,
    rebuild: &Rebuild,
    before: &BTreeMap<String, (String, String)>,
    after: &BTreeMap<String, (String, String)>,
    findings: &mut Vec<Finding>,
) {
    for (name, (on, sql)) in before {
        let lost = on.eq_ignore_ascii_case(&rebuild.table)
            && !after.contains_key(name)
            && !drops_trigger(file, name);
        if !lost {
            continue;
        }
        let mut finding = file.finding(
            Lint::RebuildLostTrigger,
            rebuild.drop_at,
            format!(
                "this rebuild of `{}` drops its trigger `{name}` with the old table, and the migration does not create it again: whatever the trigger did stops happening, silently",
                rebuild.table
            ),
            "create the trigger again after the new table is renamed into place, or drop it on purpose with DROP TRIGGER",
        );
        let one_line = normalize_sql(sql);
        finding.diagnostic = finding
            .diagnostic
            .note(format!("the trigger was: {one_line}"));
        file.push(findings, finding);
    }
}

/// Columns of the old table that the copy into the new one does not read.
fn left_out_columns(file: &File, rebuild: &Rebuild, old: &Table, findings: &mut Vec<Finding>) {
    let copies: Vec<&[Token]> = file
        .statements
        .iter()
        .map(|s| s.tokens.as_slice())
        .filter(|t| copies_from(t, &rebuild.dropped))
        .collect();
    let copied_columns = |column: &str| {
        copies.iter().any(|t| {
            let select = selected(t);
            (0..select.len()).any(|k| {
                star(select, k)
                    || select[k]
                        .name()
                        .is_some_and(|n| n.eq_ignore_ascii_case(column))
            })
        })
    };
    let left_out: Vec<&str> = old
        .columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Plain && !copied_columns(&c.name))
        .map(|c| c.name.as_str())
        .collect();
    if left_out.is_empty() {
        return;
    }
    let (at, what) = match copies.first() {
        None => (
            rebuild.drop_at,
            format!(
                "this rebuild of `{}` copies no rows from the old table: every row is lost",
                rebuild.table
            ),
        ),
        Some(copy) => (
            copy[0].start,
            format!(
                "this rebuild of `{}` does not copy column(s) `{}` of the old table: their values in every row are lost",
                rebuild.table,
                left_out.join("`, `")
            ),
        ),
    };
    let finding = file.finding(
        Lint::Destructive,
        at,
        what,
        "copy every column that should survive in the INSERT INTO … SELECT from the old table",
    );
    file.push(findings, finding);
}

/// `INSERT … SELECT … FROM source …`: an insert that reads `source`.
fn copies_from(t: &[Token], source: &str) -> bool {
    let is_insert = t.first().is_some_and(|w| w.is("INSERT") || w.is("REPLACE"));
    is_insert
        && !selected(t).is_empty()
        && (0..t.len()).any(|k| {
            t[k].is("FROM")
                && qualified_name(t, k + 1).is_some_and(|(n, _)| n.eq_ignore_ascii_case(source))
        })
}

/// Whether `t[k]` is a `*` that selects every column (`SELECT *`, `x.*`),
/// not a product.
fn star(t: &[Token], k: usize) -> bool {
    t[k].is_punct("*")
        && k > 0
        && (t[k - 1].is("SELECT")
            || t[k - 1].is("DISTINCT")
            || t[k - 1].is("ALL")
            || t[k - 1].is_punct(",")
            || t[k - 1].is_punct("."))
}

/// The tokens of an INSERT's first SELECT, from `SELECT` on.
fn selected<'t, 'a>(t: &'t [Token<'a>]) -> &'t [Token<'a>] {
    match t.iter().position(|token| token.is("SELECT")) {
        Some(k) => &t[k..],
        None => &[],
    }
}

/// Whether foreign keys are off before `offset`: the file's directive, or a
/// `PRAGMA foreign_keys = OFF` a `no-transaction` file runs itself.
fn foreign_keys_off_before(file: &File, offset: usize) -> bool {
    if file.directives.foreign_keys_off() {
        return true;
    }
    let mut off = false;
    for statement in file
        .statements
        .iter()
        .take_while(|s| s.range.start < offset)
    {
        let t = &statement.tokens;
        let pragma = t.first().is_some_and(|w| w.is("PRAGMA"))
            && qualified_name(t, 1)
                .is_some_and(|(name, _)| name.eq_ignore_ascii_case("foreign_keys"));
        if pragma && file.directives.no_transaction() {
            let value = t
                .iter()
                .rev()
                .find(|token| !token.is_punct(";") && !token.is_punct(")"));
            if let Some(value) = value {
                off = ["OFF", "0", "FALSE", "NO"]
                    .iter()
                    .any(|v| value.text.eq_ignore_ascii_case(v));
            }
        }
    }
    off
}

fn drops_trigger(file: &File, name: &str) -> bool {
    file.statements.iter().any(|s| {
        let t = &s.tokens;
        t.first().is_some_and(|w| w.is("DROP"))
            && t.get(1).is_some_and(|w| w.is("TRIGGER"))
            && qualified_name(t, skip_words(t, 2, &["IF", "EXISTS"]))
                .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name))
    })
}

/// A table of `schema` by a name written in any case.
fn table_named<'s>(schema: &'s Schema, name: &str) -> Option<(&'s str, &'s Table)> {
    schema
        .tables
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, t)| (n.as_str(), t))
}
