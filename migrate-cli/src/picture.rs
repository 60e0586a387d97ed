//! `--format mermaid|dot|svg`: the schema drawn as an entity-relationship
//! diagram, with the tables a range of migrations changed highlighted.

use migrate_build_support::{SchemaObject, Source};
use migrate_runtime::cli::SchemaFormat;
use migrate_runtime::rusqlite::Connection;
use migrate_sqlite::diagram::Diagram;
use migrate_sqlite::Schema;

/// `objects` drawn in `format`; with `before`, the tables and views that
/// differ from it highlighted, and those `objects` no longer hold named on
/// stderr.
pub(crate) fn draw(
    format: SchemaFormat,
    objects: &[SchemaObject],
    before: Option<&Schema>,
) -> Result<String, String> {
    let reading =
        |error: migrate_runtime::rusqlite::Error| format!("cannot read the schema: {error}");
    let mut diagram = Diagram::of_objects(objects).map_err(reading)?;
    if let Some(before) = before {
        let after = Schema::of_objects(objects).map_err(reading)?;
        let changed = diagram.highlight_changes(before, &after);
        if !changed.dropped.is_empty() {
            eprintln!("dropped, so not drawn: {}", changed.dropped.join(", "));
        }
    }
    Ok(format.draw(&diagram).unwrap_or_default())
}

/// The schema the migrations of `sources` up to and including `version`
/// leave, each run as the runtime runs it.
pub(crate) fn schema_at(sources: &[Source], version: u64) -> Result<Schema, String> {
    let mut conn = Connection::open_in_memory().map_err(|error| error.to_string())?;
    for source in sources.iter().filter(|s| s.migration.version() <= version) {
        let up = source.migration.up();
        migrate_sqlite::apply(&mut conn, up.sql(), up.directives())
            .map_err(|failure| format!("{}: {}", source.up_file.display, failure.message()))?;
    }
    Schema::read(&conn).map_err(|error| format!("cannot read the schema: {error}"))
}
