//! The steps of a generated migration, found on a scratch database that
//! holds the schema being changed: every step runs there as it is written,
//! so that each next decision reads the schema SQLite really has.
//!
//! The order is SQLite's own for changing a schema:
//!
//! 1. indexes that change or go, views and triggers no longer declared,
//!    and what refers to a table that goes are dropped;
//! 2. tables no longer declared are dropped, children before parents;
//! 3. tables are renamed (which carries their indexes, triggers, views and
//!    the foreign keys that refer to them);
//! 4. new tables are created, parents before children;
//! 5. each changed table, parents first, is altered with `ALTER TABLE`
//!    where SQLite takes it and it leaves the declared table, else rebuilt
//!    the 12-step way; the views and triggers that name it are dropped
//!    first when it is rebuilt or loses a column; a changed virtual table
//!    is made again with its rows, last, once the tables an index reads
//!    from are as declared;
//! 6. indexes, triggers and views are made to match, in the order the
//!    desired schema makes them.

use std::collections::{BTreeMap, BTreeSet};

use migrate_sqlite::lex::{
    code, comparable_sql, find_name, quoted_name, tokens, Kind, VirtualTable,
};
use migrate_sqlite::schema::{Column, ColumnKind, ForeignKey, Index, Table};
use migrate_sqlite::{Schema, SchemaObject};
use rusqlite::Connection;

use super::hints::{is_hint, Renames};
use super::sql::{column_definition, with_table_name, with_virtual_table_name};

/// With `--per-table`, the group of what goes first: indexes, views and
/// triggers dropped before any table changes (dropping early breaks
/// nothing; left for later, a view or trigger can break a table's change).
pub(crate) const FIRST: &str = "";

/// With `--per-table`, the group of what goes last: views and triggers,
/// made once every table they name is as declared.
pub(crate) const LAST: &str = "views_and_triggers";

/// One statement of the migration, and the table whose file it goes in.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub group: String,
    pub sql: String,
}

/// What a migration does.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    /// The groups, in an order in which their files apply; the steps of
    /// [`FIRST`] go in the first.
    pub groups: Vec<String>,
    /// What the migration loses, by group: tables and columns whose values go.
    pub lost: Vec<(String, String)>,
    /// The groups that rebuild or drop a table: run with foreign keys off.
    pub foreign_keys_off: BTreeSet<String>,
    /// What could fail on the rows a database holds.
    pub warnings: Vec<String>,
}

/// The schema SQLite keeps for `objects`, run in order on `conn`.
pub(crate) fn make(conn: &Connection, objects: &[SchemaObject]) -> rusqlite::Result<()> {
    for object in objects {
        conn.execute_batch(&object.sql)?;
    }
    Ok(())
}

/// The entry of `map` named `name`, without regard to ASCII case.
fn find<'m, V>(map: &'m BTreeMap<String, V>, name: &str) -> Option<(&'m String, &'m V)> {
    map.get_key_value(name)
        .or_else(|| map.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)))
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// `sql` without the rename hints in it, which belong to the desired
/// schema, not to a migration.
pub(crate) fn without_hints(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    for token in tokens(sql) {
        let hint = token.kind == Kind::Comment && is_hint(&token);
        if hint {
            let kept = out.trim_end_matches([' ', '\t']).len();
            out.truncate(kept);
        } else {
            out.push_str(token.text);
        }
    }
    out
}

/// The plan that takes the schema on `scratch` (made from `from`) to
/// `desired` (made by `to`), running each step on `scratch`.
pub(crate) fn plan(
    scratch: &Connection,
    desired: &Schema,
    to: &[SchemaObject],
    renames: &Renames,
) -> rusqlite::Result<Plan> {
    let before = Schema::read(scratch)?;
    let mut planner = Planner::new(scratch, &before, desired, to, renames);
    planner.run()?;
    Ok(planner.plan)
}

struct Planner<'a> {
    scratch: &'a Connection,
    before: &'a Schema,
    desired: &'a Schema,
    to: &'a [SchemaObject],
    renames: &'a Renames,
    plan: Plan,
}

/// How the tables of the two schemas correspond.
struct Tables {
    /// (name before, name desired) of each table kept.
    pairs: Vec<(String, String)>,
    /// Tables dropped, children first.
    dropped: Vec<String>,
    /// Tables created, parents first.
    created: Vec<String>,
    /// Kept tables that change (by their desired names).
    changed: Vec<String>,
}

impl<'a> Planner<'a> {
    fn new(
        scratch: &'a Connection,
        before: &'a Schema,
        desired: &'a Schema,
        to: &'a [SchemaObject],
        renames: &'a Renames,
    ) -> Self {
        Planner {
            scratch,
            before,
            desired,
            to,
            renames,
            plan: Plan::default(),
        }
    }

