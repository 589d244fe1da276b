//! auth-macros (being built).
#![forbid(unsafe_code)]
