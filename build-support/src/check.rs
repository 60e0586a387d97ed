//! Everything `embed_migrations!` checks, in one run of the chain: each
//! migration is linted, validated and round-tripped on the same in-memory
//! database before the next one runs. A run can be saved and resumed (see
//! [`crate::cache`]), so that a build after adding a migration runs only it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache::{Cache, Resumable};
use crate::config::CONFIG_FILE;
use crate::desired::check_agreement;
use crate::diagnostic::Diagnostic;
use crate::file::File;
use crate::folder::{Folder, Source};
use crate::lint::{text_lints, Finding, SchemaLints, SchemaLintsState};
use crate::policy::{run_rebuilds_with_foreign_keys_off, Policy, Sorted};
use crate::round_trip;
use crate::setup::{Needed, Setup};
use crate::validate::{Validated, Validation, ValidationState};

/// What [`check_folder`] returns for a folder that passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The migrations, ordered by version.
    pub sources: Vec<Source>,
    /// What validation learned.
    pub validated: Validated,
    /// What the folder's reading warned of, then the findings of warning
    /// lints (see [`lint()`](crate::lint())) not allowed by their file.
    pub warnings: Vec<Diagnostic>,
    /// Files besides the scripts that the result depends on
    /// ([`Folder::tracked`]).
    pub tracked: Vec<PathBuf>,
    /// Findings on sealed migrations, which shipped as they are: not
    /// errors, and summed up in one line of `warnings`.
    pub sealed: Vec<Diagnostic>,
    /// How files run where they state it in their own tool's way
    /// ([`Folder::notes`]).
    pub notes: Vec<Diagnostic>,
    /// What the binary must require of its connection: the functions and
    /// extensions `migrate.toml` declares.
    pub needed: Vec<Needed>,
    /// Findings that fail the build. Only [`check_chain`] returns them,
    /// which reads the chain's schema whatever they say; empty otherwise.
    pub failing: Vec<Diagnostic>,
}

/// Reads, lints and validates a migrations folder, and checks that each down
/// script undoes its up script ([`check_round_trips`](crate::check_round_trips)):
/// what `embed_migrations!` does.
///
/// Error lints fail the check. Where validation fails on a statement a lint
/// already names (a `VACUUM` without `no-transaction` fails with SQLite's
/// "cannot VACUUM from within a transaction"), only the lint's message,
/// which names the fix, is kept.
///
/// `base` is the crate root (`CARGO_MANIFEST_DIR`); `dir` is the folder as the
/// user wrote it, relative to `base`, and is how messages name files.
///
/// When the folder has a desired schema ([`crate::desired`]), the schema the
/// chain leaves must be the one it declares.
pub fn check_folder(base: &Path, dir: &str) -> Result<Checked, Vec<Diagnostic>> {
    check_folder_cached(base, dir, None)
}

/// [`check_folder`] for what needs the schema the chain leaves rather than
/// a verdict on its migrations (`migrate schema`, `migrate diff`): the
/// chain is not held to the desired schema, and findings that would fail
/// the build are returned in [`Checked::failing`] instead of as errors. A
/// migration that does not run is still an error: the schema is unknown.
pub fn check_chain(base: &Path, dir: &str) -> Result<Checked, Vec<Diagnostic>> {
    check(base, dir, None, Purpose::Schema)
}

/// What a check is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// The build: every finding at its level, the desired schema held to.
    Build,
    /// The schema the chain leaves.
    Schema,
}

/// [`check_folder`], keeping its work in the folder `cache` (created if
/// missing): the run of the chain is saved there, and a later check of a
/// chain that starts with the same migrations resumes it and runs only the
/// rest. The result is the same as without the cache.
///
/// The saved runs are keyed by a digest of every file's name and text, of
/// this crate's source and of the SQLite version; a cache that cannot be
/// read or written is passed over. The macro keeps its cache in the
/// crate's `OUT_DIR`.
pub fn check_folder_cached(
    base: &Path,
    dir: &str,
    cache: Option<&Path>,
) -> Result<Checked, Vec<Diagnostic>> {
    check(base, dir, cache, Purpose::Build)
}

