//! Compile tests of `#[require_auth]` and `#[derive(Claims)]`: what must
//! compile (tests/ui/pass) and the exact errors for what must not
//! (tests/ui/fail, with the expected compiler output in the `.stderr` files).
//!
//! After a deliberate change to a message, regenerate with
//! `TRYBUILD=overwrite cargo test -p auth-middleware --test macros_ui` and
//! read every changed `.stderr`: the caret must sit on the offending token.

#[test]
fn macros_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
