use crate::{Checksum, Migration};

/// A 32-bit digest of a chain of migrations (their versions and checksums,
/// in order).
///
/// The runtime keeps the fingerprint of the applied chain in the database
/// header (`PRAGMA user_version`), which SQLite reads without parsing the
/// schema. When it equals the fingerprint of the binary's chain, the database
/// is up to date and the start costs next to nothing; any difference (a new,
/// edited or unknown migration) falls through to the full check of the
/// history table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(i32);

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Fingerprint {
    /// The fingerprint of `migrations`, in the order given. A `const fn`, so
    /// that a `static` migrator computes it at compile time.
    pub const fn of(migrations: &[Migration]) -> Self {
        let mut state = FNV_OFFSET;
        let mut index = 0;
        while index < migrations.len() {
            let migration = &migrations[index];
            state = mix(state, migration.version(), migration.checksum().as_bytes());
            index += 1;
        }
        Self::finish(state)
    }

    /// The fingerprint of an applied chain read from a history table.
    pub fn of_applied<'a>(applied: impl IntoIterator<Item = (u64, &'a Checksum)>) -> Self {
        let state = applied
            .into_iter()
            .fold(FNV_OFFSET, |state, (version, checksum)| {
                mix(state, version, checksum.as_bytes())
            });
        Self::finish(state)
    }

    /// The value kept in `PRAGMA user_version`.
    pub const fn to_user_version(self) -> i32 {
        self.0
    }

    /// Reads the value kept in `PRAGMA user_version`.
    pub const fn from_user_version(value: i32) -> Self {
        Self(value)
    }

    /// Folds the 64-bit FNV-1a state to 32 bits; never 0, the value of a
    /// database no migrator has touched.
    const fn finish(state: u64) -> Self {
        let folded = (state ^ (state >> 32)) as u32 as i32;
        Self(if folded == 0 { 1 } else { folded })
    }
}

const fn mix(mut state: u64, version: u64, checksum: &[u8; 32]) -> u64 {
    let version = version.to_le_bytes();
    let mut index = 0;
    while index < version.len() + checksum.len() {
        let byte = if index < version.len() {
            version[index]
        } else {
            checksum[index - version.len()]
        };
        state = (state ^ byte as u64).wrapping_mul(FNV_PRIME);
        index += 1;
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Directives, Script};

    fn migration(version: u64, checksum: u8) -> Migration {
        let up = Script::embedded("SELECT 1;", Directives::NONE);
        Migration::embedded(version, "m", up, None, Checksum::from_bytes([checksum; 32]))
    }

    #[test]
    fn equals_the_fingerprint_of_the_same_applied_chain() {
        let chain = [migration(1, 7), migration(2, 9)];
        let applied = chain.iter().map(|m| (m.version(), m.checksum()));
        let applied: Vec<_> = applied.collect();
        let from_history = Fingerprint::of_applied(applied.iter().map(|(v, c)| (*v, c)));
        assert_eq!(Fingerprint::of(&chain), from_history);
    }

    #[test]
    fn any_difference_changes_it() {
        let base = Fingerprint::of(&[migration(1, 7), migration(2, 9)]);
        assert_ne!(base, Fingerprint::of(&[migration(1, 7)]));
        assert_ne!(base, Fingerprint::of(&[migration(1, 7), migration(2, 8)]));
        assert_ne!(base, Fingerprint::of(&[migration(1, 7), migration(3, 9)]));
        assert_ne!(
            base,
            Fingerprint::of(&[migration(1, 7), migration(2, 9), migration(3, 1)])
        );
    }

    #[test]
    fn is_never_the_value_of_an_untouched_database() {
        assert_ne!(Fingerprint::of(&[]).to_user_version(), 0);
        assert_eq!(Fingerprint::finish(0).to_user_version(), 1);
    }

    #[test]
    fn is_computed_at_compile_time() {
        const CHAIN: &[Migration] = &[];
        const FINGERPRINT: Fingerprint = Fingerprint::of(CHAIN);
        assert_eq!(FINGERPRINT, Fingerprint::of_applied([]));
    }
}
