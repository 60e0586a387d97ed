//! Reading the files of a folder: its entries, their layout, the scripts
//! each layout holds, paired by version into migrations.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use migrate_sqlite::lex::has_statement;
use migrate_sqlite::{Checksum, Directive, Directives, Migration, Script};

use super::format::{is_go_migration, is_refinery_name, Format};
use super::sections::{self, Syntax};
use super::source::{Source, SourceFile};
use crate::config::{Config, CONFIG_FILE};
use crate::diagnostic::{Diagnostic, Location};
use crate::naming::{self, parse_file_name, parse_folder_name, FileKind};

/// One entry of the folder (not a hidden one).
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) file: SourceFile,
    pub(super) is_dir: bool,
}

/// A problem already added to the reader's errors.
struct Reported;

/// One script found, before the scripts are paired by version.
pub(super) struct Piece {
    pub(super) version: u64,
    pub(super) name: String,
    pub(super) kind: FileKind,
    pub(super) file: SourceFile,
    /// For goose and dbmate, the file's section that holds the script.
    pub(super) syntax: Option<Syntax>,
    /// What the layout says outside the script (diesel's `metadata.toml`).
    pub(super) directives: Directives,
}

/// The reading of one folder: what it found wrong, and the files it read.
pub(super) struct Reader {
    dir: String,
    texts: BTreeMap<PathBuf, Result<String, Diagnostic>>,
    pub(super) errors: Vec<Diagnostic>,
    pub(super) warnings: Vec<Diagnostic>,
    pub(super) tracked: Vec<PathBuf>,
}

impl Reader {
    /// The layout `entry` belongs to, if it says: `None` for a file that any
    /// layout ignores.
    fn format_of(&mut self, entry: &Entry) -> Option<Format> {
        let name = entry.name.as_str();
        if entry.is_dir {
            return if name == "meta" && entry.file.path.join("_journal.json").is_file() {
                Some(Format::Drizzle)
            } else if entry.file.path.join("migration.sql").is_file() {
                Some(Format::Prisma)
            } else if ["up.sql", "down.sql"]
                .iter()
                .any(|script| entry.file.path.join(script).is_file())
            {
                Some(Format::Diesel)
            } else if self.nested(entry).iter().any(|nested| {
                is_refinery_name(&nested.name)
                    && (nested.name.ends_with(".sql") || nested.name.ends_with(".rs"))
            }) {
                // refinery reads its folder's subfolders too.
                Some(Format::Refinery)
            } else {
                None
            };
        }
        if name == "migration_lock.toml" {
            return Some(Format::Prisma);
        }
        if is_refinery_name(name) && (name.ends_with(".sql") || name.ends_with(".rs")) {
            return Some(Format::Refinery);
        }
        if is_go_migration(name) {
            return Some(Format::Goose);
        }
        if !name.ends_with(".sql") {
            return None;
        }
        // A file that cannot be read is reported when it is read as a
        // script; here it says nothing.
        let text = self.text(&entry.file).ok()?;
        Some(match sections::syntax_of(text) {
            Some(Syntax::Goose) => Format::Goose,
            Some(Syntax::Dbmate) => Format::Dbmate,
            None => Format::Numbered,
        })
    }

    /// The layout of a folder whose entries are `entries`, `None` when no
    /// entry tells it; an error naming two files of different layouts when
    /// it mixes them.
    pub(super) fn detect(&mut self, entries: &[Entry]) -> Result<Option<Format>, Diagnostic> {
        let mut seen: Vec<(Format, &Entry)> = Vec::new();
        for entry in entries {
            if let Some(format) = self.format_of(entry) {
                if !seen.iter().any(|(known, _)| *known == format) {
                    seen.push((format, entry));
                }
            }
        }
        // Drizzle's migrations are numbered files that its journal orders.
        if seen.iter().any(|(format, _)| *format == Format::Drizzle) {
            seen.retain(|(format, _)| *format != Format::Numbered);
        }
        match seen.as_slice() {
            [] => Ok(None),
            [(format, _)] => Ok(Some(*format)),
            [(first, a), (second, b), ..] => Err(Diagnostic::file(
                &b.file.display,
                "the folder mixes the layouts of two migration tools",
            )
            .note(format!("`{}` is {}", a.file.display, first.looks()))
            .note(format!("`{}` is {}", b.file.display, second.looks()))
            .help(
                "a folder holds the migrations of one tool, as that tool reads them: \
                 rewrite the odd ones in the folder's layout, or move them out",
            )),
        }
    }

