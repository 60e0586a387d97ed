//! Directives: SQL comments at the top of a migration file that change how it
//! is checked or applied, all spelled `-- migrate: <directive>`.

use std::fmt;

use crate::lex;

/// How every directive starts, after the `--` of a SQL comment.
pub const DIRECTIVE_PREFIX: &str = "migrate:";

/// One directive, as written after `-- migrate:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Directive {
    /// `no-transaction`: the script runs outside any transaction, alone.
    /// For statements SQLite refuses inside one (`VACUUM`, `PRAGMA journal_mode`).
    NoTransaction,
    /// `foreign-keys-off`: foreign keys are switched off around the transaction
    /// and `PRAGMA foreign_key_check` runs before commit: the SQLite 12-step
    /// table rebuild.
    ForeignKeysOff,
    /// `own-transaction`: the script commits on its own, in a transaction
    /// of its own, even when the pending migrations otherwise share one: a
    /// large change that replication (LiteFS, Litestream) should not carry
    /// with the rest in one transaction.
    OwnTransaction,
    /// `allow <lint>`: silences one lint for this file.
    Allow(Lint),
}

macro_rules! lints {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// A check on migrations that SQLite accepts but production regrets.
        /// Each has a stable name, used in messages and in `-- migrate: allow <name>`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Lint {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Lint {
            /// Every lint, in a stable order.
            pub const ALL: &'static [Lint] = &[$(Lint::$variant,)*];

            /// The stable name used in messages and directives.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Lint::$variant => $name,)*
                }
            }
        }
    };
}

lints! {
    /// DROP TABLE, DROP COLUMN, DELETE or UPDATE without WHERE, a rebuild that leaves out a column.
    Destructive = "destructive",
    /// An index that repeats another one, or the automatic index of a key.
    RedundantIndex = "redundant-index",
    /// `PRAGMA foreign_keys` inside a transaction, where it silently does nothing.
    PragmaInTransaction = "pragma-in-transaction",
    /// A statement that cannot run in a transaction, without `no-transaction`.
    NeedsNoTransaction = "needs-no-transaction",
    /// BEGIN / COMMIT written inside a migration the runner already wraps.
    ExplicitTransaction = "explicit-transaction",
    /// A table rebuild without `foreign-keys-off`.
    RebuildForeignKeys = "rebuild-foreign-keys",
    /// A rebuild dropping a table whose children cascade on delete.
    RebuildCascade = "rebuild-cascade",
    /// Triggers lost by a table rebuild.
    RebuildLostTrigger = "rebuild-lost-trigger",
    /// A view left referring to something renamed or dropped.
    BrokenView = "broken-view",
    /// A foreign key to a missing table or a column that is not unique.
    ForeignKeyTarget = "foreign-key-target",
    /// Rows that violate a foreign key after the migration.
    ForeignKeyViolation = "foreign-key-violation",
    /// `INT PRIMARY KEY`, which is not an alias of the rowid.
    IntPrimaryKey = "int-primary-key",
    /// A double-quoted string literal.
    DoubleQuotedString = "double-quoted-string",
    /// A word in a declared column type that is no type name (`TEXT NOL NULL`).
    UnknownTypeWord = "unknown-type-word",
    /// A foreign key child column without an index.
    UnindexedForeignKey = "unindexed-foreign-key",
    /// An up script without a statement: a migration that changes nothing.
    EmptyMigration = "empty-migration",
    /// A migration that fails for some values in the rows (a NULL copied
    /// into NOT NULL, a value repeated under a new UNIQUE index).
    DataDependent = "data-dependent",
}

impl Lint {
    /// Finds a lint by its stable name.
    pub fn from_name(name: &str) -> Option<Lint> {
        Lint::ALL.iter().copied().find(|lint| lint.name() == name)
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The directives of one script, as a small `Copy` value so that it can be
/// embedded in a `const`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Directives {
    flags: u32,
    allowed: u64,
}

const NO_TRANSACTION: u32 = 1;
const FOREIGN_KEYS_OFF: u32 = 2;
const OWN_TRANSACTION: u32 = 4;

impl Directives {
    /// No directive.
    pub const NONE: Directives = Directives {
        flags: 0,
        allowed: 0,
    };

