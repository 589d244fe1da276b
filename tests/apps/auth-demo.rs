//! `auth-demo` as the end-to-end tests start it: the example's own `main`,
//! built into this package so that the tests find it (`CARGO_BIN_EXE_*`
//! names only a package's own binaries).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    auth_demo::main().await
}