    fn run(&mut self) -> rusqlite::Result<()> {
        let tables = self.tables();
        let renamed = tables
            .pairs
            .iter()
            .filter(|(from, to)| !same(from, to))
            .map(|(_, to)| to.clone());
        let order: Vec<String> = tables
            .dropped
            .iter()
            .cloned()
            .chain(renamed)
            .chain(tables.created.iter().cloned())
            .chain(tables.changed.iter().cloned())
            .collect();
        self.drop_dependents(&tables)?;
        for table in &tables.dropped {
            self.drop_table(table)?;
        }
        self.rename_tables(&tables.pairs)?;
        for table in &tables.created {
            let sql = format!("{};", self.desired_sql("table", table));
            self.run_step(table, sql)?;
        }
        for (_, table) in &tables.pairs {
            self.change_table(table)?;
        }
        self.match_objects()?;
        self.plan.groups = self.groups(order);
        Ok(())
    }

    /// The groups of the steps, in an order whose files apply: tables
    /// dropped, renamed, created and changed, in `order`; then tables whose
    /// indexes alone change; views and triggers last. What goes first goes
    /// in the first file.
    fn groups(&self, order: Vec<String>) -> Vec<String> {
        let used = |group: &str| self.plan.steps.iter().any(|s| s.group == group);
        let mut groups: Vec<String> = Vec::new();
        let in_steps = self.plan.steps.iter().map(|s| s.group.clone());
        for group in order.into_iter().chain(in_steps) {
            let taken = groups.iter().any(|g| same(g, &group));
            if !taken && used(&group) && group != FIRST && group != LAST {
                groups.push(group);
            }
        }
        if used(LAST) || (groups.is_empty() && used(FIRST)) {
            groups.push(LAST.to_string());
        }
        groups
    }

    /// The name before of the table desired as `name`, if it is kept: the
    /// table it is renamed from, or the table of its name unless that one
    /// is renamed to another.
    fn source_of(&self, name: &str) -> Option<String> {
        let renamed_from = self
            .renames
            .table_from(name)
            .filter(|old| find(&self.before.tables, old).is_some());
        let renamed_away = self
            .renames
            .table_to(name)
            .is_some_and(|new| !same(new, name) && find(&self.desired.tables, new).is_some());
        let candidate = match renamed_from {
            Some(old) => old,
            None if renamed_away => return None,
            None => name,
        };
        let (found, table) = find(&self.before.tables, candidate)?;
        let desired = find(&self.desired.tables, name)?.1;
        let kept = match (&table.virtual_sql, &desired.virtual_sql) {
            (None, None) => true,
            (Some(_), Some(_)) => table == desired || remade_with_rows(table, desired),
            _ => false,
        };
        kept.then(|| found.clone())
    }

    fn tables(&self) -> Tables {
        let mut pairs = Vec::new();
        let mut created = Vec::new();
        for (name, table) in &self.desired.tables {
            if table.shadow {
                continue;
            }
            match self.source_of(name) {
                Some(source) => pairs.push((source, name.clone())),
                None => created.push(name.clone()),
            }
        }
        // Kept tables change parents first: a child's foreign key names its
        // parent's columns as they are after the parent's renames.
        let order = parents_first(
            &self.desired.tables,
            pairs.iter().map(|(_, to)| to.clone()).collect(),
        );
        pairs.sort_by_key(|(_, to)| order.iter().position(|o| o == to));
        // An index filled again from its content table comes after it.
        let reads_content = |to: &String| {
            find(&self.desired.tables, to).and_then(|(_, t)| refill(t)) == Some(Refill::Rebuild)
        };
        pairs.sort_by_key(|(_, to)| reads_content(to));
        let kept: BTreeSet<String> = pairs.iter().map(|(from, _)| from.clone()).collect();
        let dropped: Vec<String> = self
            .before
            .tables
            .iter()
            .filter(|(name, table)| !table.shadow && !kept.contains(*name))
            .map(|(name, _)| name.clone())
            .collect();
        let changed = pairs
            .iter()
            .filter(|(from, to)| {
                let expected = self.expected(&self.before.tables[from], to);
                Some(&expected) != find(&self.desired.tables, to).map(|(_, t)| t)
            })
            .map(|(_, to)| to.clone())
            .collect();
        let created = self.in_desired_order(created);
        Tables {
            dropped: children_first(&self.before.tables, dropped),
            created: parents_first(&self.desired.tables, created),
            pairs,
            changed,
        }
    }

    /// `names` in the order the desired schema makes them.
    fn in_desired_order(&self, mut names: Vec<String>) -> Vec<String> {
        let at = |name: &String| self.to.iter().position(|o| same(&o.name, name));
        names.sort_by_key(at);
        names
    }

    /// The table `table` (named so before) as it is after the renames, by
    /// its desired name `to`.
    fn expected(&self, table: &Table, to: &str) -> Table {
        let renames = self.renames;
        let column =
            |table: &str, name: &str| renames.column_to(table, name).unwrap_or(name).to_string();
        let mut expected = table.clone();
        for c in &mut expected.columns {
            c.name = column(to, &c.name);
        }
        for name in &mut expected.primary_key {
            *name = column(to, name);
        }
        for unique in &mut expected.unique {
            for name in unique.iter_mut() {
                *name = column(to, name);
            }
        }
        expected.unique.sort();
        for key in &mut expected.foreign_keys {
            for name in &mut key.columns {
                *name = column(to, name);
            }
            let parent = renames
                .table_to(&key.parent_table)
                .unwrap_or(&key.parent_table)
                .to_string();
            for name in key.parent_columns.iter_mut().flatten() {
                *name = column(&parent, name);
            }
            key.parent_table = parent;
        }
        expected
            .foreign_keys
            .sort_by_cached_key(|key| key.to_string().to_ascii_lowercase());
        expected
    }

