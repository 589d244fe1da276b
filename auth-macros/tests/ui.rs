//! Compile tests, one folder per macro: what must compile
//! (`tests/ui/<macro>/pass`) and the exact errors for what must not
//! (`tests/ui/<macro>/fail`, the expected compiler output in `.stderr` files).
//!
//! After a deliberate change to a message, regenerate with
//! `TRYBUILD=overwrite cargo test -p auth-macros --test ui` and read every
//! changed `.stderr`: the caret must sit on the offending token.

#[test]
fn require_auth() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/require_auth/pass/*.rs");
    cases.compile_fail("tests/ui/require_auth/fail/*.rs");
}

#[test]
fn derive_claims() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/claims/pass/*.rs");
    cases.compile_fail("tests/ui/claims/fail/*.rs");
}
