//! The records the stores hold.

use std::fmt;
use std::net::IpAddr;

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
///
/// `Debug` leaves out the password hash and the second-factor material: a
/// record printed into a log gives nothing away.
#[derive(Clone, PartialEq, Eq)]
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

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("has_password", &self.password_hash.is_some())
            .field("roles", &self.roles)
            .field("totp", &self.totp)
            .field("recovery_codes", &self.recovery_codes.len())
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A new account to create.
#[derive(Clone)]
pub struct NewUser {
    /// The unique login name.
    pub username: String,
    /// The argon2id PHC string, if the account has a password.
    pub password_hash: Option<String>,
    /// Roles written into access tokens.
    pub roles: Vec<String>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("has_password", &self.password_hash.is_some())
            .field("roles", &self.roles)
            .finish()
    }
}

/// A TOTP secret and whether the user has confirmed it with a first code.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpState {
    /// The shared secret (RFC 6238) *sealed* with the flows'
    /// [`ServerSecret`](crate::ServerSecret) (AES-256-GCM, bound to the user
    /// id): a store keeps it as opaque bytes, and a copy of the store alone
    /// does not give the secret away.
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
    /// When it was last used: its creation, then each rotation of its
    /// refresh token.
    pub last_used_at: i64,
    /// The client's address at the last use, as the HTTP layer saw it.
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent` at the last use, as the browser sent it,
    /// bounded (see [`ClientInfo`](crate::flow::ClientInfo)).
    pub user_agent: Option<String>,
}

/// A refresh token as presented, after its authenticity was checked: the
/// flows read the family, the generation and the expiry from the token
/// itself (under a server MAC), so a store needs to keep nothing per token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentedRefresh {
    /// The family (session) the token belongs to.
    pub sid: String,
    /// Its place in the family: 0 for the first token, one more per rotation.
    pub generation: u64,
    /// When the token itself expires: an expired token proves nothing, not
    /// even reuse.
    pub expires_at: i64,
    /// The hash of the whole token.
    pub hash: SecretHash,
}

/// The token a rotation makes current.
#[derive(Clone, PartialEq, Eq)]
pub struct NextRefresh {
    /// Its generation: the presented one's plus one.
    pub generation: u64,
    /// The hash of the whole token.
    pub hash: SecretHash,
    /// The token itself, sealed under a key derived from the *presented*
    /// token: only a holder of that token can open it again (see
    /// [`Rotation::Repeated`]). A store keeps it as opaque bytes.
    pub sealed: Vec<u8>,
}

impl fmt::Debug for NextRefresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NextRefresh")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// What presenting a refresh token did.
///
/// A family's stored state has a constant size however often it rotates:
/// its current token's hash and generation, and the hash of the token before
/// it with the current token sealed under that one (for
/// [`Rotation::Repeated`]). Older tokens are recognised as reuse by their
/// generation alone.
#[derive(Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: the next one is current now.
    Rotated(Session),
    /// The token was the family's previous one, rotated less than the reuse
    /// interval ago, and its successor is still current (two tabs refreshing
    /// at once): nothing changed, and the successor, sealed under the
    /// presented token, is handed back so the caller can answer with the
    /// *same* refresh token.
    Repeated {
        /// The session.
        session: Session,
        /// [`NextRefresh::sealed`] of the current token.
        sealed_successor: Vec<u8>,
    },
    /// The token had already been rotated: reuse (RFC 9700 §4.14.2). The whole
    /// family has been revoked by this call.
    Reused(Session),
    /// Unknown, expired, or of a revoked family.
    Invalid,
}

impl fmt::Debug for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rotation::Rotated(session) => f.debug_tuple("Rotated").field(session).finish(),
            Rotation::Repeated { session, .. } => f
                .debug_struct("Repeated")
                .field("session", session)
                .finish_non_exhaustive(),
            Rotation::Reused(session) => f.debug_tuple("Reused").field(session).finish(),
            Rotation::Invalid => f.write_str("Invalid"),
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

/// The answer to [`ThrottleStore::reserve_attempt`](super::ThrottleStore::reserve_attempt).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Under the limit: the attempt is counted (the count includes it) and
    /// may go ahead.
    Reserved(Failures),
    /// The limit is reached: nothing was counted; wait for the window's end.
    Refused(Failures),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_of_records_holds_no_secret() {
        let user = User {
            id: "u1".into(),
            username: "ada".into(),
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into()),
            roles: vec!["admin".into()],
            totp: Some(TotpState {
                secret: Zeroizing::new(b"sealed-totp-secret".to_vec()),
                confirmed: true,
            }),
            recovery_codes: vec![SecretHash([7; 32])],
            created_at: 1,
        };
        let debug = format!("{user:?}");
        assert!(
            debug.contains("ada") && debug.contains("has_password: true"),
            "{debug}"
        );
        for secret in ["argon2id", "c2FsdHNhbHQ", "sealed-totp-secret", "0707"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        let new = NewUser {
            username: "ada".into(),
            password_hash: user.password_hash.clone(),
            roles: Vec::new(),
        };
        assert!(!format!("{new:?}").contains("argon2id"));
        let next = NextRefresh {
            generation: 3,
            hash: SecretHash([1; 32]),
            sealed: b"sealed-successor".to_vec(),
        };
        assert!(!format!("{next:?}").contains("sealed-successor"));
    }
}

/// A registered passkey: a WebAuthn credential of one user.
///
/// The store keeps the credential as the relying-party code serialised it
/// (public key, algorithm, flags), opaque to the store; the counter is kept
/// beside it so that the store can compare it atomically. Nothing here is
/// secret: a leaked record gives no way to sign in.
#[derive(Clone, PartialEq, Eq)]
pub struct Passkey {
    /// The credential id, base64url without padding; unique across users.
    pub id: String,
    /// Its owner.
    pub user_id: String,
    /// The name the user gave it ("Laptop").
    pub name: String,
    /// When it was registered (seconds since the epoch).
    pub created_at: i64,
    /// When it last signed in, if ever.
    pub last_used_at: Option<i64>,
    /// The authenticator's signature counter as last seen; 0 for an
    /// authenticator that keeps none (most synced passkeys).
    pub counter: u32,
    /// The serialised credential.
    pub credential: String,
}

impl fmt::Debug for Passkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passkey")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// What [`PasskeyStore::record_passkey_use`](super::PasskeyStore::record_passkey_use) decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasskeyUse {
    /// The counter moved forward (or both are zero): the use is recorded.
    Recorded,
    /// The counter did not increase: a possible cloned authenticator;
    /// nothing was changed.
    CounterRegressed,
    /// No passkey has this id (deleted, or never registered).
    NotFound,
}
