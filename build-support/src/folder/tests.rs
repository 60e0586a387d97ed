use std::fs;
use std::path::Path;

use migrate_sqlite::Checksum;

use super::*;

mod examples {
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
    fn up_and_down_pair_by_version_alone() {
        // golang-migrate's folders have such pairs: `..up.sql` beside `.down.sql`.
        let base = folder(&[
            ("000002_add_tags..up.sql", b"CREATE TABLE tags (x);"),
            ("000002_add_tags.down.sql", b"DROP TABLE tags;"),
        ]);
        let sources = read_folder(base.path(), "m").unwrap();
        let migration = &sources[0].migration;
        assert_eq!((migration.version(), migration.name()), (2, "add_tags."));
        assert_eq!(migration.down().unwrap().sql(), "DROP TABLE tags;");
    }

    #[test]
    fn a_down_without_a_statement_leaves_the_migration_irreversible() {
        let base = folder(&[
            ("0_init.up.sql", b"CREATE TABLE a (x);"),
            ("0_init.down.sql", b"-- nothing to undo\n"),
            ("1_b.up.sql", b"CREATE TABLE b (x);"),
            ("1_b.down.sql", b""),
        ]);
        let sources = read_folder(base.path(), "m").unwrap();
        assert_eq!(sources[0].migration.version(), 0);
        assert!(sources
            .iter()
            .all(|s| s.migration.down().is_none() && s.down_file.is_none()));
    }

