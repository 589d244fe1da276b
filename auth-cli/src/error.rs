//! [`CliError`]: why a command failed (exit code 1).

use std::path::PathBuf;

use auth_core::KeyError;
use auth_core::TokenError;
use auth_core::mfa::MfaError;
use auth_core::password::PasswordError;
use auth_core::remote::RemoteKeysError;

/// Why a command failed. Messages name what is at fault and never hold a
/// token, a password, a secret or key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A key folder could not be read or written, or a key operation was
    /// refused (for instance, retiring the active key).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// `auth keys generate` on a folder that already holds keys.
    #[error(
        "{} already holds a key set (active kid {active}); `auth keys rotate` adds a new active key",
        .dir.display()
    )]
    KeysExist {
        /// The folder.
        dir: PathBuf,
        /// The kid of its active key (`none` for a verify-only folder).
        active: String,
    },
    /// `auth keys retire` of a kid the folder does not hold, or of its
    /// active key.
    #[error("cannot retire kid {kid:?}: {source}")]
    Retire {
        /// The kid asked for.
        kid: String,
        /// Why the key set refused.
        #[source]
        source: KeyError,
    },
    /// A token could not be signed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The token given is not a compact JWS whose header and claims decode;
    /// the reason names the part at fault.
    #[error("not a JWT: {0}")]
    NotAJwt(&'static str),
    /// The token failed verification at `check`.
    #[error("verification failed at the {check} check ({reason})")]
    VerificationFailed {
        /// The check that failed (`signature`, `issuer`, ...).
        check: &'static str,
        /// The library's rejection (`bad_signature`, `wrong_issuer`, ...).
        reason: String,
    },
    /// A password could not be hashed or checked.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The password does not match the hash.
    #[error("the password does not match the hash")]
    PasswordMismatch,
    /// A TOTP secret or enrollment was refused.
    #[error(transparent)]
    Mfa(#[from] MfaError),
    /// A remote JWK Set could not be fetched.
    #[error(transparent)]
    Remote(#[from] RemoteKeysError),
    /// Input that is not what the command needs; the reason says what was
    /// expected.
    #[error("{0}")]
    Input(String),
    /// Reading standard input or the terminal failed.
    #[error("cannot read {what}: {source}")]
    Read {
        /// What was being read.
        what: &'static str,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The runtime for waiting work could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

impl CliError {
    /// The message and its sources, on one line: what `main` prints after
    /// `error: `. A source whose text the message already holds is not
    /// repeated.
    pub fn one_line(&self) -> String {
        let mut line = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            source = cause.source();
        }
        line.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_sources_once_and_drops_line_breaks() {
        let error = CliError::Retire {
            kid: "k1".into(),
            source: KeyError::RetireActiveKey,
        };
        assert_eq!(
            error.one_line(),
            "cannot retire kid \"k1\": the active signing key cannot be retired; rotate first"
        );
        let error = CliError::Input("two\nlines".into());
        assert_eq!(error.one_line(), "two lines");
    }
}
