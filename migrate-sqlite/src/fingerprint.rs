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

#[cfg(test)]
mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::{Directives, Script};

    fn chain() -> impl Strategy<Value = Vec<(u64, [u8; 32])>> {
        vec((any::<u64>(), any::<[u8; 32]>()), 0..8)
    }

    /// The chain as migrations; `name` and the SQL are not part of the fingerprint.
    fn migrations(chain: &[(u64, [u8; 32])], name: &'static str) -> Vec<Migration> {
        chain
            .iter()
            .map(|(version, checksum)| {
                let up = Script::owned(format!("-- {name}\nSELECT {version};"), Directives::NONE);
                Migration::new(*version, name, up, None, Checksum::from_bytes(*checksum))
            })
            .collect()
    }

    fn of(chain: &[(u64, [u8; 32])]) -> Fingerprint {
        Fingerprint::of(&migrations(chain, "m"))
    }

    /// What to change in a chain of `len` migrations.
    #[derive(Clone, Debug)]
    enum Change {
        Version { at: usize, to: u64 },
        ChecksumByte { at: usize, byte: usize, xor: u8 },
        Remove { at: usize },
        Append { version: u64, checksum: [u8; 32] },
        Swap { at: usize },
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            (any::<usize>(), any::<u64>()).prop_map(|(at, to)| Change::Version { at, to }),
            (any::<usize>(), 0..32usize, 1..=255u8)
                .prop_map(|(at, byte, xor)| Change::ChecksumByte { at, byte, xor }),
            any::<usize>().prop_map(|at| Change::Remove { at }),
            (any::<u64>(), any::<[u8; 32]>())
                .prop_map(|(version, checksum)| Change::Append { version, checksum }),
            any::<usize>().prop_map(|at| Change::Swap { at }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn equal_chains_have_equal_fingerprints(chain in chain()) {
            let fingerprint = of(&chain);
            prop_assert_eq!(fingerprint, Fingerprint::of(&migrations(&chain, "other")));
            let checksums: Vec<_> = chain.iter().map(|(v, c)| (*v, Checksum::from_bytes(*c))).collect();
            prop_assert_eq!(
                fingerprint,
                Fingerprint::of_applied(checksums.iter().map(|(v, c)| (*v, c)))
            );
            prop_assert_ne!(fingerprint.to_user_version(), 0);
            prop_assert_eq!(Fingerprint::from_user_version(fingerprint.to_user_version()), fingerprint);
        }

        /// Any change to the versions or checksums, or to their order,
        /// changes the fingerprint (a 32-bit digest: a collision has a
        /// chance of one in four billion per case).
        #[test]
        fn any_change_of_version_checksum_or_order_changes_it(
            chain in chain(),
            change in change(),
        ) {
            let mut changed = chain.clone();
            match change {
                Change::Version { at, to } if !chain.is_empty() => {
                    let at = at % chain.len();
                    prop_assume!(chain[at].0 != to);
                    changed[at].0 = to;
                }
                Change::ChecksumByte { at, byte, xor } if !chain.is_empty() => {
                    changed[at % chain.len()].1[byte] ^= xor;
                }
                Change::Remove { at } if !chain.is_empty() => {
                    changed.remove(at % chain.len());
                }
                Change::Swap { at } if chain.len() >= 2 => {
                    let at = at % (chain.len() - 1);
                    prop_assume!(chain[at] != chain[at + 1]);
                    changed.swap(at, at + 1);
                }
                Change::Append { version, checksum } => changed.push((version, checksum)),
                _ => changed.push((1, [0; 32])),
            }
            prop_assert_ne!(of(&chain), of(&changed), "{:?}", change);
        }
    }
}
