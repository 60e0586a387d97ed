//! How two schemas differ, object by object, in words a person can read.

use std::collections::BTreeMap;
use std::fmt;

use super::{same_name, same_sql, Column, Index, IndexColumn, Schema, Table};

/// One object that differs between two schemas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// `table`, `index`, `trigger` or `view`.
    pub kind: &'static str,
    /// Its name, as the first schema has it when both have it.
    pub name: String,
    /// How it differs.
    pub change: Change,
}

/// How an object differs from the first schema to the second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// In the first and not in the second.
    Missing,
    /// In the second and not in the first.
    Added,
    /// In both, not alike: one line per difference, such as `column name:
    /// NOT NULL → nullable`.
    Changed(Vec<String>),
}

impl Difference {
    /// One line per difference: `table gone is missing`, `view v was added`,
    /// `table users: column name: NOT NULL → nullable`, `trigger t changed`.
    pub fn lines(&self) -> Vec<String> {
        let prefix = format!("{} {}", self.kind, self.name);
        match &self.change {
            Change::Missing => vec![format!("{prefix} is missing")],
            Change::Added => vec![format!("{prefix} was added")],
            Change::Changed(details) if details.is_empty() => vec![format!("{prefix} changed")],
            Change::Changed(details) => details
                .iter()
                .map(|detail| format!("{prefix}: {detail}"))
                .collect(),
        }
    }
}

/// [`Difference::lines`], one per line.
impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

impl Schema {
    /// What differs from `self` in `after`, one readable line per
    /// difference: `table users: column email was added`, `index
    /// users_email is missing`, `trigger t changed`, `table users: column
    /// name: NOT NULL → nullable` ([`Difference::lines`] of each of
    /// [`Schema::differences`]).
    ///
    /// Empty exactly when the two schemas are equal.
    pub fn diff(&self, after: &Schema) -> Vec<String> {
        self.differences(after)
            .iter()
            .flat_map(Difference::lines)
            .collect()
    }

    /// What differs from `self` in `after`, object by object: tables, then
    /// indexes, triggers and views, each kind by name. Names are paired
    /// without regard to ASCII case, as SQLite pairs them.
    ///
    /// Empty exactly when the two schemas are equal.
    pub fn differences(&self, after: &Schema) -> Vec<Difference> {
        let mut found = Vec::new();
        diff_maps(
            "table",
            &self.tables,
            &after.tables,
            &mut found,
            diff_tables,
        );
        diff_maps(
            "index",
            &self.indexes,
            &after.indexes,
            &mut found,
            diff_indexes,
        );
        for (kind, before, after) in [
            ("trigger", &self.triggers, &after.triggers),
            ("view", &self.views, &after.views),
        ] {
            diff_maps(kind, before, after, &mut found, |before, after| {
                if same_sql(before, after) {
                    None
                } else {
                    Some(Vec::new())
                }
            });
        }
        found
    }
}

/// Pairs the entries of two maps by name, without regard to ASCII case, and
/// pushes one [`Difference`] per name only one has and per pair `changed`
/// tells apart (`Some` of what differs).
fn diff_maps<V>(
    kind: &'static str,
    before: &BTreeMap<String, V>,
    after: &BTreeMap<String, V>,
    found: &mut Vec<Difference>,
    changed: impl Fn(&V, &V) -> Option<Vec<String>>,
) {
    let by_lower = |map: &'_ BTreeMap<String, V>| -> BTreeMap<String, String> {
        map.keys()
            .map(|name| (name.to_ascii_lowercase(), name.clone()))
            .collect()
    };
    let (before_names, after_names) = (by_lower(before), by_lower(after));
    let mut lower: Vec<&String> = before_names.keys().chain(after_names.keys()).collect();
    lower.sort();
    lower.dedup();
    for name in lower {
        let (change, name) = match (before_names.get(name), after_names.get(name)) {
            (Some(name), None) => (Change::Missing, name),
            (None, Some(name)) => (Change::Added, name),
            (Some(old), Some(new)) => match changed(&before[old], &after[new]) {
                None => continue,
                Some(details) => (Change::Changed(details), old),
            },
            (None, None) => continue,
        };
        found.push(Difference {
            kind,
            name: name.clone(),
            change,
        });
    }
}

