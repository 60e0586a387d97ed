//! Column declarations: `INT PRIMARY KEY` and words that are no type name.

use migrate_sqlite::schema::{Affinity, Schema, Table};
use migrate_sqlite::Lint;

use super::{File, Finding};

fn rowid_table(table: &Table) -> bool {
    !table.without_rowid && table.virtual_sql.is_none() && !table.shadow
}

pub(super) fn column_lints(
    file: &File,
    before: &Schema,
    after: &Schema,
    findings: &mut Vec<Finding>,
) {
    for (name, table) in &after.tables {
        if table.virtual_sql.is_some() || table.shadow {
            continue;
        }
        // A table or column this file only renames was declared, and
        // linted, in the file that created it.
        let old_name = file.earlier_table(name);
        let old = before
            .tables
            .iter()
            .find(|(table, _)| table.eq_ignore_ascii_case(&old_name));
        for column in &table.columns {
            let seen = old.is_some_and(|(old_name, old)| {
                let old_column = file.earlier_column(old_name, name, &column.name);
                old.columns.iter().any(|c| {
                    c.name.eq_ignore_ascii_case(&old_column)
                        && c.declared_type == column.declared_type
                        && c.primary_key_position == column.primary_key_position
                })
            });
            if seen {
                continue;
            }
            let words = column.type_words();
            let first_word = words.first().map(String::as_str);
            let declared = column.declared_type.trim();
            let is_rowid_alias = declared.eq_ignore_ascii_case("INTEGER");
            if rowid_table(table)
                && table.primary_key.len() == 1
                && column.primary_key_position == 1
                && column.affinity() == Affinity::Integer
                && !is_rowid_alias
            {
                let offset = file.column_offset(name, &column.name, first_word);
                file.push(findings, file.finding(
                    Lint::IntPrimaryKey,
                    offset,
                    format!("column `{}` of `{name}` is declared `{declared} PRIMARY KEY`, which is not an alias of the rowid: the table keeps a separate rowid plus an extra index for the key, and the key is not filled in automatically (it may even hold NULL)", column.name),
                    "write `INTEGER PRIMARY KEY`, exactly",
                ));
            }
            if let Some(word) = unknown_type_word(&words) {
                let offset = file.column_offset(name, &column.name, first_word);
                file.push(findings, file.finding(
                    Lint::UnknownTypeWord,
                    offset,
                    format!("the declared type of column `{}` of `{name}` is `{declared}`: `{word}` is no type name, and SQLite silently took it as part of the type (a misspelt constraint, such as `NOL NULL`, is lost)", column.name),
                    "correct the spelling of the constraint or the type",
                ));
            }
        }
    }
}

/// Words that make up type names, in SQLite and in the databases migrations
/// are often written for.
const TYPE_WORDS: &[&str] = &[
    "ANY",
    "ARRAY",
    "BIG",
    "BIGINT",
    "BIGSERIAL",
    "BINARY",
    "BIT",
    "BLOB",
    "BOOL",
    "BOOLEAN",
    "BPCHAR",
    "BYTE",
    "BYTEA",
    "CHAR",
    "CHARACTER",
    "CIDR",
    "CLOB",
    "DATE",
    "DATETIME",
    "DATETIME2",
    "DATETIMEOFFSET",
    "DAY",
    "DEC",
    "DECIMAL",
    "DOUBLE",
    "ENUM",
    "FIXED",
    "FLOAT",
    "FLOAT4",
    "FLOAT8",
    "GEOGRAPHY",
    "GEOMETRY",
    "GUID",
    "HOUR",
    "IMAGE",
    "INET",
    "INT",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "INTEGER",
    "INTERVAL",
    "JSON",
    "JSONB",
    "LARGE",
    "LOCAL",
    "LONG",
    "LONGBLOB",
    "LONGTEXT",
    "MACADDR",
    "MEDIUMBLOB",
    "MEDIUMINT",
    "MEDIUMTEXT",
    "MINUTE",
    "MONEY",
    "MONTH",
    "NATIONAL",
    "NATIVE",
    "NCHAR",
    "NCLOB",
    "NTEXT",
    "NUMBER",
    "NUMERIC",
    "NVARCHAR",
    "NVARCHAR2",
    "OBJECT",
    "POINT",
    "PRECISION",
    "RAW",
    "REAL",
    "ROWID",
    "SECOND",
    "SERIAL",
    "SHORT",
    "SIGNED",
    "SMALLDATETIME",
    "SMALLINT",
    "SMALLMONEY",
    "SMALLSERIAL",
    "STRING",
    "TEXT",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMPTZ",
    "TIMETZ",
    "TINYBLOB",
    "TINYINT",
    "TINYTEXT",
    "TO",
    "UINT",
    "UNSIGNED",
    "UUID",
    "VARBINARY",
    "VARBIT",
    "VARCHAR",
    "VARCHAR2",
    "VARYING",
    "WITH",
    "WITHOUT",
    "XML",
    "YEAR",
    "ZONE",
];

