use super::*;

fn lint_files(files: &[(&str, &str)]) -> Vec<Finding> {
    let base = tempfile::tempdir().unwrap();
    std::fs::create_dir(base.path().join("m")).unwrap();
    for (name, sql) in files {
        std::fs::write(base.path().join("m").join(name), sql).unwrap();
    }
    let sources = crate::read_folder(base.path(), "m").unwrap();
    crate::lint(&sources)
}

fn names(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.lint.name()).collect()
}

const USERS: (&str, &str) = (
    "0001_users.sql",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE);",
);

#[test]
fn destructive_statements_are_found_with_their_place() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_drop.sql",
            "-- cleanup\nDELETE FROM users;\nUPDATE users SET name = 'x';\nALTER TABLE users DROP COLUMN email;\nDROP TABLE users;\n\
             DELETE FROM users WHERE id = 1;",
        ),
    ]);
    assert_eq!(names(&findings), ["destructive"; 4]);
    let first = findings[0].diagnostic.to_string();
    assert!(
        first.starts_with("m/0002_drop.sql:2:1: DELETE FROM `users` without WHERE"),
        "{first}"
    );
    assert!(first.contains("[destructive]"), "{first}");
    assert!(
        first.contains("help: ") && first.contains("`-- migrate: allow destructive`"),
        "{first}"
    );
    assert!(
        findings[2]
            .diagnostic
            .message
            .starts_with("ALTER TABLE `users` DROP COLUMN `email` deletes"),
        "{}",
        findings[2].diagnostic
    );
    assert_eq!(findings[3].diagnostic.location.as_ref().unwrap().line, 5);
}

#[test]
fn rebuilds_backfills_and_tables_of_the_same_file_are_not_destructive() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_rebuild.sql",
            "-- migrate: foreign-keys-off\nCREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE);\n\
             INSERT INTO users_new SELECT id, name, email FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;",
        ),
        (
            "0003_scratch.sql",
            "CREATE TABLE tmp (x);\nDELETE FROM tmp;\nUPDATE tmp SET x = 1;\nALTER TABLE tmp DROP COLUMN x;\nDROP TABLE tmp;\n\
             ALTER TABLE users ADD COLUMN n INTEGER NOT NULL DEFAULT 0;\nUPDATE users SET n = length(name);\n\
             CREATE TRIGGER tr AFTER INSERT ON users BEGIN DELETE FROM users; SELECT RAISE(ROLLBACK, 'no'); END;",
        ),
    ]);
    assert_eq!(names(&findings), Vec::<&str>::new());
}

const POSTS: (&str, &str) = (
    "0002_posts.sql",
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE);\n\
     CREATE INDEX posts_user_id ON posts (user_id);",
);

/// A rebuild of `users` that keeps every column, with `header` on top.
fn users_rebuild(header: &str) -> String {
    format!(
        "{header}CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, age INTEGER);\n\
         INSERT INTO users_new (id, name, email) SELECT id, name, email FROM users;\n\
         DROP TABLE users;\nALTER TABLE users_new RENAME TO users;"
    )
}

fn lint_chain(files: &[(&str, &str)]) -> (Vec<&'static str>, Vec<String>) {
    let findings = lint_files(files);
    let messages = findings.iter().map(|f| f.diagnostic.to_string()).collect();
    (names(&findings), messages)
}

#[test]
fn rebuilds_with_foreign_keys_on_are_found_and_cascades_named() {
    let plain = users_rebuild("");
    let (found, messages) = lint_chain(&[USERS, ("0002_rebuild.sql", &plain)]);
    assert_eq!(found, ["rebuild-foreign-keys"], "{messages:#?}");
    assert!(
        messages[0].starts_with(
            "m/0002_rebuild.sql:3:1: this rebuild of `users` runs with foreign keys on"
        ),
        "{messages:#?}"
    );

    let (found, messages) = lint_chain(&[USERS, POSTS, ("0003_rebuild.sql", &plain)]);
    assert_eq!(found, ["rebuild-cascade"], "{messages:#?}");
    assert!(
        messages[0]
            .contains("the rows of `posts` that refer to it are deleted (ON DELETE CASCADE)"),
        "{messages:#?}"
    );

    let set_null = ("0002_posts.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE SET NULL);\nCREATE INDEX posts_user_id ON posts (user_id);");
    let (found, messages) = lint_chain(&[USERS, set_null, ("0003_rebuild.sql", &plain)]);
    assert_eq!(found, ["rebuild-cascade"], "{messages:#?}");
    assert!(
        messages[0].contains("have `user_id` set to NULL"),
        "{messages:#?}"
    );

    let set_default = ("0002_posts.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER DEFAULT 0 REFERENCES users (id) ON DELETE SET DEFAULT);\nCREATE INDEX posts_user_id ON posts (user_id);");
    let (found, messages) = lint_chain(&[USERS, set_default, ("0003_rebuild.sql", &plain)]);
    assert_eq!(found, ["rebuild-cascade"], "{messages:#?}");
    assert!(
        messages[0].contains("have `user_id` set to its default (ON DELETE SET DEFAULT)"),
        "{messages:#?}"
    );

    let restrict = ("0002_posts.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\nCREATE INDEX posts_user_id ON posts (user_id);");
    let (found, messages) = lint_chain(&[USERS, restrict, ("0003_rebuild.sql", &plain)]);
    assert_eq!(found, ["rebuild-foreign-keys"], "{messages:#?}");
    assert!(
        messages[0].contains("fails with \"FOREIGN KEY constraint failed\" once `posts` has rows"),
        "{messages:#?}"
    );

    let directive = users_rebuild("-- migrate: foreign-keys-off\n");
    assert_eq!(
        lint_chain(&[USERS, POSTS, ("0003_rebuild.sql", &directive)]).0,
        Vec::<&str>::new()
    );
    let by_hand = users_rebuild("-- migrate: no-transaction\nPRAGMA foreign_keys = OFF;\n");
    assert_eq!(
        lint_chain(&[USERS, POSTS, ("0003_rebuild.sql", &by_hand)]).0,
        Vec::<&str>::new()
    );
    let other_pragma =
        users_rebuild("-- migrate: no-transaction\nPRAGMA legacy_alter_table = OFF;\n");
    assert_eq!(
        lint_chain(&[USERS, POSTS, ("0003_rebuild.sql", &other_pragma)]).0,
        ["rebuild-cascade"]
    );
}

