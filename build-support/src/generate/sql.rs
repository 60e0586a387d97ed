//! Reading the parts of a `CREATE TABLE` statement that a generated
//! migration copies: its column definitions, and its name to write another.

use migrate_sqlite::lex::{closing_paren, code, quoted_name, skip_words, Token, VirtualTable};

/// One definition inside a `CREATE TABLE`'s parentheses: a column, or a
/// table constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Definition<'a> {
    /// Its text, from its first token to its last, comments inside kept.
    pub text: &'a str,
    /// The column it defines; `None` for a table constraint.
    pub column: Option<String>,
}

/// Where a `CREATE TABLE` statement's name is, and its parentheses.
struct Shape {
    /// The byte range of the (possibly schema-qualified) name.
    name: std::ops::Range<usize>,
    /// The index, among the statement's code tokens, of its `(` and `)`.
    open: usize,
    close: usize,
}

fn shape(tokens: &[Token]) -> Option<Shape> {
    let mut at = skip_words(tokens, 0, &["CREATE"]);
    at = skip_words(tokens, at, &["TEMP"]);
    at = skip_words(tokens, at, &["TEMPORARY"]);
    let after_table = skip_words(tokens, at, &["TABLE"]);
    if after_table == at {
        return None;
    }
    let at = skip_words(tokens, after_table, &["IF", "NOT", "EXISTS"]);
    let (_, after_name) = migrate_sqlite::lex::qualified_name(tokens, at)?;
    let open = after_name;
    if !tokens.get(open)?.is_punct("(") {
        return None;
    }
    Some(Shape {
        name: tokens[at].start..tokens[after_name - 1].end(),
        open,
        close: closing_paren(tokens, open)?,
    })
}

/// The definitions of the `CREATE TABLE` statement `sql`, in order; none
/// for another statement (`CREATE TABLE … AS SELECT`, a virtual table).
pub(crate) fn definitions(sql: &str) -> Vec<Definition<'_>> {
    let tokens = code(sql);
    let Some(shape) = shape(&tokens) else {
        return Vec::new();
    };
    let inside = tokens[shape.open].depth + 1;
    tokens[shape.open + 1..shape.close]
        .split(|token| token.depth == inside && token.is_punct(","))
        .filter_map(|part| {
            let (first, last) = (part.first()?, part.last()?);
            Some(Definition {
                text: &sql[first.start..last.end()],
                column: column_name_of(part),
            })
        })
        .collect()
}

/// The column a definition's tokens define: its first token, unless it
/// starts a table constraint.
pub(crate) fn column_name_of(part: &[Token]) -> Option<String> {
    let first = part.first()?;
    let constraint = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
        .iter()
        .any(|word| first.is(word));
    if constraint {
        None
    } else {
        first.name()
    }
}

/// The definition of column `name` in the `CREATE TABLE` statement `sql`.
pub(crate) fn column_definition<'a>(sql: &'a str, name: &str) -> Option<&'a str> {
    definitions(sql)
        .into_iter()
        .find(|d| {
            d.column
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(name))
        })
        .map(|d| d.text)
}

/// The `CREATE TABLE` statement `sql` making the table `name` instead.
pub(crate) fn with_table_name(sql: &str, name: &str) -> Option<String> {
    let tokens = code(sql);
    let range = shape(&tokens)?.name;
    Some(format!(
        "{}{}{}",
        &sql[..range.start],
        quoted_name(name),
        &sql[range.end..]
    ))
}

/// The `CREATE VIRTUAL TABLE` statement `sql` making the table `name`
/// instead.
pub(crate) fn with_virtual_table_name(sql: &str, name: &str) -> Option<String> {
    let range = VirtualTable::read(sql)?.name;
    Some(format!(
        "{}{}{}",
        &sql[..range.start],
        quoted_name(name),
        &sql[range.end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_read_with_their_columns_and_constraints() {
        let sql = "CREATE TABLE IF NOT EXISTS main.\"user list\" (\n  id INTEGER PRIMARY KEY, -- the key\n  \"e mail\" TEXT CHECK (length(\"e mail\") > 3),\n  price NUMERIC(10, 2) DEFAULT (0),\n  CONSTRAINT named UNIQUE (\"e mail\"),\n  FOREIGN KEY (id) REFERENCES other (id)\n) STRICT";
        let found = definitions(sql);
        let columns: Vec<Option<&str>> = found.iter().map(|d| d.column.as_deref()).collect();
        assert_eq!(
            columns,
            [Some("id"), Some("e mail"), Some("price"), None, None]
        );
        assert_eq!(found[2].text, "price NUMERIC(10, 2) DEFAULT (0)");
        assert_eq!(
            column_definition(sql, "E MAIL"),
            Some("\"e mail\" TEXT CHECK (length(\"e mail\") > 3)")
        );
        assert_eq!(
            with_table_name(sql, "new_user list").unwrap(),
            sql.replace("main.\"user list\"", "\"new_user list\"")
        );
        assert!(definitions("CREATE VIRTUAL TABLE f USING fts5(body)").is_empty());
        assert!(with_table_name("CREATE TABLE t AS SELECT 1", "u").is_none());
    }

    #[test]
    fn a_virtual_table_is_written_under_another_name() {
        let sql =
            "CREATE VIRTUAL TABLE IF NOT EXISTS \"notes fts\" USING fts5(body, content='notes')";
        assert_eq!(
            with_virtual_table_name(sql, "new_notes fts").unwrap(),
            sql.replace("\"notes fts\"", "\"new_notes fts\"")
        );
        assert!(with_virtual_table_name("CREATE TABLE t (x)", "u").is_none());
    }
}
