//! The `auth` command: the operator's side of the toolkit, on `auth-core`'s
//! own APIs.
//!
//! - `auth keys generate|rotate|retire|list`: key folders in the layout
//!   [`KeySet::load_pem_dir`](auth_core::KeySet::load_pem_dir) reads (the one
//!   `auth-demo` uses through `AUTH_DEMO_KEY_DIR`);
//! - `auth jwks`: the public JWK Set of a folder (HS256 secrets are never
//!   published);
//! - `auth token mint|inspect|verify`: RFC 9068 access tokens as
//!   [`TokenIssuer`](auth_core::TokenIssuer) issues them, decoded without
//!   verification, or checked by the library's [`Verifier`](auth_core::Verifier)
//!   against a key folder or a JWK Set URL;
//! - `auth password hash|verify`: argon2id PHC strings, the password read
//!   from standard input or a prompt without echo, never from the arguments;
//! - `auth totp new|code`: TOTP secrets, `otpauth://` URIs with a QR code
//!   drawn in the terminal, and the current code.
//!
//! Exit codes: 0 success, 1 the operation failed (bad token, bad input, a
//! failed verification, a password that does not match), 2 a usage error.
//! An error is one line on standard error (`error: ...`); `--json` prints one
//! JSON document on standard output instead of text.
//!
//! The binary is a thin shell over [`main`]; [`run`] does the work and
//! returns a [`Report`], so that other binaries (the end-to-end tests build
//! one) and tests can use it.
//!
//! ```
//! use auth_cli::{Cli, run};
//! use clap::Parser as _;
//!
//! let cli = Cli::try_parse_from(["auth", "--json", "totp", "code", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "--at", "59"])?;
//! let report = run(&cli)?;
//! assert_eq!(report.json()["code"], "287082");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod duration;
mod error;
mod input;
pub mod jwks;
pub mod keys;
mod output;
pub mod password;
mod timestamp;
pub mod token;
pub mod totp;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;
pub use output::Report;

/// The exit code of a failed operation.
pub const EXIT_FAILURE: u8 = 1;
/// The exit code of a usage error (clap's own).
pub const EXIT_USAGE: u8 = 2;

/// `auth`: keys, JWK Sets, access tokens, password hashes and TOTP for the
/// auth toolkit.
#[derive(Debug, Parser)]
#[command(name = "auth", version, about, propagate_version = true)]
pub struct Cli {
    /// Print one JSON document on standard output instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `auth`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Key folders: generate, rotate, retire, list.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Print the public JWK Set of a key folder (never private material).
    Jwks(jwks::JwksArgs),
    /// Access tokens: mint (for development), inspect, verify.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// argon2id password hashes: hash, verify.
    #[command(subcommand)]
    Password(password::PasswordCommand),
    /// TOTP: a new secret with its otpauth:// URI and QR code, or a code.
    #[command(subcommand)]
    Totp(totp::TotpCommand),
}

/// Runs one command and returns what it has to say. A [`Report`] may carry
/// a failure of its own ([`Report::failure`]): a verification that failed
/// still reports each check.
///
/// Commands that wait (password hashing on auth-core's pool, fetching a JWK
/// Set) run on a current-thread Tokio runtime made for the call.
///
/// # Errors
/// A [`CliError`] when the operation could not be carried out.
pub fn run(cli: &Cli) -> Result<Report, CliError> {
    match &cli.command {
        Command::Keys(command) => keys::run(command),
        Command::Jwks(args) => jwks::run(args),
        Command::Token(command) => token::run(command),
        Command::Password(command) => password::run(command),
        Command::Totp(command) => totp::run(command),
    }
}

/// The whole program: parses the arguments, runs the command, prints its
/// report (text, or JSON with `--json`) on standard output and any error as
/// one line on standard error, and returns the exit code.
pub fn main() -> ExitCode {
    // Nothing here should panic; if something does, one line and no
    // backtrace (the message could quote input, so it is not printed).
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error{at}; please report it");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let outcome = run(&cli);
    let (report, failure) = match outcome {
        Ok(mut report) => {
            let failure = report.take_failure();
            (Some(report), failure)
        }
        Err(error) => (None, Some(error)),
    };
    if let Some(report) = &report {
        let text = if cli.json {
            report.json_text()
        } else {
            report.text().to_owned()
        };
        if let Err(error) = print_stdout(&text)
            && error.kind() != std::io::ErrorKind::BrokenPipe
        {
            eprintln!("error: cannot write to standard output: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    }
    match failure {
        None => ExitCode::SUCCESS,
        Some(error) => {
            eprintln!("error: {}", error.one_line());
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn print_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// `--help` and `--version` as clap prints them (exit 0); a usage error on
/// one line (exit 2): clap's message, its tip, and the usage line.
fn usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let rendered = error.render().to_string();
    eprintln!("{}", one_line_usage(&rendered));
    ExitCode::from(EXIT_USAGE)
}

/// clap's multi-line message as one line: its paragraphs joined by `; `.
fn one_line_usage(rendered: &str) -> String {
    let paragraphs: Vec<String> = rendered
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    let mut line = paragraphs.join("; ");
    if !line.starts_with("error:") {
        line.insert_str(0, "error: ");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_become_one_line() {
        let rendered = "error: the following required arguments were not provided:\n  --dir <DIR>\n\nUsage: auth keys list --dir <DIR>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line_usage(rendered),
            "error: the following required arguments were not provided: --dir <DIR>; Usage: auth keys list --dir <DIR>; For more information, try '--help'."
        );
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
