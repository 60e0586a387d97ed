//! Every bad input gives a compile error a person can act on. The messages
//! are part of the product: each case's `.stderr` is committed beside it.
//!
//! To accept changed messages after reviewing them:
//! `TRYBUILD=overwrite cargo test -p migrate-tests --test compile_errors`.

#[test]
fn compile_errors() {
    // trybuild compiles the cases in a crate of its own under target/; make
    // the macro resolve `fixtures/...` against this crate instead.
    std::env::set_var("MIGRATE_MANIFEST_DIR", migrate_tests::crate_root());
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