    fn run_step(&mut self, group: &str, sql: String) -> rusqlite::Result<()> {
        self.scratch.execute_batch(&sql)?;
        self.plan.steps.push(Step {
            group: group.to_string(),
            sql,
        });
        Ok(())
    }

    /// The desired `CREATE` statement of the object `kind` `name`.
    fn desired_sql(&self, kind: &str, name: &str) -> String {
        self.to
            .iter()
            .find(|o| o.kind == kind && same(&o.name, name))
            .map(|o| without_hints(&o.sql))
            .unwrap_or_default()
    }

    /// Step 1: indexes that change or go, views and triggers that go, and
    /// what refers to a table that goes. (What only changes its own SQL is
    /// made again in step 6, after renames have rewritten what refers to
    /// them; what refers to a table rebuilt goes just before it.)
    fn drop_dependents(&mut self, tables: &Tables) -> rusqlite::Result<()> {
        for (name, index) in &self.before.indexes {
            if tables.dropped.contains(&index.table) {
                continue;
            }
            let to = self.renames.table_to(&index.table).unwrap_or(&index.table);
            let kept = find(&self.desired.indexes, name)
                .is_some_and(|(_, desired)| *desired == self.expected_index(index, to));
            if !kept {
                self.run_step(FIRST, format!("DROP INDEX {};", quoted_name(name)))?;
            }
        }
        for table in &tables.dropped {
            self.drop_referring(table, FIRST)?;
        }
        let gone = |names: &BTreeMap<String, String>, desired: &BTreeMap<String, String>| {
            names
                .keys()
                .filter(|name| find(desired, name).is_none())
                .cloned()
                .collect::<Vec<_>>()
        };
        for view in gone(&self.before.views, &self.desired.views) {
            self.drop_referring(&view, FIRST)?;
            self.drop_object("view", &view, FIRST)?;
        }
        for trigger in gone(&self.before.triggers, &self.desired.triggers) {
            self.drop_object("trigger", &trigger, FIRST)?;
        }
        Ok(())
    }

    /// Drops the `kind` `name` if it is still there.
    fn drop_object(&mut self, kind: &str, name: &str, group: &str) -> rusqlite::Result<()> {
        if self.exists(name)? {
            let kind = kind.to_ascii_uppercase();
            self.run_step(group, format!("DROP {kind} {};", quoted_name(name)))?;
        }
        Ok(())
    }

    /// Drops, into `group`, the views and triggers that name `name`, and
    /// those that name them in turn: SQLite re-reads them when a table is
    /// renamed or loses a column, and a dangling one fails that.
    fn drop_referring(&mut self, name: &str, group: &str) -> rusqlite::Result<()> {
        let objects = migrate_sqlite::schema::read_objects(self.scratch)?;
        let mut gone = vec![name.to_string()];
        let refers = |object: &SchemaObject, gone: &[String]| {
            gone.iter().any(|g| {
                !same(g, &object.name)
                    && (same(g, &object.table) || find_name(&object.sql, g).is_some())
            })
        };
        let mut views: Vec<&SchemaObject> = objects.iter().filter(|o| o.kind == "view").collect();
        while let Some(k) = views.iter().position(|v| refers(v, &gone)) {
            let view = views.remove(k);
            self.drop_object("view", &view.name, group)?;
            gone.push(view.name.to_string());
        }
        for trigger in objects.iter().filter(|o| o.kind == "trigger") {
            if refers(trigger, &gone) {
                self.drop_object("trigger", &trigger.name, group)?;
            }
        }
        Ok(())
    }

    /// The index `index` as it is after the renames, on the table `to`.
    fn expected_index(&self, index: &Index, to: &str) -> Index {
        let mut expected = index.clone();
        expected.table = to.to_string();
        for column in &mut expected.columns {
            if let Some(new) = self.renames.column_to(to, &column.name) {
                column.name = new.to_string();
            }
        }
        expected
    }

    /// Step 2.
    fn drop_table(&mut self, table: &str) -> rusqlite::Result<()> {
        self.run_step(table, format!("DROP TABLE {};", quoted_name(table)))?;
        self.plan.lost.push((
            table.to_string(),
            format!("table {table}, and every row in it"),
        ));
        self.plan.foreign_keys_off.insert(table.to_string());
        Ok(())
    }

