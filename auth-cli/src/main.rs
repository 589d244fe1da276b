//! The `auth` command; everything is in the library part (`auth_cli`).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    auth_cli::main()
}
