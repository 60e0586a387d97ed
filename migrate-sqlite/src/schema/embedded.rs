//! The tables and columns the migrations leave, compiled into the binary:
//! what `embed_migrations!` writes into `migrations::schema` from the
//! [`Schema`](super::Schema) model the compiler read.

/// A table of the schema the migrations leave, as `embed_migrations!`
/// describes it in `migrations::schema`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    /// The table's name in SQL.
    pub name: &'static str,
    /// Its columns, in declaration order.
    pub columns: &'static [&'static Column],
}

/// A column of a [`Table`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Column {
    /// The column's name in SQL.
    pub name: &'static str,
    /// The declared type, as written (`TEXT`, `VARCHAR(255)`; empty if none).
    pub declared_type: &'static str,
    /// Whether it accepts NULL.
    pub nullable: bool,
    /// Whether it is (part of) the primary key.
    pub primary_key: bool,
}

impl Table {
    /// The column named `name`, if the table has one.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns
            .iter()
            .copied()
            .find(|column| column.name == name)
    }
}

/// Columns are written into SQL by name.
impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Tables are written into SQL by name.
impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}