    /// Step 3: renamed tables, through a free name where one takes
    /// another's (`a` → `b` while `b` → `a`).
    fn rename_tables(&mut self, pairs: &[(String, String)]) -> rusqlite::Result<()> {
        let mut pending: Vec<(String, String, String)> = pairs
            .iter()
            .filter(|(from, to)| !same(from, to))
            .map(|(from, to)| (from.clone(), to.clone(), to.clone()))
            .collect();
        while !pending.is_empty() {
            let free = pending
                .iter()
                .position(|(_, to, _)| !self.exists(to).unwrap_or(true));
            let (from, to, group) = match free {
                Some(k) => pending.remove(k),
                None => {
                    let (from, to, group) = pending.remove(0);
                    let step = self.free_name(&format!("{from}_renaming"))?;
                    pending.push((step.clone(), to, group.clone()));
                    (from, step, group)
                }
            };
            let sql = format!(
                "ALTER TABLE {} RENAME TO {};",
                quoted_name(&from),
                quoted_name(&to)
            );
            self.run_step(&group, sql)?;
        }
        Ok(())
    }

    fn exists(&self, name: &str) -> rusqlite::Result<bool> {
        migrate_sqlite::schema::has_name(self.scratch, name)
    }

    /// `base`, or `base_2`, `base_3` … : a name nothing in the schema has.
    fn free_name(&self, base: &str) -> rusqlite::Result<String> {
        let mut name = base.to_string();
        let mut n = 1;
        while self.exists(&name)? {
            n += 1;
            name = format!("{base}_{n}");
        }
        Ok(name)
    }

    fn read_table(&self, name: &str) -> rusqlite::Result<Table> {
        let names = BTreeSet::from([name.to_string()]);
        let schema = Schema::read_tables(self.scratch, &names)?;
        Ok(find(&schema.tables, name)
            .map(|(_, t)| t.clone())
            .unwrap_or_default())
    }

    /// Step 5 for the kept table desired as `table`, now named so.
    fn change_table(&mut self, table: &str) -> rusqlite::Result<()> {
        let current = self.read_table(table)?;
        let Some((_, desired)) = find(&self.desired.tables, table) else {
            return Ok(());
        };
        let desired = desired.clone();
        if current == desired {
            return Ok(());
        }
        if desired.virtual_sql.is_some() {
            return self.remake_virtual(table, &current, &desired);
        }
        let sql = self.desired_sql("table", table);
        let alterations = self.alterations(table, &current, &desired, &sql);
        let drops_columns = alterations.as_ref().map_or(true, |statements| {
            statements.iter().any(|s| s.contains(" DROP COLUMN "))
        });
        if drops_columns {
            self.drop_referring(table, table)?;
        }
        let why = match alterations {
            Ok(statements) => {
                if self.try_steps(table, &statements, &desired)? {
                    for column in self.dropped_columns(table, &current, &desired) {
                        self.lose_column(table, &current, &column);
                    }
                    for statement in statements {
                        self.plan.steps.push(Step {
                            group: table.to_string(),
                            sql: statement,
                        });
                    }
                    return Ok(());
                }
                "ALTER TABLE cannot change a column's type, default, key, constraints or collation, nor the table's options".to_string()
            }
            Err(why) => why,
        };
        self.drop_referring(table, table)?;
        self.rebuild(table, &current, &desired, &sql, &why)
    }

