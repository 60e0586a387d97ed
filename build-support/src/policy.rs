//! How a folder's findings count: the lint levels of its `migrate.toml`,
//! and its seal, which keeps the findings on migrations that shipped from
//! failing the build.

use std::collections::BTreeSet;

use migrate_sqlite::Lint;

use crate::config::{Config, Level};
use crate::diagnostic::Diagnostic;
use migrate_sqlite::{Directive, Migration, Script};

use crate::file::File;
use crate::folder::Source;
use crate::lint::{rebuilds, Finding, Severity};

/// Findings sorted by what they do to the build, at the folder's levels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sorted {
    /// Those that fail it.
    pub errors: Vec<Diagnostic>,
    /// Those it shows.
    pub warnings: Vec<Diagnostic>,
    /// Those on sealed migrations, whatever their level.
    pub sealed: Vec<Diagnostic>,
}

impl Sorted {
    pub(crate) fn findings(&mut self, policy: &Policy, findings: Vec<Finding>) {
        for finding in findings {
            let Some(severity) = policy.severity(finding.lint) else {
                continue;
            };
            let list = match severity {
                _ if policy.is_sealed(&finding.diagnostic.path) => &mut self.sealed,
                Severity::Error => &mut self.errors,
                Severity::Warning => &mut self.warnings,
            };
            list.push(finding.diagnostic);
        }
    }
}

/// How a folder's findings count: the levels of its `migrate.toml`, and its
/// seal.
pub(crate) struct Policy<'a> {
    config: &'a Config,
    /// The files of sealed migrations.
    sealed: BTreeSet<&'a str>,
    dir: &'a str,
}

/// From how many migrations with errors a folder without a seal is told
/// how to seal one that has shipped.
const SEAL_HINT_FROM: usize = 2;

impl<'a> Policy<'a> {
    pub(crate) fn new(config: &'a Config, sources: &'a [Source], dir: &'a str) -> Self {
        let sealed = sources
            .iter()
            .filter(|source| source.sealed)
            .flat_map(|source| std::iter::once(&source.up_file).chain(&source.down_file))
            .map(|file| file.display.as_str())
            .collect();
        Self {
            config,
            sealed,
            dir,
        }
    }

    /// The severity of a finding of `lint`: the folder's level over the
    /// default; `None` when the folder allows it.
    fn severity(&self, lint: Lint) -> Option<Severity> {
        match self.config.levels.get(&lint) {
            Some(Level::Deny) => Some(Severity::Error),
            Some(Level::Warn) => Some(Severity::Warning),
            Some(Level::Allow) => None,
            None => Some(crate::lint::severity(lint)),
        }
    }

    pub(crate) fn is_sealed(&self, path: &str) -> bool {
        self.sealed.contains(path)
    }

    /// The one line that says sealed migrations have findings.
    pub(crate) fn sealed_summary(&self, sealed: &[Diagnostic]) -> Option<Diagnostic> {
        if sealed.is_empty() {
            return None;
        }
        let files: BTreeSet<&str> = sealed.iter().map(|d| d.path.as_str()).collect();
        Some(Diagnostic::file(
            self.dir,
            format!(
                "{} finding(s) in {} sealed migration(s) are not errors, since those shipped as they are; \
                 `migrate lint --sealed` lists them",
                sealed.len(),
                files.len()
            ),
        ))
    }

    /// `errors`, and, when they are in many migrations of a folder without
    /// a seal, once (on the last error), how to seal a folder that has
    /// shipped.
    pub(crate) fn with_seal_hint(&self, mut errors: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let files: BTreeSet<&str> = errors.iter().map(|d| d.path.as_str()).collect();
        let count = files.len();
        if !self.config.sealed.is_empty() || count < SEAL_HINT_FROM {
            return errors;
        }
        if let Some(last) = errors.pop() {
            errors.push(last.note(format!("{count} migrations of `{}` have errors", self.dir)).help(
                "if these migrations have shipped, run `migrate seal`: it records them as shipped \
                 in `migrate.toml`, and their findings stop failing the build (their SQL still runs \
                 at compile time, and editing one becomes an error); new migrations get every check",
            ));
        }
        errors
    }
}

