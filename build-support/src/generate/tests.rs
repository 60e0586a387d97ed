use super::*;
use crate::config::Config;
use std::path::Path;

fn setup() -> Setup {
    Setup::of(&Config::default(), Path::new("."))
}

fn objects(sql: &str) -> Vec<SchemaObject> {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(sql).unwrap();
    read_objects(&conn).unwrap()
}

fn request() -> Request {
    Request {
        down: true,
        ..Request::default()
    }
}

fn one(from: &str, to: &str, request: &Request) -> Generated {
    let outcome = generate(&objects(from), &objects(to), &setup(), request).unwrap();
    assert_eq!(outcome.migrations.len(), 1, "{outcome:#?}");
    outcome.migrations.into_iter().next().unwrap()
}

#[test]
fn alike_schemas_need_no_migration() {
    let sql = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);";
    let outcome = generate(
        &objects(sql),
        &objects("create table T (ID integer primary key, NAME text)"),
        &setup(),
        &request(),
    )
    .unwrap();
    assert!(outcome.migrations.is_empty(), "{outcome:#?}");

    // Indexes, views and triggers named in another case are the same ones.
    let from = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE INDEX users_email ON users (email);
        CREATE VIEW v AS SELECT id, email FROM users;
        CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 1; END;";
    let to = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);
        CREATE INDEX Users_Email ON users (email);
        CREATE VIEW V AS SELECT id, email FROM users;
        CREATE TRIGGER T AFTER INSERT ON users BEGIN SELECT 1; END;";
    let migration = one(from, to, &request());
    assert_eq!(migration.up, "ALTER TABLE users ADD COLUMN age INTEGER;\n");
}

#[test]
fn a_column_added_last_is_an_alter_and_its_down_drops_it() {
    let generated = one(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, nick TEXT DEFAULT 'x');",
        &request(),
    );
    assert_eq!(
        generated.up,
        "ALTER TABLE t ADD COLUMN nick TEXT DEFAULT 'x';\n"
    );
    assert_eq!(
        generated.down.as_deref(),
        Some("ALTER TABLE t DROP COLUMN nick;\n")
    );
}

#[test]
fn a_retyped_column_is_a_rebuild_that_keeps_rows_indexes_and_views() {
    let generated = one(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT);
         CREATE INDEX t_n ON t (n);
         CREATE VIEW v AS SELECT n FROM t;",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);
         CREATE INDEX t_n ON t (n);
         CREATE VIEW v AS SELECT n FROM t;",
        &request(),
    );
    assert!(
        generated.up.starts_with("-- migrate: foreign-keys-off\n"),
        "{}",
        generated.up
    );
    for part in [
        "DROP VIEW v;",
        "CREATE TABLE new_t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);",
        "INSERT INTO new_t (id, n)\n  SELECT id, coalesce(n, 0) FROM t;",
        "DROP TABLE t;",
        "ALTER TABLE new_t RENAME TO t;",
        "CREATE INDEX t_n ON t (n);",
        "CREATE VIEW v AS SELECT n FROM t;",
    ] {
        assert!(generated.up.contains(part), "{part}\n{}", generated.up);
    }
}

#[test]
fn a_rebuild_says_why_alter_table_would_not_do() {
    let from = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);";
    let why = |to: &str| {
        let up = one(from, to, &request()).up;
        up.lines()
            .find(|line| line.starts_with("-- ") && !line.starts_with("-- migrate:"))
            .unwrap_or_default()
            .to_string()
    };
    let rebuilt = ": a new table, every row copied into it, the old one dropped";
    assert_eq!(
        why("CREATE TABLE t (id INTEGER PRIMARY KEY, bio TEXT, name TEXT);"),
        format!("-- ALTER TABLE adds a column only at the end, and the columns are in another order{rebuilt}")
    );
    assert_eq!(
        why("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, at TEXT NOT NULL DEFAULT (datetime('now')));"),
        format!("-- ALTER TABLE cannot add `at` as declared to a table that holds rows (NOT NULL without a DEFAULT, a DEFAULT that is not a constant, a STORED generated column, or a foreign key with a DEFAULT){rebuilt}")
    );
    assert_eq!(
        why("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');"),
        format!("-- ALTER TABLE cannot change a column's type, default, key, constraints or collation, nor the table's options{rebuilt}")
    );
}

#[test]
fn a_dropped_column_is_refused_unless_allowed() {
    let from = objects("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);");
    let to = objects("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);");
    let error = generate(&from, &to, &setup(), &request()).unwrap_err();
    assert_eq!(
        error,
        GenerateError::Destructive(vec!["column t.b, and its values".into()])
    );
    let allowed = Request {
        allow_destructive: true,
        ..request()
    };
    let generated = one(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        &allowed,
    );
    assert_eq!(
        generated.up,
        "-- migrate: allow destructive\n\nALTER TABLE t DROP COLUMN b;\n"
    );
    assert_eq!(
        generated.down.as_deref(),
        Some("ALTER TABLE t ADD COLUMN b TEXT;\n")
    );
}

