//! The diagram as SVG: its DOT laid out and drawn by `layout-rs`, in one
//! piece of markup that a page (or rustdoc) can hold inline.

use layout::adt::dag::NodeHandle;
use layout::backends::svg::SVGWriter;
use layout::gv::{DotParser, GraphBuilder};
use layout::std_shapes::shapes::Arrow;

use super::dot::Reader;
use super::Diagram;

impl Diagram {
    /// The diagram as SVG, laid out in layers from left to right, without
    /// an XML prolog and without blank lines, so that it can be written
    /// inline in HTML or Markdown.
    pub fn svg(&self) -> String {
        if self.entities.is_empty() {
            return r#"<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"></svg>"#
                .to_string();
        }
        let dot = self.dot_for(Reader::LayoutRs);
        let mut parser = DotParser::new(&dot);
        // The DOT is this module's own: it always parses.
        let graph = parser.process().expect("the diagram's DOT parses");
        let mut builder = GraphBuilder::new();
        builder.visit_graph(&graph);
        let mut visual = builder.get();
        for (from, to) in self.grid_of_the_unlinked() {
            visual.add_edge(
                Arrow::invisible(),
                NodeHandle::new(from),
                NodeHandle::new(to),
            );
        }
        let mut writer = SVGWriter::new();
        visual.do_it(false, false, false, &mut writer);
        inline(&writer.finalize())
    }
}

impl Diagram {
    /// Invisible edges that chain the entities with no link (to or from
    /// them) into rows of about the square root of their number: laid out
    /// in layers, they would otherwise all stand in the first one, a column
    /// as tall as their count. By index in `entities`, as the DOT declares
    /// them.
    fn grid_of_the_unlinked(&self) -> Vec<(usize, usize)> {
        let linked = |name: &str| {
            self.links.iter().any(|link| {
                link.from.eq_ignore_ascii_case(name) || link.to.eq_ignore_ascii_case(name)
            })
        };
        let unlinked: Vec<usize> = (0..self.entities.len())
            .filter(|&index| !linked(&self.entities[index].name))
            .collect();
        let per_row = (unlinked.len() as f64).sqrt().ceil().max(1.0) as usize;
        unlinked
            .chunks(per_row)
            .flat_map(|row| row.windows(2).map(|pair| (pair[0], pair[1])))
            .collect()
    }
}

/// `svg` without its prolog and blank lines, in a sans-serif font.
fn inline(svg: &str) -> String {
    let svg = match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => svg,
    };
    let svg = svg.replace(
        "font-family: Times, serif;",
        "font-family: Helvetica, Arial, 'DejaVu Sans', sans-serif;",
    );
    let lines: Vec<&str> = svg
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .collect();
    lines.join("\n") + "\n"
}
