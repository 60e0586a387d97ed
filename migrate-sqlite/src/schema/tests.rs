//! Reading schemas and telling them apart.

use std::collections::BTreeSet;

use rusqlite::Connection;

use super::*;

fn schema(sql: &str) -> Schema {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(sql).unwrap();
    Schema::read(&conn).unwrap()
}

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";

#[test]
fn tables_with_any_name_are_read_by_name() {
    let names = [
        "with \"quotes\"",
        "back\\slash",
        "tab\tand\nnewline",
        "naïve",
        "plain",
    ];
    let conn = Connection::open_in_memory().unwrap();
    for name in names {
        let quoted = name.replace('"', "\"\"");
        conn.execute_batch(&format!("CREATE TABLE \"{quoted}\" (x);"))
            .unwrap();
    }
    let wanted: BTreeSet<String> = names[..4].iter().map(|n| n.to_string()).collect();
    let read = Schema::read_tables(&conn, &wanted).unwrap();
    assert_eq!(read.tables.keys().cloned().collect::<BTreeSet<_>>(), wanted);
}

#[test]
fn reads_tables_columns_keys_and_constraints() {
    let schema = schema(
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
             age INT DEFAULT 0 CHECK (age >= 0), 'full name' GENERATED ALWAYS AS (name) STORED,
             initial AS (substr(name, 1, 1)));
         CREATE TABLE tags (a TEXT, b TEXT, PRIMARY KEY (b, a),
             FOREIGN KEY (a) REFERENCES users (name) ON DELETE CASCADE) STRICT, WITHOUT ROWID;",
    );
    assert_eq!(schema.tables.keys().collect::<Vec<_>>(), ["tags", "users"]);
    assert!(schema.indexes.is_empty(), "{:?}", schema.indexes);
    let users = &schema.tables["users"];
    assert_eq!(users.primary_key, ["id"]);
    assert_eq!(users.unique, [vec!["name".to_string()]]);
    assert_eq!(users.checks, ["CHECK (age >= 0)"]);
    let age = &users.columns[2];
    assert_eq!(
        (
            age.declared_type.as_str(),
            age.not_null,
            age.default.as_deref()
        ),
        ("INT", false, Some("0"))
    );
    let kinds: Vec<_> = users.columns.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds[2..],
        [
            ColumnKind::Plain,
            ColumnKind::GeneratedStored,
            ColumnKind::GeneratedVirtual
        ]
    );
    let tags = &schema.tables["tags"];
    assert_eq!(tags.primary_key, ["b", "a"]);
    assert!(tags.strict && tags.without_rowid);
    assert_eq!(
        tags.foreign_keys[0].to_string(),
        "foreign key (a) REFERENCES users (name) ON DELETE CASCADE"
    );
}

#[test]
fn reads_indexes_with_expressions_and_conditions() {
    let schema = schema(&format!(
        "{USERS} CREATE UNIQUE INDEX by_name ON users (lower(name), id DESC) WHERE name <> 'a b';
         CREATE INDEX \"by(id)\" ON users (name COLLATE NOCASE);
         CREATE INDEX by_parts ON users (id, substr(name, 1, 2), lower(name));"
    ));
    let parts: Vec<_> = schema.indexes["by_parts"]
        .columns
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(parts, ["id", "substr(name, 1, 2)", "lower(name)"]);
    let index = &schema.indexes["by_name"];
    assert!(index.unique);
    assert_eq!(index.partial.as_deref(), Some("name <> 'a b'"));
    let columns: Vec<_> = index.columns.iter().map(ToString::to_string).collect();
    assert_eq!(columns, ["lower(name)", "id DESC"]);
    assert_eq!(
        schema.indexes["by(id)"].columns[0].to_string(),
        "name COLLATE NOCASE"
    );
}

#[test]
fn equal_schemas_have_no_differences() {
    let a = schema(&format!(
        "{USERS} CREATE VIEW v AS SELECT id,\n   name FROM users -- names\n;"
    ));
    let b = schema(&format!(
        "{USERS} CREATE VIEW v AS SELECT id , name /* x */ FROM users;"
    ));
    assert_eq!(a.diff(&b), Vec::<String>::new());
    // A column added then dropped: SQLite rewrites the CREATE TABLE text,
    // the schema is the same.
    let c = schema(&format!(
        "{USERS} ALTER TABLE users ADD COLUMN email TEXT; ALTER TABLE users DROP COLUMN email;
         CREATE VIEW v AS SELECT id, name FROM users;"
    ));
    assert_eq!(a.diff(&c), Vec::<String>::new());
}

