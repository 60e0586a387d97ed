//! The SVG diagram drawn by a real renderer (resvg): it parses, every table
//! and view shows with its name, every foreign key and view's read is an
//! arrow, and the pixels are not blank. The example app's picture, which
//! the README shows, is rendered here too.

use std::path::Path;

use migrate_build_support::check_chain;
use migrate_sqlite::diagram::Diagram;
use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{Group, Node, Options, Tree};

/// The schema of the migrations folder `dir` (relative to the workspace).
fn diagram_of(dir: &str) -> Diagram {
    let root = migrate_tests::workspace_root();
    let checked = check_chain(&root, dir).unwrap_or_else(|d| panic!("{dir}: {d:?}"));
    Diagram::of_objects(&checked.validated.objects).unwrap()
}

/// The renderer's options, with one font: the subset of DejaVu Sans in
/// `fixtures/fonts`, so that the pixels do not depend on the machine's fonts.
fn options() -> Options<'static> {
    let mut options = Options::default();
    let font = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fonts/DejaVuSans-ascii.ttf");
    options
        .fontdb_mut()
        .load_font_data(std::fs::read(font).unwrap());
    // The SVG asks for Helvetica, Arial, then any sans-serif: this one.
    options.fontdb_mut().set_sans_serif_family("DejaVu Sans");
    options
}

fn texts(group: &Group, found: &mut Vec<String>) {
    for node in group.children() {
        match node {
            Node::Group(group) => texts(group, found),
            Node::Text(text) => found.extend(text.chunks().iter().map(|c| c.text().to_string())),
            _ => {}
        }
    }
}

/// Renders `svg`, checks it against `diagram`, and returns the picture.
fn rendered(diagram: &Diagram, svg: &str) -> Pixmap {
    let tree = Tree::from_str(svg, &options()).expect("the SVG parses");
    let mut found = Vec::new();
    texts(tree.root(), &mut found);
    for entity in &diagram.entities {
        let title = match entity.view {
            true => format!("{} (view)", entity.name),
            false => entity.name.clone(),
        };
        assert!(
            found.contains(&title),
            "{title} not drawn; texts: {found:?}"
        );
        for field in &entity.fields {
            assert!(
                found.iter().any(
                    |text| text.starts_with(&format!("{} ", field.name)) || text == &field.name
                ),
                "{}.{} not drawn",
                entity.name,
                field.name
            );
        }
    }
    // layout-rs draws an edge of a cycle backwards, its head at the start.
    let arrows = svg.matches("marker-end=\"url(#endarrow)\"").count()
        + svg.matches("marker-start=\"url(#startarrow)\"").count();
    assert_eq!(arrows, diagram.links.len(), "one arrow per link");

    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height()).unwrap();
    pixmap.fill(Color::WHITE);
    resvg::render(&tree, Transform::default(), &mut pixmap.as_mut());
    let inked = pixmap.pixels().iter().filter(|p| p.red() < 128).count();
    assert!(inked > 1000, "the picture is blank: {inked} dark pixels");
    pixmap
}

#[test]
fn a_schema_of_many_tables_renders_with_every_table_and_arrow() {
    for dir in ["tests/fixtures/concurrent", "tests/fixtures/real_world"] {
        let diagram = diagram_of(dir);
        assert!(!diagram.links.is_empty(), "{dir} has links");
        rendered(&diagram, &diagram.svg());
    }
}

#[test]
fn a_generated_schema_of_forty_tables_renders_with_every_table_and_arrow() {
    let conn = migrate_runtime::rusqlite::Connection::open_in_memory().unwrap();
    // The workload's chain: about 65% of its migrations make a table, a
    // third of them with a foreign key; some add columns, views, rows.
    for (_, sql) in migrate_tests::workload::migrations(62) {
        conn.execute_batch(&sql).unwrap();
    }
    let diagram = Diagram::read(&conn).unwrap();
    let tables = diagram.entities.iter().filter(|e| !e.view).count();
    assert!(tables >= 35, "{tables} tables");
    rendered(&diagram, &diagram.svg());
}

#[test]
fn the_example_apps_picture_renders_and_the_readme_shows_the_same_layout() {
    let diagram = diagram_of("examples/notes/migrations");
    let picture = rendered(&diagram, &diagram.svg());
    let out = migrate_tests::workspace_root().join("target/notes-schema.png");
    picture.save_png(&out).unwrap();
    // The README's copy, pixel for pixel: the font is the fixture's.
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/notes-schema.png");
    let committed = Pixmap::load_png(&committed).expect("docs/notes-schema.png");
    assert!(
        committed.data() == picture.data(),
        "the picture changed: copy {} to docs/notes-schema.png and look at it",
        out.display()
    );
}