#[test]
fn triggers_a_rebuild_drops_are_lost_unless_created_again() {
    let trigger = (
        "0002_audit.sql",
        "CREATE TABLE audit (user_id INTEGER);\n\
         CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES (new.id); END;",
    );
    let rebuild = users_rebuild("-- migrate: foreign-keys-off\n");
    let (found, messages) = lint_chain(&[USERS, trigger, ("0003_rebuild.sql", &rebuild)]);
    assert_eq!(found, ["rebuild-lost-trigger"], "{messages:#?}");
    assert!(
        messages[0].contains("drops its trigger `users_audit`"),
        "{messages:#?}"
    );
    assert!(
        messages[0].contains("CREATE TRIGGER users_audit AFTER INSERT ON users"),
        "{messages:#?}"
    );

    let again = format!("{rebuild}\nCREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES (new.id); END;");
    assert_eq!(
        lint_chain(&[USERS, trigger, ("0003_rebuild.sql", &again)]).0,
        Vec::<&str>::new()
    );
    let dropped = format!("DROP TRIGGER users_audit;\n{rebuild}");
    let dropped = dropped.replacen(
        "DROP TRIGGER users_audit;\n-- migrate: foreign-keys-off\n",
        "-- migrate: foreign-keys-off\nDROP TRIGGER users_audit;\n",
        1,
    );
    assert_eq!(
        lint_chain(&[USERS, trigger, ("0003_rebuild.sql", &dropped)]).0,
        Vec::<&str>::new()
    );

    // Dropping the table does not count as dropping a trigger of its name.
    let same_name = (
        "0002_audit.sql",
        "CREATE TABLE audit (user_id INTEGER);\n\
         CREATE TRIGGER users AFTER INSERT ON users BEGIN INSERT INTO audit VALUES (new.id); END;",
    );
    let (found, messages) = lint_chain(&[USERS, same_name, ("0003_rebuild.sql", &rebuild)]);
    assert_eq!(found, ["rebuild-lost-trigger"], "{messages:#?}");
}

#[test]
fn a_rebuild_that_leaves_a_column_behind_is_destructive() {
    let header = "-- migrate: foreign-keys-off\nCREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n";
    let tail = "DROP TABLE users;\nALTER TABLE users_new RENAME TO users;";
    let left_out = format!(
        "{header}INSERT INTO users_new (id, name) SELECT id, upper(name) FROM users;\n{tail}"
    );
    let (found, messages) = lint_chain(&[USERS, ("0002_rebuild.sql", &left_out)]);
    assert_eq!(found, ["destructive"], "{messages:#?}");
    assert!(
        messages[0].starts_with(
            "m/0002_rebuild.sql:3:1: this rebuild of `users` does not copy column(s) `email`"
        ),
        "{messages:#?}"
    );

    // Nothing, rows written by hand, a query alone, rows from elsewhere.
    for copy in [
        "",
        "INSERT INTO users_new (id, name) VALUES (1, 'a');\n",
        "SELECT count(*) FROM users;\n",
        "CREATE TABLE archive (id, name);\nINSERT INTO users_new SELECT id, name FROM archive;\n",
    ] {
        let no_copy = format!("{header}{copy}{tail}");
        let (found, messages) = lint_chain(&[USERS, ("0002_rebuild.sql", &no_copy)]);
        assert_eq!(found, ["destructive"], "{copy}: {messages:#?}");
        assert!(
            messages[0].contains("copies no rows from the old table"),
            "{copy}: {messages:#?}"
        );
    }

    // Every column, through a `*`.
    for copy in [
        "INSERT INTO users_new SELECT *, 0 FROM users;",
        "INSERT INTO users_new SELECT DISTINCT *, 0 FROM users;",
        "INSERT INTO users_new SELECT ALL *, 0 FROM users;",
        "INSERT INTO users_new SELECT users.*, 0 FROM users;",
        "INSERT INTO users_new (age, id, name, email) SELECT 0, * FROM users;",
    ] {
        let star = format!("-- migrate: foreign-keys-off\nCREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, age INTEGER);\n\
                            {copy}\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;");
        let (found, messages) = lint_chain(&[USERS, ("0002_rebuild.sql", &star)]);
        assert_eq!(found, Vec::<&str>::new(), "{copy}: {messages:#?}");
    }
    // A product is no `*`.
    let product =
        format!("{header}INSERT INTO users_new (id, name) SELECT id, name * 1 FROM users;\n{tail}");
    let (found, messages) = lint_chain(&[USERS, ("0002_rebuild.sql", &product)]);
    assert_eq!(found, ["destructive"], "{messages:#?}");
    assert!(
        messages[0].contains("does not copy column(s) `email`"),
        "{messages:#?}"
    );
}