/// Table rebuilds run `foreign-keys-off` where nothing else keeps them from
/// deleting child rows through `ON DELETE CASCADE` (the `DROP TABLE` of a
/// rebuild deletes every row first when foreign keys are on): the up script
/// of a sealed migration, written for a runner with foreign keys off and
/// past the lints' reach, and every down script, which no lint reads. Each
/// is said in `notes`.
pub(crate) fn run_rebuilds_with_foreign_keys_off(
    sources: &mut [Source],
    notes: &mut Vec<Diagnostic>,
) {
    for source in sources.iter_mut() {
        let migration = &source.migration;
        let up = match source.sealed {
            true => rebuild_with_foreign_keys_off(&source.up_file.display, migration.up()),
            false => None,
        };
        let down = match (&source.down_file, migration.down()) {
            (Some(file), Some(down)) => rebuild_with_foreign_keys_off(&file.display, down),
            _ => None,
        };
        if up.is_none() && down.is_none() {
            continue;
        }
        if up.is_some() {
            notes.push(Diagnostic::file(
                &source.up_file.display,
                "this sealed table rebuild runs as `foreign-keys-off`: written for a runner with foreign keys off, \
                 it would otherwise delete or change child rows through their `ON DELETE` actions on a database \
                 that applies it here; `foreign_key_check` runs before commit",
            ));
        }
        if let (Some(_), Some(file)) = (&down, &source.down_file) {
            notes.push(Diagnostic::file(
                &file.display,
                "this down script rebuilds a table, and runs as `foreign-keys-off`: with foreign keys on, reverting \
                 would delete or change child rows through their `ON DELETE` actions; `foreign_key_check` runs before commit",
            ));
        }
        source.migration = Migration::new(
            migration.version(),
            migration.name().to_string(),
            up.unwrap_or_else(|| migration.up().clone()),
            down.or_else(|| migration.down().cloned()),
            migration.checksum(),
        );
    }
}