    #[test]
    fn a_comment_alone_is_a_migration_that_changes_nothing() {
        let base = folder(&[
            ("1_a.sql", b"CREATE TABLE a (x);"),
            (
                "2_postgres_only.sql",
                b"-- Only for PostgreSQL: nothing to do on SQLite.\n",
            ),
            ("3_forgotten.sql", b"\n"),
        ]);
        let folder = Folder::read(base.path(), "m").unwrap();
        assert_eq!(folder.sources.len(), 3);
        assert!(folder.warnings.is_empty());
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

mod layouts {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let base = tempfile::tempdir().unwrap();
        for (name, contents) in files {
            let path = base.path().join("m").join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        base
    }

    fn read(files: &[(&str, &str)]) -> Folder {
        let base = folder(files);
        Folder::read(base.path(), "m").unwrap_or_else(|errors| panic!("{errors:#?}"))
    }

    fn errors(files: &[(&str, &str)]) -> Vec<String> {
        let base = folder(files);
        let errors = Folder::read(base.path(), "m").unwrap_err();
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_folder_that_mixes_layouts_names_a_file_of_each() {
        let found = errors(&[
            ("0001_a.sql", "-- +goose Up\nCREATE TABLE a (x);\n"),
            ("0002_b.sql", "CREATE TABLE b (x);\n"),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .starts_with("m/0002_b.sql: the folder mixes the layouts of two migration tools"),
            "{found:?}"
        );
        assert!(
            found[0].contains("`m/0001_a.sql` is a goose migration"),
            "{found:?}"
        );
        assert!(
            found[0].contains("`m/0002_b.sql` is a numbered migration"),
            "{found:?}"
        );
        let found = errors(&[
            ("1_a/up.sql", "CREATE TABLE a (x);"),
            ("V2__b.sql", "CREATE TABLE b (x);"),
        ]);
        assert!(found[0].contains("is a diesel migration"), "{found:?}");
        assert!(found[0].contains("is a refinery migration"), "{found:?}");
    }

    #[test]
    fn code_migrations_are_errors_that_say_to_port_them() {
        let found = errors(&[
            ("00001_init.sql", "-- +goose Up\nCREATE TABLE a (x);\n"),
            ("00002_backfill.go", "package migrations\n"),
            ("embed.go", "package migrations\n"),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("m/00002_backfill.go: a goose migration written in code"),
            "{found:?}"
        );
        assert!(
            found[0].contains("port it to SQL as `00002_backfill.sql`"),
            "{found:?}"
        );
        let found = errors(&[("V1__init.sql", "CREATE TABLE a (x);"), ("V2__fill.rs", "")]);
        assert!(
            found[0].starts_with("m/V2__fill.rs: a refinery migration written in code"),
            "{found:?}"
        );
    }

    #[test]
    fn goose_sections_run_as_goose_runs_them() {
        let folder = read(&[
            (
                "00001_users.sql",
                "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\
                 -- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE users;\n",
            ),
            ("00002_vacuum.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n"),
            (
                "00003_rebuild.sql",
                "-- +goose NO TRANSACTION\n-- +goose Up\nPRAGMA foreign_keys=OFF;\nCREATE TABLE t (x);\n",
            ),
            ("README.md", "notes"),
        ]);
        assert_eq!(folder.format, Format::Goose);
        let [users, vacuum, rebuild] = &folder.sources[..] else {
            panic!()
        };
        assert_eq!(users.down_file.as_ref(), Some(&users.up_file));
        let down = users.migration.down().unwrap().sql();
        // The down script keeps its line: 7.
        assert_eq!(
            down.lines().position(|line| line == "DROP TABLE users;"),
            Some(6)
        );
        assert!(vacuum.migration.up().directives().no_transaction());
        assert!(vacuum.migration.down().is_none());
        // Outside a transaction the file's own PRAGMA works: it runs as it is.
        let directives = rebuild.migration.up().directives();
        assert!(directives.no_transaction() && !directives.foreign_keys_off());
        assert!(folder.notes.is_empty(), "{:?}", folder.notes);
    }

    #[test]
    fn a_down_section_is_read_at_the_files_lines() {
        let up = "-- migrate:up\nCREATE TABLE users (id INTEGER);\n\n-- migrate:down\n";
        // Under its marker, a directive is at the top of the down script.
        let folder = read(&[(
            "1_users.sql",
            &format!("{up}-- migrate: no-transaction\nDROP TABLE users;\n"),
        )]);
        assert!(folder.sources[0]
            .migration
            .down()
            .unwrap()
            .directives()
            .no_transaction());
        // Below SQL, it is out of place, and said so at the file's line.
        let found = errors(&[(
            "1_users.sql",
            &format!("{up}DROP TABLE users;\n-- migrate: no-transaction\n"),
        )]);
        assert!(
            found[0].starts_with("m/1_users.sql:6:1: a directive must be at the top"),
            "{found:?}"
        );
    }

    #[test]
    fn dbmate_sections_are_not_taken_for_directives() {
        let folder = read(&[(
            "20240101000000_users.sql",
            "-- migrate:up transaction:false\nCREATE TABLE users (id INTEGER);\n\n-- migrate:down\nDROP TABLE users;\n",
        )]);
        assert_eq!(folder.format, Format::Dbmate);
        let migration = &folder.sources[0].migration;
        assert!(migration.up().directives().no_transaction());
        assert!(!migration.down().unwrap().directives().no_transaction());
        assert_eq!(migration.version(), 20240101000000);
    }

    #[test]
    fn stated_intent_outside_the_sql_is_kept() {
        let diesel = read(&[
            ("2024-01-01-000000_vacuum/up.sql", "VACUUM;"),
            (
                "2024-01-01-000000_vacuum/down.sql",
                "-- This file should undo anything in `up.sql`",
            ),
            (
                "2024-01-01-000000_vacuum/metadata.toml",
                "run_in_transaction = false\n",
            ),
        ]);
        assert_eq!(diesel.format, Format::Diesel);
        assert!(diesel.sources[0]
            .migration
            .up()
            .directives()
            .no_transaction());
        assert!(diesel.sources[0].migration.down().is_none());
        assert_eq!(diesel.tracked.len(), 1);
        let sqlx = read(&[("20240101_vacuum.sql", "-- no-transaction\nVACUUM;")]);
        assert!(sqlx.sources[0].migration.up().directives().no_transaction());
    }

    #[test]
    fn prisma_folders_are_read_with_their_lock_file() {
        let folder = read(&[
            (
                "migration_lock.toml",
                "# Please do not edit this file manually\nprovider = \"sqlite\"\n",
            ),
            (
                "20240101120000_init/migration.sql",
                "-- CreateTable\nCREATE TABLE \"User\" (\"id\" INTEGER NOT NULL PRIMARY KEY);\n",
            ),
            (
                "20240202120000_add_post/migration.sql",
                "CREATE TABLE \"Post\" (\"id\" INTEGER NOT NULL PRIMARY KEY);\n",
            ),
        ]);
        assert_eq!(folder.format, Format::Prisma);
        let versions: Vec<_> = folder
            .sources
            .iter()
            .map(|s| (s.migration.version(), s.migration.name().to_string()))
            .collect();
        assert_eq!(
            versions,
            [
                (20240101120000, "init".into()),
                (20240202120000, "add_post".into())
            ]
        );
        let found = errors(&[
            ("migration_lock.toml", "provider = \"postgresql\"\n"),
            ("20240101120000_init/migration.sql", "SELECT 1;"),
        ]);
        assert!(
            found[0].contains("written for `postgresql`, not SQLite"),
            "{found:?}"
        );
    }

    #[test]
    fn intent_stated_in_sql_is_honoured_and_noted() {
        let folder = read(&[
            ("1_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"),
            (
                "2_wrapped.sql",
                "BEGIN TRANSACTION;\nCREATE TABLE tags (name TEXT);\nCOMMIT;\n",
            ),
            (
                "3_rebuild.sql",
                "CREATE TABLE log (x);\nPRAGMA foreign_keys=OFF;\nCREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
                 INSERT INTO new_users SELECT id, coalesce(name, '') FROM users;\nDROP TABLE users;\n\
                 ALTER TABLE new_users RENAME TO users;\nPRAGMA foreign_keys=ON;\n",
            ),
        ]);
        assert!(folder.sources[2]
            .migration
            .up()
            .directives()
            .foreign_keys_off());
        let notes: Vec<String> = folder.notes.iter().map(ToString::to_string).collect();
        assert_eq!(notes.len(), 2, "{notes:#?}");
        assert!(
            notes[0].starts_with(
                "m/2_wrapped.sql:1:1: the file's own `BEGIN` and `COMMIT` are left out"
            ),
            "{notes:#?}"
        );
        assert!(
            notes[1].starts_with("m/3_rebuild.sql:2:1: runs as `foreign-keys-off`"),
            "{notes:#?}"
        );
    }

    #[test]
    fn a_name_that_does_not_parse_is_told_the_forms_of_its_folders_layout() {
        let found = errors(&[
            (
                "00001_users.sql",
                "-- +goose Up\nCREATE TABLE users (id);\n",
            ),
            ("add_tags.sql", "-- +goose Up\nCREATE TABLE tags (id);\n"),
        ]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].contains("expected `<version>_<description>.sql` with `-- +goose Up`"),
            "{found:#?}"
        );
        assert!(!found[0].contains("V<version>"), "{found:#?}");
    }

    #[test]
    fn refinery_reads_its_subfolders_and_its_no_transaction_line() {
        let folder = read(&[
            ("2023/V1__init.sql", "CREATE TABLE a (x);"),
            ("2024/V2__vacuum.sql", "-- refinery:noTransaction\nVACUUM;"),
            ("V3__more.sql", "CREATE TABLE b (x);"),
            ("mod.rs", "embed_migrations!(\"migrations\");"),
        ]);
        assert_eq!(folder.format, Format::Refinery);
        let files: Vec<&str> = folder
            .sources
            .iter()
            .map(|s| s.up_file.display.as_str())
            .collect();
        assert_eq!(
            files,
            [
                "m/2023/V1__init.sql",
                "m/2024/V2__vacuum.sql",
                "m/V3__more.sql"
            ]
        );
        assert!(folder.sources[1]
            .migration
            .up()
            .directives()
            .no_transaction());
        let only_nested = read(&[("2023/V1__init.sql", "CREATE TABLE a (x);")]);
        assert_eq!(only_nested.format, Format::Refinery);
    }

    #[test]
    fn drizzle_without_a_prefix_is_ordered_by_its_journal() {
        let journal = r#"{"dialect":"sqlite","entries":[
            {"idx":0,"tag":"tough_storm"},{"idx":1,"tag":"calm_river"}]}"#;
        let folder = read(&[
            ("meta/_journal.json", journal),
            ("tough_storm.sql", "CREATE TABLE a (x);"),
            ("calm_river.sql", "CREATE TABLE b (x);"),
        ]);
        let read: Vec<(u64, &str)> = folder
            .sources
            .iter()
            .map(|s| (s.migration.version(), s.migration.name()))
            .collect();
        assert_eq!(read, [(0, "tough_storm"), (1, "calm_river")]);
    }

    const JOURNAL: &str = r#"{"version":"7","dialect":"sqlite","entries":[
        {"idx":0,"version":"6","when":1700000000000,"tag":"0000_tough_storm","breakpoints":true},
        {"idx":1,"version":"6","when":1700000100000,"tag":"0001_calm_river","breakpoints":true}]}"#;