#[test]
fn a_full_text_index_made_again_over_its_content_table_loses_nothing() {
    let first = (
        "0001_notes.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n\
         CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id');\n\
         CREATE VIRTUAL TABLE memo USING fts5(body);",
    );
    let remade = |table: &str, options: &str| {
        format!(
            "-- migrate: foreign-keys-off\n\
             CREATE VIRTUAL TABLE new_{table} USING fts5(body, tokenize = 'porter'{options});\n\
             INSERT INTO new_{table} (new_{table}) VALUES ('rebuild');\n\
             DROP TABLE {table};\n\
             ALTER TABLE new_{table} RENAME TO {table};"
        )
    };
    let index = remade("notes_fts", ", content='notes', content_rowid='id'");
    let (found, messages) = lint_chain(&[first, ("0002_porter.sql", &index)]);
    assert!(found.is_empty(), "{messages:#?}");

    // An index that holds its own rows loses them so.
    let own = remade("memo", "");
    let (found, messages) = lint_chain(&[first, ("0002_porter.sql", &own)]);
    assert_eq!(found, ["destructive"], "{messages:#?}");
}

#[test]
fn renaming_the_old_table_away_breaks_views_and_is_still_a_rebuild() {
    let view = (
        "0002_view.sql",
        "CREATE VIEW named AS SELECT id, name FROM users;",
    );
    let away = "-- migrate: foreign-keys-off\nALTER TABLE users RENAME TO users_old;\n\
                CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE);\n\
                INSERT INTO users SELECT id, name, email FROM users_old;\nDROP TABLE users_old;";
    let (found, messages) = lint_chain(&[USERS, view, ("0003_rebuild.sql", away)]);
    assert_eq!(found, ["broken-view"], "{messages:#?}");
    assert!(messages[0].starts_with("m/0003_rebuild.sql:2:1: after this migration the view `named` no longer works (no such table: main.users_old)"), "{messages:#?}");

    // Renamed away and dropped, with no new table: a plain drop.
    let gone = "ALTER TABLE users RENAME TO users_old;\nDROP TABLE users_old;";
    assert_eq!(
        lint_chain(&[USERS, ("0002_gone.sql", gone)]).0,
        ["destructive"]
    );

    // A view that was broken already is reported once, where it broke.
    let (found, _) = lint_chain(&[
        USERS,
        view,
        ("0003_rebuild.sql", away),
        ("0004_more.sql", "CREATE TABLE t (x);"),
    ]);
    assert_eq!(found, ["broken-view"]);
}

#[test]
fn transactions_and_pragmas() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_tx.sql",
            "BEGIN;\nCOMMIT;\nPRAGMA foreign_keys = ON;\nPRAGMA main.journal_mode = WAL;\nPRAGMA synchronous(1);\nPRAGMA journal_mode;\nVACUUM;",
        ),
        (
            "0003_no_tx.sql",
            "-- migrate: no-transaction\nPRAGMA journal_mode = WAL;\nVACUUM;\nBEGIN;\nCREATE TABLE t (x);\nCOMMIT;",
        ),
    ]);
    assert_eq!(
        names(&findings),
        [
            "explicit-transaction",
            "explicit-transaction",
            "pragma-in-transaction",
            "needs-no-transaction",
            "needs-no-transaction",
            "needs-no-transaction"
        ]
    );
    assert!(findings[2]
        .diagnostic
        .to_string()
        .contains("foreign-keys-off"));
}

