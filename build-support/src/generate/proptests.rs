//! Property tests of [`generate`]: random pairs of valid schemas, the
//! first made on a database holding rows, the migrations generated between
//! them applied as the runtime applies them, up and then down.
//!
//! The schemas are built valid by construction from random plans (and
//! checked on SQLite): tables from a small pool of names, so that pairs
//! share tables, each with an `INTEGER PRIMARY KEY id` and columns from
//! small pools of names. The pools keep apart what a column is:
//!
//! - `name`, `score`, … are plain columns: any declared type (a STRICT
//!   one in a STRICT table), `NOT NULL` with a `DEFAULT`, a constant
//!   `DEFAULT`, `COLLATE NOCASE`, a `CHECK`, `UNIQUE` (never with a
//!   `DEFAULT`: the rows a migration adds it to would all hold the same);
//! - `<table>_id` refers to that table, an earlier one (or holds its ids
//!   without saying so), never `NOT NULL`;
//! - `g1`, `g2` are `VIRTUAL` generated columns over another column.
//!
//! Then indexes (plain, unique, partial `WHERE col IS NOT NULL`) on a
//! table's columns, views over one table or two joined on a foreign key,
//! and an `AFTER INSERT` trigger updating or inserting into another table.
//! B is drawn on its own (a third of the pairs) or near A: A's plan with
//! tables, columns and objects kept, changed, dropped or added.
//!
//! The rows are chosen for the pair, so that no constraint either schema
//! declares breaks them (a migration that fails on rows breaking a new
//! constraint is not a fault of the generator, which warns of those):
//! every `CHECK` of the pool holds for every value given; a plain column
//! holds an integer, a text, a real or a blob as fits its STRICT types in
//! both schemas; a `<table>_id` holds an id of that table when it is there
//! before and after, NULL otherwise. The one pair left out
//! (`prop_assume!`, a few in a thousand): a column whose STRICT types in
//! the two schemas share no value (BLOB and INTEGER), `NOT NULL` in one.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use proptest::collection::vec;
use proptest::prelude::*;
use rusqlite::types::Value;

use super::*;
use crate::config::Config;

const TABLES: &[&str] = &["alpha", "beta", "gamma", "delta", "omega", "kappa"];
const PLAIN: &[&str] = &["name", "score", "note", "amount", "data"];
const GENERATED: &[&str] = &["g1", "g2"];
const TYPES: &[&str] = &[
    "INTEGER",
    "TEXT",
    "REAL",
    "BLOB",
    "NUMERIC",
    "",
    "VARCHAR(20)",
];
const STRICT_TYPES: &[&str] = &["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"];
const KEY_STRICT_TYPES: &[&str] = &["INTEGER", "INT", "ANY"];
/// Every value the rows hold (an integer 1 to 3, a text `w1`, a real 1.5,
/// a one-byte blob, or NULL) and every default keeps these.
const CHECKS: &[&str] = &["length({c}) < 100", "{c} >= 0", "{c} <> ''"];
const ROWS: i64 = 3;

// ---------------------------------------------------------------- plans

/// The random choices a column is made of; [`resolve`] makes them valid.
#[derive(Clone, Debug)]
struct ColumnPlan {
    /// 0–5 a plain column, 6–7 a `<table>_id`, 8–9 a generated column.
    role: u8,
    name: usize,
    ty: usize,
    not_null: bool,
    default: Option<usize>,
    collate: bool,
    check: Option<usize>,
    unique: bool,
    references: bool,
    cascade: bool,
    source: usize,
    expression: usize,
    /// Which kind of value the rows hold, when more than one fits.
    flavor: usize,
}

#[derive(Clone, Debug)]
struct TablePlan {
    name: usize,
    strict: bool,
    columns: Vec<ColumnPlan>,
}

#[derive(Clone, Debug)]
struct IndexPlan {
    table: usize,
    columns: Vec<usize>,
    /// 0 plain, 1 unique, 2 partial.
    kind: u8,
    name: usize,
}

#[derive(Clone, Debug)]
struct ViewPlan {
    name: usize,
    join: bool,
    table: usize,
    columns: Vec<usize>,
}

#[derive(Clone, Debug)]
struct TriggerPlan {
    name: usize,
    on: usize,
    target: usize,
    insert: bool,
    column: usize,
    source: usize,
}

