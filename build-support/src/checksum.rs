use std::borrow::Cow;

use migrate_core::Checksum;
use sha2::{Digest, Sha256};

/// SHA-256 of a script, over its text with line endings normalised to `\n`.
pub fn checksum(sql: &str) -> Checksum {
    let digest: [u8; 32] = Sha256::digest(normalize_line_endings(sql).as_bytes()).into();
    Checksum::from_bytes(digest)
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
    fn crlf_and_lf_have_one_checksum() {
        let lf = "CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n";
        let crlf = lf.replace('\n', "\r\n");
        let cr = lf.replace('\n', "\r");
        assert_eq!(checksum(lf), checksum(&crlf));
        assert_eq!(checksum(lf), checksum(&cr));
    }

    #[test]
    fn any_other_change_changes_it() {
        assert_ne!(
            checksum("CREATE TABLE t (x);"),
            checksum("CREATE TABLE t (y);")
        );
        assert_ne!(
            checksum("CREATE TABLE t (x);"),
            checksum("CREATE TABLE t (x); ")
        );
    }

    #[test]
    fn is_sha256_of_the_normalised_text() {
        // sha256("abc\n"), known value.
        assert_eq!(
            checksum("abc\r\n").to_hex(),
            "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb"
        );
    }
}

#[cfg(test)]
mod properties {
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
            prop_assert_eq!(checksum(&mixed), checksum(&lf));
        }

        #[test]
        fn normalising_is_idempotent(text in text()) {
            let once = normalize_line_endings(&text);
            prop_assert!(!once.contains('\r'));
            prop_assert_eq!(normalize_line_endings(&once), once.clone());
            prop_assert_eq!(checksum(&once), checksum(&text));
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
            prop_assert_eq!(checksum(&text) == checksum(&edited), same_text, "{:?} -> {:?}", text, edited);
            if edited != text && !edited.contains('\r') && !text.contains('\r') {
                prop_assert!(!same_text, "an edit without \\r always changes the text");
            }
        }
    }
}
