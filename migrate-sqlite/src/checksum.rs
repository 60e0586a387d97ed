use std::borrow::Cow;
use std::fmt;

use sha2::{Digest, Sha256};

/// SHA-256 of a migration's up script, with line endings normalised to `\n`
/// so that a checkout with CRLF line endings does not look like a change.
///
/// It is computed at compile time (by `migrate-build-support`), embedded in
/// the binary and stored in the history table when the migration is applied.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum([u8; 32]);

impl Checksum {
    /// The checksum of a script: SHA-256 of its text with line endings
    /// normalised ([`normalize_line_endings`]).
    pub fn of(sql: &str) -> Self {
        Self(Sha256::digest(normalize_line_endings(sql).as_bytes()).into())
    }

    /// Wraps the 32 bytes of a SHA-256 digest.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes of the digest.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hexadecimal, 64 characters: the form kept in the history table.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    /// Parses the 64-character hexadecimal form; `None` if it is not one.
    pub fn from_hex(hex: &str) -> Option<Self> {
        // Checked first: reading a pair as a number would also take a sign (`+f`).
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

/// `\r\n` and lone `\r` become `\n`, so a checkout made on Windows with
/// automatic line-ending conversion has the same checksum as on Linux.
pub fn normalize_line_endings(sql: &str) -> Cow<'_, str> {
    if sql.contains('\r') {
        Cow::Owned(sql.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x01;
        let checksum = Checksum::from_bytes(bytes);
        let hex = checksum.to_hex();
        assert_eq!(hex.len(), 64);
        assert!(hex.starts_with("ab00"));
        assert!(hex.ends_with("01"));
        assert_eq!(Checksum::from_hex(&hex), Some(checksum));
    }

    #[test]
    fn rejects_malformed_hex() {
        assert_eq!(Checksum::from_hex("ab"), None);
        assert_eq!(Checksum::from_hex(&"zz".repeat(32)), None);
    }

    #[test]
    fn rejects_a_sign_before_a_digit() {
        assert_eq!(Checksum::from_hex(&"+0".repeat(32)), None);
        let mut hex = "ab".repeat(32);
        hex.replace_range(62..63, "+");
        assert_eq!(Checksum::from_hex(&hex), None);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn hex_round_trips(bytes in any::<[u8; 32]>()) {
            let checksum = Checksum::from_bytes(bytes);
            let hex = checksum.to_hex();
            prop_assert_eq!(hex.len(), 64);
            prop_assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            prop_assert_eq!(Checksum::from_hex(&hex), Some(checksum));
            prop_assert_eq!(Checksum::from_hex(&hex.to_uppercase()), Some(checksum));
            prop_assert_eq!(checksum.as_bytes(), &bytes);
        }

        /// Exactly the 64-character hexadecimal strings are read: no sign,
        /// no blank space, nothing longer or shorter.
        #[test]
        fn only_hex_is_read(
            text in prop_oneof![
                "[0-9a-fA-F]{64}",
                "([0-9a-fA-F+ -][0-9a-fA-F]){32}",
                "[0-9a-f]{0,70}",
                "\\PC{0,64}",
            ],
        ) {
            let is_hex = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
            let read = Checksum::from_hex(&text);
            prop_assert_eq!(read.is_some(), is_hex, "{:?}", text);
            if let Some(checksum) = read {
                prop_assert_eq!(checksum.to_hex(), text.to_lowercase());
            }
        }

        /// One character that is no hex digit, anywhere in the hex form of a
        /// checksum, makes it unreadable: a sign before a digit too, which
        /// reading pairs of characters as numbers would let through.
        #[test]
        fn one_character_that_is_no_hex_digit_is_refused(
            bytes in any::<[u8; 32]>(),
            at in 0..64usize,
            intruder in prop::sample::select(&['+', '-', ' ', 'g', 'x', '\n'][..]),
        ) {
            let mut hex = Checksum::from_bytes(bytes).to_hex();
            hex.replace_range(at..at + 1, &intruder.to_string());
            prop_assert_eq!(Checksum::from_hex(&hex), None, "{:?}", hex);
        }
    }
}

#[cfg(test)]
mod computing {
    use super::*;

    #[test]
    fn crlf_and_lf_have_one_checksum() {
        let lf = "CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n";
        let crlf = lf.replace('\n', "\r\n");
        let cr = lf.replace('\n', "\r");
        assert_eq!(Checksum::of(lf), Checksum::of(&crlf));
        assert_eq!(Checksum::of(lf), Checksum::of(&cr));
    }

    #[test]
    fn any_other_change_changes_it() {
        assert_ne!(
            Checksum::of("CREATE TABLE t (x);"),
            Checksum::of("CREATE TABLE t (y);")
        );
        assert_ne!(
            Checksum::of("CREATE TABLE t (x);"),
            Checksum::of("CREATE TABLE t (x); ")
        );
    }

    #[test]
    fn is_sha256_of_the_normalised_text() {
        // sha256("abc\n"), known value.
        assert_eq!(
            Checksum::of("abc\r\n").to_hex(),
            "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb"
        );
    }
}

#[cfg(test)]
mod computing_properties {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::{select, Index};

    use super::*;

    /// Lines without line endings: SQL-ish text, blank space, unicode.
    fn lines() -> impl Strategy<Value = Vec<String>> {
        vec(
            prop_oneof!["[ -~\t]{0,20}", "[^\r\n]{0,8}", Just(String::new())],
            0..8,
        )
    }

    /// Text of any characters, `\r` and `\n` often among them.
    fn text() -> impl Strategy<Value = String> {
        vec(
            prop_oneof![
                "[^\r\n]{0,4}",
                select(&["\r", "\n", "\r\n", "\n\r", "\r\r\n"][..]).prop_map(str::to_string)
            ],
            0..12,
        )
        .prop_map(|pieces| pieces.concat())
    }

    #[derive(Clone, Debug)]
    enum Edit {
        Insert(Index, char),
        Delete(Index),
        Replace(Index, char),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let c = prop_oneof![
            select(&['\r', '\n', ' ', '\t', ';', 'a', 'é', '\u{feff}', '\u{a0}'][..]),
            any::<char>(),
        ];
        prop_oneof![
            (any::<Index>(), c.clone()).prop_map(|(at, c)| Edit::Insert(at, c)),
            any::<Index>().prop_map(Edit::Delete),
            (any::<Index>(), c).prop_map(|(at, c)| Edit::Replace(at, c)),
        ]
    }

    fn apply(text: &str, edit: &Edit) -> String {
        let boundaries: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
        let mut edited = text.to_string();
        match edit {
            Edit::Insert(at, c) => {
                let at = boundaries
                    .get(at.index(boundaries.len() + 1))
                    .copied()
                    .unwrap_or(text.len());
                edited.insert(at, *c);
            }
            Edit::Delete(at) if !boundaries.is_empty() => {
                edited.remove(boundaries[at.index(boundaries.len())]);
            }
            Edit::Replace(at, c) if !boundaries.is_empty() => {
                let at = boundaries[at.index(boundaries.len())];
                edited.remove(at);
                edited.insert(at, *c);
            }
            _ => edited.push(' '),
        }
        edited
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// LF, CRLF, CR or a mix of them, one choice per line: one checksum.
        #[test]
        fn line_endings_do_not_change_the_checksum(
            lines in lines(),
            endings in vec(select(&["\n", "\r\n", "\r"][..]), 1..8),
            final_newline in any::<bool>(),
        ) {
            let lf = if final_newline { lines.iter().map(|l| format!("{l}\n")).collect() } else { lines.join("\n") };
            let mut mixed = String::new();
            for (index, line) in lines.iter().enumerate() {
                mixed.push_str(line);
                if index + 1 < lines.len() || final_newline {
                    match endings[index % endings.len()] {
                        // A CR, an empty line and a LF are one CRLF.
                        "\n" if mixed.ends_with('\r') => mixed.push_str("\r\n"),
                        ending => mixed.push_str(ending),
                    }
                }
            }
            prop_assert_eq!(normalize_line_endings(&mixed), lf.as_str());
            prop_assert_eq!(Checksum::of(&mixed), Checksum::of(&lf));
        }

        #[test]
        fn normalising_is_idempotent(text in text()) {
            let once = normalize_line_endings(&text);
            prop_assert!(!once.contains('\r'));
            prop_assert_eq!(normalize_line_endings(&once), once.clone());
            prop_assert_eq!(Checksum::of(&once), Checksum::of(&text));
            // Only line endings change: the lines are the same.
            let lines: Vec<_> = text.split("\r\n").flat_map(|l| l.split(['\r', '\n'])).collect();
            prop_assert_eq!(once.split('\n').collect::<Vec<_>>(), lines);
        }

        /// An edit changes the checksum exactly when it changes the
        /// normalised text: any edit but one of line endings does.
        #[test]
        fn any_other_edit_changes_the_checksum(text in text(), edit in edit()) {
            let edited = apply(&text, &edit);
            let same_text = normalize_line_endings(&text) == normalize_line_endings(&edited);
            prop_assert_eq!(Checksum::of(&text) == Checksum::of(&edited), same_text, "{:?} -> {:?}", text, edited);
            if edited != text && !edited.contains('\r') && !text.contains('\r') {
                prop_assert!(!same_text, "an edit without \\r always changes the text");
            }
        }
    }
}