#[derive(Clone, Debug)]
struct SchemaPlan {
    tables: Vec<TablePlan>,
    indexes: Vec<IndexPlan>,
    views: Vec<ViewPlan>,
    triggers: Vec<TriggerPlan>,
}

fn column_plan() -> BoxedStrategy<ColumnPlan> {
    (
        (
            0..10u8,
            0..8usize,
            0..7usize,
            prop::bool::weighted(0.3),
            proptest::option::weighted(0.3, 0..8usize),
            prop::bool::weighted(0.2),
        ),
        (
            proptest::option::weighted(0.3, 0..CHECKS.len()),
            prop::bool::weighted(0.25),
            prop::bool::weighted(0.8),
            any::<bool>(),
            0..8usize,
            0..3usize,
            0..4usize,
        ),
    )
        .prop_map(
            |(
                (role, name, ty, not_null, default, collate),
                (check, unique, references, cascade, source, expression, flavor),
            )| ColumnPlan {
                role,
                name,
                ty,
                not_null,
                default,
                collate,
                check,
                unique,
                references,
                cascade,
                source,
                expression,
                flavor,
            },
        )
        .boxed()
}

fn table_plan() -> BoxedStrategy<TablePlan> {
    (
        0..TABLES.len(),
        prop::bool::weighted(0.25),
        vec(column_plan(), 1..=5),
    )
        .prop_map(|(name, strict, columns)| TablePlan {
            name,
            strict,
            columns,
        })
        .boxed()
}

fn index_plan() -> BoxedStrategy<IndexPlan> {
    (0..8usize, vec(0..8usize, 1..=2), 0..3u8, 0..2usize)
        .prop_map(|(table, columns, kind, name)| IndexPlan {
            table,
            columns,
            kind,
            name,
        })
        .boxed()
}

fn view_plan() -> BoxedStrategy<ViewPlan> {
    (0..2usize, any::<bool>(), 0..8usize, vec(0..8usize, 1..=2))
        .prop_map(|(name, join, table, columns)| ViewPlan {
            name,
            join,
            table,
            columns,
        })
        .boxed()
}

fn trigger_plan() -> BoxedStrategy<TriggerPlan> {
    (
        0..2usize,
        0..8usize,
        0..8usize,
        any::<bool>(),
        0..8usize,
        0..8usize,
    )
        .prop_map(|(name, on, target, insert, column, source)| TriggerPlan {
            name,
            on,
            target,
            insert,
            column,
            source,
        })
        .boxed()
}

fn schema_plan() -> BoxedStrategy<SchemaPlan> {
    (
        vec(table_plan(), 1..=5),
        vec(index_plan(), 0..=3),
        vec(view_plan(), 0..=2),
        vec(trigger_plan(), 0..=1),
    )
        .prop_map(|(tables, indexes, views, triggers)| SchemaPlan {
            tables,
            indexes,
            views,
            triggers,
        })
        .boxed()
}

/// `items`, each kept (weight `keep`), dropped, or replaced by a fresh
/// one, and maybe one more at the end.
fn nearly<T: Clone + fmt::Debug + 'static>(
    items: &[T],
    keep: u32,
    changed: impl Fn(T) -> BoxedStrategy<T>,
    fresh: impl Fn() -> BoxedStrategy<T>,
) -> BoxedStrategy<Vec<T>> {
    let each: Vec<BoxedStrategy<Option<T>>> = items
        .iter()
        .cloned()
        .map(|item| {
            prop_oneof![
                keep => Just(Some(item.clone())),
                1 => Just(None),
                1 => changed(item).prop_map(Some),
                1 => fresh().prop_map(Some),
            ]
            .boxed()
        })
        .collect();
    (each, vec(fresh(), 0..=1))
        .prop_map(|(each, extra)| each.into_iter().flatten().chain(extra).collect())
        .boxed()
}

