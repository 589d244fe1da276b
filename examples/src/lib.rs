//! # auth-examples
//!
//! The runnable example apps of the auth toolkit. The binaries are thin:
//! their code lives here so that it reads in small files and is unit tested.
//!
//! - [`demo`]: `auth-demo`, the reference app (`cargo run --release --bin auth-demo`).
#![forbid(unsafe_code)]

pub mod demo;