#[test]
fn renames_are_made_only_when_said() {
    let from = "CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT);
                CREATE VIEW names AS SELECT full_name FROM users;";
    let to = "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);
              CREATE VIEW names AS SELECT name FROM people;";
    let unsaid = ambiguities(&objects(from), &objects(to), &setup(), &Renames::none()).unwrap();
    assert_eq!(
        unsaid,
        [Ambiguity {
            table: None,
            added: "people".into(),
            dropped: vec!["users".into()]
        }]
    );
    let mut renames = Renames::none();
    renames.add_argument("users=people").unwrap();
    let columns = ambiguities(&objects(from), &objects(to), &setup(), &renames).unwrap();
    assert_eq!(
        columns,
        [Ambiguity {
            table: Some("people".into()),
            added: "name".into(),
            dropped: vec!["full_name".into()]
        }]
    );
    renames.add_argument("users.full_name=name").unwrap();
    let generated = one(
        from,
        to,
        &Request {
            renames,
            ..request()
        },
    );
    assert_eq!(
        generated.up,
        "ALTER TABLE users RENAME TO people;\nALTER TABLE people RENAME COLUMN full_name TO name;\n",
    );
    assert_eq!(
        generated.down.as_deref(),
        Some("ALTER TABLE people RENAME TO users;\nALTER TABLE users RENAME COLUMN name TO full_name;\n")
    );
}

#[test]
fn views_and_triggers_stay_unless_a_change_would_break_them() {
    let from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);
                CREATE TABLE log (at TEXT);
                CREATE VIEW v AS SELECT a FROM t;
                CREATE VIEW w AS SELECT a FROM v;
                CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.a); END;";
    let added = one(
        from,
        &from.replace("b TEXT)", "b TEXT, c TEXT)"),
        &request(),
    );
    assert_eq!(added.up, "ALTER TABLE t ADD COLUMN c TEXT;\n");
    // A rebuild drops what refers to the table, views on views included,
    // and makes it again afterwards.
    let rebuilt = one(
        from,
        &from.replace("a TEXT,", "a TEXT NOT NULL DEFAULT '',"),
        &request(),
    );
    for part in [
        "DROP VIEW v;",
        "DROP VIEW w;",
        "DROP TRIGGER t_log;",
        "CREATE VIEW w AS",
    ] {
        assert!(rebuilt.up.contains(part), "{part}\n{}", rebuilt.up);
    }
}

#[test]
fn a_rebuilt_autoincrement_table_keeps_its_sequence() {
    let from = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n TEXT);";
    let generated = one(
        from,
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER);",
        &request(),
    );
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(from).unwrap();
    conn.execute_batch("INSERT INTO t (n) VALUES ('1'), ('2'), ('3'); DELETE FROM t WHERE id = 3;")
        .unwrap();
    run(&mut conn, &generated.up, "up").unwrap();
    conn.execute_batch("INSERT INTO t (n) VALUES (4)").unwrap();
    let last: i64 = conn
        .query_row("SELECT max(id) FROM t", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        last, 4,
        "a deleted row's key is not given again\n{}",
        generated.up
    );
}

#[test]
fn a_parent_key_renamed_is_renamed_before_its_children_change() {
    // `child` sorts before `parent`; its foreign key names the new column.
    let from = "CREATE TABLE parent (id INTEGER PRIMARY KEY);
                CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));";
    let to = "CREATE TABLE parent (pid INTEGER PRIMARY KEY);
              CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (pid));";
    let mut renames = Renames::none();
    renames.add_argument("parent.id=pid").unwrap();
    let request = Request {
        renames,
        ..request()
    };
    let generated = one(from, to, &request);
    assert_eq!(
        generated.up,
        "ALTER TABLE parent RENAME COLUMN id TO pid;\n"
    );
    // The child changes too: after its parent, in the order of the files.
    let to = to.replace("parent_id INTEGER", "parent_id INTEGER NOT NULL");
    let generated = one(from, &to, &request);
    let rename = generated.up.find("RENAME COLUMN").unwrap();
    assert!(
        rename < generated.up.find("CREATE TABLE new_child").unwrap(),
        "{}",
        generated.up
    );
}

#[test]
fn a_table_the_desired_schema_spells_in_another_case_is_read_whole() {
    // Its CHECK is read though `Users` is stored as `users`.
    let generated = one(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, age INTEGER CHECK (age >= 0));",
        "CREATE TABLE Users (id INTEGER PRIMARY KEY, age INTEGER);",
        &request(),
    );
    assert!(
        generated
            .up
            .contains("CREATE TABLE new_Users (id INTEGER PRIMARY KEY, age INTEGER);"),
        "{}",
        generated.up
    );
}