    pub(super) fn new(dir: &str) -> Self {
        Self {
            dir: dir.trim_end_matches('/').to_string(),
            texts: BTreeMap::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            tracked: Vec::new(),
        }
    }

    pub(super) fn display(&self, relative: &str) -> String {
        format!("{}/{relative}", self.dir)
    }

    /// The folder's entries in name order, hidden ones left out.
    pub(super) fn entries(&self, folder: &Path) -> Result<Vec<Entry>, Diagnostic> {
        if !folder.is_dir() {
            let problem = if folder.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            return Err(
                Diagnostic::file(&self.dir, format!("the migrations folder {problem}"))
                    .note(format!("looked for {}", folder.display()))
                    .help(
                        "the path is relative to the crate root, the folder that holds Cargo.toml",
                    ),
            );
        }
        self.entries_of(folder, &self.dir)
    }

    /// The entries of `folder`, shown as `display`, in name order; hidden
    /// ones left out.
    fn entries_of(&self, folder: &Path, display: &str) -> Result<Vec<Entry>, Diagnostic> {
        let read = fs::read_dir(folder).map_err(|error| {
            Diagnostic::file(display, format!("cannot read the folder: {error}"))
        })?;
        let mut entries: Vec<Entry> = read
            .filter_map(Result::ok)
            .map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                Entry {
                    is_dir: path.is_dir(),
                    file: SourceFile {
                        display: format!("{display}/{name}"),
                        path,
                    },
                    name,
                }
            })
            .filter(|entry| !entry.name.starts_with('.'))
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// A file's text: UTF-8 without a byte order mark, and no NUL byte.
    /// Read once, however often it is asked for.
    fn text(&mut self, file: &SourceFile) -> Result<&str, Diagnostic> {
        let text = self
            .texts
            .entry(file.path.clone())
            .or_insert_with(|| read_text(file));
        text.as_deref().map_err(Clone::clone)
    }

    /// The files under the folder `entry`, at any depth, hidden ones left
    /// out, in name order.
    fn nested(&self, entry: &Entry) -> Vec<Entry> {
        let Ok(entries) = self.entries_of(&entry.file.path, &entry.file.display) else {
            return Vec::new();
        };
        entries
            .into_iter()
            .flat_map(|nested| match nested.is_dir {
                true => self.nested(&nested),
                false => vec![nested],
            })
            .collect()
    }

    /// The scripts of a layout of files: numbered, refinery, goose, dbmate.
    pub(super) fn files(&mut self, entries: &[Entry], format: Format) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut entries: Vec<&Entry> = entries.iter().collect();
        // refinery reads the folder's subfolders too, and in them only its
        // own names.
        let nested: Vec<Entry> = match format {
            Format::Refinery => {
                let nested: Vec<Entry> = entries
                    .iter()
                    .filter(|e| e.is_dir)
                    .flat_map(|e| self.nested(e))
                    .collect();
                let (read, skipped): (Vec<Entry>, Vec<Entry>) =
                    nested.into_iter().partition(|e| is_refinery_name(&e.name));
                for entry in skipped.iter().filter(|e| e.name.ends_with(".sql")) {
                    self.warnings.push(
                        Diagnostic::file(
                            &entry.file.display,
                            "not named `V<version>__<name>.sql`: refinery does not run this \
                             file of a subfolder, and neither does this toolkit",
                        )
                        .help("rename it `V<version>__<name>.sql` to make it a migration, or move it out of the folder"),
                    );
                }
                read
            }
            _ => Vec::new(),
        };
        entries.retain(|entry| !(format == Format::Refinery && entry.is_dir));
        entries.extend(&nested);
        for entry in entries {
            if entry.is_dir {
                self.unexpected_folder(entry);
                continue;
            }
            if format == Format::Refinery
                && entry.name.ends_with(".rs")
                && is_refinery_name(&entry.name)
            {
                self.errors
                    .push(code_migration(&entry.file, "refinery", ".rs"));
                continue;
            }
            if format == Format::Goose && is_go_migration(&entry.name) {
                self.errors
                    .push(code_migration(&entry.file, "goose", ".go"));
                continue;
            }
            if !entry.name.ends_with(".sql") {
                continue;
            }
            let parsed = match parse_file_name(&entry.name) {
                Ok(parsed) => parsed,
                Err(why) => {
                    let why = why.replace(naming::FORMS, format.file_forms());
                    self.errors.push(
                        Diagnostic::file(
                            &entry.file.display,
                            "this looks like a migration, but its name does not parse",
                        )
                        .note(why),
                    );
                    continue;
                }
            };
            let syntax = match format {
                Format::Goose => Some(Syntax::Goose),
                Format::Dbmate => Some(Syntax::Dbmate),
                _ => None,
            };
            let piece = |kind| Piece {
                version: parsed.version,
                name: parsed.name.clone(),
                kind,
                file: entry.file.clone(),
                syntax,
                directives: Directives::NONE,
            };
            pieces.push(piece(parsed.kind));
            // A sectioned file holds its down script too, when it has a
            // down section.
            if let Some(syntax) = syntax {
                let has_down = self.text(&entry.file).is_ok_and(|text| {
                    sections::split(text, syntax).is_ok_and(|split| split.down.is_some())
                });
                if has_down {
                    pieces.push(piece(FileKind::Down));
                }
            }
        }
        pieces
    }

    /// The scripts of a layout of folders, `<version>_<name>/` holding `up`
    /// and, optionally, `down`: diesel's and Prisma's.
    pub(super) fn folders(
        &mut self,
        entries: &[Entry],
        up: &str,
        down: Option<&str>,
    ) -> Vec<Piece> {
        let mut pieces = Vec::new();
        for entry in entries {
            if !entry.is_dir {
                continue;
            }
            let scripts: Vec<(&str, FileKind)> = std::iter::once((up, FileKind::Up))
                .chain(down.map(|down| (down, FileKind::Down)))
                .filter(|(file, _)| entry.file.path.join(file).is_file())
                .collect();
            let (version, name) = match (parse_folder_name(&entry.name), scripts.is_empty()) {
                (Err(_), true) => continue,
                (Ok(_), true) => {
                    self.errors.push(
                        Diagnostic::file(
                            &entry.file.display,
                            format!("this folder is named like a migration but holds no `{up}`"),
                        )
                        .help(format!("put the migration's SQL in `{up}`")),
                    );
                    continue;
                }
                (Err(why), false) => {
                    self.errors.push(
                        Diagnostic::file(
                            &entry.file.display,
                            "this looks like a migration folder, but its name does not parse",
                        )
                        .note(why),
                    );
                    continue;
                }
                (Ok(parsed), false) => parsed,
            };
            let directives = self.diesel_metadata(entry);
            for (file, kind) in scripts {
                pieces.push(Piece {
                    version,
                    name: name.clone(),
                    kind,
                    file: SourceFile {
                        display: format!("{}/{file}", entry.file.display),
                        path: entry.file.path.join(file),
                    },
                    syntax: None,
                    directives,
                });
            }
        }
        pieces
    }

    /// A folder in a layout of files: one named like a migration is one in
    /// the wrong place; others are left alone.
    fn unexpected_folder(&mut self, entry: &Entry) {
        let holds_sql = ["up.sql", "down.sql", "migration.sql"]
            .iter()
            .any(|file| entry.file.path.join(file).is_file());
        if parse_folder_name(&entry.name).is_ok() && !holds_sql {
            self.errors.push(
                Diagnostic::file(
                    &entry.file.display,
                    "this folder is named like a migration but holds no `up.sql`",
                )
                .help("put the migration's SQL in `up.sql` (and its revert in `down.sql`)"),
            );
        }
    }

    /// diesel's `metadata.toml` beside `up.sql`: `run_in_transaction = false`
    /// is this toolkit's `no-transaction`.
    fn diesel_metadata(&mut self, entry: &Entry) -> Directives {
        let path = entry.file.path.join("metadata.toml");
        let Ok(text) = fs::read_to_string(&path) else {
            return Directives::NONE;
        };
        self.tracked.push(path);
        let outside = text.lines().any(|line| {
            let line = line.split('#').next().unwrap_or("");
            let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            compact == "run_in_transaction=false"
        });
        if outside {
            Directives::NONE.with(Directive::NoTransaction)
        } else {
            Directives::NONE
        }
    }

    /// Prisma's `migration_lock.toml` names the database the migrations
    /// were written for.
    pub(super) fn prisma_lock(&mut self, folder: &Path) {
        let path = folder.join("migration_lock.toml");
        let Ok(text) = fs::read_to_string(&path) else {
            return;
        };
        self.tracked.push(path);
        let provider = text.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "provider").then(|| value.trim().trim_matches('"').to_string())
        });
        if let Some(provider) = provider.filter(|p| p != "sqlite") {
            self.errors.push(
                Diagnostic::file(
                    self.display("migration_lock.toml"),
                    format!("these migrations were written for `{provider}`, not SQLite"),
                )
                .help("point `embed_migrations!` at a folder of SQLite migrations"),
            );
        }
    }

    /// The folder's `migrate.toml`, tracked; the default when it has none.
    pub(super) fn config(&mut self, folder: &Path) -> Config {
        match Config::read(folder, &self.display(CONFIG_FILE)) {
            Ok(config) => {
                if config.present {
                    self.tracked.push(Config::path(folder));
                }
                config
            }
            Err(error) => {
                self.errors.push(error);
                Config::default()
            }
        }
    }

    /// Pairs the pieces by version and reads their scripts.
    pub(super) fn migrations(&mut self, pieces: Vec<Piece>, format: Format) -> Vec<Source> {
        let mut by_version: BTreeMap<u64, Vec<Piece>> = BTreeMap::new();
        for piece in pieces {
            by_version.entry(piece.version).or_default().push(piece);
        }
        let mut sources = Vec::new();
        for (version, pieces) in by_version {
            let Some((up, down)) = self.pair(version, pieces) else {
                continue;
            };
            if let Some(source) = self.source(up, down, format) {
                sources.push(source);
            }
        }
        sources
    }

    /// The up and down script of one version; `None`, with the errors
    /// said, when they do not make one migration. Up and down pair by
    /// version alone, as sqlx and golang-migrate pair them.
    fn pair(&mut self, version: u64, pieces: Vec<Piece>) -> Option<(Piece, Option<Piece>)> {
        let (mut ups, mut downs): (Vec<_>, Vec<_>) = pieces
            .into_iter()
            .partition(|piece| piece.kind == FileKind::Up);
        let errors_before = self.errors.len();
        for same_kind in [&ups, &downs] {
            for extra in same_kind.iter().skip(1) {
                self.errors.push(
                    Diagnostic::file(
                        &extra.file.display,
                        format!("version {version} is used twice"),
                    )
                    .note(format!(
                        "`{}` has the same version",
                        same_kind[0].file.display
                    ))
                    .help("every migration needs a version of its own: renumber one of them"),
                );
            }
        }
        if ups.is_empty() {
            let down = &downs[0].file;
            let up_name = down
                .display
                .replace(".down.sql", ".up.sql")
                .replace("/down.sql", "/up.sql");
            self.errors.push(
                Diagnostic::file(&down.display, "this down script has no up script").help(format!(
                    "add `{up_name}` with the SQL that applies the migration, \
                         or delete the down script"
                )),
            );
        }
        if self.errors.len() > errors_before {
            return None;
        }
        let up = ups.swap_remove(0);
        Some((up, downs.pop()))
    }

    fn source(&mut self, up: Piece, down: Option<Piece>, format: Format) -> Option<Source> {
        // Both read before either is given up on, so that both are reported.
        let up_script = self.script(&up, format);
        let down_script = match &down {
            Some(down) => self.script(down, format),
            None => Ok(None),
        };
        let (Ok(Some(up_script)), Ok(down_script)) = (up_script, down_script) else {
            return None;
        };
        let checksum = Checksum::of(up_script.sql());
        let down_file = down.filter(|_| down_script.is_some()).map(|down| down.file);
        Some(Source {
            migration: Migration::new(up.version, up.name, up_script, down_script, checksum),
            up_file: up.file,
            down_file,
            sealed: false,
        })
    }

    /// One script, with its directives; `Ok(None)` for a down script
    /// without a statement, which leaves the migration without one.
    fn script(&mut self, piece: &Piece, format: Format) -> Result<Option<Script>, Reported> {
        let display = piece.file.display.clone();
        let text = match self.text(&piece.file) {
            Ok(text) => text.to_string(),
            Err(error) => {
                // A sectioned file's down piece reports nothing twice.
                if piece.kind == FileKind::Up || piece.syntax.is_none() {
                    self.errors.push(error);
                }
                return Err(Reported);
            }
        };
        let mut directives = piece.directives;
        let text = match piece.syntax {
            None => text,
            Some(syntax) => match sections::split(&text, syntax) {
                Ok(split) => {
                    let section = match piece.kind {
                        FileKind::Up => split.up,
                        FileKind::Down => match split.down {
                            Some(down) => down,
                            None => return Ok(None),
                        },
                    };
                    if section.no_transaction {
                        directives = directives.with(Directive::NoTransaction);
                    }
                    section.text
                }
                Err(error) => {
                    if piece.kind == FileKind::Up {
                        self.errors.push(Diagnostic {
                            location: Some(line_location(&text, error.line, 1)),
                            ..Diagnostic::file(&display, error.message)
                        });
                    }
                    return Err(Reported);
                }
            },
        };
        if runs_alone(format, &text) {
            directives = directives.with(Directive::NoTransaction);
        }
        // "Nothing to undo", said in a comment or an empty file: the
        // migration has no down script, and reverting it is refused. An up
        // script without a statement is a migration that changes nothing
        // (the `empty-migration` lint says so).
        if piece.kind == FileKind::Down && !has_statement(&text) {
            return Ok(None);
        }
        match Directives::parse_given(&text, directives) {
            Ok(all) => Ok(Some(Script::owned(text, all))),
            Err(error) => {
                self.errors.push(Diagnostic {
                    location: Some(line_location(&text, error.line, error.column)),
                    ..Diagnostic::file(&display, error.message)
                });
                Err(Reported)
            }
        }
    }
}

