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
