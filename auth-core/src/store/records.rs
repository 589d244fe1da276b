//! The records the stores hold.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The SHA-256 of a high-entropy secret (refresh token, API key, recovery code).
///
/// Stores keep only this, never the secret: a leaked database does not leak
/// usable credentials. A fast hash is right here because the secrets carry
/// at least 50 bits of randomness (passwords, which do not, use argon2id).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretHash(pub [u8; 32]);

impl SecretHash {
    /// Hashes `secret` under a domain label, so a hash of one kind of secret is
    /// never valid as another kind.
    pub fn of(domain: &str, secret: &[u8]) -> Self {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(domain.as_bytes());
        ctx.update(&[0]);
        ctx.update(secret);
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        SecretHash(out)
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// Lower-case hex, for stores that key by string.
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// Parses [`SecretHash::to_hex`]'s output.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2)?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(SecretHash(out))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hash is not the secret, but there is no reason to print it either.
        f.write_str("SecretHash(..)")
    }
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The stable id, the `sub` of the user's tokens.
    pub id: String,
    /// The unique login name.
    pub username: String,
    /// The argon2id PHC string; `None` for accounts that only log in externally.
    pub password_hash: Option<String>,
    /// Roles written into access tokens.
    pub roles: Vec<String>,
    /// The TOTP enrolment, if any.
    pub totp: Option<TotpState>,
    /// Hashes of the unused recovery codes.
    pub recovery_codes: Vec<SecretHash>,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
}

/// A new account to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// The unique login name.
    pub username: String,
    /// The argon2id PHC string, if the account has a password.
    pub password_hash: Option<String>,
    /// Roles written into access tokens.
    pub roles: Vec<String>,
}

/// A TOTP secret and whether the user has confirmed it with a first code.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpState {
    /// The shared secret (RFC 6238), 20 bytes for SHA-1.
    pub secret: Zeroizing<Vec<u8>>,
    /// Whether enrolment was confirmed; only then does login require it.
    pub confirmed: bool,
}

impl fmt::Debug for TotpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpState")
            .field("confirmed", &self.confirmed)
            .finish_non_exhaustive()
    }
}

/// A login session: one refresh-token family, the `sid` of its access tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The session (family) id.
    pub sid: String,
    /// The user's id.
    pub user_id: String,
    /// How the user authenticated (RFC 8176), carried into refreshed tokens.
    pub amr: Vec<String>,
    /// When the user authenticated.
    pub auth_time: i64,
    /// When the session was created.
    pub created_at: i64,
}

/// What presenting a refresh token did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now retired and the next one is current.
    Rotated(Session),
    /// The token had already been rotated: reuse (RFC 9700 §4.14.2). The whole
    /// family has been revoked by this call.
    Reused(Session),
    /// Unknown, expired, or of a revoked family.
    Invalid,
}

/// A revocation, as stored and as propagated to every instance's local view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// One access token, until its own expiry.
    Token {
        /// Its `jti`.
        jti: String,
        /// Its `exp`: after that the entry is forgotten.
        expires_at: i64,
    },
    /// Every token of one session.
    Session {
        /// The `sid`.
        sid: String,
        /// Until when tokens of the session may exist.
        until: i64,
    },
    /// Every token of one user issued at or before a moment ("log out everywhere").
    User {
        /// The user's id.
        sub: String,
        /// Tokens with `iat` at or before this are revoked.
        issued_up_to: i64,
        /// Until when tokens issued before the cut-off may exist.
        until: i64,
    },
}

impl Revocation {
    /// After this moment the revocation no longer matters.
    pub fn expires_at(&self) -> i64 {
        match self {
            Revocation::Token { expires_at, .. } => *expires_at,
            Revocation::Session { until, .. } | Revocation::User { until, .. } => *until,
        }
    }
}

/// Failed attempts counted for one throttling key in the current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    /// Failures in the window.
    pub count: u32,
    /// When the window ends (seconds since the epoch); the count resets then.
    pub window_ends: i64,
}

/// An API key, as stored (the key itself is shown once and kept only hashed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// The public id (for listing and deleting).
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// A name the user chose.
    pub name: String,
    /// The hash of the key.
    pub hash: SecretHash,
    /// Creation time.
    pub created_at: i64,
}
