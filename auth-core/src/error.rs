//! The one error type of `auth-core`.

use crate::keys::Algorithm;
use crate::token::TokenRejection;

/// Everything that can go wrong in `auth-core`.
///
/// Messages name the failed check for logs; they never contain a token, a
/// secret or a password. HTTP layers map these to responses in one place (for
/// instance, every [`Error::InvalidToken`] becomes a bare `invalid_token`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A token failed verification; the reason says which check.
    #[error("invalid token: {0}")]
    InvalidToken(TokenRejection),
    /// An algorithm name this crate does not support (or `none`).
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// Key material that cannot be used as given.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The crypto backend could not generate a key.
    #[error("could not generate a {0} key")]
    KeyGeneration(Algorithm),
    /// Two keys in one set share a `kid`.
    #[error("a key with this kid is already in the set")]
    DuplicateKid,
    /// No key in the set has the given `kid`.
    #[error("no key with this kid")]
    UnknownKid,
    /// The active signing key cannot be retired.
    #[error("the active signing key cannot be retired; rotate first")]
    RetireActiveKey,
    /// The key set has no signing key (it was built to verify only).
    #[error("the key set has no signing key")]
    NoSigningKey,
    /// Signing failed in the crypto backend.
    #[error("signing failed")]
    Signing,
    /// The operating system's random source failed.
    #[error("the random number generator failed")]
    Random,
    /// Claims could not be serialized into a token.
    #[error("claims could not be serialized: {0}")]
    Claims(#[source] serde_json::Error),
    /// An application claim has the name of a claim the issuer writes itself.
    #[error("the application claim {0:?} has the name of a registered claim")]
    ReservedClaim(&'static str),
    /// Reading or writing key files failed.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// The file or folder.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A key folder holds a signing key of another algorithm than the one asked for.
    #[error("the key folder's signing key is {found}, not the configured {expected}")]
    KeyFolderAlgorithm {
        /// The algorithm asked for.
        expected: Algorithm,
        /// The algorithm of the key in the folder.
        found: Algorithm,
    },
    /// A PEM document or JWK that cannot be parsed.
    #[error("malformed key encoding: {0}")]
    KeyEncoding(String),
    /// The password is longer than the configured maximum (checked before hashing).
    #[error("password longer than {max} characters")]
    PasswordTooLong {
        /// The configured maximum, in characters.
        max: usize,
    },
    /// A new password is shorter than the configured minimum.
    #[error("password shorter than {min} characters")]
    PasswordTooShort {
        /// The configured minimum, in characters.
        min: usize,
    },
    /// Argon2 parameters refused when configuring a password policy.
    #[error("argon2 parameters refused: {0}")]
    PasswordParams(String),
    /// A stored password hash that is not a valid argon2 PHC string, or whose
    /// cost parameters exceed what the hasher agrees to run.
    #[error("stored password hash is malformed")]
    MalformedHash,
    /// The password hasher failed (for instance, it could not allocate its memory).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// A store could not be reached or failed; the operation may be retried later (HTTP 503).
    #[error("store unavailable: {0}")]
    StoreUnavailable(String),
    /// The username is already registered.
    #[error("username taken")]
    UsernameTaken,
    /// A record the operation needs does not exist.
    #[error("not found")]
    NotFound,
    /// Wrong username or password (deliberately not saying which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed attempts for the account or the client; try again later.
    #[error("too many attempts; retry after {retry_after} s")]
    TooManyAttempts {
        /// Seconds until the throttling window ends.
        retry_after: u64,
    },
    /// A wrong, reused or expired second-factor code or `mfa_token`.
    #[error("invalid code")]
    InvalidCode,
    /// A missing, unknown, expired, reused or revoked refresh token (RFC 6749 §5.2).
    #[error("invalid grant")]
    InvalidGrant,
    /// TOTP is already enrolled and confirmed for this user.
    #[error("a second factor is already enrolled")]
    MfaAlreadyEnrolled,
    /// A username that is empty, longer than 64 characters, or holds control characters.
    #[error("invalid username")]
    InvalidUsername,
    /// A new password breaks the password policy.
    #[error("weak password: {0}")]
    WeakPassword(crate::password::PasswordProblem),
    /// The hashing pool is shut down or its worker panicked.
    #[error("password hashing pool unavailable")]
    HashingPool,
    /// The password hasher's queue is full: the check was refused at once
    /// rather than queued behind a flood (HTTP 503, retry shortly).
    #[error("the password hasher is saturated; retry shortly")]
    Overloaded,
    /// The user already has the most live API keys allowed.
    #[error("at most {max} live API keys per user")]
    TooManyApiKeys {
        /// The limit.
        max: usize,
    },
    /// TOTP cannot be set up as configured or for this account: the reason
    /// names the rule (digits, step, issuer or account name, secret length).
    #[error("TOTP cannot be set up: {0}")]
    TotpSetup(&'static str),
    /// The application's [`CodeSender`](crate::mfa::CodeSender) could not
    /// deliver a one-time code. The message is the sender's and must not hold the code.
    #[error("one-time code could not be sent: {0}")]
    CodeDelivery(String),
    /// An external login callback that cannot be accepted: no login in
    /// progress for its `state` in this browser (missing, mismatched, expired
    /// or already used), a code the provider refused, or an id_token that
    /// does not verify. The reason names the check, for logs (HTTP 400).
    #[error("external login refused: {0}")]
    ExternalLogin(&'static str),
    /// The external provider answered the login with an error (RFC 6749
    /// §4.1.2.1, e.g. `access_denied`): its code, one of the registered ones
    /// (HTTP 400 with this code).
    #[error("the provider returned {0}")]
    ProviderDenied(&'static str),
    /// The external provider could not be reached, or answered with
    /// something that is not OpenID Connect (HTTP 503 at login; a start-up
    /// error at discovery). The message never holds a code or a token.
    #[error("identity provider unavailable: {0}")]
    ProviderUnavailable(String),
    /// An external identity is already linked to an account that logs in
    /// with a password: refused rather than merged.
    #[error("the external identity conflicts with an existing account")]
    ExternalAccountConflict,
    /// Another issuer's keys could not be had: its discovery document or JWK
    /// Set was unreachable, refused, too large or not what it should be. The
    /// message names the URL and the reason; it never holds a token.
    #[error("remote keys unavailable: {0}")]
    RemoteKeys(String),
}

impl From<TokenRejection> for Error {
    fn from(reason: TokenRejection) -> Self {
        Error::InvalidToken(reason)
    }
}