/// A schema plan near `a`: tables, columns and the rest mostly kept, some
/// dropped, changed or added; a table may turn STRICT or back.
fn near(a: &SchemaPlan) -> BoxedStrategy<SchemaPlan> {
    let retyped = |c: ColumnPlan| {
        (0..7usize, prop::bool::weighted(0.3), any::<bool>())
            .prop_map(move |(ty, not_null, unique)| ColumnPlan {
                ty,
                not_null,
                unique,
                ..c.clone()
            })
            .boxed()
    };
    let tables: Vec<BoxedStrategy<Option<TablePlan>>> = a
        .tables
        .iter()
        .cloned()
        .map(|t| {
            (
                nearly(&t.columns, 8, retyped, column_plan),
                prop::bool::weighted(0.15),
                prop::bool::weighted(0.1),
            )
                .prop_map(move |(columns, flip, dropped)| {
                    (!dropped).then_some(TablePlan {
                        name: t.name,
                        strict: t.strict ^ flip,
                        columns,
                    })
                })
                .boxed()
        })
        .collect();
    let first = a.tables[0].clone();
    (
        tables,
        vec(table_plan(), 0..=1),
        nearly(&a.indexes, 3, |_| index_plan(), index_plan),
        nearly(&a.views, 3, |_| view_plan(), view_plan),
        nearly(&a.triggers, 3, |_| trigger_plan(), trigger_plan),
    )
        .prop_map(move |(tables, extra, indexes, views, triggers)| {
            let mut tables: Vec<TablePlan> = tables.into_iter().flatten().chain(extra).collect();
            if tables.is_empty() {
                tables.push(first.clone());
            }
            SchemaPlan {
                tables,
                indexes,
                views,
                triggers,
            }
        })
        .boxed()
}

// ---------------------------------------------------------------- schemas

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Plain,
    /// `<table>_id`.
    Key,
    Generated,
}

#[derive(Clone, Debug)]
struct Col {
    name: String,
    role: Role,
    ty: &'static str,
    not_null: bool,
    has_default: bool,
    /// For a `<table>_id`, that table.
    parent: Option<String>,
    /// Whether it says `REFERENCES` its parent.
    references: bool,
    flavor: usize,
    sql: String,
}

#[derive(Clone, Debug)]
struct Tab {
    name: String,
    strict: bool,
    cols: Vec<Col>,
}

impl Tab {
    fn col(&self, name: &str) -> Option<&Col> {
        self.cols.iter().find(|c| c.name == name)
    }

    /// Its columns that hold values of their own (not generated).
    fn stored(&self) -> impl Iterator<Item = &Col> {
        self.cols.iter().filter(|c| c.role != Role::Generated)
    }

    fn sql(&self) -> String {
        let columns: Vec<&str> = self.cols.iter().map(|c| c.sql.as_str()).collect();
        format!(
            "CREATE TABLE {} (id INTEGER PRIMARY KEY, {}){};",
            self.name,
            columns.join(", "),
            if self.strict { " STRICT" } else { "" }
        )
    }
}

/// A valid schema: its tables, then its indexes, views and triggers.
#[derive(Clone)]
struct Db {
    tables: Vec<Tab>,
    others: Vec<String>,
}

impl Db {
    fn table(&self, name: &str) -> Option<&Tab> {
        self.tables.iter().find(|t| t.name == name)
    }

    fn tables_sql(&self) -> String {
        let tables: Vec<String> = self.tables.iter().map(Tab::sql).collect();
        tables.join("\n")
    }

    fn others_sql(&self) -> String {
        self.others.join("\n")
    }

    fn sql(&self) -> String {
        format!("{}\n{}", self.tables_sql(), self.others_sql())
    }
}

/// The SQL, which is what a failing case is to be read as.
impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\n{}\n", self.sql().trim_end())
    }
}

fn default_for(strict: bool, ty: &str, pick: usize) -> &'static str {
    let pool: &[&str] = match (strict, ty) {
        (false, _) => &["0", "1", "'x'", "2.5", "x'00'", "'none'", "(0)"],
        (true, "INT" | "INTEGER") => &["0", "1"],
        (true, "REAL") => &["0.5", "2"],
        (true, "TEXT") => &["'x'", "'none'"],
        (true, "BLOB") => &["x'00'"],
        (true, _) => &["0", "'x'", "x'00'"],
    };
    pool[pick % pool.len()]
}

fn typed(name: &str, ty: &str) -> String {
    match ty {
        "" => name.to_string(),
        ty => format!("{name} {ty}"),
    }
}

