//! `migrate diff` on real folders: the workflow a user follows (edit
//! `schema.sql`, diff, review, build), in each folder layout.

use std::fs;
use std::path::Path;

mod common;

use common::migrate;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// A crate root holding `files`, each by its path from the root.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = root.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    root
}

/// `migrate check` passes, holding the folder to `schema.sql`.
fn checks(root: &Path, dir: &str) {
    let (code, stdout, stderr) = migrate(root, &["check", dir]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}

const FIRST: &str = "CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  full_name TEXT NOT NULL,
  email TEXT
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body TEXT
);
CREATE INDEX posts_user ON posts (user_id);
";

#[test]
fn a_new_project_starts_from_its_schema_then_each_edit_is_one_migration() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    fs::write(root.join("schema.sql"), FIRST).unwrap();

    let (code, stdout, stderr) = migrate(root, &["diff", "create users and posts"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "created migrations/0001_create_users_and_posts.sql\n\
         review it, then build: the build runs it and holds migrations to schema.sql\n"
    );
    checks(root, "migrations");
    let (code, stdout, _) = migrate(root, &["diff", "again"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "the migrations in migrations already leave the schema schema.sql declares: nothing to generate\n"
    );

    // A column added last is one ALTER TABLE; --dry-run writes nothing.
    fs::write(
        root.join("schema.sql"),
        FIRST.replace(
            "  email TEXT\n",
            "  email TEXT,\n  bio TEXT NOT NULL DEFAULT ''\n",
        ),
    )
    .unwrap();
    let (code, stdout, _) = migrate(root, &["diff", "add bio", "--dry-run"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "-- migrations/0002_add_bio.sql\n\
         ALTER TABLE users ADD COLUMN bio TEXT NOT NULL DEFAULT '';\n\n\
         -- dry run: nothing written\n"
    );
    assert_eq!(files(&root.join("migrations")).len(), 1);
    let (code, _, stderr) = migrate(root, &["diff", "add bio"]);
    assert_eq!(code, 0, "{stderr}");
    checks(root, "migrations");
}

#[test]
fn losing_a_column_is_refused_with_what_would_be_lost_unless_allowed() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    fs::create_dir(root.join("migrations")).unwrap();
    fs::write(root.join("migrations/0001_start.sql"), FIRST).unwrap();
    // `full_name` gone and `name` new: a rename or a loss, which only the
    // user knows. Without a terminal to ask, it is not guessed.
    fs::write(
        root.join("schema.sql"),
        FIRST.replace("full_name TEXT NOT NULL", "name TEXT NOT NULL"),
    )
    .unwrap();

    let (code, stdout, stderr) = migrate(root, &["diff", "rename"]);

    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        "error: the migration would lose:\n  - column users.full_name, and its values\n\
         if that is meant, `--allow-destructive` writes it (the file then carries \
         `-- migrate: allow destructive`); if something was renamed, say so with \
         `--rename old=new` (`table.old=new` for a column) or a \
         `-- migrate: renamed from <old>` comment in the desired schema\n"
    );
    assert_eq!(files(&root.join("migrations")), ["0001_start.sql"]);

    // Said on the command line, it is a rename.
    let (code, stdout, _) = migrate(
        root,
        &[
            "diff",
            "rename",
            "--rename",
            "users.full_name=name",
            "--dry-run",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        stdout.contains("ALTER TABLE users RENAME COLUMN full_name TO name;"),
        "{stdout}"
    );

    // Allowed, it is a loss, and the file says it was allowed.
    let (code, _, stderr) = migrate(root, &["diff", "drop full name", "--allow-destructive"]);
    assert_eq!(code, 0, "{stderr}");
    let written = fs::read_to_string(root.join("migrations/0002_drop_full_name.sql")).unwrap();
    assert!(
        written.contains("-- migrate: allow destructive\n"),
        "{written}"
    );
    checks(root, "migrations");
}

#[test]
fn a_rename_hint_in_the_schema_is_followed_and_may_stay_after() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    fs::create_dir(root.join("migrations")).unwrap();
    fs::write(root.join("migrations/0001_start.up.sql"), FIRST).unwrap();
    fs::write(
        root.join("migrations/0001_start.down.sql"),
        "DROP TABLE posts;\nDROP TABLE users;\n",
    )
    .unwrap();
    let desired = FIRST
        .replace(
            "CREATE TABLE users (",
            "-- migrate: renamed from users\nCREATE TABLE people (",
        )
        .replace(
            "full_name TEXT NOT NULL,",
            "name TEXT NOT NULL, -- migrate: renamed from full_name",
        )
        .replace("REFERENCES users", "REFERENCES people");
    fs::write(root.join("schema.sql"), desired).unwrap();

    let (code, _, stderr) = migrate(root, &["diff", "people"]);

    assert_eq!(code, 0, "{stderr}");
    let folder = root.join("migrations");
    assert_eq!(
        fs::read_to_string(folder.join("0002_people.up.sql")).unwrap(),
        "ALTER TABLE users RENAME TO people;\nALTER TABLE people RENAME COLUMN full_name TO name;\n"
    );
    assert_eq!(
        fs::read_to_string(folder.join("0002_people.down.sql")).unwrap(),
        "ALTER TABLE people RENAME TO users;\nALTER TABLE users RENAME COLUMN name TO full_name;\n"
    );
    checks(root, "migrations");
    let (code, stdout, _) = migrate(root, &["diff", "again"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing to generate"), "{stdout}");
}

#[test]
fn per_table_writes_one_migration_per_changed_table_in_an_order_that_applies() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    fs::create_dir(root.join("migrations")).unwrap();
    fs::write(root.join("migrations/001_start.sql"), FIRST).unwrap();
    let desired = format!(
        "{}\nCREATE TABLE tags (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts (id), name TEXT NOT NULL);\nCREATE INDEX tags_post ON tags (post_id);\nCREATE VIEW tagged AS SELECT posts.id, tags.name FROM posts JOIN tags ON tags.post_id = posts.id;\n",
        FIRST.replace("  body TEXT\n", "  body TEXT NOT NULL DEFAULT '',\n  title TEXT\n")
    );
    fs::write(root.join("schema.sql"), desired).unwrap();

    let (code, stdout, stderr) = migrate(root, &["diff", "tags", "--per-table"]);

    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "created migrations/002_tags_tags.sql\n\
         created migrations/003_tags_posts.sql\n\
         created migrations/004_tags_views_and_triggers.sql\n\
         review it, then build: the build runs it and holds migrations to schema.sql\n"
    );
    let posts = fs::read_to_string(root.join("migrations/003_tags_posts.sql")).unwrap();
    assert!(
        posts.starts_with("-- migrate: foreign-keys-off\n")
            && posts.contains("INSERT INTO new_posts"),
        "{posts}"
    );
    checks(root, "migrations");
}

