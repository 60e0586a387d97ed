//! What a `CREATE VIRTUAL TABLE` statement says: its name, its module, and
//! for full-text indexes where their rows are.

use std::ops::Range;

use super::{code, qualified_name, skip_words, Kind};

/// A `CREATE VIRTUAL TABLE` statement, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualTable {
    /// The byte range of its (possibly schema-qualified) name.
    pub name: Range<usize>,
    /// Its module, in lower case: `fts5`, `rtree`, …
    pub module: String,
    /// The value of its `content` option, when it has one: for an FTS4 or
    /// FTS5 index, the table whose text it indexes, or nothing for an index
    /// that keeps no text.
    pub content: Option<String>,
}

impl VirtualTable {
    /// The `CREATE VIRTUAL TABLE` statement `sql`, read; `None` for
    /// another statement.
    pub fn read(sql: &str) -> Option<VirtualTable> {
        let tokens = code(sql);
        let at = skip_words(&tokens, 0, &["CREATE", "VIRTUAL", "TABLE"]);
        if at == 0 {
            return None;
        }
        let at = skip_words(&tokens, at, &["IF", "NOT", "EXISTS"]);
        let (_, after_name) = qualified_name(&tokens, at)?;
        if !tokens.get(after_name)?.is("USING") {
            return None;
        }
        let module = tokens.get(after_name + 1)?.name()?.to_ascii_lowercase();
        let arguments = tokens.get(after_name + 2..).unwrap_or_default();
        let content = arguments
            .windows(3)
            .find(|w| w[0].depth == 1 && w[0].is("content") && w[1].is_punct("="))
            .map(|w| match w[2].kind {
                Kind::String => w[2].text[1..w[2].text.len() - 1].replace("''", "'"),
                _ => w[2].name().unwrap_or_default(),
            });
        Some(VirtualTable {
            name: tokens[at].start..tokens[after_name - 1].end(),
            module,
            content,
        })
    }

    /// Whether it is a full-text index (FTS3, FTS4 or FTS5).
    pub fn is_full_text(&self) -> bool {
        matches!(self.module.as_str(), "fts3" | "fts4" | "fts5")
    }

    /// Whether it is a full-text index over another table's rows: it holds
    /// none of its own, and its `'rebuild'` command reads them again.
    pub fn indexes_another_table(&self) -> bool {
        self.is_full_text() && self.content.as_ref().is_some_and(|c| !c.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(sql: &str) -> (String, Option<String>) {
        let table = VirtualTable::read(sql).unwrap();
        (table.module, table.content)
    }

    #[test]
    fn a_virtual_table_is_read_for_its_name_module_and_content() {
        let external = "CREATE VIRTUAL TABLE IF NOT EXISTS \"notes fts\" USING FTS5(title, body, content='notes', content_rowid='id')";
        let table = VirtualTable::read(external).unwrap();
        assert_eq!(&external[table.name.clone()], "\"notes fts\"");
        assert_eq!(read(external), ("fts5".into(), Some("notes".into())));
        assert!(table.indexes_another_table());
        let contentless = "CREATE VIRTUAL TABLE f USING fts4(body, content=\"\")";
        assert_eq!(read(contentless), ("fts4".into(), Some(String::new())));
        assert!(!VirtualTable::read(contentless)
            .unwrap()
            .indexes_another_table());
        // A column named content is no option.
        assert_eq!(
            read("CREATE VIRTUAL TABLE f USING fts5(content, body)"),
            ("fts5".into(), None)
        );
        assert_eq!(
            read("CREATE VIRTUAL TABLE main.r USING rtree(id, x0, x1)"),
            ("rtree".into(), None)
        );
        assert_eq!(VirtualTable::read("CREATE TABLE t (x)"), None);
    }
}