fn resolve_column(p: &ColumnPlan, strict: bool, cols: &[Col], earlier: &[String]) -> Col {
    let sources: Vec<&Col> = cols.iter().filter(|c| c.role != Role::Generated).collect();
    let role = match p.role {
        6 | 7 if !earlier.is_empty() => Role::Key,
        8 | 9 if !sources.is_empty() => Role::Generated,
        _ => Role::Plain,
    };
    let check = |sql: &mut String, name: &str| {
        if let Some(check) = p.check {
            sql.push_str(&format!(" CHECK ({})", CHECKS[check].replace("{c}", name)));
        }
    };
    match role {
        Role::Plain => {
            let name = PLAIN[p.name % PLAIN.len()];
            let ty = match strict {
                true => STRICT_TYPES[p.ty % STRICT_TYPES.len()],
                false => TYPES[p.ty % TYPES.len()],
            };
            let default = (p.not_null || p.default.is_some())
                .then(|| default_for(strict, ty, p.default.unwrap_or(p.ty)));
            let mut sql = typed(name, ty);
            if p.not_null {
                sql.push_str(" NOT NULL");
            }
            if let Some(default) = default {
                sql.push_str(&format!(" DEFAULT {default}"));
            }
            if p.collate {
                sql.push_str(" COLLATE NOCASE");
            }
            if p.unique && default.is_none() {
                sql.push_str(" UNIQUE");
            }
            check(&mut sql, name);
            Col {
                name: name.to_string(),
                role,
                ty,
                not_null: p.not_null,
                has_default: default.is_some(),
                parent: None,
                references: false,
                flavor: p.flavor,
                sql,
            }
        }
        Role::Key => {
            let parent = &earlier[p.name % earlier.len()];
            let name = format!("{parent}_id");
            let ty = match strict {
                true => KEY_STRICT_TYPES[p.ty % KEY_STRICT_TYPES.len()],
                false => TYPES[p.ty % TYPES.len()],
            };
            let mut sql = typed(&name, ty);
            if p.unique {
                sql.push_str(" UNIQUE");
            }
            check(&mut sql, &name);
            if p.references {
                sql.push_str(&format!(" REFERENCES {parent} (id)"));
                if p.cascade {
                    sql.push_str(" ON DELETE CASCADE");
                }
            }
            Col {
                name,
                role,
                ty,
                not_null: false,
                has_default: false,
                parent: Some(parent.clone()),
                references: p.references,
                flavor: p.flavor,
                sql,
            }
        }
        Role::Generated => {
            let name = GENERATED[p.name % GENERATED.len()];
            let source = &sources[p.source % sources.len()].name;
            let expression = match p.expression {
                0 => format!("{source} || ''"),
                1 => format!("length({source})"),
                _ => source.clone(),
            };
            let ty = match strict {
                true => "ANY",
                false => TYPES[p.ty % TYPES.len()],
            };
            Col {
                name: name.to_string(),
                role,
                ty,
                not_null: false,
                has_default: false,
                parent: None,
                references: false,
                flavor: p.flavor,
                sql: format!(
                    "{} GENERATED ALWAYS AS ({expression}) VIRTUAL",
                    typed(name, ty)
                ),
            }
        }
    }
}

fn resolve_table(name: &str, plan: &TablePlan, earlier: &[String]) -> Tab {
    let mut cols: Vec<Col> = Vec::new();
    for p in &plan.columns {
        let col = resolve_column(p, plan.strict, &cols, earlier);
        if !cols.iter().any(|c| c.name == col.name) {
            cols.push(col);
        }
    }
    if cols.is_empty() {
        let fallback = ColumnPlan {
            role: 0,
            name: 0,
            ty: 3,
            not_null: false,
            default: None,
            collate: false,
            check: None,
            unique: false,
            references: false,
            cascade: false,
            source: 0,
            expression: 0,
            flavor: 0,
        };
        cols.push(resolve_column(&fallback, plan.strict, &[], earlier));
    }
    Tab {
        name: name.to_string(),
        strict: plan.strict,
        cols,
    }
}

fn pick<'a>(from: &[&'a str], picks: &[usize]) -> Vec<&'a str> {
    let mut chosen: Vec<&str> = Vec::new();
    for k in picks {
        let name = from[k % from.len()];
        if !chosen.contains(&name) {
            chosen.push(name);
        }
    }
    chosen
}