    /// The column of `current` that the desired column `name` of `table`
    /// keeps, as [`Self::source_of`] finds tables.
    fn source_column<'t>(&self, table: &str, current: &'t Table, name: &str) -> Option<&'t str> {
        let renamed_from = self
            .renames
            .column_from(table, name)
            .filter(|old| current.column(old).is_some());
        let desired = find(&self.desired.tables, table).map(|(_, t)| t);
        let renamed_away = self.renames.column_to(table, name).is_some_and(|new| {
            !same(new, name) && desired.is_some_and(|d| d.column(new).is_some())
        });
        let candidate = match renamed_from {
            Some(old) => old,
            None if renamed_away => return None,
            None => name,
        };
        current.column(candidate).map(|c| c.name.as_str())
    }

    /// The columns of `current` that no desired column keeps.
    fn dropped_columns(&self, table: &str, current: &Table, desired: &Table) -> Vec<String> {
        current
            .columns
            .iter()
            .filter(|c| {
                !desired.columns.iter().any(|d| {
                    self.source_column(table, current, &d.name)
                        .is_some_and(|s| same(s, &c.name))
                })
            })
            .map(|c| c.name.clone())
            .collect()
    }

    /// Records that `column` of `current` is lost, unless its values are
    /// computed (a generated column).
    fn lose_column(&mut self, table: &str, current: &Table, column: &str) {
        let generated = current
            .column(column)
            .is_some_and(|c| c.generated.is_some());
        if !generated {
            self.plan.lost.push((
                table.to_string(),
                format!("column {table}.{column}, and its values"),
            ));
        }
    }

    /// The `ALTER TABLE` statements that would make `current` the desired
    /// table, when its columns keep their order and new ones come last and
    /// can be added to a table that holds rows.
    fn alterations(
        &self,
        table: &str,
        current: &Table,
        desired: &Table,
        desired_sql: &str,
    ) -> Result<Vec<String>, String> {
        let name = quoted_name(table);
        let sources: Vec<Option<&str>> = desired
            .columns
            .iter()
            .map(|d| self.source_column(table, current, &d.name))
            .collect();
        // New columns can only come last, and kept ones keep their order.
        let kept: Vec<&str> = sources.iter().map_while(|s| *s).collect();
        let in_order = current
            .columns
            .iter()
            .filter(|c| kept.iter().any(|k| same(k, &c.name)))
            .map(|c| c.name.as_str());
        if sources[kept.len()..].iter().any(Option::is_some) || !in_order.eq(kept.iter().copied()) {
            return Err(
                "ALTER TABLE adds a column only at the end, and the columns are in another order"
                    .into(),
            );
        }
        let mut statements = Vec::new();
        for (d, source) in desired.columns.iter().zip(&sources) {
            if let Some(source) = source.filter(|s| !same(s, &d.name)) {
                statements.push(format!(
                    "ALTER TABLE {name} RENAME COLUMN {} TO {};",
                    quoted_name(source),
                    quoted_name(&d.name)
                ));
            }
        }
        for column in self.dropped_columns(table, current, desired) {
            statements.push(format!(
                "ALTER TABLE {name} DROP COLUMN {};",
                quoted_name(&column)
            ));
        }
        for d in &desired.columns {
            if self.source_column(table, current, &d.name).is_some() {
                continue;
            }
            let definition = column_definition(desired_sql, &d.name);
            let Some(definition) = definition.filter(|_| addable(d, desired)) else {
                return Err(format!(
                    "ALTER TABLE cannot add `{}` as declared to a table that holds rows (NOT NULL without a DEFAULT, a DEFAULT that is not a constant, a STORED generated column, or a foreign key with a DEFAULT)",
                    d.name
                ));
            };
            statements.push(format!("ALTER TABLE {name} ADD COLUMN {definition};"));
        }
        Ok(statements)
    }

    /// Runs `statements` on the scratch database and keeps them when they
    /// leave `table` as desired; else leaves it as it was.
    fn try_steps(
        &self,
        table: &str,
        statements: &[String],
        desired: &Table,
    ) -> rusqlite::Result<bool> {
        self.scratch.execute_batch("SAVEPOINT migrate_trial")?;
        let ran = statements
            .iter()
            .try_for_each(|s| self.scratch.execute_batch(s));
        let arrived = ran.is_ok() && self.read_table(table)? == *desired;
        if !arrived {
            self.scratch.execute_batch("ROLLBACK TO migrate_trial")?;
        }
        self.scratch.execute_batch("RELEASE migrate_trial")?;
        Ok(arrived)
    }

    /// The 12-step rebuild: a new table as declared, every row copied,
    /// the old one dropped and the new one renamed into its place; `why`
    /// says in its comment why `ALTER TABLE` would not do.
    fn rebuild(
        &mut self,
        table: &str,
        current: &Table,
        desired: &Table,
        desired_sql: &str,
        why: &str,
    ) -> rusqlite::Result<()> {
        let new = self.free_name(&format!("new_{table}"))?;
        let create = with_table_name(desired_sql, &new).unwrap_or_default();
        let mut columns = Vec::new();
        let mut values = Vec::new();
        if !has_rowid_alias(current)
            && !has_rowid_alias(desired)
            && !desired.without_rowid
            && !current.without_rowid
        {
            columns.push("rowid".to_string());
            values.push("rowid".to_string());
        }
        for d in &desired.columns {
            if d.kind != ColumnKind::Plain {
                continue;
            }
            let Some(source) = self.source_column(table, current, &d.name) else {
                if d.not_null && d.default.is_none() {
                    self.plan.warnings.push(format!(
                        "{table}.{}: a new NOT NULL column without a DEFAULT: the migration fails on a table that holds rows; give it a DEFAULT in the desired schema, or fill it by hand in the migration",
                        d.name
                    ));
                }
                continue;
            };
            let was_nullable = current.column(source).is_some_and(|c| !c.not_null);
            let value = match &d.default {
                Some(default) if d.not_null && was_nullable => {
                    format!("coalesce({}, {default})", quoted_name(source))
                }
                None if d.not_null && was_nullable && !d.in_primary_key() => {
                    self.plan.warnings.push(format!(
                        "{table}.{}: now NOT NULL without a DEFAULT: a row holding NULL there fails the migration; give it a DEFAULT in the desired schema, or update those rows first",
                        d.name
                    ));
                    quoted_name(source)
                }
                _ => quoted_name(source),
            };
            columns.push(quoted_name(&d.name));
            values.push(value);
        }
        for column in self.dropped_columns(table, current, desired) {
            self.lose_column(table, current, &column);
        }
        self.warn_of_new_constraints(table, current, desired);
        let sequence = (current.autoincrement && desired.autoincrement).then(|| {
            // The new table carries on the old one's sequence: AUTOINCREMENT
            // never gives again a key that a deleted row had.
            let literal = |name: &str| format!("'{}'", name.replace('\'', "''"));
            let (old, new) = (literal(table), literal(&new));
            format!(
                "DELETE FROM sqlite_sequence WHERE name = {new};\n\
                 INSERT INTO sqlite_sequence (name, seq)\n  \
                 SELECT {new}, seq FROM sqlite_sequence WHERE name = {old} COLLATE NOCASE;"
            )
        });
        let name = quoted_name(table);
        let new = quoted_name(&new);
        let why = format!("-- {why}: a new table, every row copied into it, the old one dropped");
        self.run_step(table, format!("{why}\n{create};"))?;
        if !columns.is_empty() {
            self.run_step(
                table,
                format!(
                    "INSERT INTO {new} ({})\n  SELECT {} FROM {name};",
                    columns.join(", "),
                    values.join(", ")
                ),
            )?;
        }
        if let Some(sequence) = sequence {
            self.run_step(table, sequence)?;
        }
        self.run_step(table, format!("DROP TABLE {name};"))?;
        self.run_step(table, format!("ALTER TABLE {new} RENAME TO {name};"))?;
        self.plan.foreign_keys_off.insert(table.to_string());
        Ok(())
    }

    /// A changed virtual table made again as declared, with its rows, the
    /// way an ordinary table is rebuilt: a new one is made and filled, the
    /// old one dropped and the new one renamed into place. An index over a
    /// content table is filled from it (FTS's `'rebuild'`); a table that
    /// holds its own rows has them copied.
    fn remake_virtual(
        &mut self,
        table: &str,
        current: &Table,
        desired: &Table,
    ) -> rusqlite::Result<()> {
        let sql = self.desired_sql("table", table);
        self.drop_referring(table, table)?;
        let new = self.free_name(&format!("new_{table}"))?;
        let create = with_virtual_table_name(&sql, &new).unwrap_or_default();
        let (name, new) = (quoted_name(table), quoted_name(&new));
        let fill = if refill(desired) == Some(Refill::Rebuild) {
            format!("INSERT INTO {new} ({new}) VALUES ('rebuild');")
        } else {
            // An FTS table's rowid is apart from its columns; an R*Tree's
            // is its first column.
            let (mut columns, mut values) = match has_own_rowid(desired) {
                true => (vec!["rowid".to_string()], vec!["rowid".to_string()]),
                false => (Vec::new(), Vec::new()),
            };
            for d in desired
                .columns
                .iter()
                .filter(|c| c.kind == ColumnKind::Plain)
            {
                if let Some(source) = self.source_column(table, current, &d.name) {
                    columns.push(quoted_name(&d.name));
                    values.push(quoted_name(source));
                }
            }
            for column in self.dropped_columns(table, current, desired) {
                if current
                    .column(&column)
                    .is_some_and(|c| c.kind == ColumnKind::Plain)
                {
                    self.lose_column(table, current, &column);
                }
            }
            format!(
                "INSERT INTO {new} ({})\n  SELECT {} FROM {name};",
                columns.join(", "),
                values.join(", ")
            )
        };
        let why = "-- a virtual table is made again as declared, then filled";
        self.run_step(table, format!("{why}\n{create};"))?;
        self.run_step(table, fill)?;
        self.run_step(table, format!("DROP TABLE {name};"))?;
        self.run_step(table, format!("ALTER TABLE {new} RENAME TO {name};"))?;
        self.plan.foreign_keys_off.insert(table.to_string());
        Ok(())
    }

    /// Warns of the constraints a rebuild adds that rows already there can
    /// break, making the migration fail: not those over new columns alone,
    /// whose values are all NULL unless a default fills them.
    fn warn_of_new_constraints(&mut self, table: &str, current: &Table, desired: &Table) {
        let before = self.expected(current, table);
        let kept = |column: &str| self.source_column(table, current, column).is_some();
        let filled = |column: &str| {
            desired
                .column(column)
                .and_then(|c| c.default.as_deref())
                .is_some_and(|v| !same(v, "NULL"))
        };
        let can_break = |columns: &[String]| columns.iter().any(|c| kept(c) || filled(c));
        let mut new: Vec<String> = desired
            .checks
            .iter()
            .filter(|c| {
                // Over new columns alone, every row holds the same values:
                // the build's run with rows tries them.
                let named = desired
                    .columns
                    .iter()
                    .any(|d| kept(&d.name) && find_name(c, &d.name).is_some());
                named
                    && !before
                        .checks
                        .iter()
                        .any(|b| comparable_sql(b) == comparable_sql(c))
            })
            .cloned()
            .collect();
        let same_columns = |a: &[String], b: &[String]| {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        };
        let key_changed = !same_columns(&desired.primary_key, &before.primary_key);
        if key_changed && can_break(&desired.primary_key) {
            new.push(format!("PRIMARY KEY ({})", desired.primary_key.join(", ")));
        }
        for unique in &desired.unique {
            let was = before.unique.iter().any(|b| same_columns(b, unique));
            if !was && can_break(unique) {
                new.push(format!("UNIQUE ({})", unique.join(", ")));
            }
        }
        for key in &desired.foreign_keys {
            let was = before.foreign_keys.iter().any(|b| same_reference(b, key));
            if !was && can_break(&key.columns) {
                new.push(key.to_string());
            }
        }
        let mut warnings: Vec<String> = new
            .into_iter()
            .map(|constraint| format!(
                "{table}: {constraint} is new: a row already there that breaks it makes the migration fail"
            ))
            .collect();
        // Values told apart before may be alike under a new collation.
        let unique_indexes = self
            .desired
            .indexes
            .values()
            .filter(|index| index.unique && same(&index.table, table))
            .flat_map(|index| index.columns.iter().map(|c| c.name.clone()));
        let collated: BTreeSet<String> = desired
            .unique
            .iter()
            .chain(std::iter::once(&desired.primary_key))
            .flatten()
            .cloned()
            .chain(unique_indexes)
            .filter(|c| {
                let (Some(now), Some(was)) = (desired.column(c), before.column(c)) else {
                    return false;
                };
                let collation = |c: &Column| c.collation.clone().unwrap_or_else(|| "BINARY".into());
                !same(&collation(now), &collation(was))
            })
            .collect();
        for column in collated {
            warnings.push(format!(
                "{table}.{column}: a new collation under a key or UNIQUE: values that were distinct and are alike under it (`A` and `a` under NOCASE) make the migration fail"
            ));
        }
        let retyped = desired.columns.iter().any(|d| {
            before
                .column(&d.name)
                .is_some_and(|b| !same(&b.declared_type, &d.declared_type))
        });
        if desired.strict && (!before.strict || retyped) {
            warnings.push(format!(
                "{table}: STRICT: a value already there that is not of its column's declared type makes the migration fail"
            ));
        }
        self.plan.warnings.extend(warnings);
    }

    /// Step 6: indexes, triggers and views as the desired schema has them.
    fn match_objects(&mut self) -> rusqlite::Result<()> {
        let now = Schema::read(self.scratch)?;
        let objects = migrate_sqlite::schema::read_objects(self.scratch)?;
        let group_of = |object: &SchemaObject| -> String {
            match object.kind.as_ref() {
                "index" => object.table.to_string(),
                _ => LAST.to_string(),
            }
        };
        for object in &objects {
            let differs = match object.kind.as_ref() {
                "index" => find(&self.desired.indexes, &object.name)
                    .is_none_or(|(_, d)| Some(d) != now.indexes.get(object.name.as_ref())),
                "trigger" => find(&self.desired.triggers, &object.name).is_none_or(|(_, d)| {
                    comparable_sql(d) != comparable_sql(&now.triggers[object.name.as_ref()])
                }),
                "view" => find(&self.desired.views, &object.name).is_none_or(|(_, d)| {
                    comparable_sql(d) != comparable_sql(&now.views[object.name.as_ref()])
                }),
                _ => false,
            };
            if differs && !object.name.starts_with("sqlite_") {
                let kind = object.kind.to_ascii_uppercase();
                let sql = format!("DROP {kind} IF EXISTS {};", quoted_name(&object.name));
                self.run_step(&group_of(object), sql)?;
            }
        }
        let now = Schema::read(self.scratch)?;
        for object in self.to {
            let missing = match object.kind.as_ref() {
                "index" => find(&now.indexes, &object.name).is_none(),
                "trigger" => find(&now.triggers, &object.name).is_none(),
                "view" => find(&now.views, &object.name).is_none(),
                _ => false,
            };
            if missing {
                self.run_step(
                    &group_of(object),
                    format!("{};", without_hints(&object.sql)),
                )?;
            }
        }
        Ok(())
    }
}