    #[test]
    fn drizzle_runs_what_its_journal_lists() {
        let folder = read(&[
            ("meta/_journal.json", JOURNAL),
            ("meta/0000_snapshot.json", "{}"),
            ("0000_tough_storm.sql", "CREATE TABLE `a` (`x` integer);\n--> statement-breakpoint\nCREATE TABLE `b` (`x` integer);\n"),
            ("0001_calm_river.sql", "ALTER TABLE `a` ADD `y` text;"),
            ("0002_left_out.sql", "DROP TABLE `a`;"),
        ]);
        assert_eq!(folder.format, Format::Drizzle);
        let versions: Vec<_> = folder
            .sources
            .iter()
            .map(|s| s.migration.version())
            .collect();
        assert_eq!(versions, [0, 1]);
        assert_eq!(folder.warnings.len(), 1);
        assert!(folder.warnings[0]
            .to_string()
            .starts_with("m/0002_left_out.sql: not in `meta/_journal.json`"));
        let found = errors(&[
            ("meta/_journal.json", JOURNAL),
            ("0000_tough_storm.sql", "SELECT 1;"),
        ]);
        assert!(
            found[0]
                .contains("lists `0001_calm_river`, but `m/0001_calm_river.sql` does not exist"),
            "{found:?}"
        );
        let found = errors(&[(
            "meta/_journal.json",
            "{\"dialect\":\"postgresql\",\"entries\":[]}",
        )]);
        assert!(
            found[0].contains("the journal is for `postgresql`"),
            "{found:?}"
        );
    }
}

