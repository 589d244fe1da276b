//! External identity providers, against a real one: `oidc-provider` (OpenID
//! Certified), a node package in `provider/`. `login` signs people in to
//! auth-demo through it; `remote_jwks` checks the access tokens it issues
//! with the keys it publishes.
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod browser;
mod login;
mod remote_jwks;
#[path = "../support/mod.rs"]
mod support;
