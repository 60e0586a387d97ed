//! New migration files, named in the style the folder already uses: its
//! layout (plain `.sql`, `.up.sql`/`.down.sql`, refinery's `V<n>__`, diesel's
//! folders, goose's and dbmate's sections, Prisma's folders) and its
//! numbering (a zero-padded sequence or a UTC timestamp).

use crate::folder::Format;
use crate::naming::{parse_file_name, parse_folder_name};

/// How a folder names its migrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `<version>_<description>.sql`, with `.up.sql`/`.down.sql` when reversible.
    Files,
    /// refinery's `V<version>__<description>.sql`: no down scripts.
    Refinery,
    /// diesel's `<version>_<description>/up.sql` and `down.sql`.
    Folders,
    /// goose's `<version>_<description>.sql`, with `-- +goose Up` and
    /// `-- +goose Down` sections.
    Goose,
    /// dbmate's `<version>_<description>.sql`, with `-- migrate:up` and
    /// `-- migrate:down` sections.
    Dbmate,
    /// Prisma's `<timestamp>_<description>/migration.sql`: no down scripts.
    Prisma,
}

/// How a folder numbers its migrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbering {
    /// 1, 2, 3 … padded with zeros to `width` digits.
    Sequence {
        /// Digits, zeros included: 4 for `0001`.
        width: usize,
    },
    /// `YYYYMMDDHHMMSS` in UTC.
    Timestamp,
}

/// A file to create: its path inside the migrations folder and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    /// Relative to the migrations folder: `0006_add_tags.sql`,
    /// `20250919140443_add_tags/up.sql`.
    pub path: String,
    /// A comment that says what goes there: until SQL replaces it, the
    /// check warns that the migration is empty.
    pub text: String,
}

/// Versions at or above this are taken for timestamps (`YYYYMMDD…`).
const TIMESTAMP_FLOOR: u64 = 10_000_000_000;

/// The files of a new migration described by `description`, after the
/// entries (file and folder names) already in the folder. `now` is the UTC
/// time as `YYYYMMDDHHMMSS` (see [`utc_timestamp`]). An empty folder gets
/// `0001_<description>`.
pub fn new_migration(
    entries: &[String],
    description: &str,
    reversible: bool,
    now: u64,
) -> Result<Vec<NewFile>, String> {
    new_migration_in(None, entries, description, reversible, now)
}

/// [`new_migration`] in a folder whose layout is known to be `format`
/// ([`crate::Folder::read`] tells it from the files' contents too, as for
/// goose's and dbmate's sections).
pub fn new_migration_in(
    format: Option<Format>,
    entries: &[String],
    description: &str,
    reversible: bool,
    now: u64,
) -> Result<Vec<NewFile>, String> {
    let next = next_migration(format, entries, description, now)?;
    let up = format!("-- {}: the change, in SQL.\n", next.description);
    let down = format!(
        "-- Undo {}_{}: bring the schema back to what it was.\n",
        next.version, next.description
    );
    let down = (reversible || next.layout.has_down_scripts()).then_some(down.as_str());
    next.files(&up, down)
}

/// The name of the next migration of a folder: its layout, version and
/// description, from which [`NextMigration::files`] makes its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextMigration {
    /// The folder's layout.
    pub layout: Layout,
    /// Its version as its name writes it (`0006`, `2025-09-19-140443`).
    pub version: String,
    /// Its description as its name writes it (`add_tags`).
    pub description: String,
}

/// The next migration after `entries` (file and folder names) in a folder
/// of `format`, described by `description`; `now` as for [`new_migration`].
pub fn next_migration(
    format: Option<Format>,
    entries: &[String],
    description: &str,
    now: u64,
) -> Result<NextMigration, String> {
    let description = description_of(description)?;
    let (found, mut numbering, latest) = style(entries);
    let layout = match format {
        Some(Format::Goose) => Layout::Goose,
        Some(Format::Dbmate) => Layout::Dbmate,
        Some(Format::Prisma) => Layout::Prisma,
        Some(Format::Drizzle) => {
            return Err("Drizzle's journal lists its migrations: create the file with `drizzle-kit generate --custom`, which enters it in `meta/_journal.json`".into())
        }
        _ => found,
    };
    if layout == Layout::Prisma {
        numbering = Numbering::Timestamp;
    }
    let version = match (numbering, layout) {
        (Numbering::Timestamp, Layout::Folders) => diesel_timestamp(now.max(latest + 1)),
        (Numbering::Timestamp, _) => now.max(latest + 1).to_string(),
        (Numbering::Sequence { width }, _) => format!("{:0width$}", latest + 1),
    };
    Ok(NextMigration {
        layout,
        version,
        description,
    })
}

