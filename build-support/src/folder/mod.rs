//! Reading a migrations folder, in the layout of any of the common migration
//! tools (see [`Format`]), into ordered, parsed, checksummed migrations.

mod drizzle;
mod format;
mod intent;
pub(crate) mod seal;
mod sections;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use migrate_sqlite::lex::has_statement;
use migrate_sqlite::{Checksum, Directive, Directives, Migration, Script};

use crate::config::{Config, CONFIG_FILE};
use crate::diagnostic::{Diagnostic, Location};
use crate::naming::{parse_file_name, parse_folder_name, FileKind};
use crate::setup::Setup;

pub use format::Format;
use sections::Syntax;

/// A migration read from a folder, with the files it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The migration, exactly as the macro embeds it.
    pub migration: Migration,
    /// Its up script's file.
    pub up_file: SourceFile,
    /// Its down script's file, if it has one: the up script's own file for
    /// goose and dbmate, which keep both in one.
    pub down_file: Option<SourceFile>,
    /// Recorded as shipped in the folder's seal, with this checksum: its
    /// findings are not errors.
    pub sealed: bool,
}

/// Where a script was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// As messages show it: relative to the crate root, e.g. `migrations/0001_init.sql`.
    pub display: String,
    /// The absolute path, for the compiler to track.
    pub path: PathBuf,
}

/// A migrations folder, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    /// The layout its files follow.
    pub format: Format,
    /// Its migrations, ordered by version.
    pub sources: Vec<Source>,
    /// What the build says without failing: a file Drizzle's journal leaves
    /// out.
    pub warnings: Vec<Diagnostic>,
    /// Files besides the scripts that what was read depends on (Drizzle's
    /// journal, diesel's `metadata.toml`, `migrate.toml`), for the compiler
    /// to track.
    pub tracked: Vec<PathBuf>,
    /// The folder's `migrate.toml`.
    pub config: Config,
    /// The functions and extensions it declares, extension paths resolved.
    pub setup: Setup,
    /// What the build says of how a file runs: intent its SQL states in
    /// the way of the tool it was written for, honoured here (see
    /// `intent.rs`). Neither a warning nor an error.
    pub notes: Vec<Diagnostic>,
}

/// Reads the migrations of `base/dir`: [`Folder::read`]'s migrations.
pub fn read_folder(base: &Path, dir: &str) -> Result<Vec<Source>, Vec<Diagnostic>> {
    Folder::read(base, dir).map(|folder| folder.sources)
}

impl Folder {
    /// Reads every migration in `base/dir`, in the layout its files follow.
    ///
    /// All problems are reported together, so that one build shows every bad
    /// file rather than one per build.
    pub fn read(base: &Path, dir: &str) -> Result<Folder, Vec<Diagnostic>> {
        let mut folder = Self::read_unsealed(base, dir)?;
        let errors = seal::apply(&mut folder, dir);
        if errors.is_empty() {
            intent::honour(&mut folder);
            Ok(folder)
        } else {
            Err(errors)
        }
    }

    /// [`Folder::read`] without comparing the migrations with the seal:
    /// for `migrate seal`, which writes it. No migration is marked sealed.
    pub fn read_unsealed(base: &Path, dir: &str) -> Result<Folder, Vec<Diagnostic>> {
        let path = base.join(dir);
        let mut reader = Reader::new(dir);
        let entries = reader.entries(&path).map_err(|error| vec![error])?;
        let format = Format::detect(&entries, &mut reader).map_err(|error| vec![error])?;
        let pieces = match format {
            Format::Numbered | Format::Refinery | Format::Goose | Format::Dbmate => {
                reader.files(&entries, format)
            }
            Format::Diesel => reader.folders(&entries, "up.sql", Some("down.sql")),
            Format::Prisma => {
                reader.prisma_lock(&path);
                reader.folders(&entries, "migration.sql", None)
            }
            Format::Drizzle => drizzle::pieces(&mut reader, &entries),
        };
        let sources = reader.migrations(pieces, format);
        let config = reader.config(&path);
        if reader.errors.is_empty() && sources.is_empty() {
            reader.errors.push(
                Diagnostic::file(dir, "the folder holds no migrations").help(
                    "add one, such as `0001_create_users.sql`; see the forms listed in the README",
                ),
            );
        }
        if !reader.errors.is_empty() {
            return Err(reader.errors);
        }
        Ok(Folder {
            format,
            sources,
            warnings: reader.warnings,
            tracked: reader.tracked,
            setup: Setup::of(&config, base),
            config,
            notes: Vec::new(),
        })
    }
}