#[test]
fn redundant_indexes_name_what_they_repeat() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_indexes.sql",
            "CREATE INDEX users_name_id ON users (name, id);\nCREATE INDEX users_name ON users (name);\n\
             CREATE INDEX users_email ON users (email);\nCREATE INDEX users_id ON users (id);\n\
             CREATE UNIQUE INDEX users_name_unique ON users (name);\nCREATE INDEX users_name_partial ON users (name) WHERE email IS NULL;",
        ),
    ]);
    let messages: Vec<String> = findings
        .iter()
        .map(|f| f.diagnostic.message.clone())
        .collect();
    assert_eq!(names(&findings), ["redundant-index"; 3], "{messages:#?}");
    assert!(
        messages[0].contains("`users_email`")
            && messages[0].contains(
                "it has the same columns as the automatic index of the UNIQUE constraint (email)"
            ),
        "{messages:#?}"
    );
    assert!(
        messages[1].contains("`users_id`") && messages[1].contains("PRIMARY KEY (id)"),
        "{messages:#?}"
    );
    assert!(
        messages[2].contains("`users_name`")
            && messages[2].contains("its columns are a leading prefix of index `users_name_id`"),
        "{messages:#?}"
    );
    // Each at its own CREATE INDEX.
    let lines: Vec<usize> = findings
        .iter()
        .map(|f| f.diagnostic.location.as_ref().unwrap().line)
        .collect();
    assert_eq!(lines, [3, 4, 2]);
}

#[test]
fn of_two_new_equal_indexes_the_later_is_reported() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_twice.sql",
            "CREATE INDEX users_name_a ON users (name);\nCREATE INDEX users_name_b ON users (name);",
        ),
    ]);
    assert_eq!(names(&findings), ["redundant-index"]);
    let text = findings[0].diagnostic.to_string();
    assert!(text.starts_with("m/0002_twice.sql:2:1: "), "{text}");
    assert!(text.contains("`users_name_b`"), "{text}");
}

#[test]
fn each_table_constraint_key_is_found_at_its_own_references() {
    let findings = lint_files(&[
        ("0001_p.sql", "CREATE TABLE p (id INTEGER PRIMARY KEY);"),
        (
            "0002_c.sql",
            "CREATE TABLE c (\n  a INTEGER,\n  b INTEGER,\n  FOREIGN KEY (b) REFERENCES p (id),\n  FOREIGN KEY (a) REFERENCES p (id)\n);",
        ),
    ]);
    assert_eq!(names(&findings), ["unindexed-foreign-key"; 2]);
    let mut places: Vec<(usize, bool)> = findings
        .iter()
        .map(|f| {
            let line = f.diagnostic.location.as_ref().unwrap().line;
            (line, f.diagnostic.message.contains("(a)"))
        })
        .collect();
    places.sort();
    assert_eq!(places, [(4, false), (5, true)]);
}

#[test]
fn dropping_a_table_a_view_reads_breaks_the_view() {
    let (found, messages) = lint_chain(&[
        USERS,
        (
            "0002_view.sql",
            "CREATE VIEW names AS SELECT name FROM users;",
        ),
        (
            "0003_drop.sql",
            "-- migrate: allow destructive\nDROP TABLE users;",
        ),
    ]);
    assert_eq!(found, ["broken-view"], "{messages:#?}");
    assert!(
        messages[0].contains("the view `names` no longer works"),
        "{messages:#?}"
    );
}

#[test]
fn column_lints_find_int_keys_and_misspelt_constraints_once() {
    let findings = lint_files(&[
        (
            "0001_t.sql",
            "CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (id BIGINT, PRIMARY KEY (id));\n\
             CREATE TABLE c (id INTEGER PRIMARY KEY, ip TEXT NOL NULL);\nCREATE TABLE d (id INT PRIMARY KEY) WITHOUT ROWID;\n\
             CREATE TABLE e (code TEXT PRIMARY KEY);",
        ),
        ("0002_more.sql", "ALTER TABLE a ADD COLUMN x TEXT;"),
    ]);
    assert_eq!(
        names(&findings),
        ["int-primary-key", "int-primary-key", "unknown-type-word"]
    );
    let last = findings[2].diagnostic.to_string();
    assert!(last.starts_with("m/0001_t.sql:3:41:"), "{last}");
    assert!(last.contains("`TEXT NOL`"), "{last}");
}

#[test]
fn double_quoted_strings_are_found() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_dq.sql",
            "INSERT INTO users (name) VALUES (\"alice\");\nSELECT \"name\" FROM users;",
        ),
        (
            "0003_after.sql",
            "CREATE INDEX users_name ON users (\"name\");",
        ),
    ]);
    assert_eq!(names(&findings), ["double-quoted-string"]);
    let text = findings[0].diagnostic.to_string();
    assert!(
        text.starts_with("m/0002_dq.sql:1:34: \"alice\" is a double-quoted string literal"),
        "{text}"
    );
}

#[test]
fn a_failure_elsewhere_is_no_double_quoted_string_of_this_file() {
    // With double-quoted strings refused, renaming `users` fails in the view
    // of 0002 ("error in view labels: no such column: user"): that says
    // nothing about the quoted names of 0003.
    let findings = lint_files(&[
        USERS,
        (
            "0002_view.sql",
            "CREATE VIEW labels AS SELECT name, \"user\" AS kind FROM users;",
        ),
        (
            "0003_rename.sql",
            "ALTER TABLE \"users\" RENAME TO \"people\";",
        ),
    ]);
    let paths: Vec<&str> = findings
        .iter()
        .map(|f| f.diagnostic.path.as_str())
        .collect();
    assert!(!paths.contains(&"m/0003_rename.sql"), "{findings:#?}");
}