/// Whether `ALTER TABLE … ADD COLUMN` takes the column `column` of
/// `table` on a table that holds rows: SQLite refuses a stored generated
/// column, `NOT NULL` without a default, a default that is not a constant,
/// and a foreign key with a default.
fn addable(column: &Column, table: &Table) -> bool {
    let default = column.default.as_deref().filter(|v| !same(v, "NULL"));
    let constant = default.is_none_or(is_literal);
    let referencing = table
        .foreign_keys
        .iter()
        .any(|k| k.columns.iter().any(|c| same(c, &column.name)));
    column.kind != ColumnKind::GeneratedStored
        && !(column.not_null && default.is_none())
        && constant
        && !(referencing && default.is_some())
}

/// Whether the default `value` is a literal, the only default SQLite's
/// `ADD COLUMN` takes on a table that holds rows: a number (signed), a
/// string, a blob, `NULL`, `TRUE` or `FALSE`, in parentheses or not. A
/// call (`datetime('now')`), `CURRENT_TIMESTAMP` or any other expression
/// is refused there, though an empty table takes it.
fn is_literal(value: &str) -> bool {
    let tokens = code(value);
    let mut inner: &[_] = &tokens;
    while inner.len() >= 2 && inner[0].is_punct("(") && inner[inner.len() - 1].is_punct(")") {
        inner = &inner[1..inner.len() - 1];
    }
    let unsigned = match inner {
        [sign, rest @ ..] if sign.is_punct("-") || sign.is_punct("+") => rest,
        all => all,
    };
    match unsigned {
        [token] => match token.kind {
            Kind::Number => true,
            Kind::String | Kind::Blob => unsigned.len() == inner.len(),
            _ => {
                ["NULL", "TRUE", "FALSE"].iter().any(|w| token.is(w))
                    && unsigned.len() == inner.len()
            }
        },
        _ => false,
    }
}

