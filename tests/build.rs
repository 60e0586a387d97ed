// Makes cargo notice a migration file added to or removed from a fixture
// folder that a target of this crate embeds.
fn main() {
    for dir in [
        "fixtures/valid",
        "fixtures/concurrent",
        "fixtures/long",
        "fixtures/formats",
    ] {
        migrate_build_support::track_migrations(dir);
    }
}