#[test]
fn unindexed_foreign_keys_are_warnings_until_indexed() {
    let posts = (
        "0002_posts.sql",
        "CREATE TABLE posts (\n  id INTEGER PRIMARY KEY,\n  user_id INTEGER REFERENCES users (id),\n  editor_id INTEGER REFERENCES users (id)\n);\nCREATE INDEX posts_editor ON posts (editor_id, id);",
    );
    let findings = lint_files(&[USERS, posts]);
    assert_eq!(names(&findings), ["unindexed-foreign-key"]);
    assert_eq!(findings[0].severity, Severity::Warning);
    let text = findings[0].diagnostic.to_string();
    assert!(
        text.starts_with("m/0002_posts.sql:3:19: foreign key `posts` (user_id) → `users`"),
        "{text}"
    );
    let indexed = lint_files(&[
        USERS,
        posts,
        (
            "0003_index.sql",
            "CREATE INDEX posts_user ON posts (user_id);",
        ),
    ]);
    assert_eq!(names(&indexed), Vec::<&str>::new());
}

#[test]
fn an_index_dropped_later_no_longer_serves_a_foreign_key() {
    let posts = (
        "0002_posts.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\n\
         CREATE INDEX posts_user ON posts (user_id);",
    );
    assert_eq!(names(&lint_files(&[USERS, posts])), Vec::<&str>::new());
    let dropped = lint_files(&[USERS, posts, ("0003_drop.sql", "DROP INDEX posts_user;")]);
    assert_eq!(names(&dropped), ["unindexed-foreign-key"]);
}

#[test]
fn a_redundant_index_is_reported_once_where_it_was_made() {
    let indexes = (
        "0002_indexes.sql",
        "-- migrate: allow redundant-index\n\
         CREATE INDEX users_name ON users (name);\n\
         CREATE INDEX users_name_id ON users (name, id);",
    );
    let later = (
        "0003_column.sql",
        "ALTER TABLE users ADD COLUMN age INTEGER;",
    );
    assert_eq!(
        names(&lint_files(&[USERS, indexes, later])),
        Vec::<&str>::new()
    );
}

#[test]
fn foreign_keys_to_what_cannot_serve_them_are_errors() {
    let findings = lint_files(&[
        (
            "1_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);\n\
                         CREATE TABLE logs (line TEXT);\n\
                         CREATE INDEX users_name ON users (name);\n\
                         CREATE UNIQUE INDEX users_name_some ON users (name) WHERE name > '';\n\
                         CREATE UNIQUE INDEX users_name_email ON users (name, email);",
        ),
        (
            "2_posts.sql",
            "CREATE TABLE posts (\n\
                           id INTEGER PRIMARY KEY,\n\
                           by_id INTEGER REFERENCES users (id),\n\
                           by_email TEXT REFERENCES users (email),\n\
                           by_name TEXT REFERENCES users (name),\n\
                           in_log TEXT REFERENCES logs,\n\
                           gone INTEGER REFERENCES user (id)\n\
                         );\n\
                         CREATE INDEX posts_by_id ON posts (by_id);\n\
                         CREATE INDEX posts_by_email ON posts (by_email);\n\
                         CREATE INDEX posts_by_name ON posts (by_name);\n\
                         CREATE INDEX posts_in_log ON posts (in_log);\n\
                         CREATE INDEX posts_gone ON posts (gone);",
        ),
    ]);
    let targets: Vec<String> = findings
        .iter()
        .filter(|f| f.lint == Lint::ForeignKeyTarget)
        .map(|f| f.diagnostic.to_string())
        .collect();
    assert_eq!(targets.len(), 3, "{targets:#?}");
    assert!(
        targets
            .iter()
            .any(|t| t.contains("`users` (name) is neither its primary key nor UNIQUE")),
        "{targets:#?}"
    );
    assert!(
        targets
            .iter()
            .any(|t| t.contains("`logs` declares no PRIMARY KEY")),
        "{targets:#?}"
    );
    assert!(
        targets
            .iter()
            .any(|t| t.contains("there is no table `user`")),
        "{targets:#?}"
    );
    assert!(
        targets.iter().all(|t| t.contains("[foreign-key-target]")),
        "{targets:#?}"
    );
    assert!(findings
        .iter()
        .all(|f| severity(f.lint) == Severity::Error || f.lint == Lint::UnindexedForeignKey));
}