/// Whether a file says, in its own tool's way, that it runs outside a
/// transaction: sqlx's `-- no-transaction` first line, refinery's
/// `-- refinery:noTransaction` line.
fn runs_alone(format: Format, text: &str) -> bool {
    match format {
        Format::Numbered => text.starts_with("-- no-transaction"),
        Format::Refinery => text.lines().any(is_refinery_no_transaction),
        _ => false,
    }
}

/// refinery's `^-{2,}\s?refinery:noTransaction$`: `-- refinery:noTransaction`,
/// with two dashes or more and one space or none.
fn is_refinery_no_transaction(line: &str) -> bool {
    let line = line.trim();
    let marker = line.trim_start_matches('-');
    let marker = marker.strip_prefix(char::is_whitespace).unwrap_or(marker);
    line.len() - line.trim_start_matches('-').len() >= 2 && marker == "refinery:noTransaction"
}

/// A Go or Rust migration, which no SQLite can run at compile time.
fn code_migration(file: &SourceFile, tool: &str, extension: &str) -> Diagnostic {
    let name = file.display.rsplit('/').next().unwrap_or(&file.display);
    let sql = format!("{}.sql", name.strip_suffix(extension).unwrap_or(name));
    Diagnostic::file(
        &file.display,
        format!("a {tool} migration written in code cannot be checked or embedded"),
    )
    .note("only SQL migrations run at compile time and ship in the binary")
    .help(format!(
        "port it to SQL as `{sql}`, in place of this file, or do its work in the application after migrating"
    ))
}

/// The location of line `line`, column `column` of `text`, quoting the line.
fn line_location(text: &str, line: usize, column: usize) -> Location {
    Location {
        line,
        column,
        line_text: text.lines().nth(line - 1).unwrap_or("").to_string(),
    }
}

/// Reads one file as SQL: UTF-8, less a byte order mark, without NUL.
pub(crate) fn read_text(file: &SourceFile) -> Result<String, Diagnostic> {
    let bytes = fs::read(&file.path).map_err(|error| {
        Diagnostic::file(&file.display, format!("cannot read the file: {error}"))
    })?;
    let text = String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(error.as_bytes());
        Diagnostic::at(&file.display, &lossy, offset, "the file is not valid UTF-8")
            .help("SQLite reads SQL as UTF-8: save the file as UTF-8")
    })?;
    let text = match text.strip_prefix('\u{feff}') {
        Some(without_bom) => without_bom.to_string(),
        None => text,
    };
    if let Some(offset) = text.find('\0') {
        return Err(
            Diagnostic::at(&file.display, &text, offset, "the file holds a NUL byte")
                .help("SQLite stops reading SQL at a NUL byte: remove it"),
        );
    }
    Ok(text)
}
