//! Migration file and folder names.
//!
//! Recognised, so that a project can move over without renaming:
//! - `<version>_<description>.sql`: an up script with no down (also sqlx's form);
//! - `<version>_<description>.up.sql` with `<version>_<description>.down.sql`;
//! - refinery's `V<version>__<description>.sql`;
//! - diesel's folder `<version>_<description>/` holding `up.sql` and `down.sql`,
//!   where the version may contain dashes (`2025-09-19-140443`).

/// Which script a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// An up script (`.sql`, `.up.sql`, `up.sql`).
    Up,
    /// A down script (`.down.sql`, `down.sql`).
    Down,
}

/// A migration's version, description and the kind of script, read from a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedName {
    /// The version, as a number: migrations are ordered by it.
    pub version: u64,
    /// The description: `add_email` for `0003_add_email.sql`.
    pub name: String,
    /// Up or down.
    pub kind: FileKind,
}

/// The file names every message about a name expects; a folder's own layout
/// names its forms instead ([`crate::Format::file_forms`]).
pub(crate) const FORMS: &str =
    "`<version>_<description>.sql`, `<version>_<description>.up.sql` / `.down.sql`, \
                     or `V<version>__<description>.sql`";

/// Parses the name of a `.sql` file in the migrations folder.
///
/// `Err` carries what is wrong with the name, for a file that ends in `.sql`
/// and so looks like a migration but cannot be one.
pub fn parse_file_name(file_name: &str) -> Result<ParsedName, String> {
    let stem = file_name
        .strip_suffix(".sql")
        .ok_or_else(|| format!("a migration file ends in `.sql`; expected {FORMS}"))?;
    let (stem, kind) = if let Some(stem) = stem.strip_suffix(".up") {
        (stem, FileKind::Up)
    } else if let Some(stem) = stem.strip_suffix(".down") {
        (stem, FileKind::Down)
    } else {
        (stem, FileKind::Up)
    };
    if let Some(rest) = stem.strip_prefix('V') {
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            return parse_refinery(rest, kind);
        }
    }
    if stem.starts_with('U') && stem[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return Err(
            "refinery's unversioned migrations (`U<n>__…`) are not supported: \
             rename it `V<n>__<description>.sql` so it gets a place in the order"
                .into(),
        );
    }
    let (version, name) = split_version(stem, '_', |c| c.is_ascii_digit())?;
    Ok(ParsedName {
        version: parse_version(version)?,
        name: parse_description(name)?,
        kind,
    })
}

/// Parses the name of a diesel-style migration folder, `<version>_<description>`.
pub fn parse_folder_name(folder_name: &str) -> Result<(u64, String), String> {
    let (version, name) = split_version(folder_name, '_', |c| c.is_ascii_digit() || c == '-')
        .map_err(|_| {
            "a migration folder is named `<version>_<description>`, \
             as `2025-09-19-140443_create_users` or `20250919140443_init`"
                .to_string()
        })?;
    let digits: String = version.chars().filter(|c| *c != '-').collect();
    Ok((parse_version(&digits)?, parse_description(name)?))
}

fn parse_refinery(rest: &str, kind: FileKind) -> Result<ParsedName, String> {
    if kind == FileKind::Down {
        return Err(
            "refinery-style migrations (`V<n>__…`) have no down scripts; \
             use `<version>_<description>.up.sql` and `.down.sql` for a reversible migration"
                .into(),
        );
    }
    let Some((version, name)) = rest.split_once("__") else {
        return Err(format!(
            "refinery-style names separate version and description with two underscores: \
             `V{}__<description>.sql`",
            rest.trim_end_matches(|c: char| !c.is_ascii_digit())
        ));
    };
    if !version.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("the version `{version}` is not a whole number"));
    }
    Ok(ParsedName {
        version: parse_version(version)?,
        name: parse_description(name)?,
        kind,
    })
}

/// Splits `<version><separator><description>`, where the version is the
/// leading run of characters accepted by `is_version`.
fn split_version(
    stem: &str,
    separator: char,
    is_version: impl Fn(char) -> bool,
) -> Result<(&str, &str), String> {
    let end = stem.find(|c: char| !is_version(c)).unwrap_or(stem.len());
    let (version, rest) = stem.split_at(end);
    if version.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "the name does not start with a version number; expected {FORMS}"
        ));
    }
    match rest.strip_prefix(separator) {
        Some(name) => Ok((version, name)),
        None if rest.is_empty() => Err(format!(
            "the name has a version but no description; expected {FORMS}"
        )),
        None => Err(format!(
            "the version must be followed by `{separator}` and a description; expected {FORMS}"
        )),
    }
}

