//! `auth password`: argon2id PHC strings with auth-core's
//! [`PasswordHasher`] and its default policy (OWASP parameters, 8 to 64
//! characters). The password is read from standard input when it is not a
//! terminal, else from a prompt without echo; never from the arguments,
//! which other users of the machine can see.

use auth_core::password::{PasswordCheck, PasswordHasher, PasswordPolicy};
use clap::{Args, Subcommand};
use serde_json::json;

use super::{CliError, Report, input};

/// `auth password ...`.
#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Hash a password (from standard input or a prompt) into a PHC string.
    Hash,
    /// Check a password (from standard input or a prompt) against a PHC
    /// string: exit 0 when it matches, 1 when it does not.
    Verify(VerifyArgs),
}

/// `auth password verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The stored PHC string (`$argon2id$v=19$...`).
    #[arg(long, value_name = "PHC")]
    pub hash: String,
}

/// Runs `auth password ...`.
pub(crate) fn run(command: &PasswordCommand) -> Result<Report, CliError> {
    match command {
        PasswordCommand::Hash => {
            let password = input::password(true)?;
            hash(&password)
        }
        PasswordCommand::Verify(args) => {
            let password = input::password(false)?;
            verify(&password, &args.hash)
        }
    }
}

/// Hashes `password` under the default policy (which also refuses a
/// password that is too short or too long).
pub fn hash(password: &str) -> Result<Report, CliError> {
    let hasher = PasswordHasher::new(PasswordPolicy::default());
    let phc = block_on(hasher.hash(password))??;
    Ok(Report::new(phc.clone(), json!({ "hash": phc })))
}

/// Checks `password` against `phc`; a mismatch is a failed report.
pub fn verify(password: &str, phc: &str) -> Result<Report, CliError> {
    let hasher = PasswordHasher::new(PasswordPolicy::default());
    let check = block_on(hasher.verify(password, phc))??;
    let report = |text: &str| {
        Report::new(
            text,
            json!({
                "matches": check.is_match(),
                "needs_rehash": check == PasswordCheck::MatchNeedsRehash,
            }),
        )
    };
    Ok(match check {
        PasswordCheck::Mismatch => report("mismatch").failed(CliError::PasswordMismatch),
        PasswordCheck::MatchNeedsRehash => {
            report("match (the hash's parameters are not the current ones: rehash it)")
        }
        _ => report("match"),
    })
}

/// The hasher works on a pool of blocking threads driven by Tokio: a
/// current-thread runtime for the one call.
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    Ok(runtime.block_on(future))
}
