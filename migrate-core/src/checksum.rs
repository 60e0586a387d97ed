use std::fmt;

/// SHA-256 of a migration's up script, with line endings normalised to `\n`
/// so that a checkout with CRLF line endings does not look like a change.
///
/// It is computed at compile time (by `migrate-build-support`), embedded in
/// the binary and stored in the history table when the migration is applied.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum([u8; 32]);

impl Checksum {
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
