//! Discovery: from a folder to ordered, parsed, checksummed migrations.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use migrate_sqlite::{Checksum, Directives, Migration, Script};

use crate::diagnostic::{Diagnostic, Location};
use crate::naming::{parse_file_name, parse_folder_name, FileKind};
use migrate_sqlite::lex::has_statement;

/// A migration read from a folder, with the files it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The migration, exactly as the macro embeds it.
    pub migration: Migration,
    /// Its up script's file.
    pub up_file: SourceFile,
    /// Its down script's file, if it has one.
    pub down_file: Option<SourceFile>,
}

/// Where a script was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// As messages show it: relative to the crate root, e.g. `migrations/0001_init.sql`.
    pub display: String,
    /// The absolute path, for the compiler to track.
    pub path: PathBuf,
}

/// One file found in the folder, before grouping by version.
struct Found {
    version: u64,
    name: String,
    kind: FileKind,
    file: SourceFile,
}

/// Reads every migration in `base/dir`, ordered by version.
///
/// All problems are reported together, so that one build shows every bad
/// file rather than one per build.
pub fn read_folder(base: &Path, dir: &str) -> Result<Vec<Source>, Vec<Diagnostic>> {
    let folder = base.join(dir);
    if !folder.is_dir() {
        let problem = if folder.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        return Err(vec![Diagnostic::file(
            dir,
            format!("the migrations folder {problem}"),
        )
        .note(format!("looked for {}", folder.display()))
        .help(
            "the path is relative to the crate root, the folder that holds Cargo.toml",
        )]);
    }

    let mut errors = Vec::new();
    let found = find_files(&folder, dir, &mut errors);
    let mut by_version: BTreeMap<u64, Vec<Found>> = BTreeMap::new();
    for file in found {
        by_version.entry(file.version).or_default().push(file);
    }
    let mut sources = Vec::new();
    for (version, files) in by_version {
        match pair_scripts(version, files).and_then(read_source) {
            Ok(source) => sources.push(source),
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    if errors.is_empty() && sources.is_empty() {
        errors.push(
            Diagnostic::file(dir, "the folder holds no migrations").help(
                "add one, such as `0001_create_users.sql`; see the forms listed in the README",
            ),
        );
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(errors)
    }
}

/// Every migration script in the folder, in file-name order.
fn find_files(folder: &Path, dir: &str, errors: &mut Vec<Diagnostic>) -> Vec<Found> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(Diagnostic::file(
                dir,
                format!("cannot read the folder: {error}"),
            ));
            return Vec::new();
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());

    let mut found = Vec::new();
    for entry in entries {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with('.') {
            continue;
        }
        let display = format!("{}/{file_name}", dir.trim_end_matches('/'));
        let path = entry.path();
        if path.is_dir() {
            found_in_folder(&path, &file_name, &display, &mut found, errors);
        } else if file_name.ends_with(".sql") {
            match parse_file_name(&file_name) {
                Ok(parsed) => found.push(Found {
                    version: parsed.version,
                    name: parsed.name,
                    kind: parsed.kind,
                    file: SourceFile { display, path },
                }),
                Err(why) => errors.push(
                    Diagnostic::file(
                        display,
                        "this looks like a migration, but its name does not parse",
                    )
                    .note(why),
                ),
            }
        }
    }
    found
}

/// A diesel-style folder: `<version>_<name>/up.sql` and `down.sql`. Other
/// folders are not migrations and are left alone.
fn found_in_folder(
    path: &Path,
    folder_name: &str,
    display: &str,
    found: &mut Vec<Found>,
    errors: &mut Vec<Diagnostic>,
) {
    let scripts: Vec<_> = [("up.sql", FileKind::Up), ("down.sql", FileKind::Down)]
        .into_iter()
        .filter(|(file, _)| path.join(file).is_file())
        .collect();
    let parsed = parse_folder_name(folder_name);
    match (&parsed, scripts.is_empty()) {
        (Err(_), true) => {}
        (Ok(_), true) => errors.push(
            Diagnostic::file(
                display,
                "this folder is named like a migration but holds no `up.sql`",
            )
            .help("put the migration's SQL in `up.sql` (and its revert in `down.sql`)"),
        ),
        (Err(why), false) => errors.push(
            Diagnostic::file(
                display,
                "this looks like a migration folder, but its name does not parse",
            )
            .note(why),
        ),
        (Ok((version, name)), false) => {
            for (file, kind) in scripts {
                found.push(Found {
                    version: *version,
                    name: name.clone(),
                    kind,
                    file: SourceFile {
                        display: format!("{display}/{file}"),
                        path: path.join(file),
                    },
                });
            }
        }
    }
}