#[test]
fn allow_silences_exactly_that_lint() {
    let sql = "DELETE FROM users;\nCREATE INDEX users_email ON users (email);";
    let both = lint_files(&[USERS, ("0002_x.sql", sql)]);
    assert_eq!(names(&both), ["destructive", "redundant-index"]);
    let allowed = format!("-- migrate: allow destructive\n{sql}");
    let one = lint_files(&[USERS, ("0002_x.sql", &allowed)]);
    assert_eq!(names(&one), ["redundant-index"]);
    let allowed = format!("-- migrate: allow redundant-index\n{sql}");
    let other = lint_files(&[USERS, ("0002_x.sql", &allowed)]);
    assert_eq!(names(&other), ["destructive"]);
}

fn check(files: &[(&str, &str)]) -> Result<crate::Checked, Vec<Diagnostic>> {
    let base = tempfile::tempdir().unwrap();
    std::fs::create_dir(base.path().join("m")).unwrap();
    for (name, sql) in files {
        std::fs::write(base.path().join("m").join(name), sql).unwrap();
    }
    crate::check_folder(base.path(), "m")
}

#[test]
fn a_double_quoted_name_passes_and_leaves_the_chain_as_it_was() {
    // The double-quoted string lint tries the file and rolls it back: the
    // migration then runs once, as written.
    let checked = check(&[
        USERS,
        (
            "0002_quoted.sql",
            "CREATE TABLE \"tags\" (\"id\" INTEGER PRIMARY KEY);\nINSERT INTO \"tags\" (\"id\") VALUES (1);",
        ),
    ])
    .unwrap();
    assert!(checked.validated.schema.tables.contains_key("tags"));
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
}

#[test]
fn check_folder_fails_on_errors_and_returns_warnings() {
    // SQLite's own "cannot VACUUM from within a transaction" is left out:
    // the lint's message names the directive.
    let errors = check(&[USERS, ("0002_vacuum.sql", "VACUUM;")]).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].message.ends_with("[needs-no-transaction]"),
        "{errors:#?}"
    );
    // A lint error and an unrelated SQL error are both reported.
    let errors = check(&[
        USERS,
        ("0002_x.sql", "DELETE FROM users;\nSELECT nope FROM users;"),
    ])
    .unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[1].message.contains("no such column: nope"),
        "{errors:#?}"
    );
    let checked = check(&[
        USERS,
        (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));",
        ),
    ])
    .unwrap();
    assert_eq!(checked.warnings.len(), 1);
    assert!(checked.warnings[0]
        .message
        .ends_with("[unindexed-foreign-key]"));
}

/// The line and column of each finding, in order.
fn places(findings: &[Finding]) -> Vec<(usize, usize)> {
    findings
        .iter()
        .map(|f| {
            let at = f.diagnostic.location.as_ref().unwrap();
            (at.line, at.column)
        })
        .collect()
}

#[test]
fn a_column_two_tables_of_a_file_share_is_found_in_its_own_table() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_tables.sql",
            "CREATE TABLE posts (created_by INTEGER REFERENCES users (id), id INT(11) PRIMARY KEY);\n\
             CREATE TABLE notes (created_by INTEGER REFERENCES users (id), id INT(11) PRIMARY KEY);",
        ),
    ]);
    assert_eq!(
        names(&findings),
        [
            "int-primary-key",
            "int-primary-key",
            "unindexed-foreign-key",
            "unindexed-foreign-key"
        ]
    );
    let mut found = places(&findings);
    found.sort();
    assert_eq!(found, [(1, 40), (1, 63), (2, 40), (2, 63)]);
}

#[test]
fn a_column_with_two_foreign_keys_is_found_at_each_references() {
    let findings = lint_files(&[
        USERS,
        ("0002_teams.sql", "CREATE TABLE teams (id INTEGER PRIMARY KEY);"),
        (
            "0003_members.sql",
            "CREATE TABLE members (\n  id INTEGER PRIMARY KEY,\n  ref INTEGER REFERENCES teams (id),\n  FOREIGN KEY (ref) REFERENCES users (id)\n);",
        ),
    ]);
    assert_eq!(names(&findings), ["unindexed-foreign-key"; 2]);
    let mut found: Vec<(usize, bool)> = findings
        .iter()
        .map(|f| {
            let line = f.diagnostic.location.as_ref().unwrap().line;
            (line, f.diagnostic.message.contains("→ `users`"))
        })
        .collect();
    found.sort();
    assert_eq!(found, [(3, false), (4, true)]);
}

#[test]
fn a_unique_index_is_repeated_only_by_an_equal_unique_one() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_pair.sql",
            "CREATE UNIQUE INDEX users_name_email ON users (name, email);",
        ),
        (
            "0003_more.sql",
            "CREATE UNIQUE INDEX users_name ON users (name);\nCREATE INDEX users_name_email_2 ON users (name, email);",
        ),
    ]);
    assert_eq!(names(&findings), ["redundant-index"]);
    let text = findings[0].diagnostic.to_string();
    assert!(
        text.starts_with("m/0003_more.sql:2:1: index `users_name_email_2`")
            && text.contains("it has the same columns as index `users_name_email`"),
        "{text}"
    );
}