fn resolve_index(tables: &[Tab], p: &IndexPlan) -> (String, String) {
    let t = &tables[p.table % tables.len()];
    let unique = p.kind == 1;
    // A unique index only on columns whose rows hold distinct values or
    // NULL: never one with a DEFAULT, which the rows it is added to hold.
    let eligible: Vec<&str> = std::iter::once("id")
        .chain(
            t.cols
                .iter()
                .filter(|c| match c.role {
                    Role::Key => true,
                    Role::Plain => !unique || !c.has_default,
                    Role::Generated => !unique,
                })
                .map(|c| c.name.as_str()),
        )
        .collect();
    let columns = pick(&eligible, &p.columns);
    let name = format!("{}_ix{}", t.name, p.name + 1);
    let filter = match p.kind {
        2 => format!(" WHERE {} IS NOT NULL", columns[0]),
        _ => String::new(),
    };
    let kind = if unique { "UNIQUE INDEX" } else { "INDEX" };
    let sql = format!(
        "CREATE {kind} {name} ON {} ({}){filter};",
        t.name,
        columns.join(", ")
    );
    (name, sql)
}

fn resolve_view(tables: &[Tab], p: &ViewPlan) -> (String, String) {
    let name = format!("v{}", p.name + 1);
    let joins: Vec<(&Tab, &Col, &Tab)> = tables
        .iter()
        .flat_map(|child| {
            child
                .cols
                .iter()
                .filter(|c| c.references)
                .filter_map(move |key| {
                    let parent = tables
                        .iter()
                        .find(|t| Some(&t.name) == key.parent.as_ref())?;
                    Some((child, key, parent))
                })
        })
        .collect();
    let names = |t: &Tab| -> Vec<String> { t.cols.iter().map(|c| c.name.clone()).collect() };
    if p.join && !joins.is_empty() {
        let (child, key, parent) = joins[p.table % joins.len()];
        let child_cols = names(child);
        let x = &child_cols[p.columns[0] % child_cols.len()];
        let mut parent_cols = vec!["id".to_string()];
        parent_cols.extend(names(parent));
        let y = &parent_cols[p.columns[p.columns.len() - 1] % parent_cols.len()];
        let sql = format!(
            "CREATE VIEW {name} AS SELECT c.id AS id, c.{x} AS {x}, p.{y} AS p_{y} FROM {} AS c JOIN {} AS p ON c.{} = p.id;",
            child.name, parent.name, key.name
        );
        return (name, sql);
    }
    let t = &tables[p.table % tables.len()];
    let cols = names(t);
    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
    let chosen = pick(&cols, &p.columns);
    let sql = format!(
        "CREATE VIEW {name} AS SELECT id, {} FROM {};",
        chosen.join(", "),
        t.name
    );
    (name, sql)
}

fn resolve_trigger(tables: &[Tab], p: &TriggerPlan) -> Option<(String, String)> {
    if tables.len() < 2 {
        return None;
    }
    let name = format!("trg{}", p.name + 1);
    let t = &tables[p.on % tables.len()];
    let others: Vec<&Tab> = tables.iter().filter(|u| u.name != t.name).collect();
    let u = others[p.target % others.len()];
    let writable: Vec<&str> = u.stored().map(|c| c.name.as_str()).collect();
    let body = if p.insert && !writable.is_empty() {
        let column = writable[p.column % writable.len()];
        let sources: Vec<&str> = std::iter::once("id")
            .chain(t.cols.iter().map(|c| c.name.as_str()))
            .collect();
        let source = sources[p.source % sources.len()];
        format!("INSERT INTO {} ({column}) VALUES (new.{source});", u.name)
    } else {
        let column = match writable.is_empty() {
            true => "id",
            false => writable[p.column % writable.len()],
        };
        format!(
            "UPDATE {} SET {column} = {column} WHERE id = new.id;",
            u.name
        )
    };
    let sql = format!(
        "CREATE TRIGGER {name} AFTER INSERT ON {} BEGIN {body} END;",
        t.name
    );
    Some((name, sql))
}