/// How a virtual table made again gets its rows back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refill {
    /// An FTS index over a content table: its `'rebuild'` command reads
    /// the content table again.
    Rebuild,
    /// A table that holds its own rows (FTS, R*Tree): they are copied.
    Copy,
}

/// How the virtual table `table`, made again, gets its rows back; `None`
/// for an index that keeps no text (FTS's `content=''`) and for modules
/// not known here.
fn refill(table: &Table) -> Option<Refill> {
    let read = VirtualTable::read(table.virtual_sql.as_deref()?)?;
    if read.indexes_another_table() {
        Some(Refill::Rebuild)
    } else if read.content.is_none() && (read.is_full_text() || read.module.starts_with("rtree")) {
        Some(Refill::Copy)
    } else {
        None
    }
}

/// Whether the virtual table `before`, declared otherwise as `desired`,
/// can be made again without losing its rows.
fn remade_with_rows(before: &Table, desired: &Table) -> bool {
    match refill(desired) {
        Some(Refill::Rebuild) => true,
        Some(Refill::Copy) => refill(before) == Some(Refill::Copy),
        None => false,
    }
}

/// Whether a virtual table's rowid is not one of its columns (FTS), so is
/// copied apart from them.
fn has_own_rowid(table: &Table) -> bool {
    let read = table.virtual_sql.as_deref().and_then(VirtualTable::read);
    read.is_some_and(|read| read.is_full_text())
}