fn diff_tables(before: &Table, after: &Table) -> Option<Vec<String>> {
    if before == after {
        return None;
    }
    let mut lines = Vec::new();
    for column in &before.columns {
        match after.column(&column.name) {
            None => lines.push(format!("column {} is missing", column.name)),
            Some(other) => diff_columns(column, other, &mut lines),
        }
    }
    for column in &after.columns {
        if before.column(&column.name).is_none() {
            lines.push(format!("column {} was added", column.name));
        }
    }
    let common = |of: &Table, other: &Table| -> Vec<String> {
        of.columns
            .iter()
            .filter(|column| other.column(&column.name).is_some())
            .map(|column| column.name.clone())
            .collect()
    };
    let (order_before, order_after) = (common(before, after), common(after, before));
    if !super::same_names(&order_before, &order_after) {
        lines.push(format!(
            "the columns are in another order: ({}) → ({})",
            order_before.join(", "),
            order_after.join(", ")
        ));
    }
    if !super::same_names(&before.primary_key, &after.primary_key) {
        let key = |key: &[String]| match key {
            [] => "none (rowid)".to_string(),
            key => format!("({})", key.join(", ")),
        };
        lines.push(format!(
            "primary key {} → {}",
            key(&before.primary_key),
            key(&after.primary_key)
        ));
    }
    let mut flag = |what: &str, before: bool, after: bool| {
        if before != after {
            let say = |on: bool| {
                if on {
                    what.to_string()
                } else {
                    format!("not {what}")
                }
            };
            lines.push(format!("{} → {}", say(before), say(after)));
        }
    };
    flag("WITHOUT ROWID", before.without_rowid, after.without_rowid);
    flag("STRICT", before.strict, after.strict);
    flag("AUTOINCREMENT", before.autoincrement, after.autoincrement);
    if !super::same_optional(&before.virtual_sql, &after.virtual_sql, same_sql) {
        lines.push("its virtual table definition changed".to_string());
    }
    diff_lists("", &before.foreign_keys, &after.foreign_keys, &mut lines);
    let unique = |list: &[Vec<String>]| -> Vec<String> {
        list.iter()
            .map(|columns| format!("UNIQUE ({})", columns.join(", ")))
            .collect()
    };
    let (unique_before, unique_after) = (unique(&before.unique), unique(&after.unique));
    let same_text = |a: &String, b: &String| same_sql(a, b);
    diff_lists_by(
        "constraint ",
        &unique_before,
        &unique_after,
        same_text,
        &mut lines,
    );
    diff_lists_by(
        "constraint ",
        &before.checks,
        &after.checks,
        same_text,
        &mut lines,
    );
    Some(lines)
}

/// Items of one list missing from the other, as `<what><item> is missing`.
fn diff_lists<T: PartialEq + fmt::Display>(
    what: &str,
    before: &[T],
    after: &[T],
    lines: &mut Vec<String>,
) {
    diff_lists_by(what, before, after, |a, b| a == b, lines);
}

fn diff_lists_by<T: fmt::Display>(
    what: &str,
    before: &[T],
    after: &[T],
    same: impl Fn(&T, &T) -> bool,
    lines: &mut Vec<String>,
) {
    let missing = |from: &[T], of: &T| !from.iter().any(|item| same(item, of));
    for item in before.iter().filter(|item| missing(after, item)) {
        lines.push(format!("{what}{item} is missing"));
    }
    for item in after.iter().filter(|item| missing(before, item)) {
        lines.push(format!("{what}{item} was added"));
    }
}

fn diff_columns(before: &Column, after: &Column, lines: &mut Vec<String>) {
    let prefix = format!("column {}", before.name);
    if !same_name(&before.declared_type, &after.declared_type) {
        let show = |declared: &str| match declared {
            "" => "no type".to_string(),
            declared => declared.to_string(),
        };
        lines.push(format!(
            "{prefix}: type {} → {}",
            show(&before.declared_type),
            show(&after.declared_type)
        ));
    }
    if before.not_null != after.not_null {
        let show = |not_null: bool| if not_null { "NOT NULL" } else { "nullable" };
        lines.push(format!(
            "{prefix}: {} → {}",
            show(before.not_null),
            show(after.not_null)
        ));
    }
    if !super::same_optional(&before.default, &after.default, same_sql) {
        let show = |default: &Option<String>| match default {
            None => "no default".to_string(),
            Some(default) => format!("DEFAULT {default}"),
        };
        lines.push(format!(
            "{prefix}: {} → {}",
            show(&before.default),
            show(&after.default)
        ));
    }
    if before.kind != after.kind {
        lines.push(format!("{prefix}: {} → {}", before.kind, after.kind));
    }
    if !super::same_optional(&before.collation, &after.collation, same_name) {
        let show = |collation: &Option<String>| match collation {
            None => "BINARY".to_string(),
            Some(collation) => collation.clone(),
        };
        lines.push(format!(
            "{prefix}: COLLATE {} → {}",
            show(&before.collation),
            show(&after.collation)
        ));
    }
    if !super::same_optional(&before.generated, &after.generated, same_sql) {
        let show = |generated: &Option<String>| match generated {
            None => "not generated".to_string(),
            Some(expression) => format!("AS {expression}"),
        };
        lines.push(format!(
            "{prefix}: {} → {}",
            show(&before.generated),
            show(&after.generated)
        ));
    }
}

fn diff_indexes(before: &Index, after: &Index) -> Option<Vec<String>> {
    if before == after {
        return None;
    }
    let mut lines = Vec::new();
    if !same_name(&before.table, &after.table) {
        lines.push(format!(
            "on table {} → on table {}",
            before.table, after.table
        ));
    }
    if before.columns != after.columns {
        let show = |columns: &[IndexColumn]| {
            columns
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        lines.push(format!(
            "columns ({}) → ({})",
            show(&before.columns),
            show(&after.columns)
        ));
    }
    if before.unique != after.unique {
        let show = |unique: bool| if unique { "UNIQUE" } else { "not unique" };
        lines.push(format!("{} → {}", show(before.unique), show(after.unique)));
    }
    if !super::same_optional(&before.partial, &after.partial, same_sql) {
        let show = |partial: &Option<String>| match partial {
            None => "on every row".to_string(),
            Some(condition) => format!("WHERE {condition}"),
        };
        lines.push(format!(
            "{} → {}",
            show(&before.partial),
            show(&after.partial)
        ));
    }
    Some(lines)
}