fn check(
    base: &Path,
    dir: &str,
    cache: Option<&Path>,
    purpose: Purpose,
) -> Result<Checked, Vec<Diagnostic>> {
    let Folder {
        sources,
        warnings: read_warnings,
        mut tracked,
        config,
        notes,
        setup,
        format,
    } = Folder::read_to_run(base, dir)?;
    let config_file = format!("{}/{CONFIG_FILE}", dir.trim_end_matches('/'));
    setup
        .check(&config_file)
        .map_err(|diagnostic| vec![diagnostic])?;
    let needed = setup
        .needed(&config_file)
        .map_err(|diagnostic| vec![diagnostic])?;
    let files: Vec<File> = sources.iter().map(File::new).collect();
    let mut cache = cache.map(|folder| Cache::new(folder, &sources, &setup));
    let resumed = cache.as_mut().and_then(Cache::resume::<ChainCheck>);
    let mut run = match resumed {
        Some(run) => run,
        None => ChainCheck::start(true, true, &setup).map_err(|diagnostic| vec![diagnostic])?,
    };
    let last = sources.len().saturating_sub(1);
    let mut failure = None;
    while run.done < sources.len() {
        if let Some(cache) = &cache {
            // The run without the last migration too: the one a developer
            // edits between builds.
            if run.done == last {
                cache.save(&run);
            }
        }
        if let Err(diagnostic) = run.step(&sources, &files) {
            failure = Some(diagnostic);
            break;
        }
    }
    if let Some(cache) = &cache {
        if failure.is_none() {
            cache.save(&run);
        }
        cache.prune();
    }
    let policy = Policy::new(&config, &sources, dir);
    let (validated, sorted) = run.report(&files, failure, &policy, purpose)?;
    drop(files);
    if purpose == Purpose::Build {
        let desired = check_agreement(base, dir, &config, format, &setup, &validated.schema)
            .map_err(|diagnostic| vec![diagnostic])?;
        tracked.extend(desired);
    }
    Ok(Checked {
        validated,
        warnings: read_warnings.into_iter().chain(sorted.warnings).collect(),
        tracked,
        sealed: sorted.sealed,
        notes,
        needed,
        sources,
        failing: sorted.errors,
    })
}

/// Every finding of the lints on a chain's up scripts, without those a file
/// allows. In file order, text lints before schema ones.
///
/// `foreign-key-violation` needs rows, so the seeded run of [`crate::validate`]
/// reports it, in [`crate::Validated::findings`].
pub fn lint(sources: &[Source]) -> Vec<Finding> {
    lint_with(sources, &Setup::default())
}

/// [`lint()`] on connections set up as `setup` says.
fn lint_with(sources: &[Source], setup: &Setup) -> Vec<Finding> {
    let files: Vec<File> = sources.iter().map(File::new).collect();
    let Ok(mut run) = ChainCheck::start(false, false, setup) else {
        return Vec::new();
    };
    // A migration that fails ends the run: validation reports it, and later
    // migrations depend on it.
    while run.done() < files.len() && run.step(sources, &files).is_ok() {}
    run.lint_findings(&files)
}

impl Folder {
    /// [`Folder::read`], with the scripts as the build checks and embeds
    /// them: the table rebuilds of sealed migrations and of down scripts run
    /// `foreign-keys-off`, each said in `notes`.
    pub fn read_to_run(base: &Path, dir: &str) -> Result<Folder, Vec<Diagnostic>> {
        let mut folder = Folder::read(base, dir)?;
        run_rebuilds_with_foreign_keys_off(&mut folder.sources, &mut folder.notes);
        Ok(folder)
    }
}

/// [`lint()`] of a folder, at the levels of its `migrate.toml`, with the
/// findings on sealed migrations apart. `dir` is the folder as messages
/// name it.
pub fn lint_sorted(folder: &Folder, dir: &str) -> Sorted {
    let policy = Policy::new(&folder.config, &folder.sources, dir);
    let mut sorted = Sorted::default();
    sorted.findings(&policy, lint_with(&folder.sources, &folder.setup));
    sorted
}

/// The check of a chain, migration by migration, as far as it has gone: the
/// validation runs, the schema lints beside them, and what each found.
pub(crate) struct ChainCheck {
    validation: Validation,
    lints: SchemaLints,
    /// Whether down scripts are checked.
    round_trips: bool,
    /// Findings of the lints on the text of the migrations run so far.
    text_findings: Vec<Finding>,
    /// Findings of the lints on their schema.
    schema_findings: Vec<Finding>,
    /// Down scripts that do not undo their up script.
    down_problems: Vec<Diagnostic>,
    /// How many migrations have run.
    done: usize,
    /// Whether the migration after those failed.
    failed: bool,
}