#[test]
fn each_layout_gets_its_own_names_and_down_scripts_where_it_has_them() {
    let cases: [(&str, &str, &str, &[&str]); 4] = [
        (
            "goose",
            "00001_start.sql",
            "-- +goose Up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n-- +goose Down\nDROP TABLE users;\n",
            &["00002_add_email.sql"],
        ),
        (
            "dbmate",
            "20240101000000_start.sql",
            "-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n-- migrate:down\nDROP TABLE users;\n",
            &["_add_email.sql"],
        ),
        (
            "refinery",
            "V1__start.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
            &["V2__add_email.sql"],
        ),
        (
            "diesel",
            "2024-01-01-000000_start/up.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
            &["_add_email/up.sql", "_add_email/down.sql"],
        ),
    ];
    for (layout, first, text, expected) in cases {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let path = root.join("migrations").join(first);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        if layout == "diesel" {
            fs::write(path.with_file_name("down.sql"), "DROP TABLE users;\n").unwrap();
        }
        // dbmate keeps its own dump in schema.sql: the desired schema is
        // named apart.
        let desired = if layout == "dbmate" {
            fs::write(
                root.join("migrations/migrate.toml"),
                "[schema]\nfile = \"desired.sql\"\n",
            )
            .unwrap();
            "desired.sql"
        } else {
            "schema.sql"
        };
        fs::write(
            root.join(desired),
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);\n",
        )
        .unwrap();

        let (code, stdout, stderr) = migrate(root, &["diff", "add email"]);

        assert_eq!(code, 0, "{layout}: {stderr}");
        // dbmate's folders are numbered by the time now.
        let created: Vec<&str> = stdout
            .lines()
            .filter_map(|line| line.strip_prefix("created migrations/"))
            .collect();
        assert_eq!(created.len(), expected.len(), "{layout}: {stdout}");
        for (file, expected) in created.iter().zip(expected) {
            assert!(file.ends_with(expected), "{layout}: {stdout}");
        }
        checks(root, "migrations");
        let written: String = created
            .iter()
            .map(|file| fs::read_to_string(root.join("migrations").join(file)).unwrap())
            .collect();
        let down_part = match layout {
            "goose" => "-- +goose Down\nALTER TABLE users DROP COLUMN email;\n",
            "dbmate" => "-- migrate:down\nALTER TABLE users DROP COLUMN email;\n",
            "diesel" => "ALTER TABLE users DROP COLUMN email;\n",
            _ => "ALTER TABLE users ADD COLUMN email TEXT;\n",
        };
        assert!(written.contains(down_part), "{layout}: {written}");
    }
}