    /// Rebuilds a value from [`Directives::to_raw`]; used by the generated code.
    #[doc(hidden)]
    pub const fn from_raw(flags: u32, allowed: u64) -> Self {
        Self { flags, allowed }
    }

    /// The two numbers the generated code embeds.
    #[doc(hidden)]
    pub const fn to_raw(self) -> (u32, u64) {
        (self.flags, self.allowed)
    }

    /// This value with one more directive.
    pub const fn with(mut self, directive: Directive) -> Self {
        match directive {
            Directive::NoTransaction => self.flags |= NO_TRANSACTION,
            Directive::ForeignKeysOff => self.flags |= FOREIGN_KEYS_OFF,
            Directive::OwnTransaction => self.flags |= OWN_TRANSACTION,
            Directive::Allow(lint) => self.allowed |= 1 << lint as u32,
        }
        self
    }

    /// `-- migrate: no-transaction` was given.
    pub const fn no_transaction(self) -> bool {
        self.flags & NO_TRANSACTION != 0
    }

    /// `-- migrate: foreign-keys-off` was given.
    pub const fn foreign_keys_off(self) -> bool {
        self.flags & FOREIGN_KEYS_OFF != 0
    }

    /// `-- migrate: own-transaction` was given.
    pub const fn own_transaction(self) -> bool {
        self.flags & OWN_TRANSACTION != 0
    }

    /// `-- migrate: allow <lint>` was given for this lint.
    pub const fn allows(self, lint: Lint) -> bool {
        self.allowed & (1 << lint as u32) != 0
    }

    /// Every directive set, in a stable order.
    pub fn iter(self) -> impl Iterator<Item = Directive> {
        let flags = [
            (self.no_transaction(), Directive::NoTransaction),
            (self.foreign_keys_off(), Directive::ForeignKeysOff),
            (self.own_transaction(), Directive::OwnTransaction),
        ];
        let flags = flags.into_iter().filter(|(set, _)| *set).map(|(_, d)| d);
        let allowed = Lint::ALL
            .iter()
            .filter(move |lint| self.allows(**lint))
            .map(|lint| Directive::Allow(*lint));
        flags.chain(allowed)
    }

    /// Reads the directives at the top of a script.
    ///
    /// Directives are the `-- migrate: …` comment lines before the first line
    /// of SQL. Unknown directives are refused rather than ignored, and so is a
    /// directive further down, where it would silently do nothing.
    ///
    /// A script that runs in a transaction and turns foreign keys off itself
    /// ([`turns_foreign_keys_off`], as Prisma and Drizzle write around a
    /// table rebuild) gets `foreign-keys-off`: its own `PRAGMA` would do
    /// nothing inside the transaction.
    pub fn parse(sql: &str) -> Result<Directives, DirectiveError> {
        Self::parse_with(sql, Directives::NONE, false)
    }

    /// As [`Directives::parse`], for a script whose tool already says some of
    /// its directives in its own way (goose's `NO TRANSACTION`, diesel's
    /// `metadata.toml`): `given` joins those the header writes, and a script
    /// that `given` runs outside a transaction keeps its own `PRAGMA`.
    pub fn parse_given(sql: &str, given: Directives) -> Result<Directives, DirectiveError> {
        Self::parse_with(sql, given, false)
    }

    /// Reads the directives of a script about to run, such as a down script
    /// a newer build recorded in the history: as [`Directives::parse`], but
    /// `allow` of a lint this build does not know is ignored, since lints
    /// only matter at compile time.
    pub fn parse_for_running(sql: &str) -> Result<Directives, DirectiveError> {
        Self::parse_with(sql, Directives::NONE, true)
    }

