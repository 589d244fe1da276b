//! The `mfa_token`: binds a successful password step to the second step.
//!
//! It is a JWS signed with the issuer's key, typed `mfa+jwt` so that it can
//! never pass as an access token (whose verifier demands `at+jwt`) and vice
//! versa. Its `jti` is recorded as used when the second step succeeds, so it
//! works once; it expires after a few minutes.

use serde::{Deserialize, Serialize};

use super::FlowError;
use super::{Authenticator, MfaChallenge};
use crate::store::User;
use crate::token::jws;

const MFA_TOKEN_TYPE: &str = "mfa+jwt";
const MAX_MFA_TOKEN_LEN: usize = 2048;

#[derive(Serialize, Deserialize)]
pub(super) struct MfaTokenClaims {
    pub(super) iss: String,
    pub(super) sub: String,
    pub(super) exp: i64,
    pub(super) iat: i64,
    pub(super) jti: String,
    pub(super) auth_time: i64,
}

fn is_mfa_token_type(typ: &str) -> bool {
    typ.eq_ignore_ascii_case(MFA_TOKEN_TYPE)
}

impl Authenticator {
    /// Issues the `mfa_token` for `user`, who has just passed the password
    /// step; `passkey` when they have a passkey to use as second step.
    pub(super) fn mfa_challenge(
        &self,
        user: &User,
        passkey: bool,
    ) -> Result<MfaChallenge, FlowError> {
        let issuer = &self.inner.issuer;
        let key = issuer
            .keys()
            .signing_key()
            .ok_or(crate::keys::KeyError::NoSigningKey)?;
        let now = crate::time::now();
        let ttl = self.inner.config.mfa_token_ttl.as_secs();
        let claims = MfaTokenClaims {
            iss: issuer.issuer().to_owned(),
            sub: user.id.clone(),
            exp: now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
            iat: now,
            jti: crate::random::token_id()?,
            auth_time: now,
        };
        Ok(MfaChallenge {
            mfa_token: jws::sign_compact(&key, MFA_TOKEN_TYPE, &claims)?,
            expires_in: ttl,
            methods: second_steps(user, passkey),
        })
    }

    /// The second steps open to the holder of `mfa_token` (as in
    /// [`MfaChallenge::methods`]), for a page that offers them.
    /// [`FlowError::InvalidCode`] for a bad or expired token.
    pub async fn mfa_methods(&self, mfa_token: &str) -> Result<Vec<&'static str>, FlowError> {
        let pending = self.open_mfa_token(mfa_token)?;
        let Some(user) = self.inner.users.user_by_id(&pending.sub).await? else {
            return Err(FlowError::InvalidCode);
        };
        #[cfg(feature = "passkeys")]
        let passkey = self.has_passkeys(&user.id).await?;
        #[cfg(not(feature = "passkeys"))]
        let passkey = false;
        Ok(second_steps(&user, passkey))
    }

    /// Checks an `mfa_token` (signature, type, issuer, expiry); single use is
    /// enforced by the caller after the code checks out.
    pub(super) fn open_mfa_token(&self, token: &str) -> Result<MfaTokenClaims, FlowError> {
        let issuer = &self.inner.issuer;
        let mut buffer = jws::SegmentBuffer::new();
        let verified = jws::verify_compact(
            issuer.keys(),
            token,
            MAX_MFA_TOKEN_LEN,
            is_mfa_token_type,
            &mut buffer,
        )
        .map_err(|_| FlowError::InvalidCode)?;
        let claims: MfaTokenClaims =
            serde_json::from_slice(verified.claims_json).map_err(|_| FlowError::InvalidCode)?;
        if claims.iss != issuer.issuer() || claims.exp <= crate::time::now() {
            return Err(FlowError::InvalidCode);
        }
        Ok(claims)
    }
}

/// The second steps `user` can take: a confirmed TOTP (or one of its
/// recovery codes), a passkey.
fn second_steps(user: &User, passkey: bool) -> Vec<&'static str> {
    let mut methods = Vec::new();
    if user.totp.as_ref().is_some_and(|t| t.confirmed) {
        methods.extend(["totp", "recovery_code"]);
    }
    if passkey {
        methods.push("passkey");
    }
    methods
}