/// One entry of the folder (not a hidden one).
pub(crate) struct Entry {
    name: String,
    file: SourceFile,
    is_dir: bool,
}

/// A problem already added to the reader's errors.
struct Reported;

/// One script found, before the scripts are paired by version.
struct Piece {
    version: u64,
    name: String,
    kind: FileKind,
    file: SourceFile,
    /// For goose and dbmate, the file's section that holds the script.
    syntax: Option<Syntax>,
    /// What the layout says outside the script (diesel's `metadata.toml`).
    directives: Directives,
}

/// The reading of one folder: what it found wrong, and the files it read.
pub(crate) struct Reader {
    dir: String,
    texts: BTreeMap<PathBuf, Result<String, Diagnostic>>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    tracked: Vec<PathBuf>,
}

impl Reader {
    fn new(dir: &str) -> Self {
        Self {
            dir: dir.trim_end_matches('/').to_string(),
            texts: BTreeMap::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            tracked: Vec::new(),
        }
    }

    fn display(&self, relative: &str) -> String {
        format!("{}/{relative}", self.dir)
    }

    /// The folder's entries in name order, hidden ones left out.
    fn entries(&self, folder: &Path) -> Result<Vec<Entry>, Diagnostic> {
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
        let read = fs::read_dir(folder).map_err(|error| {
            Diagnostic::file(&self.dir, format!("cannot read the folder: {error}"))
        })?;
        let mut entries: Vec<Entry> = read
            .filter_map(Result::ok)
            .map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                Entry {
                    is_dir: path.is_dir(),
                    file: SourceFile {
                        display: self.display(&name),
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

    /// The scripts of a layout of files: numbered, refinery, goose, dbmate.
    fn files(&mut self, entries: &[Entry], format: Format) -> Vec<Piece> {
        let mut pieces = Vec::new();
        for entry in entries {
            if entry.is_dir {
                self.unexpected_folder(entry);
                continue;
            }
            if format == Format::Refinery && entry.name.ends_with(".rs") {
                self.errors
                    .push(code_migration(&entry.file, "refinery", ".rs"));
                continue;
            }
            if format == Format::Goose && format::is_go_migration(&entry.name) {
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
    fn folders(&mut self, entries: &[Entry], up: &str, down: Option<&str>) -> Vec<Piece> {
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
    fn prisma_lock(&mut self, folder: &Path) {
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
    fn config(&mut self, folder: &Path) -> Config {
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
    fn migrations(&mut self, pieces: Vec<Piece>, format: Format) -> Vec<Source> {
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
        if format == Format::Numbered && text.starts_with("-- no-transaction") {
            // sqlx's own directive, on the first line.
            directives = directives.with(Directive::NoTransaction);
        }
        // "Nothing to undo", said in a comment or an empty file: the
        // migration has no down script, and reverting it is refused. An up
        // script without a statement is a migration that changes nothing
        // (the `empty-migration` lint says so).
        if piece.kind == FileKind::Down && !has_statement(&text) {
            return Ok(None);
        }
        match Directives::parse(&text) {
            Ok(parsed) => {
                let mut all = directives;
                for directive in parsed.iter() {
                    all = all.with(directive);
                }
                Ok(Some(Script::owned(text, all)))
            }
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
fn read_text(file: &SourceFile) -> Result<String, Diagnostic> {
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

#[cfg(test)]
mod tests;
