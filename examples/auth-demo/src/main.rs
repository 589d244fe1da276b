//! `auth-demo`, the reference app of the auth toolkit: JSON flows under
//! `/auth`, a protected API under `/api`, and a small site for people.
//!
//! `cargo run --release --bin auth-demo` starts it on 127.0.0.1:3000 with the
//! in-memory store; every setting is an `AUTH_DEMO_*` variable
//! (listed in the README). It prints `auth-demo listening on http://ADDR` on
//! stdout when ready and logs to stderr.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    auth_demo::main().await
}
