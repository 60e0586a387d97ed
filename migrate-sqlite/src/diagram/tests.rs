use rusqlite::Connection;

use super::*;

const SHOP: &str = "
    CREATE TABLE users (
        id    INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name  TEXT
    );
    CREATE TABLE orders (
        id       INTEGER PRIMARY KEY,
        user_id  INTEGER NOT NULL REFERENCES users (id),
        coupon   TEXT REFERENCES coupons,
        total    NUMERIC(10, 2) NOT NULL DEFAULT 0
    );
    CREATE TABLE coupons (code TEXT PRIMARY KEY, percent INTEGER) WITHOUT ROWID;
    CREATE UNIQUE INDEX users_name ON users (name);
    CREATE VIEW order_totals AS
        SELECT users.id AS user_id, sum(orders.total) AS total
        FROM users JOIN orders ON orders.user_id = users.id GROUP BY users.id;
";

fn shop() -> Diagram {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SHOP).unwrap();
    Diagram::read(&conn).unwrap()
}

#[test]
fn tables_carry_their_columns_keys_and_constraints_and_views_their_columns() {
    let diagram = shop();
    let names: Vec<&str> = diagram.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["coupons", "orders", "users", "order_totals"]);
    let users = diagram.entity("users").unwrap();
    assert_eq!(users.fields[0].marks(), ["PK"]);
    assert_eq!(users.fields[1].marks(), ["NOT NULL", "UNIQUE"]);
    // A unique index on the column alone makes it unique too.
    assert_eq!(users.fields[2].marks(), ["UNIQUE"]);
    let orders = diagram.entity("orders").unwrap();
    assert_eq!(orders.fields[1].marks(), ["FK", "NOT NULL"]);
    assert_eq!(orders.fields[3].declared_type, "NUMERIC(10, 2)");
    let view = diagram.entity("order_totals").unwrap();
    assert!(view.view);
    let columns: Vec<&str> = view.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(columns, ["user_id", "total"]);
}

#[test]
fn foreign_keys_and_what_views_read_are_links() {
    let diagram = shop();
    let links: Vec<(&str, &str, bool, bool)> = diagram
        .links
        .iter()
        .map(|l| (l.from.as_str(), l.to.as_str(), l.required, l.reads))
        .collect();
    assert_eq!(
        links,
        [
            ("orders", "coupons", false, false),
            ("orders", "users", true, false),
            ("order_totals", "orders", false, true),
            ("order_totals", "users", false, true),
        ]
    );
}

#[test]
fn mermaid_snapshot() {
    let mut diagram = shop();
    diagram.highlight(["ORDERS"]);
    assert_eq!(
        diagram.mermaid(),
        r#"erDiagram
    coupons {
        TEXT code PK
        INTEGER percent
    }
    orders:::changed {
        INTEGER id PK
        INTEGER user_id FK "NOT NULL"
        TEXT coupon FK
        NUMERIC(10-_2) total "NOT NULL"
    }
    users {
        INTEGER id PK
        TEXT email UK "NOT NULL"
        TEXT name UK
    }
    order_totals["order_totals (view)"] {
        INTEGER user_id
        ANY total
    }
    orders }o--o| coupons : "coupon"
    orders }o--|| users : "user_id"
    order_totals }o..o{ orders : reads
    order_totals }o..o{ users : reads
    classDef changed fill:#fde68a,stroke:#b45309
"#
    );
}

#[test]
fn dot_snapshot() {
    let mut diagram = shop();
    diagram.highlight(["users", "order_totals", "not_there"]);
    assert_eq!(
        diagram.dot(),
        r##"digraph schema {
    rankdir=LR;
    node [shape=record, fontname="Helvetica"];
    edge [fontname="Helvetica"];
    "coupons" [label="coupons|<f0> code TEXT PK|<f1> percent INTEGER"];
    "orders" [label="orders|<f0> id INTEGER PK|<f1> user_id INTEGER FK NOT NULL|<f2> coupon TEXT FK|<f3> total NUMERIC(10, 2) NOT NULL"];
    "users" [label="users|<f0> id INTEGER PK|<f1> email TEXT NOT NULL UNIQUE|<f2> name TEXT UNIQUE", style=filled, fillcolor="#fde68a"];
    "order_totals" [label="order_totals (view)|<f0> user_id INTEGER|<f1> total", style="dashed,filled", fillcolor="#fde68a"];
    "orders":f2 -> "coupons":f0;
    "orders":f1 -> "users":f0;
    "order_totals" -> "orders" [style=dashed];
    "order_totals" -> "users" [style=dashed];
}
"##
    );
}

#[test]
fn names_that_need_quoting_are_quoted_and_escaped() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(r#"CREATE TABLE "my table" ("a|b" TEXT, "{c}" INT);"#)
        .unwrap();
    let diagram = Diagram::read(&conn).unwrap();
    assert!(diagram
        .dot()
        .contains(r#""my table" [label="my table|<f0> a\|b TEXT|<f1> \{c\} INT"];"#));
    assert!(diagram
        .mermaid()
        .contains("    \"my table\" {\n        TEXT a_b\n        INT _c_\n"));
}

#[test]
fn the_svg_is_one_inline_piece_holding_every_table() {
    let svg = shop().svg();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(!svg.contains("\n\n"));
    for name in ["users", "orders", "coupons", "order_totals (view)"] {
        assert!(svg.contains(name), "{name}");
    }
}

#[test]
fn the_changes_between_two_schemas_are_highlighted_and_drops_named() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SHOP).unwrap();
    let before = Schema::read(&conn).unwrap();
    conn.execute_batch(
        "ALTER TABLE users ADD COLUMN born TEXT;
         CREATE INDEX orders_total ON orders (total);
         DROP VIEW order_totals;
         CREATE TABLE reviews (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users);",
    )
    .unwrap();
    let after = Schema::read(&conn).unwrap();
    let mut diagram = Diagram::read(&conn).unwrap();
    let changed = diagram.highlight_changes(&before, &after);
    let mut shown = changed.shown.clone();
    shown.sort();
    assert_eq!(shown, ["orders", "reviews", "users"]);
    assert_eq!(changed.dropped, ["order_totals"]);
    let highlighted: Vec<&str> = diagram
        .entities
        .iter()
        .filter(|e| e.highlighted)
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(highlighted, ["orders", "reviews", "users"]);
}

#[test]
fn self_references_cycles_missing_parents_and_odd_names_still_draw() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        r#"CREATE TABLE folders (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES folders (id));
           CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id));
           CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));
           CREATE TABLE orphans (id INTEGER PRIMARY KEY, gone_id INTEGER REFERENCES gone (id));
           CREATE TABLE "we""ird {name}" ("x|y" TEXT, "<z>" INT, "back\slash" TEXT);"#,
    )
    .unwrap();
    let diagram = Diagram::read(&conn).unwrap();
    let svg = diagram.svg();
    // Characters that would split a record are drawn as look-alikes, so
    // each column keeps its own row.
    for text in [
        ">folders<",
        ">orphans<",
        ">gone<",
        ">we&apos;ird (name)<",
        ">x¦y TEXT<",
        ">‹z› INT<",
        ">back∖slash TEXT<",
    ] {
        assert!(svg.contains(text), "{text} in the SVG");
    }
    // One arrow per link, a cycle's included (layout-rs draws one of them
    // backwards, its head at the start).
    let arrows = svg.matches("marker-end=").count() + svg.matches("marker-start=").count();
    assert_eq!(arrows, diagram.links.len());
}