fn resolve(plan: &SchemaPlan) -> Db {
    let mut tables: Vec<Tab> = Vec::new();
    for t in &plan.tables {
        let name = TABLES[t.name % TABLES.len()];
        if tables.iter().any(|x| x.name == name) {
            continue;
        }
        let earlier: Vec<String> = tables.iter().map(|x| x.name.clone()).collect();
        tables.push(resolve_table(name, t, &earlier));
    }
    let mut others = Vec::new();
    let mut names = BTreeSet::new();
    let objects = plan
        .indexes
        .iter()
        .map(|p| Some(resolve_index(&tables, p)))
        .chain(plan.views.iter().map(|p| Some(resolve_view(&tables, p))))
        .chain(plan.triggers.iter().map(|p| resolve_trigger(&tables, p)));
    for (name, sql) in objects.flatten() {
        if names.insert(name) {
            others.push(sql);
        }
    }
    Db { tables, others }
}

/// Whether SQLite makes the schema, and its views and triggers name only
/// what is there: SQLite reads them all again when a table is renamed.
/// (Foreign keys name earlier tables, which SQLite does not check.)
fn accepts(db: &Db) -> bool {
    let parents_there = db.tables.iter().enumerate().all(|(k, t)| {
        t.cols.iter().filter(|c| c.references).all(|c| {
            db.tables[..k]
                .iter()
                .any(|p| Some(&p.name) == c.parent.as_ref())
        })
    });
    let conn = Connection::open_in_memory().unwrap();
    let renamed = |t: &Tab| {
        format!(
            "BEGIN; ALTER TABLE {0} RENAME TO {0}_renamed; ROLLBACK;",
            t.name
        )
    };
    parents_there
        && conn.execute_batch(&db.sql()).is_ok()
        && db
            .tables
            .first()
            .is_none_or(|t| conn.execute_batch(&renamed(t)).is_ok())
}

fn pair() -> impl Strategy<Value = (Db, Db)> {
    schema_plan()
        .prop_flat_map(|a| {
            let b = prop_oneof![1 => schema_plan(), 2 => near(&a)];
            (Just(a), b)
        })
        .prop_map(|(a, b)| (resolve(&a), resolve(&b)))
        .prop_filter("SQLite makes both schemas", |(a, b)| {
            accepts(a) && accepts(b)
        })
}

// ---------------------------------------------------------------- rows

#[derive(Clone, Copy, Debug)]
enum Kind {
    Int,
    Text,
    Real,
    Blob,
}

/// Whether a value of `kind` goes into a STRICT column of type `ty`, as
/// it is or as its affinity in another table made it (`1` → `'1'`).
fn fits(kind: Kind, strict_type: Option<&str>) -> bool {
    let Some(ty) = strict_type else {
        return true;
    };
    match (kind, ty) {
        (_, "ANY") => true,
        (Kind::Int, ty) => ty != "BLOB",
        (Kind::Real, ty) => ty == "REAL" || ty == "TEXT",
        (Kind::Text, ty) => ty == "TEXT",
        (Kind::Blob, ty) => ty == "BLOB",
    }
}

fn value(kind: Kind, row: i64) -> Value {
    match kind {
        Kind::Int => Value::Integer(row),
        Kind::Text => Value::Text(format!("w{row}")),
        Kind::Real => Value::Real(row as f64 + 0.5),
        Kind::Blob => Value::Blob(vec![row as u8]),
    }
}

/// The rows A's tables start with: (table, columns, rows of values).
type Inserts = Vec<(String, Vec<String>, Vec<Vec<Value>>)>;