fn parse_version(digits: &str) -> Result<u64, String> {
    let version: u64 = digits.parse().map_err(|_| {
        format!(
            "the version {digits} does not fit in 64 bits (the largest is {}); \
             a timestamp such as 20250919140443 fits",
            u64::MAX
        )
    })?;
    Ok(version)
}

fn parse_description(name: &str) -> Result<String, String> {
    if name.trim().is_empty() {
        return Err(format!(
            "the name has a version but no description; expected {FORMS}"
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(name: &str) -> (u64, String, FileKind) {
        let parsed = parse_file_name(name).unwrap();
        (parsed.version, parsed.name, parsed.kind)
    }

    #[test]
    fn default_forms() {
        assert_eq!(
            parsed("0003_add_email.sql"),
            (3, "add_email".into(), FileKind::Up)
        );
        assert_eq!(
            parsed("3_add_email.up.sql"),
            (3, "add_email".into(), FileKind::Up)
        );
        assert_eq!(
            parsed("3_add_email.down.sql"),
            (3, "add_email".into(), FileKind::Down)
        );
        assert_eq!(
            parsed("20250919140443_create users.sql"),
            (20250919140443, "create users".into(), FileKind::Up)
        );
    }

    #[test]
    fn refinery_form() {
        assert_eq!(
            parsed("V12__add_index.sql"),
            (12, "add_index".into(), FileKind::Up)
        );
        assert!(parse_file_name("V12_add_index.sql")
            .unwrap_err()
            .contains("two underscores"));
        assert!(parse_file_name("U1__x.sql")
            .unwrap_err()
            .contains("unversioned"));
        assert!(parse_file_name("V1__x.down.sql")
            .unwrap_err()
            .contains("no down"));
    }

    #[test]
    fn diesel_folders() {
        assert_eq!(
            parse_folder_name("2025-09-19-140443_create_users").unwrap(),
            (20250919140443, "create_users".into())
        );
        assert_eq!(parse_folder_name("7_x").unwrap(), (7, "x".into()));
        assert!(parse_folder_name("fixtures").is_err());
        // A version starts with a digit, even where dashes may follow.
        assert!(parse_folder_name("-1_x").is_err());
        assert!(parse_folder_name("--_x").is_err());
    }

    #[test]
    fn versions_are_64_bit_numbers() {
        assert_eq!(parsed("18446744073709551615_max.sql").0, u64::MAX);
        let err = parse_file_name("18446744073709551616_too_big.sql").unwrap_err();
        assert!(err.contains("does not fit in 64 bits"), "{err}");
        // golang-migrate and Drizzle folders start at 0.
        assert_eq!(parsed("0000_init.sql").0, 0);
    }

    #[test]
    fn names_that_do_not_parse() {
        for (name, expected) in [
            ("add_email.sql", "does not start with a version"),
            ("0003.sql", "no description"),
            ("0003_.sql", "no description"),
            ("0003-add-email.sql", "followed by `_`"),
            ("v3__x.sql", "does not start with a version"),
        ] {
            let err = parse_file_name(name).unwrap_err();
            assert!(err.contains(expected), "{name}: {err}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// The ways a migration's name can be written.
    #[derive(Clone, Copy, Debug)]
    enum Form {
        /// `<v>_<d>.sql`
        Plain,
        /// `<v>_<d>.up.sql`
        Up,
        /// `<v>_<d>.down.sql`
        Down,
        /// `V<v>__<d>.sql`
        Refinery,
        /// `V<v>__<d>.up.sql`
        RefineryUp,
    }

    fn form() -> impl Strategy<Value = Form> {
        prop_oneof![
            Just(Form::Plain),
            Just(Form::Up),
            Just(Form::Down),
            Just(Form::Refinery),
            Just(Form::RefineryUp),
        ]
    }

    /// A version written with 0 to 25 leading zeros: more zeros than a u64
    /// has digits still names the same number.
    fn written_version() -> impl Strategy<Value = (u64, String)> {
        let version = prop_oneof![0..=20u64, 1..=100_000u64, 1..=u64::MAX, Just(u64::MAX)];
        (version, 0..=25usize)
            .prop_map(|(version, zeros)| (version, format!("{}{version}", "0".repeat(zeros))))
    }

    /// A description: any printable text with something other than blank
    /// space in it. Descriptions ending in `.up` or `.down` are left out: in
    /// the plain form `1_x.down.sql` is, by design, the down script of `x`.
    fn description() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z_][a-z0-9_ .-]{0,24}", "\\PC{1,12}"].prop_filter(
            "a description with text, not ending like a script kind",
            |d| !d.trim().is_empty() && !d.ends_with(".up") && !d.ends_with(".down"),
        )
    }

    fn file_name(form: Form, version: &str, description: &str) -> String {
        match form {
            Form::Plain => format!("{version}_{description}.sql"),
            Form::Up => format!("{version}_{description}.up.sql"),
            Form::Down => format!("{version}_{description}.down.sql"),
            Form::Refinery => format!("V{version}__{description}.sql"),
            Form::RefineryUp => format!("V{version}__{description}.up.sql"),
        }
    }

    fn expected_kind(form: Form) -> FileKind {
        match form {
            Form::Down => FileKind::Down,
            _ => FileKind::Up,
        }
    }

    /// Inserts dashes after the first digit, as diesel's dated versions
    /// (`2025-09-19-140443`) have them.
    fn dashed(digits: &str, dashes: &[usize]) -> String {
        let mut out = String::new();
        for (index, digit) in digits.chars().enumerate() {
            out.push(digit);
            let count = dashes
                .iter()
                .filter(|at| **at % digits.len() == index)
                .count();
            out.extend(std::iter::repeat_n('-', count));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn every_form_reads_back_its_version_description_and_kind(
            (version, written) in written_version(),
            description in description(),
            form in form(),
        ) {
            let name = file_name(form, &written, &description);
            let parsed = parse_file_name(&name);
            prop_assert_eq!(
                parsed,
                Ok(ParsedName { version, name: description, kind: expected_kind(form) }),
                "{}", name
            );
        }

        #[test]
        fn diesel_folders_read_back_their_version_and_description(
            (version, written) in written_version(),
            dashes in proptest::collection::vec(any::<usize>(), 0..6),
            description in description(),
        ) {
            let folder = format!("{}_{description}", dashed(&written, &dashes));
            prop_assert_eq!(parse_folder_name(&folder), Ok((version, description)), "{}", folder);
        }

        #[test]
        fn versions_beyond_64_bits_are_refused_in_every_form(
            digits in prop_oneof![
                (u128::from(u64::MAX) + 1..=u128::MAX).prop_map(|v| v.to_string()),
                "[1-9][0-9]{20,40}",
            ],
            zeros in 0..4usize,
            form in form(),
        ) {
            let written = format!("{}{digits}", "0".repeat(zeros));
            let name = file_name(form, &written, "too_big");
            let err = parse_file_name(&name).unwrap_err();
            prop_assert!(err.contains("does not fit in 64 bits"), "{}: {}", name, err);
            let err = parse_folder_name(&format!("{written}_too_big")).unwrap_err();
            prop_assert!(err.contains("does not fit in 64 bits"), "{}", err);
        }

        #[test]
        fn version_zero_reads_as_0_however_many_zeros(
            zeros in 1..30usize,
            form in form(),
        ) {
            let name = file_name(form, &"0".repeat(zeros), "zero");
            prop_assert_eq!(parse_file_name(&name).map(|parsed| parsed.version), Ok(0), "{}", name);
            let folder = format!("{}_zero", "0".repeat(zeros));
            prop_assert_eq!(parse_folder_name(&folder).map(|(version, _)| version), Ok(0));
        }

        #[test]
        fn refinery_down_scripts_are_refused(
            (_, written) in written_version(),
            description in description(),
        ) {
            let err = parse_file_name(&format!("V{written}__{description}.down.sql")).unwrap_err();
            prop_assert!(err.contains("no down scripts"), "{}", err);
        }

        /// Any text, and any text that ends like a migration: no panic, and
        /// either a name whose parts are found in the text or a message.
        #[test]
        fn any_name_parses_or_says_why(
            text in prop_oneof![
                "\\PC{0,30}",
                "[0-9Vv_U.-]{0,12}(\\.up|\\.down)?\\.sql",
                "[0-9]{0,25}[_-]{0,3}\\PC{0,8}",
            ],
        ) {
            match parse_file_name(&text) {
                Ok(parsed) => {
                    prop_assert!(!parsed.name.trim().is_empty());
                    prop_assert!(text.ends_with(".sql"));
                    prop_assert!(text.contains(&parsed.name), "{}: {:?}", text, parsed);
                }
                Err(message) => prop_assert!(!message.is_empty()),
            }
            match parse_folder_name(&text) {
                Ok((_, name)) => {
                    prop_assert!(!name.trim().is_empty());
                    prop_assert!(text.ends_with(&name), "{}: {}", text, name);
                }
                Err(message) => prop_assert!(!message.is_empty()),
            }
        }
    }
}