#[test]
fn a_key_leading_the_primary_key_is_indexed() {
    let findings = lint_files(&[
        USERS,
        ("0002_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);"),
        (
            "0003_user_tags.sql",
            "CREATE TABLE user_tags (\n  user_id INTEGER REFERENCES users (id),\n  tag_id INTEGER REFERENCES tags (id),\n  PRIMARY KEY (user_id, tag_id)\n) WITHOUT ROWID;",
        ),
    ]);
    assert_eq!(names(&findings), ["unindexed-foreign-key"]);
    let text = findings[0].diagnostic.to_string();
    assert!(
        text.starts_with("m/0003_user_tags.sql:3:18: foreign key `user_tags` (tag_id) → `tags`"),
        "{text}"
    );
}

#[test]
fn a_key_a_rebuild_adds_is_found_in_the_table_renamed_into_place() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, created_by INTEGER);",
        ),
        (
            "0003_rebuild.sql",
            "-- migrate: foreign-keys-off\n\
             CREATE TABLE archive (id INTEGER PRIMARY KEY, created_by INTEGER REFERENCES users (id));\n\
             CREATE TABLE posts_new (id INTEGER PRIMARY KEY, created_by INTEGER REFERENCES users (id));\n\
             INSERT INTO posts_new SELECT id, created_by FROM posts;\n\
             DROP TABLE posts;\n\
             ALTER TABLE posts_new RENAME TO posts;",
        ),
    ]);
    assert_eq!(names(&findings), ["unindexed-foreign-key"; 2]);
    let mut found: Vec<(usize, bool)> = findings
        .iter()
        .map(|f| {
            let line = f.diagnostic.location.as_ref().unwrap().line;
            (line, f.diagnostic.message.contains("`posts`"))
        })
        .collect();
    found.sort();
    assert_eq!(found, [(2, false), (3, true)]);
}

#[test]
fn a_new_column_is_linted_though_an_old_one_has_its_type() {
    let findings = lint_files(&[
        (
            "0001_t.sql",
            "-- migrate: allow unknown-type-word\nCREATE TABLE t (a TEXT NOL NULL);",
        ),
        ("0002_b.sql", "ALTER TABLE t ADD COLUMN b TEXT NOL NULL;"),
    ]);
    assert_eq!(names(&findings), ["unknown-type-word"]);
    let text = findings[0].diagnostic.to_string();
    assert!(text.starts_with("m/0002_b.sql:1:26: "), "{text}");
}

#[test]
fn a_drop_after_a_rebuild_renamed_away_is_not_another_rebuild() {
    let away = "ALTER TABLE users RENAME TO users_old;\n\
                CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE);\n\
                INSERT INTO users SELECT id, name, email FROM users_old;\nDROP TABLE users_old;\n\
                CREATE TABLE scratch (x);\nDROP TABLE scratch;";
    let (found, messages) = lint_chain(&[USERS, ("0002_rebuild.sql", away)]);
    assert_eq!(found, ["rebuild-foreign-keys"], "{messages:#?}");
    assert!(
        messages[0].starts_with("m/0002_rebuild.sql:4:1: this rebuild of `users`"),
        "{messages:#?}"
    );
}

#[test]
fn only_alter_table_rename_to_renames_a_table() {
    let rename = |sql| crate::file::rename(&migrate_sqlite::lex::code(sql));
    assert_eq!(
        rename("ALTER TABLE main.a RENAME TO \"b\""),
        Some(("a".to_string(), "b".to_string()))
    );
    assert_eq!(rename("ALTER TABLE a RENAME COLUMN x TO y"), None);
    assert_eq!(rename("ALTER TABLE a ADD COLUMN x"), None);
    assert_eq!(rename("CREATE TABLE a RENAME TO b"), None);
    assert_eq!(rename("ALTER INDEX a RENAME TO b"), None);
}

#[test]
fn renaming_a_table_or_column_does_not_report_its_declaration_again() {
    let create = (
        "0001_a.sql",
        "-- migrate: allow int-primary-key unknown-type-word\nCREATE TABLE a (id INT PRIMARY KEY, n TEXT NOL NULL);",
    );
    let renames = [
        "ALTER TABLE a RENAME COLUMN id TO key;\nALTER TABLE a RENAME n TO m;",
        "ALTER TABLE a RENAME TO b;",
        "ALTER TABLE a RENAME TO b;\nALTER TABLE b RENAME COLUMN id TO key;\nALTER TABLE b RENAME COLUMN key TO k;",
    ];
    for rename in renames {
        let (found, messages) = lint_chain(&[create, ("0002_rename.sql", rename)]);
        assert_eq!(found, Vec::<&str>::new(), "{rename}: {messages:#?}");
    }
    // A rebuild declares the column anew, in its own file.
    let rebuilt = "-- migrate: foreign-keys-off\nCREATE TABLE a_new (key INT PRIMARY KEY, n TEXT);\n\
                   INSERT INTO a_new SELECT id, n FROM a;\nDROP TABLE a;\nALTER TABLE a_new RENAME TO a;";
    let (found, messages) = lint_chain(&[create, ("0002_rebuild.sql", rebuilt)]);
    assert_eq!(found, ["int-primary-key"], "{messages:#?}");
    assert!(
        messages[0].starts_with("m/0002_rebuild.sql:2:"),
        "{messages:#?}"
    );
}