    fn parse_with(
        sql: &str,
        given: Directives,
        lenient: bool,
    ) -> Result<Directives, DirectiveError> {
        let mut written = given;
        for directive in Self::written(sql, lenient)?.iter() {
            written = written.with(directive);
        }
        if !written.no_transaction() && turns_foreign_keys_off(sql).is_some() {
            return Ok(written.with(Directive::ForeignKeysOff));
        }
        Ok(written)
    }

    /// The directives the script's header writes.
    fn written(sql: &str, lenient: bool) -> Result<Directives, DirectiveError> {
        // Most scripts name no directive at all: they need no lexing.
        let mentions_prefix = sql
            .as_bytes()
            .windows(DIRECTIVE_PREFIX.len())
            .any(|window| window.eq_ignore_ascii_case(DIRECTIVE_PREFIX.as_bytes()));
        if !mentions_prefix {
            return Ok(Directives::NONE);
        }
        // Where the lexer finds a `--` comment: not inside a string, a
        // quoted name or a block comment.
        let comments: Vec<usize> = lex::tokens(sql)
            .iter()
            .filter(|token| token.kind == lex::Kind::Comment && token.text.starts_with("--"))
            .map(|token| token.start)
            .collect();
        let mut directives = Directives::NONE;
        let mut in_header = true;
        let mut line_start = 0;
        for (index, piece) in sql.split_inclusive('\n').enumerate() {
            let offset = line_start;
            line_start += piece.len();
            // As `str::lines` cuts them: without `\n` or `\r\n`.
            let line = piece.strip_suffix('\n').unwrap_or(piece);
            let line = line.strip_suffix('\r').unwrap_or(line);
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            let first = offset + line.len() - trimmed.len();
            let comment = trimmed
                .strip_prefix("--")
                .filter(|_| comments.binary_search(&first).is_ok());
            let Some(comment) = comment else {
                in_header = false;
                continue;
            };
            let Some(body) = directive_body(comment) else {
                continue;
            };
            // In characters, as every column in a diagnostic is.
            let column = line[..line.len() - trimmed.len()].chars().count() + 1;
            let error = |message: String| DirectiveError {
                line: index + 1,
                column,
                message,
            };
            if !in_header {
                return Err(error(
                    "a directive must be at the top of the file, before any SQL; \
                     here it would have no effect"
                        .into(),
                ));
            }
            if !comment.trim_start().starts_with(DIRECTIVE_PREFIX) {
                return Err(error(format!(
                    "directives are spelled `-- {DIRECTIVE_PREFIX} <directive>` (lower case)"
                )));
            }
            for directive in parse_directive(body, lenient).map_err(error)? {
                directives = directives.with(directive);
            }
        }
        Ok(directives)
    }
}

/// Where `sql` turns foreign keys off itself, with `PRAGMA foreign_keys =
/// OFF` (or `0`, `false`, `no`) as any of its statements: the offset of the
/// first such statement.
pub fn turns_foreign_keys_off(sql: &str) -> Option<usize> {
    let mentions = sql
        .as_bytes()
        .windows(b"foreign_keys".len())
        .any(|window| window.eq_ignore_ascii_case(b"foreign_keys"));
    if !mentions {
        return None;
    }
    lex::statements(sql).into_iter().find_map(|statement| {
        let code = lex::code(&sql[statement.range.clone()]);
        let (name, next) = lex::qualified_name(&code, 1)?;
        let value = match code.get(next)? {
            t if t.is_punct("=") => code.get(next + 1)?,
            t if t.is_punct("(") => code.get(next + 1)?,
            _ => return None,
        };
        let value = value
            .name()
            .unwrap_or_else(|| value.text.trim_matches('\'').to_string());
        let off = ["off", "0", "false", "no"].contains(&value.to_ascii_lowercase().as_str());
        (code[0].is("PRAGMA") && name.eq_ignore_ascii_case("foreign_keys") && off)
            .then_some(statement.range.start)
    })
}

/// The text after `migrate:` in a comment, matched without regard to case so
/// that a mis-capitalised directive is reported instead of ignored.
fn directive_body(comment: &str) -> Option<&str> {
    let comment = comment.trim_start();
    let head = comment.get(..DIRECTIVE_PREFIX.len())?;
    head.eq_ignore_ascii_case(DIRECTIVE_PREFIX)
        .then(|| comment[DIRECTIVE_PREFIX.len()..].trim())
}

fn parse_directive(body: &str, lenient: bool) -> Result<Vec<Directive>, String> {
    let (word, rest) = body
        .split_once(char::is_whitespace)
        .map_or((body, ""), |(word, rest)| (word, rest.trim()));
    let is_separator = |c: char| c == ',' || c.is_whitespace();
    match (word, rest) {
        ("no-transaction", "") => Ok(vec![Directive::NoTransaction]),
        ("foreign-keys-off", "") => Ok(vec![Directive::ForeignKeysOff]),
        ("own-transaction", "") => Ok(vec![Directive::OwnTransaction]),
        // A list of separators alone names no lint either.
        ("allow", names) if names.chars().all(is_separator) => Err(format!(
            "`allow` needs the name of a lint: one of {}",
            lint_names()
        )),
        ("allow", names) => names
            .split(is_separator)
            .filter(|name| !name.is_empty())
            .filter(|name| !lenient || Lint::from_name(name).is_some())
            .map(|name| {
                Lint::from_name(name).map(Directive::Allow).ok_or_else(|| {
                    format!("unknown lint `{name}`; the lints are: {}", lint_names())
                })
            })
            .collect(),
        ("no-transaction" | "foreign-keys-off" | "own-transaction", _) => {
            Err(format!("`{word}` takes no argument, found `{rest}`"))
        }
        _ => Err(format!(
            "unknown directive `{body}`; the directives are: `no-transaction`, \
             `foreign-keys-off`, `own-transaction`, `allow <lint>`"
        )),
    }
}

fn lint_names() -> String {
    let names: Vec<_> = Lint::ALL.iter().map(|lint| lint.name()).collect();
    names.join(", ")
}

impl fmt::Debug for Directives {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Directive::NoTransaction => f.write_str("no-transaction"),
            Directive::ForeignKeysOff => f.write_str("foreign-keys-off"),
            Directive::OwnTransaction => f.write_str("own-transaction"),
            Directive::Allow(lint) => write!(f, "allow {lint}"),
        }
    }
}