/// What a saved [`ChainCheck`] keeps beside the databases of its validation.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ChainCheckState {
    validation: ValidationState,
    lints: SchemaLintsState,
    text_findings: Vec<Finding>,
    schema_findings: Vec<Finding>,
    down_problems: Vec<Diagnostic>,
    done: usize,
}

impl ChainCheck {
    /// A run from an empty database: with the seeded run of validation or
    /// without, with down scripts checked or not, on connections set up as
    /// `setup` says.
    pub(crate) fn start(
        seeded: bool,
        round_trips: bool,
        setup: &Setup,
    ) -> Result<Self, Diagnostic> {
        Ok(Self {
            validation: Validation::start(seeded, setup)?,
            lints: SchemaLints::start(),
            round_trips,
            text_findings: Vec::new(),
            schema_findings: Vec::new(),
            down_problems: Vec::new(),
            done: 0,
            failed: false,
        })
    }

    /// Runs the next migration, `sources[self.done]`. An error is the
    /// validation failure that ends the run.
    pub(crate) fn step(&mut self, sources: &[Source], files: &[File]) -> Result<(), Diagnostic> {
        let result = self.try_step(sources, files);
        self.failed = result.is_err();
        result
    }

    fn try_step(&mut self, sources: &[Source], files: &[File]) -> Result<(), Diagnostic> {
        let index = self.done;
        let (source, file) = (&sources[index], &files[index]);
        text_lints(file, &mut self.text_findings);
        let before = match self.round_trips {
            true => round_trip::schema_before(self.validation.conn(), source)?,
            false => None,
        };
        self.lints
            .before(self.validation.conn_mut(), file, &mut self.schema_findings);
        self.validation.step(sources, files, index)?;
        self.lints
            .after(
                self.validation.conn(),
                file,
                index,
                &mut self.schema_findings,
            )
            .map_err(|error| {
                Diagnostic::file(
                    &source.up_file.display,
                    format!("cannot read the schema after the migration: {error}"),
                )
            })?;
        if let Some(before) = before {
            let conn = self.validation.conn_mut();
            round_trip::check_down(conn, sources, index, &before, &mut self.down_problems)?;
        }
        self.done += 1;
        Ok(())
    }

    /// Every lint finding, in file order, text lints before schema ones; the
    /// lints on the final schema only when the whole chain ran.
    pub(crate) fn lint_findings(&self, files: &[File]) -> Vec<Finding> {
        let mut findings = self.text_findings.clone();
        // The migrations a failure left out are still read.
        for file in files.iter().skip(self.text_findings_through()) {
            text_lints(file, &mut findings);
        }
        findings.extend(self.schema_findings.iter().cloned());
        if self.done == files.len() {
            self.lints.finish(files, &mut findings);
        }
        findings
    }

    /// How many files the text findings cover: the migrations run, and the
    /// one that failed, whose text lints ran before it.
    fn text_findings_through(&self) -> usize {
        self.done + usize::from(self.failed)
    }

    /// The outcome of the check once the run has ended, complete or
    /// stopped by `failure`: what validation learned and the findings,
    /// sorted by the folder's policy; or the errors, when a migration
    /// failed or, for the build, when a finding fails it.
    fn report(
        self,
        files: &[File],
        failure: Option<Diagnostic>,
        policy: &Policy,
        purpose: Purpose,
    ) -> Result<(Validated, Sorted), Vec<Diagnostic>> {
        let mut sorted = Sorted::default();
        sorted.findings(policy, self.lint_findings(files));
        if let Some(diagnostic) = failure {
            let line = |d: &Diagnostic| d.location.as_ref().map(|at| at.line);
            let named = sorted.errors.iter().any(|e| {
                e.path == diagnostic.path
                    && (line(&diagnostic).is_none() || line(e) == line(&diagnostic))
            });
            if !named {
                sorted.errors.push(diagnostic);
            }
            return Err(policy.with_seal_hint(sorted.errors));
        }
        let validated = self
            .validation
            .finish_with(self.lints.into_tables())
            .map_err(|diagnostic| vec![diagnostic])?;
        sorted.findings(policy, validated.findings.clone());
        if sorted.errors.is_empty() {
            for problem in self.down_problems {
                match policy.is_sealed(&problem.path) {
                    true => sorted.sealed.push(problem),
                    false => sorted.errors.push(problem),
                }
            }
        }
        if !sorted.errors.is_empty() && purpose == Purpose::Build {
            return Err(policy.with_seal_hint(sorted.errors));
        }
        if let Some(summary) = policy.sealed_summary(&sorted.sealed) {
            sorted.warnings.push(summary);
        }
        Ok((validated, sorted))
    }
}

