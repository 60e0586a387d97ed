//! Foreign keys the final schema cannot serve, or serves slowly.

use std::collections::{BTreeMap, BTreeSet};

use migrate_sqlite::Lint;

use super::indexes::list;
use super::{File, Finding};
use crate::folder::Source;
use migrate_sqlite::lex::Token;
use migrate_sqlite::schema::{ForeignKey, Schema, Table};

/// A foreign key: (table, columns, parent table).
pub(super) type ForeignKeyId = (String, Vec<String>, String);

/// Where a foreign key was declared: the index of the migration, and the key
/// as that migration named it, since later ones may rename its table, its
/// columns or its parent.
pub(super) type Origin = (usize, ForeignKeyId);

pub(super) fn unindexed_foreign_keys(
    files: &[File],
    schema: &Schema,
    origin: &BTreeMap<ForeignKeyId, Origin>,
    findings: &mut Vec<Finding>,
) {
    let mut by_table: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
    for index in schema
        .indexes
        .values()
        .filter(|index| index.partial.is_none())
    {
        by_table
            .entry(index.table.as_str())
            .or_default()
            .push(index.columns.iter().map(|c| c.name.clone()).collect());
    }
    for (name, table, key, (file, declared)) in keys_with_origin(files, schema, origin) {
        let wanted: BTreeSet<String> = key.columns.iter().map(|c| c.to_ascii_lowercase()).collect();
        let leads = |cols: &[String]| {
            cols.len() >= wanted.len()
                && cols[..wanted.len()]
                    .iter()
                    .map(|c| c.to_ascii_lowercase())
                    .collect::<BTreeSet<_>>()
                    == wanted
        };
        let indexed = leads(&table.primary_key)
            || table.unique.iter().any(|u| leads(u))
            || by_table
                .get(name)
                .is_some_and(|lists| lists.iter().any(|cols| leads(cols)));
        if indexed {
            continue;
        }
        let offset = key_offset(file, declared);
        let columns = list(&key.columns);
        file.push(findings, file.finding(
                Lint::UnindexedForeignKey,
                offset,
                format!("foreign key `{name}` ({columns}) → `{}` has no index on `{name}` ({columns}): each delete or key update in `{}` scans the whole of `{name}`", key.parent_table, key.parent_table),
                &format!("add `CREATE INDEX {name}_{} ON {name} ({columns});`", key.columns.join("_")),
            ));
    }
}

