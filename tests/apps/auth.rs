//! The `auth` command as the end-to-end tests run it: auth-cli's own `main`,
//! built into this package so that the tests find it (`CARGO_BIN_EXE_*`
//! names only a package's own binaries).

fn main() -> std::process::ExitCode {
    auth_cli::main()
}