#[test]
fn constraints_a_rebuild_adds_are_warned_of() {
    let outcome = generate(
        &objects("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, age INTEGER, p INTEGER);"),
        &objects("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, age INTEGER CHECK (age >= 0) UNIQUE, p INTEGER REFERENCES p (id));"),
        &setup(),
        &request(),
    )
    .unwrap();
    assert_eq!(
        outcome.warnings,
        [
            "t: CHECK (age >= 0) is new: a row already there that breaks it makes the migration fail",
            "t: UNIQUE (age) is new: a row already there that breaks it makes the migration fail",
            "t: foreign key (p) REFERENCES p (id) is new: a row already there that breaks it makes the migration fail",
        ]
    );

    // A key whose actions alone change holds the rows as it did.
    let outcome = generate(
        &objects("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id));"),
        &objects("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, p INTEGER REFERENCES P (ID) ON DELETE CASCADE);"),
        &setup(),
        &request(),
    )
    .unwrap();
    assert_eq!(outcome.migrations.len(), 1);
    assert_eq!(outcome.warnings, Vec::<String>::new());

    let warnings = |from: &str, to: &str| {
        generate(&objects(from), &objects(to), &setup(), &request())
            .unwrap()
            .warnings
    };
    assert_eq!(
        warnings(
            "CREATE TABLE r (a TEXT, b TEXT);",
            "CREATE TABLE r (a TEXT PRIMARY KEY, b TEXT) WITHOUT ROWID;"
        ),
        ["r: PRIMARY KEY (a) is new: a row already there that breaks it makes the migration fail"]
    );
    assert_eq!(
        warnings(
            "CREATE TABLE c (id INTEGER PRIMARY KEY, code TEXT UNIQUE, tag TEXT); CREATE UNIQUE INDEX c_tag ON c (tag);",
            "CREATE TABLE c (id INTEGER PRIMARY KEY, code TEXT UNIQUE COLLATE NOCASE, tag TEXT COLLATE NOCASE); CREATE UNIQUE INDEX c_tag ON c (tag);"
        ),
        [
            "c.code: a new collation under a key or UNIQUE: values that were distinct and are alike under it (`A` and `a` under NOCASE) make the migration fail",
            "c.tag: a new collation under a key or UNIQUE: values that were distinct and are alike under it (`A` and `a` under NOCASE) make the migration fail",
        ]
    );
    assert_eq!(
        warnings(
            "CREATE TABLE s (id INTEGER PRIMARY KEY, v REAL) STRICT;",
            "CREATE TABLE s (id INTEGER PRIMARY KEY, v INTEGER) STRICT;"
        ),
        ["s: STRICT: a value already there that is not of its column's declared type makes the migration fail"]
    );
    // New columns hold NULL, or their default, in every row.
    assert_eq!(
        warnings(
            "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);",
            "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id), x INTEGER, u TEXT UNIQUE, ck INTEGER NOT NULL DEFAULT 5 CHECK (ck > 0));"
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        warnings(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT NOT NULL DEFAULT 'a' UNIQUE, x INTEGER);"
        ),
        ["t: UNIQUE (code) is new: a row already there that breaks it makes the migration fail"]
    );
}

/// Generates with everything allowed, one migration or one per table.
fn generates(from: &str, to: &str, per_table: bool) -> Outcome {
    let request = Request {
        allow_destructive: true,
        per_table,
        ..request()
    };
    generate(&objects(from), &objects(to), &setup(), &request)
        .unwrap_or_else(|error| panic!("{from}\n→ {to}\nper table: {per_table}: {error}"))
}

#[test]
fn dropping_a_parent_whose_child_cascades_and_names_a_table_gone() {
    let from = "CREATE TABLE p (id INTEGER PRIMARY KEY);
                CREATE TABLE q (id INTEGER PRIMARY KEY);
                CREATE TABLE c (id INTEGER PRIMARY KEY, p_id REFERENCES p (id) ON DELETE CASCADE, q_id REFERENCES q (id));";
    let to = "CREATE TABLE c (id INTEGER PRIMARY KEY);";
    for per_table in [false, true] {
        generates(from, to, per_table);
        generates(to, from, per_table);
    }
}

#[test]
fn per_table_files_apply_in_order() {
    let cases = [
        // A trigger whose body names a table a later file changes.
        (
            "CREATE TABLE u (id INTEGER PRIMARY KEY, a);",
            "CREATE TABLE u (id INTEGER PRIMARY KEY, b);
             CREATE TABLE t (id INTEGER PRIMARY KEY);
             CREATE TRIGGER trg AFTER INSERT ON t BEGIN UPDATE u SET b = b WHERE id = new.id; END;",
        ),
        // A view no longer declared, over a column dropped.
        (
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a); CREATE VIEW v AS SELECT a FROM t;",
            "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        ),
        // An index dropped from a table that otherwise stays.
        (
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a); CREATE INDEX i ON t (a);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a);",
        ),
        // A trigger moved to another table under its name.
        (
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a);
             CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, b);
             CREATE TABLE k (id INTEGER PRIMARY KEY);
             CREATE TRIGGER tr AFTER INSERT ON k BEGIN SELECT 1; END;",
        ),
    ];
    for (from, to) in cases {
        assert!(!generates(from, to, true).migrations.is_empty());
    }
}
