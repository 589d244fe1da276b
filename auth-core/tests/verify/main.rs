//! Token verification, check by check: every way a token is refused names the
//! exact [`TokenRejection`], for every algorithm where the check applies.
//!
//! Forged tokens are built by hand (base64url of JSON, signed with aws-lc-rs or
//! `jsonwebtoken::encode`) so that each test changes exactly one thing about an
//! otherwise valid token. `forged_baseline_verifies_for_every_algorithm` (in
//! `algorithm`) proves that the forging helpers make tokens the verifier
//! accepts, so every refusal is caused by the one thing its test changed.

// Test code: a panic is how a broken fixture or a failed check reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod algorithm;
mod claims;
mod encoding;
mod header;
mod support;
mod time;