/// Rows for `a` that no constraint of `a` nor of `b` breaks, up or down.
fn rows_for(a: &Db, b: &Db) -> Result<Inserts, TestCaseError> {
    let mut inserts = Vec::new();
    for t in &a.tables {
        let other = b.table(&t.name);
        let mut columns = vec!["id".to_string()];
        let mut choices: Vec<Option<Kind>> = Vec::new();
        for c in t.stored() {
            let theirs = other.and_then(|o| o.col(&c.name).map(|oc| (o, oc)));
            let choice = match c.role {
                Role::Key => {
                    // An id of its table, unless a foreign key names a
                    // table that is not there on both sides (where the
                    // migration or its down script makes it empty).
                    let references = c.references || theirs.is_some_and(|(_, oc)| oc.references);
                    let parent = c.parent.as_deref().unwrap_or_default();
                    let kept = a.table(parent).is_some() && b.table(parent).is_some();
                    (!references || kept).then_some(Kind::Int)
                }
                _ => {
                    let mine = t.strict.then_some(c.ty);
                    let theirs_type = theirs
                        .filter(|(o, oc)| o.strict && oc.role != Role::Generated)
                        .map(|(_, oc)| oc.ty);
                    let kinds = [Kind::Int, Kind::Text, Kind::Real, Kind::Blob];
                    let found = (0..kinds.len())
                        .map(|k| kinds[(k + c.flavor) % kinds.len()])
                        .find(|&kind| fits(kind, mine) && fits(kind, theirs_type));
                    // Only where STRICT types of the two schemas admit no
                    // common value (BLOB and INTEGER, say): copying the
                    // rows fails there, rightly, unless they hold NULL.
                    let nullable = !c.not_null && theirs.is_none_or(|(_, oc)| !oc.not_null);
                    prop_assume!(
                        found.is_some() || nullable,
                        "the STRICT types of a column in the two schemas hold no common value"
                    );
                    found
                }
            };
            columns.push(c.name.clone());
            choices.push(choice);
        }
        let rows = (1..=ROWS)
            .map(|row| {
                std::iter::once(Value::Integer(row))
                    .chain(
                        choices
                            .iter()
                            .map(|choice| choice.map_or(Value::Null, |kind| value(kind, row))),
                    )
                    .collect()
            })
            .collect();
        inserts.push((t.name.clone(), columns, rows));
    }
    Ok(inserts)
}

/// Every table's stored values, by table, id and column.
type Snapshot = BTreeMap<String, BTreeMap<i64, BTreeMap<String, Value>>>;

fn snapshot(conn: &Connection, db: &Db) -> rusqlite::Result<Snapshot> {
    let mut all = Snapshot::new();
    for t in &db.tables {
        let columns: Vec<&str> = t.stored().map(|c| c.name.as_str()).collect();
        let sql = format!(
            "SELECT id{}{} FROM {} ORDER BY id",
            if columns.is_empty() { "" } else { ", " },
            columns.join(", "),
            t.name
        );
        let mut statement = conn.prepare(&sql)?;
        let mut rows = statement.query([])?;
        let table = all.entry(t.name.clone()).or_default();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let mut values = BTreeMap::new();
            for (k, column) in columns.iter().enumerate() {
                values.insert(column.to_string(), row.get::<_, Value>(k + 1)?);
            }
            table.insert(id, values);
        }
    }
    Ok(all)
}

/// The columns whose values a migration from `from` to `to` keeps: of a
/// table of both, stored in both, with the same declared type.
fn kept_columns(from: &Db, to: &Db) -> Vec<(String, Option<String>)> {
    let mut kept = Vec::new();
    for t in &to.tables {
        let Some(f) = from.table(&t.name) else {
            continue;
        };
        kept.push((t.name.clone(), None));
        for c in t.stored() {
            let same = f
                .col(&c.name)
                .is_some_and(|fc| fc.role != Role::Generated && fc.ty.eq_ignore_ascii_case(c.ty));
            if same {
                kept.push((t.name.clone(), Some(c.name.clone())));
            }
        }
    }
    kept
}

