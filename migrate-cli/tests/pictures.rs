//! `migrate schema --format` and `--since`, and `migrate diff --dry-run
//! --format`: the schema drawn, with the tables a range of migrations
//! changed highlighted.

use std::fs;

mod common;

use common::migrate;

/// A folder of three migrations: users, then posts, then a view and an
/// index on posts, and tags dropped.
fn blog() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("migrations");
    fs::create_dir(&dir).unwrap();
    fs::write(
        dir.join("0001_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n\
         CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n",
    )
    .unwrap();
    fs::write(
        dir.join("0002_posts.sql"),
        "CREATE TABLE posts (\n  id INTEGER PRIMARY KEY,\n  \
         author_id INTEGER NOT NULL REFERENCES users (id),\n  title TEXT NOT NULL\n);\n",
    )
    .unwrap();
    fs::write(
        dir.join("0003_post_counts.sql"),
        "-- migrate: allow destructive\n\
         CREATE INDEX posts_author ON posts (author_id);\n\
         CREATE VIEW post_counts AS SELECT author_id, count(*) AS posts FROM posts GROUP BY author_id;\n\
         DROP TABLE tags;\n",
    )
    .unwrap();
    root
}

#[test]
fn the_schema_is_drawn_in_each_format() {
    let root = blog();
    let (code, mermaid, stderr) = migrate(root.path(), &["schema", "--format", "mermaid"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        mermaid,
        r#"erDiagram
    posts {
        INTEGER id PK
        INTEGER author_id FK "NOT NULL"
        TEXT title "NOT NULL"
    }
    users {
        INTEGER id PK
        TEXT email UK "NOT NULL"
    }
    post_counts["post_counts (view)"] {
        INTEGER author_id
        ANY posts
    }
    posts }o--|| users : "author_id"
    post_counts }o..o{ posts : reads
"#
    );
    let (code, dot, _) = migrate(root.path(), &["schema", "--format", "dot"]);
    assert_eq!(code, 0);
    assert!(dot.contains("\"posts\":f1 -> \"users\":f0;"), "{dot}");
    let (code, svg, _) = migrate(root.path(), &["schema", "--format", "svg"]);
    assert_eq!(code, 0);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
}

#[test]
fn since_a_version_highlights_what_the_later_migrations_changed_and_names_what_they_dropped() {
    let root = blog();
    let (code, mermaid, stderr) = migrate(
        root.path(),
        &["schema", "--format", "mermaid", "--since", "1"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(mermaid.contains("    posts:::changed {"), "{mermaid}");
    assert!(mermaid.contains("    post_counts[\"post_counts (view)\"]:::changed {"));
    assert!(
        mermaid.contains("    users {"),
        "users did not change: {mermaid}"
    );
    assert_eq!(stderr, "dropped, so not drawn: tags\n");

    // Since 2: the index makes posts changed; users still not.
    let (_, dot, _) = migrate(root.path(), &["schema", "--format", "dot", "--since", "2"]);
    assert!(dot.contains("\"posts\" [label=\"posts|<f0> id INTEGER PK|<f1> author_id INTEGER FK NOT NULL|<f2> title TEXT NOT NULL\", style=filled"), "{dot}");
    assert!(
        dot.contains(
            "\"users\" [label=\"users|<f0> id INTEGER PK|<f1> email TEXT NOT NULL UNIQUE\"];"
        ),
        "{dot}"
    );

    let (code, _, stderr) = migrate(root.path(), &["schema", "--since", "1"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("add --format mermaid, dot or svg"),
        "{stderr}"
    );
}

#[test]
fn a_dry_run_diff_draws_the_desired_schema_with_what_the_migration_changes() {
    let root = blog();
    fs::write(
        root.path().join("schema.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);\n\
         CREATE TABLE posts (\n  id INTEGER PRIMARY KEY,\n  \
         author_id INTEGER NOT NULL REFERENCES users (id),\n  title TEXT NOT NULL\n);\n\
         CREATE INDEX posts_author ON posts (author_id);\n\
         CREATE VIEW post_counts AS SELECT author_id, count(*) AS posts FROM posts GROUP BY author_id;\n",
    )
    .unwrap();
    let (code, mermaid, stderr) = migrate(
        root.path(),
        &["diff", "add name", "--dry-run", "--format", "mermaid"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(mermaid.contains("    users:::changed {\n"), "{mermaid}");
    assert!(mermaid.contains("    posts {\n"), "{mermaid}");
    assert!(mermaid.contains("        TEXT name\n"), "{mermaid}");
    assert_eq!(
        fs::read_dir(root.path().join("migrations"))
            .unwrap()
            .count(),
        3
    );

    let (code, _, stderr) = migrate(root.path(), &["diff", "add name", "--format", "svg"]);
    assert_eq!(code, 2, "--format needs --dry-run: {stderr}");
}
