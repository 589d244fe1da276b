//! Issuing a session's tokens, refreshing them with rotation, logging out.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::config::secs;
use super::{Authenticator, RefreshToken, TokenPair};
use crate::Error;
use crate::store::{Revocation, Rotation, SecretHash, Session, User};
use crate::token::{AccessClaims, TokenRequest};

/// Domain label of refresh-token hashes.
const REFRESH_DOMAIN: &str = "refresh-token";

/// A new refresh token (256 bits) and its hash.
fn new_refresh_token() -> Result<(RefreshToken, SecretHash), Error> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut_slice()).map_err(|_| Error::Random)?;
    let token = URL_SAFE_NO_PAD.encode(bytes.as_slice());
    let hash = SecretHash::of(REFRESH_DOMAIN, token.as_bytes());
    Ok((RefreshToken::new(token), hash))
}

/// The hash a presented refresh token is looked up by; `None` for input that
/// cannot be one of ours (so the store is not even asked).
fn presented_hash(token: &str) -> Option<SecretHash> {
    let plausible = token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| SecretHash::of(REFRESH_DOMAIN, token.as_bytes()))
}

impl Authenticator {
    /// Starts a session for `user` (after the password step, the second step
    /// or an external login): a new refresh-token family and its first tokens.
    pub async fn start_session(
        &self,
        user: &User,
        amr: Vec<String>,
        auth_time: i64,
    ) -> Result<TokenPair, Error> {
        let inner = &*self.inner;
        let now = crate::time::now();
        let session = Session {
            sid: crate::random::token_id()?,
            user_id: user.id.clone(),
            amr,
            auth_time,
            created_at: now,
        };
        let (refresh, hash) = new_refresh_token()?;
        let refresh_expires_at = now.saturating_add(secs(inner.config.refresh_ttl));
        inner
            .store
            .create_session(&session, &hash, refresh_expires_at)
            .await?;
        self.tokens_for(&session, &user.roles, refresh)
    }

    fn tokens_for(
        &self,
        session: &Session,
        roles: &[String],
        refresh: RefreshToken,
    ) -> Result<TokenPair, Error> {
        let request = TokenRequest::new(session.user_id.clone())
            .session(session.sid.clone())
            .amr(session.amr.iter().cloned())
            .roles(roles.iter().cloned())
            .auth_time(session.auth_time);
        Ok(TokenPair {
            access: self.inner.issuer.issue(&request)?,
            refresh,
            refresh_expires_in: self.inner.config.refresh_ttl.as_secs(),
        })
    }

    /// Exchanges a refresh token for new tokens, retiring it (rotation).
    ///
    /// Presenting a token that was already rotated is reuse (RFC 9700
    /// §4.14.2): the whole family is revoked — its newest refresh token and
    /// every access token carrying its `sid` stop working — and the answer is
    /// [`Error::InvalidGrant`], like for unknown, expired or revoked tokens.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, Error> {
        let inner = &*self.inner;
        let presented = presented_hash(refresh_token).ok_or(Error::InvalidGrant)?;
        let (next, next_hash) = new_refresh_token()?;
        let now = crate::time::now();
        let next_expires_at = now.saturating_add(secs(inner.config.refresh_ttl));
        match inner
            .store
            .rotate_refresh(&presented, &next_hash, now, next_expires_at)
            .await?
        {
            Rotation::Rotated(session) => {
                let user = inner.store.user_by_id(&session.user_id).await?;
                let Some(user) = user else {
                    self.revoke_session(&session.sid).await?;
                    return Err(Error::InvalidGrant);
                };
                self.tokens_for(&session, &user.roles, next)
            }
            Rotation::Reused(session) => {
                tracing::warn!(sid = %session.sid, user = %session.user_id, "refresh token reuse: session revoked");
                self.revoke(Revocation::Session {
                    sid: session.sid,
                    until: self.access_token_horizon(),
                })
                .await?;
                Err(Error::InvalidGrant)
            }
            Rotation::Invalid => Err(Error::InvalidGrant),
        }
    }

    /// Logs out the session of `claims`: its access token is revoked until its
    /// `exp`, its family is revoked. A refresh token presented along (the
    /// cookie) is revoked too if it belongs to the same user.
    pub async fn logout<C>(
        &self,
        claims: &AccessClaims<C>,
        refresh_token: Option<&str>,
    ) -> Result<(), Error> {
        self.revoke(Revocation::Token {
            jti: claims.jti.clone(),
            expires_at: claims.exp,
        })
        .await?;
        if let Some(sid) = &claims.sid {
            self.revoke_session(sid).await?;
        }
        if let Some(hash) = refresh_token.and_then(presented_hash)
            && let Some(session) = self.inner.store.session_by_refresh(&hash).await?
            && session.user_id == claims.sub
            && Some(&session.sid) != claims.sid.as_ref()
        {
            self.revoke_session(&session.sid).await?;
        }
        Ok(())
    }

    /// Logs out the session a refresh token belongs to (for pages, where the
    /// refresh cookie may be all there is).
    pub async fn logout_refresh(&self, refresh_token: &str) -> Result<(), Error> {
        if let Some(hash) = presented_hash(refresh_token)
            && let Some(session) = self.inner.store.session_by_refresh(&hash).await?
        {
            self.revoke_session(&session.sid).await?;
        }
        Ok(())
    }

    /// Logs `user_id` out everywhere: every session and every access token
    /// issued up to this second. A new login works again from the next second.
    pub async fn logout_all(&self, user_id: &str) -> Result<(), Error> {
        let sessions = self.inner.store.revoke_user_sessions(user_id).await?;
        self.revoke(Revocation::User {
            sub: user_id.to_owned(),
            issued_up_to: crate::time::now(),
            until: self.access_token_horizon(),
        })
        .await?;
        // A refresh that rotated just before the store call may sign its
        // access token in the next second, after the cut-off: revoke the
        // sessions by sid too.
        for session in sessions {
            self.revoke(Revocation::Session {
                sid: session.sid,
                until: self.access_token_horizon(),
            })
            .await?;
        }
        Ok(())
    }

    async fn revoke_session(&self, sid: &str) -> Result<(), Error> {
        self.inner.store.revoke_session(sid).await?;
        self.revoke(Revocation::Session {
            sid: sid.to_owned(),
            until: self.access_token_horizon(),
        })
        .await
    }

    /// The latest `exp` an access token issued now can have (plus leeway): how
    /// long a session or user revocation must be remembered.
    fn access_token_horizon(&self) -> i64 {
        crate::time::now()
            .saturating_add(secs(self.inner.issuer.ttl()))
            .saturating_add(crate::token::MAX_LEEWAY.as_secs() as i64)
    }
}