#[test]
fn without_a_desired_schema_it_says_how_to_start_one() {
    let root = tempfile::tempdir().unwrap();
    let (code, _, stderr) = migrate(root.path(), &["diff", "anything"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error: there is no desired schema: schema.sql does not exist; write the schema you want there, \
         or start it from the migrations with `migrate schema migrations --write`\n"
    );
}

#[test]
fn a_dump_of_the_production_database_is_a_desired_schema() {
    let project = project(&[(
        "migrations/20240101000000_init.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL);\n",
    )]);
    let root = project.path();
    // As `sqlite3 app.db .schema` writes it: SQLite's own tables and the
    // histories of this toolkit and of the tool the project came from.
    let dump = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL);
CREATE TABLE sqlite_sequence(name,seq);
CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
CREATE TABLE _migrate_history (version INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE sqlite_stat1(tbl,idx,stat);
";
    fs::write(root.join("schema.sql"), dump).unwrap();
    checks(root, "migrations");

    fs::write(
        root.join("schema.sql"),
        dump.replace("email TEXT NOT NULL)", "email TEXT NOT NULL, nick TEXT)"),
    )
    .unwrap();
    let (code, stdout, stderr) = migrate(root, &["diff", "add nick", "--dry-run"]);

    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("ALTER TABLE users ADD COLUMN nick TEXT;\n")
            && !stdout.contains("_sqlx_migrations")
            && !stdout.contains("sqlite_"),
        "{stdout}"
    );
    assert_eq!(
        stderr,
        "note: schema.sql: table _sqlx_migrations is sqlx's history, not the application's schema: left out\n\n\
         note: schema.sql: table _migrate_history is the toolkit's history, not the application's schema: left out\n\n"
    );
}

#[test]
fn a_dbmate_folder_keeps_its_dump_apart_from_the_desired_schema() {
    let project = project(&[
        ("db/migrations/20240101000000_create_users.sql", "-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n"),
    ]);
    let root = project.path();
    // dbmate's dump, as `dbmate up` writes it.
    let dump =
        "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version varchar(128) primary key);
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
-- Dbmate schema migrations
INSERT INTO \"schema_migrations\" (version) VALUES
  ('20240101000000');
";
    fs::write(root.join("db/schema.sql"), dump).unwrap();
    // The build does not hold the chain to it.
    checks(root, "db/migrations");

    for command in [
        &["diff", "x", "db/migrations"][..],
        &["schema", "db/migrations", "--write", "--force"],
    ] {
        let (code, _, stderr) = migrate(root, command);

        assert_eq!(code, 1, "{command:?}");
        assert_eq!(
            stderr,
            "error: db/schema.sql is dbmate's own dump of the database, rewritten by `dbmate up`, \
             not a desired schema: write the schema you want in a file of its own and name it in \
             db/migrations/migrate.toml: `[schema]`, then `file = \"db/desired.sql\"`\n",
            "{command:?}"
        );
    }
    assert_eq!(
        fs::read_to_string(root.join("db/schema.sql")).unwrap(),
        dump
    );
}