/// Whether two foreign keys hold rows to the same parent rows: the same
/// columns referring to the same parent columns, whatever their actions.
fn same_reference(a: &ForeignKey, b: &ForeignKey) -> bool {
    let names =
        |a: &[String], b: &[String]| a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b));
    let parents = |a: &[Option<String>], b: &[Option<String>]| {
        a.len() == b.len()
            && a.iter().zip(b).all(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => same(a, b),
                (a, b) => a.is_none() && b.is_none(),
            })
    };
    names(&a.columns, &b.columns)
        && same(&a.parent_table, &b.parent_table)
        && parents(&a.parent_columns, &b.parent_columns)
}

/// Whether the table's key is an alias of its rowid, which its rows keep.
fn has_rowid_alias(table: &Table) -> bool {
    !table.without_rowid
        && table.primary_key.len() == 1
        && table
            .column(&table.primary_key[0])
            .is_some_and(|c| c.declared_type.eq_ignore_ascii_case("INTEGER"))
}

/// `names`, ordered so that a table comes before the tables it refers to.
fn children_first(tables: &BTreeMap<String, Table>, names: Vec<String>) -> Vec<String> {
    let mut order = parents_first(tables, names);
    order.reverse();
    order
}

/// `names`, ordered so that a table comes after the tables it refers to
/// (among `names`), keeping their order otherwise; a cycle keeps its order.
fn parents_first(tables: &BTreeMap<String, Table>, names: Vec<String>) -> Vec<String> {
    let parents = |name: &String| -> Vec<String> {
        find(tables, name)
            .map(|(_, t)| {
                t.foreign_keys
                    .iter()
                    .map(|k| k.parent_table.clone())
                    .filter(|p| !same(p, name))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut order: Vec<String> = Vec::new();
    let mut left = names;
    while !left.is_empty() {
        let ready = left.iter().position(|name| {
            parents(name)
                .iter()
                .all(|p| order.iter().any(|o| same(o, p)) || !left.iter().any(|l| same(l, p)))
        });
        order.push(left.remove(ready.unwrap_or(0)));
    }
    order
}

/// A table or column that the desired schema has and the schema before
/// does not, while one it does not keep is gone: a rename, or a drop and
/// an add. Only the person who changed the schema knows which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ambiguity {
    /// For a column, its table (by its desired name); `None` for a table.
    pub table: Option<String>,
    /// The new table or column.
    pub added: String,
    /// The tables or columns gone, any of which it may be renamed from.
    pub dropped: Vec<String>,
}

/// The drops and adds between the schema on `scratch` and `desired` that
/// may be renames, tables first.
pub(crate) fn ambiguities(
    scratch: &Connection,
    desired: &Schema,
    to: &[SchemaObject],
    renames: &Renames,
) -> rusqlite::Result<Vec<Ambiguity>> {
    let before = Schema::read(scratch)?;
    let planner = Planner::new(scratch, &before, desired, to, renames);
    let tables = planner.tables();
    let ordinary = |names: &[String], schema: &Schema| -> Vec<String> {
        names
            .iter()
            .filter(|n| find(&schema.tables, n).is_some_and(|(_, t)| t.is_ordinary()))
            .cloned()
            .collect()
    };
    let dropped = ordinary(&tables.dropped, &before);
    let mut found: Vec<Ambiguity> = Vec::new();
    if !dropped.is_empty() {
        for added in ordinary(&tables.created, desired) {
            found.push(Ambiguity {
                table: None,
                added,
                dropped: dropped.clone(),
            });
        }
    }
    for (from, to) in &tables.pairs {
        let (current, wanted) = (&before.tables[from], &desired.tables[to]);
        let gone = planner.dropped_columns(to, current, wanted);
        if gone.is_empty() {
            continue;
        }
        for column in &wanted.columns {
            if planner.source_column(to, current, &column.name).is_none() {
                found.push(Ambiguity {
                    table: Some(to.clone()),
                    added: column.name.clone(),
                    dropped: gone.clone(),
                });
            }
        }
    }
    Ok(found)
}