/// `script` as `foreign-keys-off`, when it is a table rebuild that runs in a
/// transaction with foreign keys on.
fn rebuild_with_foreign_keys_off(path: &str, script: &Script) -> Option<Script> {
    let directives = script.directives();
    if directives.no_transaction() || directives.foreign_keys_off() {
        return None;
    }
    if rebuilds(&File::of(path, script)).is_empty() {
        return None;
    }
    Some(Script::owned(
        script.sql().to_string(),
        directives.with(Directive::ForeignKeysOff),
    ))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use crate::{check_folder, seal_folder, Folder};

    fn write(base: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = base.join("m").join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }

    fn texts(diagnostics: &[crate::Diagnostic]) -> Vec<String> {
        diagnostics.iter().map(ToString::to_string).collect()
    }

    /// Three migrations that shipped with findings: an error lint, a
    /// failure on rows, a down script that does not undo its up script.
    const SHIPPED: &[(&str, &str)] = &[
        (
            "1_users.sql",
            "CREATE TABLE users (id INT PRIMARY KEY, name TEXT);",
        ),
        (
            "2_nick.sql",
            "ALTER TABLE users ADD COLUMN nick TEXT NOT NULL;",
        ),
        (
            "3_posts.up.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        ),
        ("3_posts.down.sql", "-- Nothing to undo.\nSELECT 1;"),
    ];

    #[test]
    fn a_folder_with_errors_in_many_migrations_is_told_once_how_to_seal_it() {
        let base = tempfile::tempdir().unwrap();
        write(base.path(), SHIPPED);
        let errors = texts(&check_folder(base.path(), "m").unwrap_err());
        let hints: Vec<_> = errors
            .iter()
            .filter(|e| e.contains("`migrate seal`"))
            .collect();
        assert_eq!(hints.len(), 1, "{errors:#?}");
        assert_eq!(errors.len(), 2, "the hint is no problem of its own");
        assert!(
            hints[0].contains("note: 2 migrations of `m` have errors"),
            "{errors:#?}"
        );
        // A migrate.toml that only sets levels is no seal.
        std::fs::write(
            base.path().join("m/migrate.toml"),
            "[lints]\nempty-migration = \"allow\"\n",
        )
        .unwrap();
        let errors = texts(&check_folder(base.path(), "m").unwrap_err());
        assert!(
            errors.last().unwrap().contains("`migrate seal`"),
            "{errors:#?}"
        );
    }

    #[test]
    fn sealed_migrations_run_but_their_findings_are_not_errors() {
        let base = tempfile::tempdir().unwrap();
        write(base.path(), SHIPPED);
        let sealed = seal_folder(base.path(), "m", &[]).unwrap();
        assert_eq!((sealed.migrations, sealed.added), (3, 3));
        let checked = check_folder(base.path(), "m").unwrap();
        assert!(checked.sources.iter().all(|source| source.sealed));
        let summary = texts(&checked.warnings);
        assert_eq!(summary.len(), 1, "{summary:#?}");
        assert!(
            summary[0].starts_with("m: 3 finding(s) in 3 sealed migration(s) are not errors"),
            "{summary:#?}"
        );
        let listed = texts(&checked.sealed).join("\n");
        assert!(listed.contains("m/1_users.sql:1:"), "{listed}");
        assert!(
            listed.contains("m/2_nick.sql:1:1: fails when `users` has rows"),
            "{listed}"
        );
        assert!(listed.contains("m/3_posts.down.sql"), "{listed}");
    }

    #[test]
    fn after_the_seal_a_new_migration_gets_every_check_and_fails_alone() {
        let base = tempfile::tempdir().unwrap();
        write(base.path(), SHIPPED);
        seal_folder(base.path(), "m", &[]).unwrap();
        write(base.path(), &[("4_purge.sql", "DROP TABLE posts;")]);
        let errors = check_folder(base.path(), "m").unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["m/4_purge.sql"], "{errors:#?}");
        assert!(errors[0].message.ends_with("[destructive]"));
    }

    #[test]
    fn broken_sql_in_a_sealed_migration_is_still_an_error() {
        let base = tempfile::tempdir().unwrap();
        write(
            base.path(),
            &[
                ("1_a.sql", "CREATE TABLE a (x);"),
                ("2_b.sql", "CREATE TABLE a (y);"),
            ],
        );
        seal_folder(base.path(), "m", &[]).unwrap();
        let errors = texts(&check_folder(base.path(), "m").unwrap_err());
        assert!(
            errors[0].starts_with("m/2_b.sql:1:14: table a already exists"),
            "{errors:#?}"
        );
    }

    #[test]
    fn editing_a_sealed_migration_is_an_error_until_the_edit_is_accepted() {
        let base = tempfile::tempdir().unwrap();
        write(base.path(), SHIPPED);
        seal_folder(base.path(), "m", &[]).unwrap();
        write(
            base.path(),
            &[(
                "3_posts.up.sql",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);",
            )],
        );
        let errors = texts(&check_folder(base.path(), "m").unwrap_err());
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].starts_with("m/3_posts.up.sql: migration 3 (posts) is sealed as shipped, and its SQL has changed since"),
            "{errors:#?}"
        );
        assert!(
            errors[0].contains("`migrate seal --accept 3`"),
            "{errors:#?}"
        );
        // Sealing again does not accept it silently.
        assert!(seal_folder(base.path(), "m", &[]).is_err());
        let accepted = seal_folder(base.path(), "m", &[3]).unwrap();
        assert_eq!(accepted.accepted, [3]);
        assert!(check_folder(base.path(), "m").is_ok());
        // A sealed migration that is gone is named.
        fs::remove_file(base.path().join("m/3_posts.up.sql")).unwrap();
        fs::remove_file(base.path().join("m/3_posts.down.sql")).unwrap();
        let errors = texts(&Folder::read(base.path(), "m").unwrap_err());
        assert!(errors[0].starts_with("m/migrate.toml: migration 3 is sealed as shipped, but the folder no longer holds it"), "{errors:#?}");
    }

    #[test]
    fn a_sealed_rebuild_runs_with_foreign_keys_off() {
        let rebuild = "CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
                       INSERT INTO new_users SELECT id, coalesce(name, '') FROM users;\nDROP TABLE users;\n\
                       ALTER TABLE new_users RENAME TO users;\n";
        let base = tempfile::tempdir().unwrap();
        write(
            base.path(),
            &[
                (
                    "1_users.sql",
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
                ),
                ("2_rebuild.sql", rebuild),
            ],
        );
        // Unsealed, it is an error to fix (`rebuild-foreign-keys`).
        assert!(check_folder(base.path(), "m").is_err());
        let unsealed = Folder::read(base.path(), "m").unwrap();
        assert!(!unsealed.sources[1]
            .migration
            .up()
            .directives()
            .foreign_keys_off());
        assert!(unsealed.notes.is_empty());
        crate::seal_folder(base.path(), "m", &[]).unwrap();
        let sealed = check_folder(base.path(), "m").unwrap();
        assert!(sealed.sources[1]
            .migration
            .up()
            .directives()
            .foreign_keys_off());
        // The checksum is the text's: what the seal recorded.
        assert_eq!(
            sealed.sources[1].migration.checksum(),
            unsealed.sources[1].migration.checksum()
        );
        assert!(
            sealed.notes[0].to_string().starts_with(
                "m/2_rebuild.sql: this sealed table rebuild runs as `foreign-keys-off`"
            ),
            "{:#?}",
            sealed.notes
        );
    }

    #[test]
    fn folder_levels_raise_lower_and_silence_lints() {
        let base = tempfile::tempdir().unwrap();
        write(base.path(), &[
            ("1_users.sql", "CREATE TABLE users (id INT PRIMARY KEY, name TEXT);\nCREATE INDEX a ON users (name);\nCREATE INDEX b ON users (name);"),
            ("2_empty.sql", "-- Nothing on SQLite."),
            ("migrate.toml", "[lints]\nint-primary-key = \"warn\"\nredundant-index = \"deny\"\nempty-migration = \"allow\"\n"),
        ]);
        let errors = texts(&check_folder(base.path(), "m").unwrap_err());
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].contains("[redundant-index]"), "{errors:#?}");
        write(
            base.path(),
            &[(
                "migrate.toml",
                "[lints]\nint-primary-key = \"warn\"\nredundant-index = \"allow\"\n",
            )],
        );
        let checked = check_folder(base.path(), "m").unwrap();
        let warnings = texts(&checked.warnings).join("\n");
        assert!(
            warnings.contains("[int-primary-key]") && warnings.contains("[empty-migration]"),
            "{warnings}"
        );
        assert!(!warnings.contains("[redundant-index]"), "{warnings}");
    }

    #[test]
    fn a_misspelt_configuration_is_an_error_at_its_line() {
        let base = tempfile::tempdir().unwrap();
        write(
            base.path(),
            &[
                (
                    "1_users.sql",
                    "CREATE TABLE users (id INTEGER PRIMARY KEY);",
                ),
                (
                    "migrate.toml",
                    "# destructiv is misspelt below\n[lints]\ndestructiv = \"warn\"\n",
                ),
            ],
        );
        let errors = texts(&check_folder(base.path(), "m").unwrap_err());
        assert!(
            errors[0].starts_with("m/migrate.toml:3:1: unknown lint `destructiv`"),
            "{errors:#?}"
        );
        // A version that is a digit of a checksum above is found at its key.
        write(
            base.path(),
            &[(
                "migrate.toml",
                "[sealed]\n2 = \"00000000000000000000000000000000000000000000000000000000000000ab\"\nab = \"ab\"\n",
            )],
        );
        let errors = texts(&check_folder(base.path(), "m").unwrap_err());
        assert!(
            errors[0].starts_with("m/migrate.toml:3:1: `ab` is not a migration version"),
            "{errors:#?}"
        );
        write(base.path(), &[("migrate.toml", "[lint]\n")]);
        let errors = texts(&check_folder(base.path(), "m").unwrap_err());
        assert!(errors[0].starts_with("m/migrate.toml:1:"), "{errors:#?}");
        assert!(errors[0].contains("lint"), "{errors:#?}");
    }
}
