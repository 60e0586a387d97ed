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