#[test]
fn says_what_differs() {
    let before = schema(&format!(
        "{USERS} CREATE INDEX users_name ON users (name);
         CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 1; END;
         CREATE TABLE gone (x);"
    ));
    let after = schema(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT DEFAULT 'x');
         CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 2; END;
         CREATE VIEW v AS SELECT 1;",
    );
    assert_eq!(
        before.diff(&after),
        [
            "table gone is missing",
            "table users: column name: NOT NULL → nullable",
            "table users: column email was added",
            "index users_name is missing",
            "trigger t changed",
            "view v was added",
        ]
    );
}

#[test]
fn says_how_indexes_and_constraints_differ() {
    let before = schema(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE t (a INT UNIQUE, b INT REFERENCES p, c AS (a + 1), CHECK (a > 0));
         CREATE INDEX i ON t (a);",
    );
    let after = schema(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE t (b INT, a TEXT, c INT AS (a + 1) STORED, CHECK (a > 1)) STRICT;
         CREATE UNIQUE INDEX i ON t (a, b) WHERE a IS NOT NULL;",
    );
    assert_eq!(
        before.diff(&after),
        [
            "table t: column a: type INT → TEXT",
            "table t: column c: type no type → INT",
            "table t: column c: GENERATED VIRTUAL → GENERATED STORED",
            "table t: the columns are in another order: (a, b, c) → (b, a, c)",
            "table t: not STRICT → STRICT",
            "table t: foreign key (b) REFERENCES p is missing",
            "table t: constraint UNIQUE (a) is missing",
            "table t: constraint CHECK (a > 0) is missing",
            "table t: constraint CHECK (a > 1) was added",
            "index i: columns (a) → (a, b)",
            "index i: not unique → UNIQUE",
            "index i: on every row → WHERE a IS NOT NULL",
        ]
    );
}

#[test]
fn leaves_out_sqlites_own_objects() {
    let schema =
        schema("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x UNIQUE); ANALYZE;");
    assert_eq!(schema.tables.keys().collect::<Vec<_>>(), ["t"]);
    assert!(schema.indexes.is_empty());
}

#[test]
fn keywords_are_found_only_as_whole_words_in_code() {
    let nowhere = schema(
        "CREATE TABLE nowhere (somewhere INT, \"where\" INT, éwhere INT, _where INT);
         CREATE INDEX nowhere_somewhere ON nowhere (somewhere, \"where\", éwhere, _where) WHERE somewhere > 0;",
    );
    assert_eq!(
        nowhere.indexes["nowhere_somewhere"].partial.as_deref(),
        Some("somewhere > 0")
    );
    let quoted = schema(
        "CREATE TABLE t (\"where\" INT, x INT);
         CREATE INDEX i ON t (\"where\" /* where */, x) WHERE x > 'where';",
    );
    let index = &quoted.indexes["i"];
    assert_eq!(index.partial.as_deref(), Some("x > 'where'"));
    assert_eq!(index.columns.len(), 2);
}

#[test]
fn objects_are_read_in_order_without_sqlites_own() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE b (id INTEGER PRIMARY KEY AUTOINCREMENT, x UNIQUE);
         CREATE INDEX b_x_id ON b (x, id);
         CREATE VIRTUAL TABLE docs USING fts5(body);
         CREATE VIEW a AS SELECT x FROM b;
         CREATE TRIGGER t AFTER INSERT ON b BEGIN SELECT 1; END;",
    )
    .unwrap();
    let objects = read_objects(&conn).unwrap();
    let names: Vec<(&str, &str, &str)> = objects
        .iter()
        .map(|o| (o.kind.as_ref(), o.name.as_ref(), o.table.as_ref()))
        .collect();
    assert_eq!(
        names,
        [
            ("table", "b", "b"),
            ("index", "b_x_id", "b"),
            ("table", "docs", "docs"),
            ("view", "a", "a"),
            ("trigger", "t", "b"),
        ]
    );
    let copy = Connection::open_in_memory().unwrap();
    for object in &objects {
        copy.execute_batch(&object.sql).unwrap();
    }
    let (original, made) = (Schema::read(&conn).unwrap(), Schema::read(&copy).unwrap());
    assert_eq!(original.diff(&made), Vec::<String>::new());
}