impl Resumable for ChainCheck {
    type State = ChainCheckState;

    fn done(&self) -> usize {
        self.done
    }

    fn save(&self, dir: &Path) -> rusqlite::Result<ChainCheckState> {
        Ok(ChainCheckState {
            validation: self.validation.save(dir)?,
            lints: self.lints.state(),
            text_findings: self.text_findings.clone(),
            schema_findings: self.schema_findings.clone(),
            down_problems: self.down_problems.clone(),
            done: self.done,
        })
    }

    fn resume(dir: &Path, state: ChainCheckState) -> rusqlite::Result<Self> {
        let validation = Validation::resume(dir, state.validation)?;
        let lints = SchemaLints::resume(validation.conn(), state.lints)?;
        Ok(Self {
            validation,
            lints,
            round_trips: true,
            text_findings: state.text_findings,
            schema_findings: state.schema_findings,
            down_problems: state.down_problems,
            done: state.done,
            failed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::lint::Severity;

    use super::*;

    /// A chain with something for each kind of saved state: warnings from
    /// the text and the schema lints, a foreign key the final schema lints
    /// look at, a view, down scripts, and rows the seeded run fills.
    const CHAIN: &[(&str, &str)] = &[
        (
            "01_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        ),
        (
            "02_posts.up.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users, body TEXT);",
        ),
        ("02_posts.down.sql", "DROP TABLE posts;"),
        (
            "03_names.sql",
            "CREATE VIEW names AS SELECT name FROM users;\nINSERT INTO users (name) VALUES ('root');",
        ),
        (
            "04_email.up.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;",
        ),
        ("04_email.down.sql", "ALTER TABLE users DROP COLUMN email;"),
        (
            "05_tags.sql",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts, tag TEXT);",
        ),
        (
            "06_title.sql",
            "ALTER TABLE posts ADD COLUMN title TEXT NOT NULL DEFAULT '';",
        ),
    ];

    fn write(base: &Path, files: &[(&str, &str)]) {
        let dir = base.join("m");
        fs::create_dir_all(&dir).unwrap();
        for (name, sql) in files {
            fs::write(dir.join(name), sql).unwrap();
        }
    }

    fn saved_runs(cache: &Path) -> usize {
        fs::read_dir(cache).map_or(0, |entries| entries.count())
    }

    #[test]
    fn a_check_resumed_after_each_prefix_gives_what_a_fresh_one_gives() {
        let fresh_base = tempfile::tempdir().unwrap();
        write(fresh_base.path(), CHAIN);
        let fresh = check_folder(fresh_base.path(), "m").unwrap();
        assert!(!fresh.warnings.is_empty(), "the chain should warn");
        for k in 0..CHAIN.len() {
            let base = tempfile::tempdir().unwrap();
            let cache = base.path().join("cache");
            write(base.path(), &CHAIN[..k]);
            let _ = check_folder_cached(base.path(), "m", Some(&cache));
            write(base.path(), &CHAIN[k..]);
            let resumed = check_folder_cached(base.path(), "m", Some(&cache)).unwrap();
            assert_eq!(resumed.validated, fresh.validated, "after {k} files");
            assert_eq!(resumed.warnings, fresh.warnings, "after {k} files");
        }
    }

    #[test]
    fn the_schema_kept_migration_by_migration_is_the_one_read_at_the_end() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
        let base = tempfile::tempdir().unwrap();
        write(base.path(), CHAIN);
        for (base, dir) in [
            (base.path(), "m"),
            (&fixtures, "real_world"),
            (&fixtures, "valid"),
            (&fixtures, "long"),
            (&fixtures, "schema_renamed_column"),
        ] {
            let checked = check_folder(base, dir).unwrap();
            let validated = crate::validate(&checked.sources).unwrap();
            assert_eq!(checked.validated.schema, validated.schema, "{dir}");
            assert!(!validated.schema.tables.is_empty(), "{dir}");
        }
    }

    #[test]
    fn errors_are_the_same_with_the_cache() {
        let failing = [
            // An error lint on the text, one on the schema, and a statement
            // that fails only once the table has rows.
            (
                "07_begin.sql",
                "CREATE TABLE t (x);\nCOMMIT;\nCREATE TABLE u (x);",
            ),
            (
                "07_int_key.sql",
                "CREATE TABLE counters (id INT PRIMARY KEY, n INTEGER);",
            ),
            (
                "07_status.sql",
                "ALTER TABLE posts ADD COLUMN status TEXT NOT NULL;",
            ),
        ];
        for bad in failing {
            let fresh_base = tempfile::tempdir().unwrap();
            write(fresh_base.path(), CHAIN);
            write(fresh_base.path(), &[bad]);
            let fresh = check_folder(fresh_base.path(), "m").unwrap_err();
            let base = tempfile::tempdir().unwrap();
            let cache = base.path().join("cache");
            write(base.path(), CHAIN);
            check_folder_cached(base.path(), "m", Some(&cache)).unwrap();
            write(base.path(), &[bad]);
            let resumed = check_folder_cached(base.path(), "m", Some(&cache)).unwrap_err();
            assert_eq!(resumed, fresh, "{}", bad.0);
            // Fixing the file runs from the run saved before it.
            fs::remove_file(base.path().join("m").join(bad.0)).unwrap();
            write(base.path(), &[("07_fixed.sql", "CREATE TABLE fixed (x);")]);
            let fixed = check_folder_cached(base.path(), "m", Some(&cache)).unwrap();
            assert!(fixed.validated.schema.tables.contains_key("fixed"));
        }
    }

    #[test]
    fn the_saved_run_is_resumed_not_run_again() {
        let base = tempfile::tempdir().unwrap();
        let cache = base.path().join("cache");
        write(base.path(), CHAIN);
        let first = check_folder_cached(base.path(), "m", Some(&cache)).unwrap();
        // Doctor the saved run of the whole chain: a check that resumes it
        // reports what it says, one that ran the chain again would not.
        let doctored = Diagnostic::file("m/01_users.sql", "doctored");
        let mut marked = 0;
        for entry in fs::read_dir(&cache).unwrap() {
            let state = entry.unwrap().path().join("state.json");
            let mut run: ChainCheckState =
                serde_json::from_slice(&fs::read(&state).unwrap()).unwrap();
            // Two of the files are down scripts.
            if run.done == CHAIN.len() - 2 {
                run.text_findings.push(Finding {
                    lint: migrate_sqlite::Lint::UnindexedForeignKey,
                    severity: Severity::Warning,
                    diagnostic: doctored.clone(),
                });
                fs::write(&state, serde_json::to_vec(&run).unwrap()).unwrap();
                marked += 1;
            }
        }
        assert_eq!(marked, 1);
        assert!(!first.warnings.contains(&doctored));
        let again = check_folder_cached(base.path(), "m", Some(&cache)).unwrap();
        assert_eq!(again.validated, first.validated);
        assert!(again.warnings.contains(&doctored), "{:?}", again.warnings);
    }

    #[test]
    fn editing_the_last_migration_or_an_earlier_one_gives_what_a_fresh_check_gives() {
        let base = tempfile::tempdir().unwrap();
        let cache = base.path().join("cache");
        write(base.path(), CHAIN);
        check_folder_cached(base.path(), "m", Some(&cache)).unwrap();
        assert_eq!(
            saved_runs(&cache),
            2,
            "the whole chain and the chain without its last"
        );
        for (name, sql) in [
            ("06_title.sql", "ALTER TABLE posts ADD COLUMN title TEXT;"),
            (
                "01_users.sql",
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
            ),
        ] {
            write(base.path(), &[(name, sql)]);
            let resumed = check_folder_cached(base.path(), "m", Some(&cache)).unwrap();
            let fresh = check_folder(base.path(), "m").unwrap();
            assert_eq!(resumed, fresh, "{name}");
            assert!(saved_runs(&cache) <= 3, "old runs are removed");
        }
    }

    #[test]
    fn a_damaged_cache_is_passed_over() {
        let base = tempfile::tempdir().unwrap();
        let cache = base.path().join("cache");
        write(base.path(), CHAIN);
        let fresh = check_folder(base.path(), "m").unwrap();
        check_folder_cached(base.path(), "m", Some(&cache)).unwrap();
        for entry in fs::read_dir(&cache).unwrap() {
            let dir = entry.unwrap().path();
            for file in fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                let bytes = fs::read(&file).unwrap();
                fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
            }
        }
        let damaged = check_folder_cached(base.path(), "m", Some(&cache)).unwrap();
        assert_eq!(damaged, fresh);
        // A cache folder that cannot be made is no cache.
        let blocked = base.path().join("file");
        fs::write(&blocked, "").unwrap();
        let uncached = check_folder_cached(base.path(), "m", Some(&blocked)).unwrap();
        assert_eq!(uncached, fresh);
    }
}
