//! Duplicate and redundant indexes.

use migrate_sqlite::Lint;

use super::{File, Finding};
use migrate_sqlite::schema::{Index, Schema, Table};

fn key_columns(index: &Index) -> Vec<(String, String)> {
    index
        .columns
        .iter()
        .map(|c| {
            (
                c.name.to_ascii_lowercase(),
                c.collation.to_ascii_uppercase(),
            )
        })
        .collect()
}

/// An index's columns as its statement writes them.
fn written(index: &Index) -> Vec<String> {
    index.columns.iter().map(|c| c.name.clone()).collect()
}

pub(super) fn list(columns: &[String]) -> String {
    columns.join(", ")
}

pub(super) fn redundant_indexes(
    file: &File,
    before: &Schema,
    after: &Schema,
    findings: &mut Vec<Finding>,
) {
    for (name, index) in &after.indexes {
        if before.indexes.get(name) == Some(index) || index.partial.is_some() {
            continue;
        }
        let Some((position, offset)) = file.index_statement(name) else {
            continue;
        };
        let ours = key_columns(index);
        let names: Vec<String> = ours.iter().map(|(n, _)| n.clone()).collect();
        // (is a leading prefix, not equal; what it repeats)
        let mut repeats: Option<(bool, String, Vec<String>)> = None;
        for (other_name, other) in &after.indexes {
            if other_name == name || other.table != index.table || other.partial.is_some() {
                continue;
            }
            // Two new equal indexes: only the later one is reported.
            if let Some((other_position, _)) = file.index_statement(other_name) {
                if before.indexes.get(other_name) != Some(other) && other_position > position {
                    continue;
                }
            }
            let theirs = key_columns(other);
            if let Some(prefix) = covered(&ours, &theirs, index.unique, other.unique) {
                let cols = other.columns.iter().map(|c| c.name.clone()).collect();
                repeats = Some((prefix, format!("index `{other_name}`"), cols));
                break;
            }
        }
        if repeats.is_none() {
            if let Some(table) = after.tables.get(&index.table) {
                repeats = key_repeated(&names, index.unique, table);
            }
        }
        let Some((prefix, what, cols)) = repeats else {
            continue;
        };
        let relation = if prefix {
            "its columns are a leading prefix of"
        } else {
            "it has the same columns as"
        };
        file.push(
            findings,
            file.finding(
                Lint::RedundantIndex,
                offset,
                format!(
                    "index `{name}` on `{}` ({}) is redundant: {relation} {what} ({}), which serves every query it would; every write pays for both",
                    index.table,
                    list(&written(index)),
                    list(&cols)
                ),
                &format!("remove `{name}`"),
            ),
        );
    }
}

/// Whether an index on `ours` repeats one on `theirs`: `Some(true)` as a
/// leading prefix, `Some(false)` as equal. A UNIQUE index is only repeated by
/// an equal UNIQUE one.
fn covered<T: PartialEq>(
    ours: &[T],
    theirs: &[T],
    ours_unique: bool,
    theirs_unique: bool,
) -> Option<bool> {
    if ours.is_empty() || ours.len() > theirs.len() || theirs[..ours.len()] != *ours {
        return None;
    }
    let equal = ours.len() == theirs.len();
    if ours_unique && !(equal && theirs_unique) {
        return None;
    }
    Some(!equal)
}

fn key_repeated(
    names: &[String],
    unique: bool,
    table: &Table,
) -> Option<(bool, String, Vec<String>)> {
    let lower =
        |cols: &[String]| -> Vec<String> { cols.iter().map(|c| c.to_ascii_lowercase()).collect() };
    for constraint in &table.unique {
        if let Some(prefix) = covered(names, &lower(constraint), unique, true) {
            return Some((
                prefix,
                "the automatic index of the UNIQUE constraint".to_string(),
                constraint.clone(),
            ));
        }
    }
    if !table.primary_key.is_empty() {
        if let Some(prefix) = covered(names, &lower(&table.primary_key), unique, true) {
            return Some((
                prefix,
                "the PRIMARY KEY".to_string(),
                table.primary_key.clone(),
            ));
        }
    }
    None
}