#[test]
fn a_drizzle_folder_gets_the_sql_for_drizzle_kit_to_enter_in_its_journal() {
    let project = project(&[
        (
            "drizzle/meta/_journal.json",
            r#"{"version":"7","dialect":"sqlite","entries":[
        {"idx":0,"version":"6","when":1700000000000,"tag":"0000_tough_storm","breakpoints":true}]}"#,
        ),
        (
            "drizzle/0000_tough_storm.sql",
            "CREATE TABLE `users` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`name` text\n);\n",
        ),
    ]);
    let root = project.path();
    let (code, _, stderr) = migrate(root, &["schema", "drizzle", "--write"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = migrate(root, &["diff", "nothing", "drizzle"]);
    assert_eq!(code, 0);
    assert!(stdout.ends_with("nothing to generate\n"), "{stdout}");

    let desired = fs::read_to_string(root.join("schema.sql")).unwrap();
    fs::write(
        root.join("schema.sql"),
        desired.replace("`name` text\n", "`name` text,\n\t`email` text\n"),
    )
    .unwrap();
    let (code, stdout, stderr) = migrate(root, &["diff", "add email", "drizzle"]);

    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "-- 1 of 1: `drizzle-kit generate --custom --name=add_email`, then this in the file it makes\n\
         ALTER TABLE users ADD COLUMN `email` text;\n\n"
    );
    assert!(stderr.starts_with("note: nothing written"), "{stderr}");
    assert_eq!(
        files(&root.join("drizzle")),
        ["0000_tough_storm.sql", "meta"]
    );
}

#[test]
fn findings_that_fail_the_build_do_not_stop_reading_the_schema() {
    let project = project(&[(
        "migrations/0001_start.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE legacy (x);\n",
    )]);
    let root = project.path();
    // Years old, shipped, and an error of the destructive lint.
    fs::write(
        root.join("migrations/0002_drop_legacy.sql"),
        "DROP TABLE legacy;\n",
    )
    .unwrap();
    let note = "note: migrations: the build fails on 1 finding(s) in these migrations, \
                `migrate check migrations` lists them; `migrate seal migrations` records the \
                migrations that already shipped\n\n";

    let (code, _, stderr) = migrate(root, &["schema", "--write"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, note);
    let desired = fs::read_to_string(root.join("schema.sql")).unwrap();
    fs::write(
        root.join("schema.sql"),
        desired.replace("name TEXT)", "name TEXT, email TEXT)"),
    )
    .unwrap();
    let (code, stdout, stderr) = migrate(root, &["diff", "add email"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, note);
    assert!(
        stdout.starts_with("created migrations/0003_add_email.sql\n"),
        "{stdout}"
    );

    // The build holds to its findings until the folder is sealed.
    let (code, _, stderr) = migrate(root, &["check"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("DROP TABLE `legacy`"), "{stderr}");
    let (code, _, stderr) = migrate(root, &["seal"]);
    assert_eq!(code, 0, "{stderr}");
    checks(root, "migrations");
}

#[test]
fn a_byte_order_mark_moves_no_rename_hint() {
    let project = project(&[
        ("migrations/0001_init.sql", "CREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  full_name TEXT\n);\n"),
        ("schema.sql", "\u{feff}CREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  name TEXT -- migrate: renamed from full_name\n);\n"),
    ]);
    let root = project.path();

    let (code, stdout, stderr) = migrate(root, &["diff", "rename", "--dry-run"]);

    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("ALTER TABLE users RENAME COLUMN full_name TO name;\n"),
        "{stdout}"
    );
}

#[test]
fn a_desired_schema_that_names_what_it_does_not_declare_is_refused_at_its_place() {
    let project = project(&[(
        "migrations/0001_init.sql",
        "CREATE TABLE p (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE t (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));\n\
         CREATE INDEX t_p ON t (p_id);\n\
         CREATE VIEW v AS SELECT id FROM p;\n",
    )]);
    let root = project.path();
    // p is gone, and what names it stays.
    fs::write(
        root.join("schema.sql"),
        "-- wanted\n\
         CREATE TABLE t (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));\n\
         CREATE INDEX t_p ON t (p_id);\n\
         CREATE VIEW v AS SELECT id FROM p;\n",
    )
    .unwrap();

    let (code, _, stderr) = migrate(root, &["diff", "drop p", "--allow-destructive"]);

    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(
            "error: schema.sql:2:1: table t: foreign key (p_id) REFERENCES p (id): table p is not declared\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("error: schema.sql:4:1: view v: it cannot be read: no such table: main.p\n"),
        "{stderr}"
    );
    assert_eq!(files(&root.join("migrations")), ["0001_init.sql"]);
}