#[test]
fn normalizes_check_constraints() {
    let schema =
        schema("CREATE TABLE t (a CHECK(a IN ( 1,2 )), \"check\" INT, b TEXT CHECK (b <> ')'))");
    assert_eq!(
        schema.tables["t"].checks,
        ["CHECK (a IN (1, 2))", "CHECK (b <> ')')"]
    );
}

#[test]
fn what_the_pragmas_do_not_say_is_read_from_the_statement() {
    let schema = schema(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT COLLATE NOCASE NOT NULL,
             lower_name TEXT GENERATED ALWAYS AS (lower( name )) STORED, plain TEXT,
             CONSTRAINT named CHECK (length(name) > 0));",
    );
    let t = &schema.tables["t"];
    assert!(t.autoincrement);
    assert_eq!(
        t.column("NAME").unwrap().collation.as_deref(),
        Some("NOCASE")
    );
    assert_eq!(
        t.column("lower_name").unwrap().generated.as_deref(),
        Some("(lower(name))")
    );
    assert_eq!(t.column("plain").unwrap().collation, None);
    assert_eq!(t.checks, ["CHECK (length(name) > 0)"]);
}

#[test]
fn equality_is_what_sqlite_makes_of_the_schema_not_its_spelling() {
    let migrated = schema(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x');
         ALTER TABLE users ADD COLUMN email TEXT;
         ALTER TABLE users DROP COLUMN email;
         CREATE INDEX users_name ON users (name) WHERE name <> '';
         CREATE VIEW v AS SELECT name FROM users;",
    );
    let by_hand = schema(
        "create table Users(id integer primary key, name text not null default 'x');
         create index USERS_NAME on users(name) where name<>'';
         create view V as select name from users;",
    );
    assert_eq!(migrated.diff(&by_hand), Vec::<String>::new());
    assert_eq!(migrated, by_hand);
    // A string is compared as written.
    let other_default = schema(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'X');
         CREATE INDEX users_name ON users (name) WHERE name <> '';
         CREATE VIEW v AS SELECT name FROM users;",
    );
    assert_eq!(
        migrated.diff(&other_default),
        ["table users: column name: DEFAULT 'x' → DEFAULT 'X'"]
    );
}

#[test]
fn collations_generated_columns_and_autoincrement_are_told_apart() {
    let before = schema(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT COLLATE NOCASE, b AS (a || 'x'));",
    );
    let after = schema("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b AS (a || 'y'));");
    assert_eq!(
        before.diff(&after),
        [
            "table t: column a: COLLATE NOCASE → BINARY",
            "table t: column b: AS (a || 'x') → AS (a || 'y')",
            "table t: AUTOINCREMENT → not AUTOINCREMENT",
        ]
    );
}

#[test]
fn the_schema_of_statements_in_any_order_is_made_kind_by_kind() {
    let objects = [
        SchemaObject::embedded("view", "v", "v", "CREATE VIEW v AS SELECT x FROM t"),
        SchemaObject::embedded(
            "trigger",
            "tr",
            "v",
            "CREATE TRIGGER tr INSTEAD OF INSERT ON v BEGIN SELECT 1; END",
        ),
        SchemaObject::embedded("index", "t_x", "t", "CREATE INDEX t_x ON t (x)"),
        SchemaObject::embedded("table", "t", "t", "CREATE TABLE t (x)"),
    ];
    let made = Schema::of_objects(&objects).unwrap();
    assert_eq!(
        made,
        schema(
            "CREATE TABLE t (x); CREATE INDEX t_x ON t (x); CREATE VIEW v AS SELECT x FROM t;
             CREATE TRIGGER tr INSTEAD OF INSERT ON v BEGIN SELECT 1; END;"
        )
    );
}

#[test]
fn tables_named_in_another_case_are_read_whole_and_once() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, age INTEGER CHECK (age >= 0));",
    )
    .unwrap();
    for names in [vec!["USERS"], vec!["Users", "users"]] {
        let names: BTreeSet<String> = names.into_iter().map(String::from).collect();
        let schema = Schema::read_tables(&conn, &names).unwrap();
        assert_eq!(schema.tables.len(), 1, "{names:?}");
        assert_eq!(
            schema.tables["users"].checks,
            ["CHECK (age >= 0)"],
            "{names:?}"
        );
    }
}
