fn main() {
    migrate_build_support::track_migrations("migrations");
}
