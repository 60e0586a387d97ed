//! An entity-relationship diagram of a schema: each table with its columns
//! (type, primary key, not null, unique), each foreign key as an arrow from
//! the child's columns to the parent's, each view marked as a view with
//! dashed arrows to what it reads. Written as Mermaid, as Graphviz DOT, or
//! as SVG laid out from the DOT (layered, left to right, by `layout-rs`).
//!
//! The tables a range of migrations changed can be highlighted
//! ([`Diagram::highlight`]).

mod dot;
mod mermaid;
mod svg;

use std::collections::BTreeSet;

use rusqlite::Connection;

use crate::lex;
use crate::schema::{made_in_memory, Schema, SchemaObject};

/// The diagram of one schema.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagram {
    /// Tables, then views, each by name.
    pub entities: Vec<Entity>,
    /// Foreign keys, then what views read.
    pub links: Vec<Link>,
}

/// A table or a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// Its name.
    pub name: String,
    /// A view, not a table.
    pub view: bool,
    /// Its columns, in order.
    pub fields: Vec<Field>,
    /// Highlighted: changed by the migrations of interest.
    pub highlighted: bool,
}

/// A column of a table or view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Its name.
    pub name: String,
    /// Its declared type, as written (empty when none).
    pub declared_type: String,
    /// Part of the primary key.
    pub primary_key: bool,
    /// `NOT NULL` (or part of a primary key that implies it).
    pub not_null: bool,
    /// Unique on its own: a `UNIQUE` constraint or a unique index on just
    /// this column.
    pub unique: bool,
    /// Part of a foreign key.
    pub foreign_key: bool,
}

/// An arrow between two entities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The child table, or the view.
    pub from: String,
    /// The child's columns (empty for a view).
    pub from_columns: Vec<String>,
    /// The parent table, or the table or view the view reads.
    pub to: String,
    /// The parent's columns; empty when the key refers to its primary key
    /// implicitly, or for a view.
    pub to_columns: Vec<String>,
    /// Every child column is `NOT NULL`: each child row has a parent.
    pub required: bool,
    /// A view reading the table, not a foreign key.
    pub reads: bool,
}

impl Diagram {
    /// The diagram of `conn`'s schema, the columns of its views included.
    pub fn read(conn: &Connection) -> rusqlite::Result<Diagram> {
        let schema = Schema::read(conn)?;
        let mut diagram = Diagram::of(&schema);
        for entity in diagram.entities.iter_mut().filter(|e| e.view) {
            entity.fields = view_fields(conn, &entity.name)?;
        }
        Ok(diagram)
    }

    /// The diagram of `schema`; its views without their columns, which the
    /// model does not keep ([`Diagram::read`] has them).
    pub fn of(schema: &Schema) -> Diagram {
        let mut diagram = Diagram::default();
        for (name, table) in schema.tables.iter().filter(|(_, t)| !t.shadow) {
            let unique_alone = |column: &str| {
                let alone = |columns: &[String]| {
                    columns.len() == 1 && columns[0].eq_ignore_ascii_case(column)
                };
                table.unique.iter().any(|columns| alone(columns))
                    || schema.indexes.values().any(|index| {
                        index.unique
                            && index.partial.is_none()
                            && index.table.eq_ignore_ascii_case(name)
                            && index.columns.len() == 1
                            && index.columns[0].name.eq_ignore_ascii_case(column)
                    })
            };
            let in_foreign_key = |column: &str| {
                table
                    .foreign_keys
                    .iter()
                    .any(|key| key.columns.iter().any(|c| c.eq_ignore_ascii_case(column)))
            };
            let fields = table
                .columns
                .iter()
                .map(|column| Field {
                    name: column.name.clone(),
                    declared_type: column.declared_type.clone(),
                    primary_key: column.in_primary_key(),
                    not_null: !column.nullable(),
                    unique: !column.in_primary_key() && unique_alone(&column.name),
                    foreign_key: in_foreign_key(&column.name),
                })
                .collect();
            diagram.entities.push(Entity {
                name: name.clone(),
                view: false,
                fields,
                highlighted: false,
            });
            for key in &table.foreign_keys {
                let required = key
                    .columns
                    .iter()
                    .all(|c| table.column(c).is_some_and(|column| !column.nullable()));
                diagram.links.push(Link {
                    from: name.clone(),
                    from_columns: key.columns.clone(),
                    to: key.parent_table.clone(),
                    to_columns: key.parent_columns.iter().flatten().cloned().collect(),
                    required,
                    reads: false,
                });
            }
        }
        let readable: BTreeSet<&String> = schema.tables.keys().chain(schema.views.keys()).collect();
        for (name, sql) in &schema.views {
            diagram.entities.push(Entity {
                name: name.clone(),
                view: true,
                fields: Vec::new(),
                highlighted: false,
            });
            // What follows `AS`: the view's own name is not something it reads.
            let body = sql
                .to_ascii_uppercase()
                .find(" AS ")
                .map_or(sql.as_str(), |at| &sql[at..]);
            for read in readable.iter().filter(|other| *other != &name) {
                if lex::find_name(body, read).is_some() {
                    diagram.links.push(Link {
                        from: name.clone(),
                        from_columns: Vec::new(),
                        to: (*read).clone(),
                        to_columns: Vec::new(),
                        required: false,
                        reads: true,
                    });
                }
            }
        }
        diagram
    }