#[test]
fn a_renamed_foreign_key_is_reported_where_it_was_declared() {
    let posts =
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));";
    for rename in [
        "ALTER TABLE posts RENAME TO articles;",
        "ALTER TABLE users RENAME TO people;",
        "ALTER TABLE posts RENAME COLUMN user_id TO author_id;",
        "ALTER TABLE posts RENAME TO a;\nALTER TABLE a RENAME user_id TO b;\nALTER TABLE a RENAME b TO c;",
    ] {
        let (found, messages) =
            lint_chain(&[USERS, ("0002_posts.sql", posts), ("0003_rename.sql", rename)]);
        assert_eq!(found, ["unindexed-foreign-key"], "{rename}: {messages:#?}");
        assert!(
            messages[0].starts_with("m/0002_posts.sql:1:61: "),
            "{rename}: {messages:#?}"
        );
        // So the declaring file's opt-out still holds.
        let allowed = format!("-- migrate: allow unindexed-foreign-key\n{posts}");
        let (found, messages) =
            lint_chain(&[USERS, ("0002_posts.sql", &allowed), ("0003_rename.sql", rename)]);
        assert_eq!(found, Vec::<&str>::new(), "{rename}: {messages:#?}");
    }
}

#[test]
fn a_key_added_by_alter_table_is_found_in_its_own_statement() {
    let findings = lint_files(&[
        USERS,
        (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n\
             CREATE TABLE comments (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\n\
             CREATE INDEX comments_user ON comments (user_id);\n\
             ALTER TABLE posts ADD COLUMN user_id INTEGER REFERENCES users (id);",
        ),
    ]);
    assert_eq!(names(&findings), ["unindexed-foreign-key"]);
    let text = findings[0].diagnostic.to_string();
    assert!(text.starts_with("m/0002_posts.sql:4:46: "), "{text}");
}

#[test]
fn indexes_on_other_tables_and_partial_ones_repeat_nothing() {
    let (found, messages) = lint_chain(&[
        USERS,
        (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, name TEXT);\n\
             CREATE INDEX posts_name_some ON posts (name) WHERE name > 'm';\n\
             CREATE INDEX users_name ON users (name);",
        ),
        ("0003_posts.sql", "CREATE INDEX posts_name ON posts (name);"),
    ]);
    assert_eq!(found, Vec::<&str>::new(), "{messages:#?}");
}

#[test]
fn a_column_renamed_in_its_own_file_is_reported_at_its_declaration() {
    let file = (
        "0001_a.sql",
        "CREATE TABLE a (n TEXT, id INT PRIMARY KEY);\nALTER TABLE a RENAME COLUMN id TO key;",
    );
    let (found, messages) = lint_chain(&[file]);
    assert_eq!(found, ["int-primary-key"], "{messages:#?}");
    assert!(
        messages[0].starts_with("m/0001_a.sql:1:25: column `key` of `a`"),
        "{messages:#?}"
    );
}

#[test]
fn a_redundant_index_is_named_with_its_columns_as_written() {
    let findings = lint_files(&[(
        "0001_profile.sql",
        "CREATE TABLE \"Profile\" (\"id\" INTEGER PRIMARY KEY, \"userId\" INTEGER NOT NULL);\n\
         CREATE UNIQUE INDEX \"Profile_userId_key\" ON \"Profile\"(\"userId\");\n\
         CREATE INDEX \"Profile_userId_idx\" ON \"Profile\"(\"userId\");",
    )]);
    let text = findings[0].diagnostic.to_string();
    assert!(
        text.contains("index `Profile_userId_idx` on `Profile` (userId) is redundant: its columns are a leading prefix of index `Profile_userId_key` (userId)")
            || text.contains("index `Profile_userId_idx` on `Profile` (userId) is redundant: it has the same columns as index `Profile_userId_key` (userId)"),
        "{text}"
    );
}

#[test]
fn sqlites_own_twelve_step_rebuild_passes_as_it_is_written() {
    // PRAGMA outside BEGIN … COMMIT, as lang_altertable.html writes it: no
    // explicit-transaction error; the file runs foreign-keys-off, its own
    // transaction left out.
    let rebuild = users_rebuild("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
        + "\nPRAGMA foreign_key_check;\nCOMMIT;\nPRAGMA foreign_keys=ON;\n";
    let checked = check(&[USERS, POSTS, ("0003_rebuild.sql", &rebuild)]).unwrap();
    let notes: Vec<String> = checked.notes.iter().map(ToString::to_string).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("left out") && n.contains("0003_rebuild.sql")),
        "{notes:#?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("runs as `foreign-keys-off`")),
        "{notes:#?}"
    );
}
