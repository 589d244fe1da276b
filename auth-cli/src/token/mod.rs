//! `auth token`: access tokens (RFC 9068) minted as auth-core's
//! [`TokenIssuer`](auth_core::TokenIssuer) issues them, decoded without
//! verification, or checked by its [`Verifier`](auth_core::Verifier).

mod inspect;
mod mint;
mod verify;

use clap::Subcommand;

pub use inspect::{InspectArgs, inspect};
pub use mint::{MintArgs, mint};
pub use verify::{KeySource, VerifyArgs, verify};

use super::{CliError, Report};

/// `auth token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Sign an access token with a key folder's active key (for development).
    Mint(MintArgs),
    /// Decode a token's header and claims WITHOUT verifying anything.
    Inspect(InspectArgs),
    /// Verify a token with the library's verifier and show each check.
    Verify(VerifyArgs),
}

/// Runs `auth token ...`.
pub(crate) fn run(command: &TokenCommand) -> Result<Report, CliError> {
    match command {
        TokenCommand::Mint(args) => mint(args),
        TokenCommand::Inspect(args) => inspect(args),
        TokenCommand::Verify(args) => verify(args),
    }
}