/// The constraint keywords a misspelling of which ends up in a type.
const CONSTRAINT_WORDS: &[&str] = &[
    "NOT",
    "NULL",
    "DEFAULT",
    "UNIQUE",
    "PRIMARY",
    "KEY",
    "CHECK",
    "REFERENCES",
    "COLLATE",
    "CONSTRAINT",
    "GENERATED",
    "AUTOINCREMENT",
];

/// The first word of a declared type (its [`type_words`]) that is no type
/// name: one within one edit of a constraint keyword (`NOL`, `DEFALT`), or,
/// in a type of more than one word, any word not in [`TYPE_WORDS`].
///
/// [`type_words`]: migrate_sqlite::schema::Column::type_words
pub(crate) fn unknown_type_word(words: &[String]) -> Option<String> {
    let known = |w: &str| TYPE_WORDS.contains(&w);
    let keyword_like = |w: &str| CONSTRAINT_WORDS.iter().any(|k| edit_distance(w, k) <= 1);
    words
        .iter()
        .find(|w| !known(w) && (keyword_like(w) || words.len() > 1))
        .cloned()
}

/// Levenshtein distance of two ASCII words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use migrate_sqlite::schema::type_words;

    use super::*;

    #[test]
    fn misspelt_constraints_in_types_are_found() {
        for (declared, word) in [
            ("TEXT NOL", "NOL"),
            ("TEXT NUL", "NUL"),
            ("NOL", "NOL"),
            ("INTEGER DEFALT", "DEFALT"),
            ("TEXT UNIQE", "UNIQE"),
            ("INTEGER PRIMAY", "PRIMAY"),
            ("TEXT NOTT", "NOTT"),
            ("TEXT KEY", "KEY"),
            ("TEXT FOO", "FOO"),
            ("NOTNUL VARCHAR(20)", "NOTNUL"),
        ] {
            assert_eq!(
                unknown_type_word(&type_words(declared)).as_deref(),
                Some(word),
                "{declared}"
            );
        }
    }

    #[test]
    fn real_type_names_are_not_flagged() {
        for declared in [
            "",
            "TEXT",
            "integer",
            "VARCHAR(255)",
            "DECIMAL(10, 2)",
            "TIMESTAMP WITH TIME ZONE",
            "timestamp without time zone",
            "DOUBLE PRECISION",
            "UNSIGNED BIG INT",
            "JSONB",
            "UUID",
            "DATETIME",
            "BOOLEAN",
            "CHARACTER VARYING(20)",
            "NATIVE CHARACTER(70)",
            "GEOGRAPHY",
            "MyCustomType",
            "BIGINT",
            "BIT",
            "INT",
            "NCHAR(55)",
        ] {
            assert_eq!(unknown_type_word(&type_words(declared)), None, "{declared}");
        }
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("NOL", "NULL"), 2);
        assert_eq!(edit_distance("NOL", "NOT"), 1);
        assert_eq!(edit_distance("DEFALT", "DEFAULT"), 1);
        assert_eq!(edit_distance("INT", "NOT"), 2);
        assert_eq!(edit_distance("", "KEY"), 3);
        assert_eq!(edit_distance("KEYS", "KEY"), 1);
        assert_eq!(edit_distance("CHEKC", "CHECK"), 2);
    }
}