/// The foreign keys of the final schema that a migration of the chain
/// introduced: each with its table, the file that declared it and the key as
/// that file named it.
fn keys_with_origin<'s, 'f>(
    files: &'f [File<'f>],
    schema: &'s Schema,
    origin: &'s BTreeMap<ForeignKeyId, Origin>,
) -> impl Iterator<
    Item = (
        &'s str,
        &'s Table,
        &'s ForeignKey,
        (&'f File<'f>, &'s ForeignKeyId),
    ),
> {
    schema.tables.iter().flat_map(move |(name, table)| {
        table.foreign_keys.iter().filter_map(move |key| {
            let id = (name.clone(), key.columns.clone(), key.parent_table.clone());
            let (index, declared) = origin.get(&id)?;
            Some((name.as_str(), table, key, (&files[*index], declared)))
        })
    })
}

/// Where `file` declares the key `declared`: its `REFERENCES`, else its
/// first column.
fn key_offset(file: &File, (table, columns, parent): &ForeignKeyId) -> usize {
    references_offset(file, table, &columns[0], parent)
        .unwrap_or_else(|| file.column_offset(table, &columns[0], None))
}

/// Foreign keys whose parent the final schema cannot serve: a missing
/// table, or columns that are not its primary key or a UNIQUE key. SQLite
/// accepts them when the table is created and fails every later write to
/// the child ("foreign key mismatch", or "no such table").
pub(super) fn foreign_key_targets(
    files: &[File],
    schema: &Schema,
    origin: &BTreeMap<ForeignKeyId, Origin>,
    findings: &mut Vec<Finding>,
) {
    for (name, _, key, (file, declared)) in keys_with_origin(files, schema, origin) {
        let Some(problem) = parent_problem(schema, key) else {
            continue;
        };
        let offset = key_offset(file, declared);
        let columns = list(&key.columns);
        file.push(findings, file.finding(
                Lint::ForeignKeyTarget,
                offset,
                format!(
                    "foreign key `{name}` ({columns}) → `{}`: {problem}, so every insert or update of `{name}` will fail",
                    key.parent_table
                ),
                "refer to the parent's primary key, or to columns with a UNIQUE constraint or a unique index",
            ));
    }
}

/// Why `key`'s parent cannot serve it, if it cannot.
fn parent_problem(schema: &Schema, key: &ForeignKey) -> Option<String> {
    let parent_name = &key.parent_table;
    let Some((_, parent)) = schema
        .tables
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(parent_name))
    else {
        return Some(format!(
            "there is no table `{parent_name}` once the migrations have run"
        ));
    };
    let lower = |columns: &[String]| -> BTreeSet<String> {
        columns.iter().map(|c| c.to_ascii_lowercase()).collect()
    };
    let named: Vec<String> = key.parent_columns.iter().flatten().cloned().collect();
    if named.is_empty() {
        // No column named: the key refers to the parent's declared primary key.
        return parent.primary_key.is_empty().then(|| {
            format!("it names no parent column and `{parent_name}` declares no PRIMARY KEY")
        });
    }
    let wanted = lower(&named);
    let unique_index = schema.indexes.values().any(|index| {
        index.unique
            && index.partial.is_none()
            && index.table.eq_ignore_ascii_case(parent_name)
            && lower(
                &index
                    .columns
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>(),
            ) == wanted
    });
    let served = lower(&parent.primary_key) == wanted
        || parent.unique.iter().any(|columns| lower(columns) == wanted)
        || unique_index;
    (!served).then(|| {
        format!(
            "`{parent_name}` ({}) is neither its primary key nor UNIQUE",
            list(&named)
        )
    })
}

/// The `REFERENCES parent` of the column `column` of `table` in `file`.
fn references_offset(file: &File, table: &str, column: &str, parent: &str) -> Option<usize> {
    for statement in file.statements_on(table) {
        let t = &statement.tokens;
        for (k, token) in t.iter().enumerate() {
            let refers = token.is("REFERENCES")
                && t.get(k + 1)
                    .and_then(Token::name)
                    .is_some_and(|n| n.eq_ignore_ascii_case(parent));
            if !refers {
                continue;
            }
            // The column is named between the previous `,`/`(` of the
            // definition's depth and REFERENCES.
            let depth = token.depth;
            let names_column = t[..k]
                .iter()
                .rev()
                .take_while(|p| !(p.depth == depth && (p.is_punct(",") || p.is_punct("("))))
                .any(|p| p.name().is_some_and(|n| n.eq_ignore_ascii_case(column)));
            if names_column {
                return Some(token.start);
            }
        }
    }
    None
}

/// The `foreign-key-violation` finding of a migration after which `rows` rows
/// of `child` refer to rows of `parent` that do not exist, unless the file
/// allows it. Found by `foreign_key_check` on the database with generated
/// rows, after each migration.
pub(crate) fn foreign_key_violation(
    source: &Source,
    child: &str,
    parent: &str,
    rows: usize,
) -> Option<Finding> {
    let file = File::new(source);
    let names = |t: &Token| {
        t.name()
            .is_some_and(|n| n.eq_ignore_ascii_case(child) || n.eq_ignore_ascii_case(parent))
    };
    let at = file
        .statements
        .iter()
        .find(|s| s.tokens.iter().any(names))
        .map_or(0, |s| s.range.start);
    let finding = file.finding(
        Lint::ForeignKeyViolation,
        at,
        format!(
            "after this migration {rows} row(s) of `{child}` refer to rows of `{parent}` that do not exist (foreign_key_check on the database with generated rows): each later write to those rows fails with \"FOREIGN KEY constraint failed\", and so does the check before commit of every later rebuild"
        ),
        &format!("keep references whole in this migration: delete or update the rows of `{child}` whose parent goes, or declare the key ON DELETE CASCADE or SET NULL"),
    );
    (!file.directives.allows(finding.lint)).then_some(finding)
}