mod properties {
    use std::collections::BTreeSet;

    use proptest::collection::{btree_set, vec};
    use proptest::prelude::*;
    use proptest::sample::Index;

    use super::*;

    /// The layouts a folder can follow, one per folder.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Layout {
        Numbered,
        Refinery,
        Diesel,
        Goose,
        Dbmate,
        Prisma,
    }

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
        /// One file with sections, and a down section or not.
        Goose {
            down: bool,
        },
        Dbmate {
            down: bool,
        },
        Prisma,
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
                Form::Goose { down } | Form::Dbmate { down } => {
                    let file = format!("{v}_{name}.sql");
                    (file.clone(), down.then_some(file))
                }
                Form::Prisma => (format!("{v}_{name}/migration.sql"), None),
            }
        }

        /// The section markers, for the layouts that have them.
        fn markers(&self) -> Option<(&str, &str)> {
            match self.form {
                Form::Goose { .. } => Some(("-- +goose Up\n", "-- +goose Down\n")),
                Form::Dbmate { .. } => Some(("-- migrate:up\n", "-- migrate:down\n")),
                _ => None,
            }
        }

        /// The up script as it should read, LF and no byte order mark: the
        /// up section's marker line emptied.
        fn up_sql(&self) -> String {
            let sql = format!("-- {}\nCREATE TABLE t{} (x);\n", self.name, self.version);
            match self.markers() {
                Some(_) => format!("\n{sql}"),
                None => sql,
            }
        }

        fn down_sql(&self) -> String {
            format!("DROP TABLE t{};", self.version)
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
            if let Some((up_marker, down_marker)) = self.markers() {
                let mut text = format!("{up_marker}{}", &self.up_sql()[1..]);
                if down.is_some() {
                    text.push_str(&format!("{down_marker}{}\n", self.down_sql()));
                }
                write(folder, &up, &self.on_disk(&text));
                return;
            }
            write(folder, &up, &self.on_disk(&self.up_sql()));
            if let Some(down) = down {
                write(folder, &down, &self.on_disk(&self.down_sql()));
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

    fn layout() -> impl Strategy<Value = Layout> {
        prop_oneof![
            3 => Just(Layout::Numbered),
            1 => Just(Layout::Refinery),
            1 => Just(Layout::Diesel),
            1 => Just(Layout::Goose),
            1 => Just(Layout::Dbmate),
            1 => Just(Layout::Prisma),
        ]
    }

    fn form(layout: Layout) -> BoxedStrategy<Form> {
        match layout {
            Layout::Numbered => {
                prop_oneof![Just(Form::Plain), Just(Form::UpOnly), Just(Form::UpAndDown)].boxed()
            }
            Layout::Refinery => Just(Form::Refinery).boxed(),
            Layout::Diesel => (any::<bool>(), vec(any::<Index>(), 0..4))
                .prop_map(|(down, dashes)| Form::Diesel { down, dashes })
                .boxed(),
            Layout::Goose => any::<bool>().prop_map(|down| Form::Goose { down }).boxed(),
            Layout::Dbmate => any::<bool>().prop_map(|down| Form::Dbmate { down }).boxed(),
            Layout::Prisma => Just(Form::Prisma).boxed(),
        }
    }

    fn written(version: u64, layout: Layout) -> impl Strategy<Value = Written> {
        (
            0..3usize,
            "[a-z][a-z0-9]{0,8}",
            form(layout),
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

    /// Migrations of distinct versions in one layout: small ones, so that 9
    /// and 10 or 99 and 100 meet, and any up to u64::MAX.
    fn migrations_in(layout: Layout) -> impl Strategy<Value = Vec<Written>> {
        btree_set(
            prop_oneof![3 => 0..=30u64, 2 => 0..=2000u64, 1 => 0..=u64::MAX],
            1..10,
        )
        .prop_flat_map(move |versions| {
            versions
                .into_iter()
                .map(|version| written(version, layout))
                .collect::<Vec<_>>()
        })
    }

    fn migrations() -> impl Strategy<Value = (Layout, Vec<Written>)> {
        layout().prop_flat_map(|layout| (Just(layout), migrations_in(layout)))
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
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every migration comes back once, ordered by its number (9 before
        /// 10), with its name, its files and a checksum that neither CRLF
        /// nor a byte order mark changes; other files are left alone.
        #[test]
        fn reads_every_migration_in_numeric_order(
            (layout, migrations) in migrations(),
            unrelated in proptest::sample::subsequence(UNRELATED, 0..=UNRELATED.len()),
        ) {
            let base = folder_with(&migrations, &unrelated);
            let folder = Folder::read(base.path(), "m").map_err(|errors| {
                TestCaseError::fail(format!("{errors:#?}"))
            })?;
            let sources = folder.sources;
            let expected = match layout {
                Layout::Numbered => Format::Numbered,
                Layout::Refinery => Format::Refinery,
                Layout::Diesel => Format::Diesel,
                Layout::Goose => Format::Goose,
                Layout::Dbmate => Format::Dbmate,
                Layout::Prisma => Format::Prisma,
            };
            prop_assert_eq!(folder.format, expected);
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
                if let Some(down) = migration.down() {
                    prop_assert_eq!(down.sql().trim(), written.down_sql());
                }
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
            (layout, migrations) in migrations(),
            which in any::<Index>(),
            extras in vec(0..3usize, 1..3),
            forms in vec(any::<Index>(), 3),
        ) {
            let original = &migrations[which.index(migrations.len())];
            let version = original.version;
            // The extras take the forms of other migrations of the folder.
            let extras: Vec<Written> = extras
                .into_iter()
                .zip(&forms)
                .enumerate()
                .map(|(index, (zeros, form))| Written {
                    version,
                    zeros,
                    name: format!("dup_{index}"),
                    form: migrations[form.index(migrations.len())].form.clone(),
                    bom: false,
                    crlf: false,
                })
                .collect();
            let mut all = migrations.clone();
            all.extend(extras.iter().cloned());
            let base = folder_with(&all, &["README.md"]);
            let errors = Folder::read(base.path(), "m").unwrap_err();

            let twice = format!("version {version} is used twice");
            let reported: Vec<_> = errors.iter().filter(|e| e.message == twice).collect();
            // Each extra up script, and each extra down script.
            let downs = std::iter::once(original).chain(&extras).filter(|w| w.paths().1.is_some()).count();
            prop_assert_eq!(reported.len(), extras.len() + downs.saturating_sub(1), "{:?}: {:#?}", layout, errors);
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
            migrations in prop_oneof![migrations_in(Layout::Numbered), migrations_in(Layout::Diesel)],
            orphan in (0..=3000u64, 0..3usize, "[a-z][a-z0-9]{0,8}"),
        ) {
            let (version, zeros, name) = orphan;
            let diesel = matches!(migrations[0].form, Form::Diesel { .. });
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