impl Layout {
    /// Whether each migration of this layout has a down script (a file or
    /// a section), whether or not it is filled in.
    pub fn has_down_scripts(self) -> bool {
        matches!(self, Layout::Folders | Layout::Goose | Layout::Dbmate)
    }

    /// Whether a migration of this layout can have a down script at all.
    pub fn can_have_down_scripts(self) -> bool {
        !matches!(self, Layout::Refinery | Layout::Prisma)
    }
}

impl NextMigration {
    /// Its files, holding `up` and `down`: one file, up and down files, or
    /// sections, as the layout writes them.
    pub fn files(&self, up: &str, down: Option<&str>) -> Result<Vec<NewFile>, String> {
        let (version, description) = (&self.version, &self.description);
        let file = |path: String, text: &str| NewFile {
            path,
            text: text.to_string(),
        };
        let down_or_empty = down.unwrap_or("");
        Ok(match (self.layout, down) {
            (Layout::Refinery, Some(_)) => {
                return Err("this folder uses refinery's `V<n>__<description>.sql` names, which have no down scripts; a reversible migration is named `<version>_<description>.up.sql` and `.down.sql`".into())
            }
            (Layout::Refinery, None) => vec![file(format!("V{version}__{description}.sql"), up)],
            (Layout::Folders, _) => vec![
                file(format!("{version}_{description}/up.sql"), up),
                file(format!("{version}_{description}/down.sql"), down_or_empty),
            ],
            (Layout::Files, Some(down)) => vec![
                file(format!("{version}_{description}.up.sql"), up),
                file(format!("{version}_{description}.down.sql"), down),
            ],
            (Layout::Files, None) => vec![file(format!("{version}_{description}.sql"), up)],
            (Layout::Goose, _) => vec![file(
                format!("{version}_{description}.sql"),
                &format!("-- +goose Up\n{up}\n-- +goose Down\n{down_or_empty}"),
            )],
            (Layout::Dbmate, _) => vec![file(
                format!("{version}_{description}.sql"),
                &format!("-- migrate:up\n{up}\n-- migrate:down\n{down_or_empty}"),
            )],
            (Layout::Prisma, Some(_)) => {
                return Err("Prisma's migrations have no down scripts".into())
            }
            (Layout::Prisma, None) => {
                vec![file(format!("{version}_{description}/migration.sql"), up)]
            }
        })
    }
}

/// The layout, numbering and latest version of a folder's entries.
pub fn style(entries: &[String]) -> (Layout, Numbering, u64) {
    let mut layout = Layout::Files;
    let mut widths = Vec::new();
    let mut latest = 0;
    for entry in entries {
        let parsed = match entry.strip_suffix(".sql") {
            Some(_) => parse_file_name(entry).ok().map(|p| (p.version, false)),
            None => parse_folder_name(entry).ok().map(|(v, _)| (v, true)),
        };
        let Some((version, folder)) = parsed else {
            continue;
        };
        layout = if folder {
            Layout::Folders
        } else if entry.starts_with('V') {
            Layout::Refinery
        } else {
            Layout::Files
        };
        let digits = entry
            .trim_start_matches('V')
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .filter(char::is_ascii_digit)
            .count();
        widths.push(digits);
        latest = latest.max(version);
    }
    let numbering = if latest >= TIMESTAMP_FLOOR {
        Numbering::Timestamp
    } else {
        Numbering::Sequence {
            width: widths.into_iter().max().unwrap_or(4),
        }
    };
    (layout, numbering, latest)
}

/// `20250919140443` → diesel's `2025-09-19-140443`.
fn diesel_timestamp(version: u64) -> String {
    let digits = version.to_string();
    if digits.len() != 14 {
        return digits;
    }
    format!(
        "{}-{}-{}-{}",
        &digits[..4],
        &digits[4..6],
        &digits[6..8],
        &digits[8..]
    )
}

/// `Add tags` → `add_tags`; refuses what cannot be a description.
fn description_of(text: &str) -> Result<String, String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let description = words.join("_");
    let valid = !description.is_empty()
        && description
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(description)
    } else {
        Err(format!(
            "`{text}` cannot be a migration's description: use letters, digits, spaces, `-` or `_` (e.g. `add tags`)"
        ))
    }
}