/// A directive that could not be read, with its place in the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectiveError {
    /// 1-based line of the directive.
    pub line: usize,
    /// 1-based column where its comment starts.
    pub column: usize,
    /// What is wrong and how to write it.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_ignores_only_lints_this_build_does_not_know() {
        let sql = "-- migrate: allow a-later-lint, destructive\n-- migrate: foreign-keys-off\nDROP TABLE t;";
        assert!(Directives::parse(sql).is_err());
        let running = Directives::parse_for_running(sql).unwrap();
        assert!(running.foreign_keys_off());
        assert!(running.allows(Lint::Destructive));
        assert!(Directives::parse_for_running("-- migrate: no-transactions\nSELECT 1;").is_err());
    }

    #[test]
    fn reads_directives_from_the_header() {
        let sql = "-- adds the index\n\n-- migrate: no-transaction\n--migrate: allow destructive, redundant-index\nVACUUM;\n";
        let directives = Directives::parse(sql).unwrap();
        assert!(directives.no_transaction());
        assert!(!directives.foreign_keys_off());
        assert!(directives.allows(Lint::Destructive));
        assert!(directives.allows(Lint::RedundantIndex));
        assert!(!directives.allows(Lint::IntPrimaryKey));
        assert_eq!(directives.iter().count(), 3);
    }

    #[test]
    fn own_transaction_is_read_and_keeps_a_script_out_of_a_shared_transaction() {
        let directives =
            Directives::parse("-- migrate: own-transaction\nUPDATE t SET x = 1;").unwrap();
        assert!(directives.own_transaction());
        assert_eq!(
            directives.iter().collect::<Vec<_>>(),
            [Directive::OwnTransaction]
        );
        assert_eq!(Directive::OwnTransaction.to_string(), "own-transaction");
        assert!(!crate::apply::can_share_transaction(directives));
        assert!(crate::apply::can_share_transaction(Directives::NONE));
        let err = Directives::parse("-- migrate: own-transaction now\nSELECT 1;").unwrap_err();
        assert!(err.message.contains("takes no argument"), "{}", err.message);
    }

    #[test]
    fn ordinary_comments_are_not_directives() {
        let sql = "-- migrate users to the new layout\nCREATE TABLE t (x);";
        assert_eq!(Directives::parse(sql), Ok(Directives::NONE));
    }

    #[test]
    fn rejects_unknown_directive_with_the_known_ones() {
        let err = Directives::parse("-- migrate: no-transactions\nVACUUM;").unwrap_err();
        assert_eq!((err.line, err.column), (1, 1));
        assert!(err.message.contains("unknown directive `no-transactions`"));
        assert!(err.message.contains("`no-transaction`"));
    }

    #[test]
    fn rejects_unknown_lint() {
        let err = Directives::parse("-- migrate: allow destructiv").unwrap_err();
        assert!(err.message.contains("unknown lint `destructiv`"));
        assert!(err.message.contains("destructive"));
    }

    #[test]
    fn rejects_directive_after_sql() {
        let err =
            Directives::parse("CREATE TABLE t (x);\n  -- migrate: no-transaction").unwrap_err();
        assert_eq!((err.line, err.column), (2, 3));
        assert!(err.message.contains("at the top of the file"));
    }

    #[test]
    fn the_column_of_an_error_counts_characters() {
        // U+3000 is blank space of three bytes: one column.
        let err = Directives::parse("SELECT 1;\n\u{3000}\t-- migrate: no-transaction").unwrap_err();
        assert_eq!((err.line, err.column), (2, 3));
    }

    #[test]
    fn rejects_allow_without_a_lint() {
        for sql in [
            "-- migrate: allow",
            "-- migrate: allow ,",
            "-- migrate: allow , ,\t,",
        ] {
            for result in [Directives::parse(sql), Directives::parse_for_running(sql)] {
                let err = result.unwrap_err();
                assert!(
                    err.message.contains("needs the name of a lint"),
                    "{sql}: {err:?}"
                );
            }
        }
    }

    #[test]
    fn rejects_other_capitalisation() {
        let err = Directives::parse("-- Migrate: no-transaction").unwrap_err();
        assert!(err.message.contains("lower case"));
    }

    #[test]
    fn rejects_arguments_where_none_are_taken() {
        let err = Directives::parse("-- migrate: no-transaction please").unwrap_err();
        assert!(err.message.contains("takes no argument"));
    }

    #[test]
    fn raw_form_round_trips() {
        let directives = Directives::NONE
            .with(Directive::ForeignKeysOff)
            .with(Directive::Allow(Lint::UnindexedForeignKey));
        let (flags, allowed) = directives.to_raw();
        assert_eq!(Directives::from_raw(flags, allowed), directives);
    }

    #[test]
    fn every_lint_name_is_found_again() {
        for lint in Lint::ALL {
            assert_eq!(Lint::from_name(lint.name()), Some(*lint));
        }
        assert!(
            Lint::ALL.len() <= 64,
            "lints must fit in the allowed bit set"
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};

    use super::*;

    const SEPARATORS: &[&str] = &[",", ", ", " ", " , ", "\t", ",,", " ,\t", ",  "];
    const INDENTS: &[&str] = &["", " ", "  ", "\t"];
    const AFTER_DASHES: &[&str] = &["", " ", "  ", "\t"];
    const AFTER_COLON: &[&str] = &["", " ", "   ", "\t"];
    const AFTER_ALLOW: &[&str] = &[" ", "  ", "\t"];
    const TRAILING: &[&str] = &["", " ", "\t ", "  "];
    /// Lines of a header that are not directives.
    const FILLERS: &[&str] = &[
        "",
        "   ",
        "--",
        "-- adds the users table",
        "-- migrate users to the new layout",
        "-- migrated: by hand, once",
        "-- Note: -- migrate: no-transaction is not needed here",
        "---- migrate: no-transaction",
    ];
    /// SQL after the header: the first line is SQL, the others may be
    /// anything but a directive.
    const SQL: &[&str] = &[
        "CREATE TABLE t (x);",
        "  VACUUM;",
        "/* -- migrate: no-transaction */ SELECT 1;",
        "SELECT 1; -- migrate: no-transaction",
        "INSERT INTO t VALUES ('-- migrate: foreign-keys-off');",
    ];

    /// How one directive line is spaced.
    type Spacing = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );

    fn spacing() -> impl Strategy<Value = Spacing> {
        (
            select(INDENTS),
            select(AFTER_DASHES),
            select(AFTER_COLON),
            select(AFTER_ALLOW),
            select(TRAILING),
        )
    }

    /// What follows `migrate:`: `word` and its argument, if any.
    fn line(body: &(String, String), spacing: Spacing) -> String {
        let (indent, after_dashes, after_colon, after_word, trailing) = spacing;
        let (word, argument) = body;
        let argument = if argument.is_empty() {
            String::new()
        } else {
            format!("{after_word}{argument}")
        };
        format!("{indent}--{after_dashes}{DIRECTIVE_PREFIX}{after_colon}{word}{argument}{trailing}")
    }

    /// The lints of one `allow` line, joined by the given separators.
    fn allow_list(lints: &[&str], separators: &[&'static str]) -> String {
        let mut list = String::new();
        for (index, lint) in lints.iter().enumerate() {
            if index > 0 {
                list.push_str(separators[index % separators.len()]);
            }
            list.push_str(lint);
        }
        list
    }

    /// A set of directives and the bodies of lines that say it: the flags
    /// one line each, the allowed lints spread over one or more `allow`
    /// lines in any order, with one lint possibly allowed twice.
    fn directive_lines() -> impl Strategy<Value = (Directives, Vec<(String, String)>)> {
        (
            any::<bool>(),
            any::<bool>(),
            subsequence(Lint::ALL.to_vec(), 0..=Lint::ALL.len()).prop_shuffle(),
            vec(any::<bool>(), Lint::ALL.len()),
            vec(select(SEPARATORS), 1..4),
            any::<bool>(),
        )
            .prop_map(
                |(no_transaction, fk_off, lints, breaks, separators, repeat)| {
                    let mut expected = Directives::NONE;
                    let mut bodies = Vec::new();
                    if no_transaction {
                        expected = expected.with(Directive::NoTransaction);
                        bodies.push(("no-transaction".to_string(), String::new()));
                    }
                    if fk_off {
                        expected = expected.with(Directive::ForeignKeysOff);
                        bodies.push(("foreign-keys-off".to_string(), String::new()));
                    }
                    let mut names: Vec<&str> = lints.iter().map(|lint| lint.name()).collect();
                    if repeat && !names.is_empty() {
                        names.push(names[0]);
                    }
                    let mut group = Vec::new();
                    for (index, name) in names.iter().enumerate() {
                        if breaks[index % breaks.len()] && !group.is_empty() {
                            bodies.push(("allow".into(), allow_list(&group, &separators)));
                            group.clear();
                        }
                        group.push(name);
                    }
                    if !group.is_empty() {
                        bodies.push(("allow".into(), allow_list(&group, &separators)));
                    }
                    for lint in lints {
                        expected = expected.with(Directive::Allow(lint));
                    }
                    (expected, bodies)
                },
            )
    }

    /// A script: its directives in any order, each spaced its own way, with
    /// blank lines and ordinary comments between them, then SQL; LF or CRLF.
    fn script() -> impl Strategy<Value = (Directives, String)> {
        directive_lines()
            .prop_flat_map(|(expected, bodies)| {
                let count = bodies.len();
                (
                    Just(expected),
                    Just(bodies).prop_shuffle(),
                    vec(spacing(), count),
                    vec(select(FILLERS), count + 1),
                    vec(select(SQL), 0..3),
                    select(&["\n", "\r\n"][..]),
                )
            })
            .prop_map(|(expected, bodies, spacings, fillers, sql, newline)| {
                let mut lines = vec![fillers[0].to_string()];
                for ((body, spacing), filler) in bodies.iter().zip(spacings).zip(&fillers[1..]) {
                    lines.push(line(body, spacing));
                    lines.push(filler.to_string());
                }
                lines.extend(sql.iter().map(|line| line.to_string()));
                (expected, lines.join(newline))
            })
    }

    /// `migrate:` in any case.
    fn prefix_in_any_case() -> impl Strategy<Value = String> {
        vec(any::<bool>(), DIRECTIVE_PREFIX.len()).prop_map(|upper| {
            DIRECTIVE_PREFIX
                .chars()
                .zip(upper)
                .map(|(c, upper)| if upper { c.to_ascii_uppercase() } else { c })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn a_rendered_set_of_directives_reads_back(
            (expected, script) in script(),
        ) {
            prop_assert_eq!(Directives::parse(&script), Ok(expected), "{:?}", script);
            prop_assert_eq!(Directives::parse_for_running(&script), Ok(expected));
        }

        #[test]
        fn the_displayed_directives_read_back(
            (expected, _) in directive_lines(),
        ) {
            let script: String = expected
                .iter()
                .map(|directive| format!("-- {DIRECTIVE_PREFIX} {directive}\n"))
                .collect();
            prop_assert_eq!(Directives::parse(&script), Ok(expected));
            let (flags, allowed) = expected.to_raw();
            prop_assert_eq!(Directives::from_raw(flags, allowed), expected);
        }

        /// Below the first line of SQL, any directive, well spelled or not,
        /// is refused at its line and at the column of its `--`, counted in
        /// characters as every other column is.
        #[test]
        fn a_directive_after_sql_is_refused_where_it_is(
            (_, header) in script(),
            sql in vec(select(SQL), 1..3),
            fillers in vec(select(FILLERS), 0..3),
            (_, bodies) in directive_lines(),
            indent in select(&["", " ", "\t", "\u{a0}", "\u{3000} ", " \u{2003}"][..]),
            prefix in prefix_in_any_case(),
        ) {
            let body = bodies.first().map_or("no-transaction".to_string(), |(w, a)| format!("{w} {a}"));
            let mut lines: Vec<String> = vec![header.trim_end().to_string()];
            if header.trim().is_empty() {
                lines.clear();
            }
            lines.extend(sql.iter().map(|line| line.to_string()));
            lines.extend(fillers.iter().map(|line| line.to_string()));
            lines.push(format!("{indent}-- {prefix} {body}"));
            let line = lines.iter().map(|l| l.lines().count().max(1)).sum::<usize>();
            let script = lines.join("\n");
            let err = Directives::parse(&script).unwrap_err();
            prop_assert!(err.message.contains("at the top of the file"), "{:?}", err);
            prop_assert_eq!((err.line, err.column), (line, indent.chars().count() + 1));
            prop_assert!(Directives::parse_for_running(&script).is_err());
        }

        #[test]
        fn the_prefix_in_another_case_is_refused(
            prefix in prefix_in_any_case(),
            (_, bodies) in directive_lines(),
        ) {
            let body = bodies.first().map_or("no-transaction".to_string(), |(w, a)| format!("{w} {a}"));
            let result = Directives::parse(&format!("-- {prefix} {body}\nSELECT 1;"));
            if prefix == DIRECTIVE_PREFIX {
                prop_assert!(result.is_ok());
            } else {
                prop_assert!(result.unwrap_err().message.contains("lower case"));
            }
        }

        /// An `allow` line is accepted only with a lint to allow: a list of
        /// separators alone is refused like a bare `allow`.
        #[test]
        fn an_accepted_allow_allows_something(
            names in vec(select(&["destructive", "redundant-index", "a-later-lint"][..]), 0..3),
            separators in vec(select(SEPARATORS), 1..3),
            leading in select(&["", ",", ", ", " ,"][..]),
        ) {
            let list = format!("{leading}{}", allow_list(&names, &separators));
            let script = format!("-- migrate: allow {list}\nSELECT 1;");
            for lenient in [false, true] {
                match Directives::parse_with(&script, Directives::NONE, lenient) {
                    Ok(directives) => prop_assert!(
                        directives.iter().next().is_some() || lenient && !names.is_empty(),
                        "{:?} accepted and allows nothing", script
                    ),
                    Err(err) => prop_assert!(
                        !lenient && names.contains(&"a-later-lint") || names.is_empty(),
                        "{:?}: {:?}", script, err
                    ),
                }
            }
        }

        /// `parse_for_running` accepts all that `parse` accepts, with the same
        /// result, and more: `allow` of a lint this build does not know.
        #[test]
        fn running_accepts_a_superset(
            lines in vec(
                prop_oneof![
                    select(FILLERS).prop_map(str::to_string),
                    select(SQL).prop_map(str::to_string),
                    "-- migrate: (no-transaction|foreign-keys-off|allow|nothing|allow [a-z-]{1,20}(, [a-z-]{1,20})?)",
                    "-- migrate: allow (destructive|int-primary-key|[a-z-]{1,12})([ ,]{1,2}(broken-view|[a-z-]{1,12}))*",
                    "\\PC{0,20}",
                ],
                0..8,
            ),
        ) {
            let script = lines.join("\n");
            let strict = Directives::parse(&script);
            let running = Directives::parse_for_running(&script);
            if let Ok(directives) = strict {
                prop_assert_eq!(running, Ok(directives));
            } else if let Ok(directives) = running {
                // Only unknown lints can make the difference: without them,
                // the strict reading agrees.
                let known_only: String = script
                    .lines()
                    .map(|line| match line.trim_start().strip_prefix("-- migrate: allow ") {
                        Some(names) => {
                            let known: Vec<_> = names
                                .split(|c: char| c == ',' || c.is_whitespace())
                                .filter(|name| Lint::from_name(name).is_some())
                                .collect();
                            if known.is_empty() {
                                String::new()
                            } else {
                                format!("-- migrate: allow {}", known.join(","))
                            }
                        }
                        None => line.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                prop_assert_eq!(Directives::parse(&known_only), Ok(directives), "{:?}", known_only);
            }
        }

        #[test]
        fn unknown_lints_are_refused_when_checking_and_skipped_when_running(
            (expected, script) in script(),
            unknown in "[a-z][a-z-]{0,15}".prop_filter("not a lint", |name| Lint::from_name(name).is_none()),
            known in select(Lint::ALL),
        ) {
            let script = format!("-- migrate: allow {unknown}, {known}\n{script}");
            let err = Directives::parse(&script).unwrap_err();
            prop_assert!(err.message.contains(&format!("unknown lint `{unknown}`")), "{:?}", err);
            prop_assert_eq!(
                Directives::parse_for_running(&script),
                Ok(expected.with(Directive::Allow(known)))
            );
        }

        #[test]
        fn any_text_reads_or_says_where_and_why(text in "(\\PC{0,20}\r?\n?){0,6}") {
            for result in [Directives::parse(&text), Directives::parse_for_running(&text)] {
                if let Err(err) = result {
                    prop_assert!(!err.message.is_empty());
                    let line = text.lines().nth(err.line - 1);
                    prop_assert!(line.is_some(), "{:?}: {:?}", text, err);
                    prop_assert!(err.column <= line.unwrap().chars().count());
                }
            }
        }
    }
}