fn compare(
    before: &Snapshot,
    after: &Snapshot,
    kept: &[(String, Option<String>)],
    what: &str,
    scripts: &str,
) -> Result<(), TestCaseError> {
    for (table, column) in kept {
        let (b, a) = (&before[table], &after[table]);
        match column {
            None => {
                let ids = |rows: &BTreeMap<i64, _>| rows.keys().copied().collect::<Vec<i64>>();
                prop_assert_eq!(
                    ids(a),
                    ids(b),
                    "{}: the rows of {} are not the ones before\n{}",
                    what,
                    table,
                    scripts
                );
            }
            Some(column) => {
                for (id, values) in b {
                    prop_assert_eq!(
                        &a[id][column],
                        &values[column],
                        "{}: {}.{} of row {} changed\n{}",
                        what,
                        table,
                        column,
                        id,
                        scripts
                    );
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- the test

fn setup() -> Setup {
    Setup::of(&Config::default(), Path::new("."))
}

/// Runs `sql` as the runtime runs a migration.
fn run_script(conn: &mut Connection, sql: &str) -> Result<(), String> {
    let directives = Directives::parse_for_running(sql)
        .map_err(|error| format!("bad directive: {}", error.message))?;
    apply(conn, sql, directives).map_err(|failure| failure.to_string())
}

fn scripts_of(outcome: &Outcome) -> String {
    let mut text = String::new();
    for (k, m) in outcome.migrations.iter().enumerate() {
        let subject = m.subject.as_deref().unwrap_or("all");
        text.push_str(&format!("--- up {k} ({subject}):\n{}", m.up));
        if let Some(down) = &m.down {
            text.push_str(&format!("--- down {k} ({subject}):\n{down}"));
        }
    }
    if !outcome.warnings.is_empty() {
        text.push_str(&format!("--- warnings: {:#?}\n", outcome.warnings));
    }
    text
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

/// A with rows → B → A, checking the schemas and the values on the way.
fn there_and_back(a: &Db, b: &Db, per_table: bool) -> Result<(), TestCaseError> {
    let inserts = rows_for(a, b)?;
    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    conn.execute_batch(&a.tables_sql()).unwrap();
    for (table, columns, rows) in &inserts {
        let marks = vec!["?"; columns.len()].join(", ");
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({marks})",
            columns.join(", ")
        );
        for row in rows {
            conn.execute(&sql, rusqlite::params_from_iter(row))
                .map_err(|error| fail(format!("the test's rows do not go in {table}: {error}")))?;
        }
    }
    // Triggers after the rows, which they would add to.
    conn.execute_batch(&a.others_sql()).unwrap();
    let from = read_objects(&conn).unwrap();
    let schema_a = Schema::read(&conn).unwrap();
    let made_b = Connection::open_in_memory().unwrap();
    made_b.execute_batch(&b.sql()).unwrap();
    let to = read_objects(&made_b).unwrap();
    let schema_b = Schema::read(&made_b).unwrap();
    let before = snapshot(&conn, a).unwrap();

    let request = Request {
        renames: Renames::none(),
        allow_destructive: true,
        per_table,
        down: true,
    };
    let outcome = generate(&from, &to, &setup(), &request)
        .map_err(|error| fail(format!("generate fails: {error}")))?;
    let scripts = scripts_of(&outcome);

    for (k, m) in outcome.migrations.iter().enumerate() {
        run_script(&mut conn, &m.up)
            .map_err(|error| fail(format!("up {k} fails on the rows: {error}\n{scripts}")))?;
    }
    let differences = Schema::read(&conn).unwrap().diff(&schema_b);
    prop_assert!(
        differences.is_empty(),
        "up does not arrive at B: {:#?}\n{}",
        differences,
        scripts
    );
    let after_up = snapshot(&conn, b).unwrap();
    compare(&before, &after_up, &kept_columns(a, b), "up", &scripts)?;

    for (k, m) in outcome.migrations.iter().enumerate().rev() {
        let down = m
            .down
            .as_deref()
            .ok_or_else(|| fail(format!("migration {k} has no down script")))?;
        run_script(&mut conn, down)
            .map_err(|error| fail(format!("down {k} fails on the rows: {error}\n{scripts}")))?;
    }
    let differences = Schema::read(&conn).unwrap().diff(&schema_a);
    prop_assert!(
        differences.is_empty(),
        "down does not come back to A: {:#?}\n{}",
        differences,
        scripts
    );
    let after_down = snapshot(&conn, a).unwrap();
    // Kept both ways: what up keeps, and down keeps of it.
    let up_kept = kept_columns(a, b);
    let kept: Vec<_> = kept_columns(b, a)
        .into_iter()
        .filter(|k| up_kept.contains(k))
        .collect();
    compare(&before, &after_down, &kept, "down", &scripts)
}

proptest! {
    #![proptest_config(ProptestConfig {
        // No regressions file: a failure found is to be reported.
        failure_persistence: None,
        ..ProptestConfig::with_cases(64)
    })]

    /// One migration from A to B arrives at B keeping the rows and the
    /// values of the columns it keeps; its down script comes back to A,
    /// keeping the values of the columns both keep.
    #[test]
    fn a_generated_migration_goes_there_and_back_keeping_rows((a, b) in pair()) {
        there_and_back(&a, &b, false)?;
    }

    /// The same, one migration per table, applied in order (and their down
    /// scripts in reverse order).
    #[test]
    fn per_table_migrations_go_there_and_back_keeping_rows((a, b) in pair()) {
        there_and_back(&a, &b, true)?;
    }
}
