//! auth-middleware (being built).
#![forbid(unsafe_code)]