/// The up and down script of one version, or why they do not make a migration.
fn pair_scripts(
    version: u64,
    files: Vec<Found>,
) -> Result<(Found, Option<Found>), Vec<Diagnostic>> {
    let (mut ups, mut downs): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|file| file.kind == FileKind::Up);
    let mut errors = Vec::new();
    for same_kind in [&ups, &downs] {
        for extra in same_kind.iter().skip(1) {
            errors.push(
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
        errors.push(
            Diagnostic::file(&down.display, "this down script has no up script")
                .help(format!("add `{up_name}` with the SQL that applies the migration, or delete the down script")),
        );
    } else if let Some(down) = downs.first().filter(|down| down.name != ups[0].name) {
        errors.push(
            Diagnostic::file(
                &down.file.display,
                "this down script has no up script of the same name",
            )
            .note(format!(
                "`{}` has version {version} but the description `{}`",
                ups[0].file.display, ups[0].name
            ))
            .help("give the up and the down script the same description"),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let up = ups.swap_remove(0);
    Ok((up, downs.pop()))
}

fn read_source((up, down): (Found, Option<Found>)) -> Result<Source, Vec<Diagnostic>> {
    let up_script = read_script(&up.file, FileKind::Up);
    let down_script = down
        .as_ref()
        .map(|down| read_script(&down.file, FileKind::Down));
    let (up_script, down_script) = match (up_script, down_script.transpose()) {
        (Ok(up), Ok(down)) => (up, down),
        (up, down) => return Err(up.err().into_iter().chain(down.err()).collect()),
    };
    let checksum = Checksum::of(up_script.sql());
    Ok(Source {
        migration: Migration::new(up.version, up.name, up_script, down_script, checksum),
        up_file: up.file,
        down_file: down.map(|down| down.file),
    })
}

/// Reads one script: UTF-8, not empty, with valid directives.
fn read_script(file: &SourceFile, kind: FileKind) -> Result<Script, Diagnostic> {
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
    if !has_statement(&text) {
        let (what, help) = match kind {
            FileKind::Up => (
                "the migration",
                "write the migration's SQL, or delete the file",
            ),
            FileKind::Down => (
                "the down script",
                "write the SQL that reverts the migration, or delete the file to make \
                 the migration irreversible",
            ),
        };
        return Err(Diagnostic::file(
            &file.display,
            format!("{what} is empty: it holds no SQL statement"),
        )
        .help(help));
    }
    let directives = Directives::parse(&text).map_err(|error| Diagnostic {
        location: Some(Location {
            line: error.line,
            column: error.column,
            line_text: text.lines().nth(error.line - 1).unwrap_or("").to_string(),
        }),
        ..Diagnostic::file(&file.display, error.message)
    })?;
    Ok(Script::owned(text, directives))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let base = tempfile::tempdir().unwrap();
        for (name, contents) in files {
            let path = base.path().join("m").join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        base
    }

    fn errors(files: &[(&str, &[u8])]) -> Vec<String> {
        let base = folder(files);
        let errors = read_folder(base.path(), "m").unwrap_err();
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn strips_a_byte_order_mark_before_checksumming() {
        let base = folder(&[
            ("1_a.sql", b"\xef\xbb\xbfCREATE TABLE a (x);"),
            ("2_b.sql", b"CREATE TABLE a (x);"),
        ]);
        let sources = read_folder(base.path(), "m").unwrap();
        assert_eq!(sources[0].migration.up().sql(), "CREATE TABLE a (x);");
        assert_eq!(
            sources[0].migration.checksum(),
            sources[1].migration.checksum()
        );
    }

    #[test]
    fn ignores_other_files_hidden_files_and_unrelated_folders() {
        let base = folder(&[
            ("1_a.sql", b"CREATE TABLE a (x);"),
            ("README.md", b"notes"),
            (".1_a.sql.swp", b"\xff"),
            ("seeds/data.txt", b"x"),
        ]);
        assert_eq!(read_folder(base.path(), "m").unwrap().len(), 1);
    }

    #[test]
    fn reads_diesel_folders_with_their_down() {
        let base = folder(&[
            ("2025-01-02-030405_init/up.sql", b"CREATE TABLE a (x);"),
            ("2025-01-02-030405_init/down.sql", b"DROP TABLE a;"),
        ]);
        let sources = read_folder(base.path(), "m").unwrap();
        let migration = &sources[0].migration;
        assert_eq!(
            (migration.version(), migration.name()),
            (20250102030405, "init")
        );
        assert_eq!(migration.down().unwrap().sql(), "DROP TABLE a;");
        assert_eq!(
            sources[0].up_file.display,
            "m/2025-01-02-030405_init/up.sql"
        );
    }

    #[test]
    fn a_migration_folder_without_up_sql_is_an_error() {
        let found = errors(&[("0003_x/notes.txt", b"")]);
        assert!(found[0].contains("holds no `up.sql`"), "{found:?}");
    }

    #[test]
    fn up_and_down_must_share_the_description() {
        let found = errors(&[("2_a.up.sql", b"SELECT 1;"), ("2_b.down.sql", b"SELECT 1;")]);
        assert!(
            found[0]
                .starts_with("m/2_b.down.sql: this down script has no up script of the same name"),
            "{found:?}"
        );
    }

    #[test]
    fn an_empty_down_says_how_to_make_the_migration_irreversible() {
        let found = errors(&[
            ("2_a.up.sql", b"SELECT 1;"),
            ("2_a.down.sql", b"-- nothing\n"),
        ]);
        assert!(found[0].contains("the down script is empty"), "{found:?}");
        assert!(found[0].contains("irreversible"), "{found:?}");
    }

    #[test]
    fn a_misplaced_directive_is_reported_at_its_line() {
        let found = errors(&[("1_a.sql", b"SELECT 1;\n-- migrate: no-transaction\n")]);
        assert!(
            found[0].starts_with("m/1_a.sql:2:1: a directive must be at the top"),
            "{found:?}"
        );
        // The line quoted is the one named.
        assert!(
            found[0].contains("\n2 | -- migrate: no-transaction\n"),
            "{found:?}"
        );
    }
}

#[cfg(test)]
mod properties {
    use std::collections::BTreeSet;

    use proptest::collection::{btree_set, vec};
    use proptest::prelude::*;
    use proptest::sample::Index;

    use super::*;

    /// How one migration is written in the folder.
    #[derive(Clone, Debug)]
    enum Form {
        Plain,
        UpOnly,
        UpAndDown,
        Refinery,
        /// A diesel folder, its version with a dash after these digits.
        Diesel {
            down: bool,
            dashes: Vec<Index>,
        },
    }

    #[derive(Clone, Debug)]
    struct Written {
        version: u64,
        zeros: usize,
        name: String,
        form: Form,
        bom: bool,
        crlf: bool,
    }

    impl Written {
        fn version_text(&self) -> String {
            let digits = format!("{}{}", "0".repeat(self.zeros), self.version);
            match &self.form {
                Form::Diesel { dashes, .. } => {
                    let after: BTreeSet<_> =
                        dashes.iter().map(|at| at.index(digits.len())).collect();
                    let mut dashed = String::new();
                    for (index, digit) in digits.chars().enumerate() {
                        dashed.push(digit);
                        if after.contains(&index) {
                            dashed.push('-');
                        }
                    }
                    dashed
                }
                _ => digits,
            }
        }

        /// The up script's path in the folder, and the down script's.
        fn paths(&self) -> (String, Option<String>) {
            let (v, name) = (self.version_text(), &self.name);
            match &self.form {
                Form::Plain => (format!("{v}_{name}.sql"), None),
                Form::UpOnly => (format!("{v}_{name}.up.sql"), None),
                Form::UpAndDown => (
                    format!("{v}_{name}.up.sql"),
                    Some(format!("{v}_{name}.down.sql")),
                ),
                Form::Refinery => (format!("V{v}__{name}.sql"), None),
                Form::Diesel { down, .. } => (
                    format!("{v}_{name}/up.sql"),
                    down.then(|| format!("{v}_{name}/down.sql")),
                ),
            }
        }

        /// The up script as it should read, LF and no byte order mark.
        fn up_sql(&self) -> String {
            format!("-- {}\nCREATE TABLE t{} (x);\n", self.name, self.version)
        }

        fn on_disk(&self, sql: &str) -> Vec<u8> {
            let sql = if self.crlf {
                sql.replace('\n', "\r\n")
            } else {
                sql.to_string()
            };
            let bom = if self.bom { "\u{feff}" } else { "" };
            format!("{bom}{sql}").into_bytes()
        }

        fn write(&self, folder: &Path) {
            let (up, down) = self.paths();
            write(folder, &up, &self.on_disk(&self.up_sql()));
            if let Some(down) = down {
                write(
                    folder,
                    &down,
                    &self.on_disk(&format!("DROP TABLE t{};", self.version)),
                );
            }
        }
    }

    fn write(folder: &Path, path: &str, contents: &[u8]) {
        let path = folder.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    /// Files that are no migrations.
    const UNRELATED: &[&str] = &[
        "README.md",
        "notes.txt",
        ".hidden.sql",
        "0001_init.sql.bak",
        "fixtures/data.csv",
        "docs/0002_x.md",
    ];

    fn form() -> impl Strategy<Value = Form> {
        prop_oneof![
            Just(Form::Plain),
            Just(Form::UpOnly),
            Just(Form::UpAndDown),
            Just(Form::Refinery),
            (any::<bool>(), vec(any::<Index>(), 0..4))
                .prop_map(|(down, dashes)| Form::Diesel { down, dashes }),
        ]
    }

    fn written(version: u64) -> impl Strategy<Value = Written> {
        (
            0..3usize,
            "[a-z][a-z0-9]{0,8}",
            form(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(move |(zeros, name, form, bom, crlf)| Written {
                version,
                zeros,
                name,
                form,
                bom,
                crlf,
            })
    }

    /// Migrations of distinct versions: small ones, so that 9 and 10 or 99
    /// and 100 meet, and any up to u64::MAX.
    fn migrations() -> impl Strategy<Value = Vec<Written>> {
        btree_set(
            prop_oneof![3 => 1..=30u64, 2 => 1..=2000u64, 1 => 1..=u64::MAX],
            1..10,
        )
        .prop_flat_map(|versions| versions.into_iter().map(written).collect::<Vec<_>>())
    }

    fn folder_with(migrations: &[Written], unrelated: &[&str]) -> tempfile::TempDir {
        let base = tempfile::tempdir().unwrap();
        let folder = base.path().join("m");
        fs::create_dir(&folder).unwrap();
        for migration in migrations {
            migration.write(&folder);
        }
        for file in unrelated {
            write(&folder, file, b"not a migration");
        }
        base
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every migration comes back once, ordered by its number (9 before
        /// 10), with its name, its files and a checksum that neither CRLF
        /// nor a byte order mark changes; other files are left alone.
        #[test]
        fn reads_every_migration_in_numeric_order(
            migrations in migrations(),
            unrelated in proptest::sample::subsequence(UNRELATED, 0..=UNRELATED.len()),
        ) {
            let base = folder_with(&migrations, &unrelated);
            let sources = read_folder(base.path(), "m").map_err(|errors| {
                TestCaseError::fail(format!("{errors:#?}"))
            })?;
            prop_assert_eq!(sources.len(), migrations.len());
            prop_assert!(sources.windows(2).all(|pair| pair[0].migration.version() < pair[1].migration.version()));
            // `migrations` is in numeric order already (from a BTreeSet).
            for (source, written) in sources.iter().zip(&migrations) {
                let (up, down) = written.paths();
                let migration = &source.migration;
                prop_assert_eq!(migration.version(), written.version);
                prop_assert_eq!(migration.name(), written.name.as_str());
                prop_assert_eq!(&source.up_file.display, &format!("m/{up}"));
                prop_assert_eq!(source.down_file.as_ref().map(|f| f.display.clone()), down.map(|d| format!("m/{d}")));
                prop_assert_eq!(migration.down().is_some(), source.down_file.is_some());
                let sql = migration.up().sql();
                prop_assert!(!sql.starts_with('\u{feff}'), "a byte order mark is kept");
                prop_assert_eq!(migration.checksum(), Checksum::of(&written.up_sql()));
            }
        }

        /// A version written more than once is reported on each extra up
        /// (or down) script, with the first one named: every up script of
        /// that version is named.
        #[test]
        fn a_version_used_twice_names_both_files(
            migrations in migrations(),
            which in any::<Index>(),
            extras in vec((0..3usize, form()), 1..3),
        ) {
            let original = &migrations[which.index(migrations.len())];
            let version = original.version;
            let extras: Vec<Written> = extras
                .into_iter()
                .enumerate()
                .map(|(index, (zeros, form))| Written {
                    version,
                    zeros,
                    name: format!("dup_{index}"),
                    form,
                    bom: false,
                    crlf: false,
                })
                .collect();
            let mut all = migrations.clone();
            all.extend(extras.iter().cloned());
            let base = folder_with(&all, &["README.md"]);
            let errors = read_folder(base.path(), "m").unwrap_err();

            let twice = format!("version {version} is used twice");
            let reported: Vec<_> = errors.iter().filter(|e| e.message == twice).collect();
            // Each extra up script, and each extra down script.
            let downs = std::iter::once(original).chain(&extras).filter(|w| w.paths().1.is_some()).count();
            prop_assert_eq!(reported.len(), extras.len() + downs.saturating_sub(1), "{:#?}", errors);
            let text: String = reported.iter().map(|e| format!("{e}\n")).collect();
            for written in std::iter::once(original).chain(&extras) {
                let up = format!("m/{}", written.paths().0);
                prop_assert!(text.contains(&up), "{} is not named in {}", up, text);
            }
            // Nothing is said about the other versions.
            let files: Vec<_> = std::iter::once(original)
                .chain(&extras)
                .flat_map(|w| { let (up, down) = w.paths(); std::iter::once(up).chain(down) })
                .map(|path| format!("m/{path}"))
                .collect();
            for error in &errors {
                prop_assert!(files.contains(&error.path), "{}", error);
            }
        }

        /// A down script without its up script is reported, naming the
        /// missing up script, and is the only problem.
        #[test]
        fn a_down_without_an_up_is_reported(
            migrations in migrations(),
            orphan in (1..=3000u64, 0..3usize, "[a-z][a-z0-9]{0,8}", any::<bool>()),
        ) {
            let (version, zeros, name, diesel) = orphan;
            prop_assume!(migrations.iter().all(|m| m.version != version));
            let base = folder_with(&migrations, &["README.md"]);
            let v = format!("{}{version}", "0".repeat(zeros));
            let (down, up) = if diesel {
                (format!("{v}_{name}/down.sql"), format!("{v}_{name}/up.sql"))
            } else {
                (format!("{v}_{name}.down.sql"), format!("{v}_{name}.up.sql"))
            };
            write(&base.path().join("m"), &down, b"DROP TABLE t;");
            let errors = read_folder(base.path(), "m").unwrap_err();
            prop_assert_eq!(errors.len(), 1, "{:#?}", errors);
            prop_assert_eq!(&errors[0].path, &format!("m/{down}"));
            prop_assert_eq!(errors[0].message.as_str(), "this down script has no up script");
            prop_assert!(errors[0].to_string().contains(&format!("add `m/{up}`")), "{}", errors[0]);
        }
    }
}