/// The UTC time now as `YYYYMMDDHHMMSS`, from SQLite's clock.
pub fn utc_timestamp() -> u64 {
    rusqlite::Connection::open_in_memory()
        .and_then(|conn| {
            conn.query_row("SELECT strftime('%Y%m%d%H%M%S', 'now')", [], |row| {
                row.get::<_, String>(0)
            })
        })
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(TIMESTAMP_FLOOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 20_261_121_120_000;

    fn names(entries: &[&str], description: &str, reversible: bool) -> Vec<String> {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        new_migration(&entries, description, reversible, NOW)
            .unwrap()
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    #[test]
    fn follows_the_folders_numbering() {
        assert_eq!(names(&[], "Create users", false), ["0001_create_users.sql"]);
        assert_eq!(
            names(
                &[
                    "0001_a.sql",
                    "0009_b.up.sql",
                    "0009_b.down.sql",
                    "README.md"
                ],
                "add-tags",
                false
            ),
            ["0010_add_tags.sql"]
        );
        assert_eq!(names(&["1_a.sql", "2_b.sql"], "c", false), ["3_c.sql"]);
        assert_eq!(
            names(&["20250101000000_a.sql"], "b", true),
            ["20261121120000_b.up.sql", "20261121120000_b.down.sql"]
        );
        // A clock behind the latest version still orders the new one last.
        assert_eq!(
            names(&["20301231235959_a.sql"], "b", false),
            ["20301231235960_b.sql"]
        );
        assert_eq!(
            names(&["2030-12-31-235959_a"], "b", false),
            ["2030-12-31-235960_b/up.sql", "2030-12-31-235960_b/down.sql"]
        );
        // The width is the version's, not every digit of the name's.
        assert_eq!(names(&["0001_add_v2.sql"], "c", false), ["0002_c.sql"]);
    }

    #[test]
    fn follows_the_folders_layout() {
        assert_eq!(
            names(&["V1__a.sql", "V2__b.sql"], "c", false),
            ["V3__c.sql"]
        );
        assert_eq!(
            names(&["2025-09-19-140443_create_users"], "add tags", false),
            [
                "2026-11-21-120000_add_tags/up.sql",
                "2026-11-21-120000_add_tags/down.sql"
            ]
        );
        let refused = new_migration(&["V1__a.sql".to_string()], "b", true, NOW).unwrap_err();
        assert!(refused.contains("no down scripts"), "{refused}");
    }

    #[test]
    fn new_files_say_what_goes_in_them_and_names_are_checked() {
        let files = new_migration(&[], "add tags", true, NOW).unwrap();
        assert_eq!(files[0].text, "-- add_tags: the change, in SQL.\n");
        assert!(files[1].text.starts_with("-- Undo 0001_add_tags"));
        for bad in ["", "  ", "añadir", "drop;table"] {
            assert!(new_migration(&[], bad, false, NOW).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_clock_reads_as_a_timestamp() {
        let now = utc_timestamp();
        assert!(
            (20_260_000_000_000..30_000_000_000_000).contains(&now),
            "{now}"
        );
    }
}

#[cfg(test)]
mod layouts_of_other_tools {
    use super::*;
    use crate::folder::Folder;

    const NOW: u64 = 20_261_121_120_000;

    fn new_in(format: Format, entries: &[&str], reversible: bool) -> Result<Vec<NewFile>, String> {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        new_migration_in(Some(format), &entries, "add tags", reversible, NOW)
    }

    #[test]
    fn goose_and_dbmate_files_hold_both_sections_and_read_back_as_theirs() {
        for (format, first) in [
            (Format::Goose, "-- +goose Up\nCREATE TABLE a (x);\n"),
            (Format::Dbmate, "-- migrate:up\nCREATE TABLE a (x);\n"),
        ] {
            let files = new_in(format, &["00001_a.sql"], false).unwrap();
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].path, "00002_add_tags.sql");
            let base = tempfile::tempdir().unwrap();
            let folder = base.path().join("m");
            std::fs::create_dir(&folder).unwrap();
            std::fs::write(folder.join("00001_a.sql"), first).unwrap();
            std::fs::write(folder.join(&files[0].path), &files[0].text).unwrap();
            let read = Folder::read(base.path(), "m").unwrap();
            assert_eq!(read.format, format);
            // The down section holds a comment only, until it is written.
            assert!(read.sources[1].migration.down().is_none());
        }
    }

    #[test]
    fn prisma_takes_a_timestamped_folder_and_drizzle_its_own_tool() {
        let files = new_in(
            Format::Prisma,
            &["20240101000000_init", "migration_lock.toml"],
            false,
        )
        .unwrap();
        assert_eq!(files[0].path, "20261121120000_add_tags/migration.sql");
        assert!(new_in(Format::Prisma, &[], true)
            .unwrap_err()
            .contains("no down scripts"));
        let drizzle = new_in(Format::Drizzle, &["0000_a.sql", "meta"], false).unwrap_err();
        assert!(
            drizzle.contains("drizzle-kit generate --custom"),
            "{drizzle}"
        );
    }
}