    /// The diagram of the schema the `CREATE` statements `objects` make.
    pub fn of_objects(objects: &[SchemaObject]) -> rusqlite::Result<Diagram> {
        Diagram::read(&made_in_memory(objects)?)
    }

    /// Highlights the tables and views that differ between `before` and
    /// `after` (this diagram's schema): made, changed, or given another
    /// index. Returns their names, and those of the ones `after` dropped,
    /// which the diagram cannot show.
    pub fn highlight_changes(&mut self, before: &Schema, after: &Schema) -> Changed {
        let mut changed = Changed::default();
        for difference in before.differences(after) {
            let name = match difference.kind {
                "index" => after
                    .indexes
                    .get(&difference.name)
                    .or_else(|| before.indexes.get(&difference.name))
                    .map(|index| index.table.clone()),
                "table" | "view" => Some(difference.name.clone()),
                _ => None,
            };
            let Some(name) = name else { continue };
            let target = match self.entity(&name) {
                Some(_) => &mut changed.shown,
                None => &mut changed.dropped,
            };
            if !target.contains(&name) {
                target.push(name);
            }
        }
        self.highlight(changed.shown.iter().map(String::as_str));
        changed
    }

    /// Highlights the entities named in `names` (without regard to ASCII
    /// case); names not in the diagram are left out.
    pub fn highlight<'n>(&mut self, names: impl IntoIterator<Item = &'n str>) {
        let names: Vec<&str> = names.into_iter().collect();
        for entity in &mut self.entities {
            if names
                .iter()
                .any(|name| name.eq_ignore_ascii_case(&entity.name))
            {
                entity.highlighted = true;
            }
        }
    }

    /// The entity named `name`.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities
            .iter()
            .find(|entity| entity.name.eq_ignore_ascii_case(name))
    }
}

impl Field {
    /// What is said of it beside its type: `PK`, `FK`, `NOT NULL`,
    /// `UNIQUE`, in that order.
    pub fn marks(&self) -> Vec<&'static str> {
        let mut marks = Vec::new();
        if self.primary_key {
            marks.push("PK");
        }
        if self.foreign_key {
            marks.push("FK");
        }
        if self.not_null && !self.primary_key {
            marks.push("NOT NULL");
        }
        if self.unique {
            marks.push("UNIQUE");
        }
        marks
    }
}

/// What [`Diagram::highlight_changes`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    /// Tables and views made or changed: highlighted.
    pub shown: Vec<String>,
    /// Tables and views dropped: not in the diagram.
    pub dropped: Vec<String>,
}

/// The columns of a view, as SQLite computes them.
fn view_fields(conn: &Connection, view: &str) -> rusqlite::Result<Vec<Field>> {
    let mut statement = conn.prepare("SELECT name, type FROM pragma_table_info(?1)")?;
    let rows = statement.query_map([view], |row| {
        Ok(Field {
            name: row.get(0)?,
            declared_type: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
            primary_key: false,
            not_null: false,
            unique: false,
            foreign_key: false,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests;
