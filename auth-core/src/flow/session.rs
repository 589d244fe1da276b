//! Issuing a session's tokens, refreshing them with rotation, logging out.

use super::FlowError;
use super::config::secs;
use super::events::security_event;
use super::{Authenticator, ClientInfo, RefreshToken, TokenPair, refresh_token};
use crate::store::{NextRefresh, PresentedRefresh, Revocation, Rotation, Session, User};
use crate::token::{AccessClaims, TokenRequest};

impl Authenticator {
    /// Starts a session for `user` (after the password step, the second step
    /// or an external login): a new refresh-token family and its first tokens.
    /// The session records `client` (address and user agent), for the person
    /// to recognise it in [`Authenticator::sessions`].
    pub async fn start_session(
        &self,
        user: &User,
        amr: Vec<String>,
        auth_time: i64,
        client: &ClientInfo,
    ) -> Result<TokenPair, FlowError> {
        let inner = &*self.inner;
        let now = crate::time::now();
        let session = Session {
            sid: crate::random::token_id()?,
            user_id: user.id.clone(),
            amr,
            auth_time,
            created_at: now,
            last_used_at: now,
            ip: client.ip(),
            user_agent: client.user_agent().map(str::to_owned),
        };
        let refresh_expires_at = now.saturating_add(secs(inner.config.refresh_ttl));
        let (refresh, hash) =
            refresh_token::issue(&inner.secret, &session.sid, 0, refresh_expires_at)?;
        inner
            .store
            .create_session(&session, &hash, refresh_expires_at)
            .await?;
        self.tokens_for(&session, user, refresh)
    }

    fn tokens_for(
        &self,
        session: &Session,
        user: &User,
        refresh: RefreshToken,
    ) -> Result<TokenPair, FlowError> {
        let request = TokenRequest::new(session.user_id.clone())
            .session(session.sid.clone())
            .amr(session.amr.iter().cloned())
            .roles(user.roles.iter().cloned())
            .auth_time(session.auth_time)
            .preferred_username(user.username.clone());
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
    /// [`FlowError::InvalidGrant`], like for unknown, expired or revoked tokens.
    /// One exception keeps two tabs that refresh at once logged in: the token
    /// rotated last, presented again within
    /// [`FlowConfig::refresh_reuse_interval`](super::FlowConfig::refresh_reuse_interval)
    /// while its successor is still current, gets a new access token and that
    /// *same* successor (no second branch of the family is made).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<TokenPair, FlowError> {
        let client = client.into();
        let inner = &*self.inner;
        let now = crate::time::now();
        let presented = refresh_token::parse(&inner.secret, refresh_token)
            .filter(|presented| presented.expires_at > now)
            .ok_or(FlowError::InvalidGrant)?;
        let next_expires_at = now.saturating_add(secs(inner.config.refresh_ttl));
        let generation = presented
            .generation
            .checked_add(1)
            .ok_or(FlowError::InvalidGrant)?;
        let (next, hash) =
            refresh_token::issue(&inner.secret, &presented.sid, generation, next_expires_at)?;
        let successor = NextRefresh {
            generation,
            hash,
            sealed: refresh_token::seal_successor(refresh_token, &presented, &next)?,
        };
        let rotation = inner
            .store
            .rotate_refresh(
                &presented,
                &successor,
                now,
                next_expires_at,
                inner.config.reuse_interval_secs(),
                &client,
            )
            .await?;
        match rotation {
            Rotation::Rotated(session) => self.refreshed(&session, next).await,
            Rotation::Repeated {
                session,
                sealed_successor,
            } => {
                let same =
                    refresh_token::open_successor(refresh_token, &presented, &sealed_successor)
                        .ok_or(FlowError::InvalidGrant)?;
                self.refreshed(&session, same).await
            }
            Rotation::Reused(session) => {
                security_event!(warn, "refresh.reused", client, user = %session.user_id, sid = %session.sid);
                self.revoke(Revocation::Session {
                    sid: session.sid,
                    until: self.access_token_horizon(),
                })
                .await?;
                Err(FlowError::InvalidGrant)
            }
            Rotation::Invalid => Err(FlowError::InvalidGrant),
        }
    }

    /// The tokens of a refreshed session, with `refresh` as its refresh token;
    /// a session whose user is gone is ended instead.
    async fn refreshed(
        &self,
        session: &Session,
        refresh: RefreshToken,
    ) -> Result<TokenPair, FlowError> {
        let Some(user) = self.inner.users.user_by_id(&session.user_id).await? else {
            self.revoke_session(&session.sid).await?;
            return Err(FlowError::InvalidGrant);
        };
        self.tokens_for(session, &user, refresh)
    }

    /// Logs out the session of `claims`: its access token is revoked for as
    /// long as it could verify, its family is revoked. A refresh token
    /// presented along (the cookie) is revoked too if it belongs to the same user.
    pub async fn logout<C>(
        &self,
        claims: &AccessClaims<C>,
        refresh_token: Option<&str>,
        client: impl Into<ClientInfo>,
    ) -> Result<(), FlowError> {
        let client = client.into();
        self.revoke(Revocation::Token {
            jti: claims.jti.clone(),
            expires_at: claims
                .exp
                .saturating_add(crate::token::MAX_LEEWAY.as_secs() as i64),
        })
        .await?;
        if let Some(sid) = &claims.sid {
            self.revoke_session(sid).await?;
        }
        if let Some(session) = self.session_of_refresh(refresh_token).await?
            && session.user_id == claims.sub
            && Some(&session.sid) != claims.sid.as_ref()
        {
            self.revoke_session(&session.sid).await?;
        }
        security_event!(info, "logout", client, user = %claims.sub, sid = claims.sid.as_deref());
        Ok(())
    }

    /// Logs out the session a refresh token belongs to (for pages, where the
    /// refresh cookie may be all there is).
    pub async fn logout_refresh(
        &self,
        refresh_token: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<(), FlowError> {
        let client = client.into();
        if let Some(session) = self.session_of_refresh(Some(refresh_token)).await? {
            self.revoke_session(&session.sid).await?;
            security_event!(info, "logout", client, user = %session.user_id, sid = %session.sid);
        }
        Ok(())
    }

    /// Logs `user_id` out everywhere: every session and every access token
    /// issued up to this second. A new login works again from the next second.
    pub async fn logout_all(
        &self,
        user_id: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<(), FlowError> {
        let client = client.into();
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
        security_event!(info, "logout_all", client, user = %user_id);
        Ok(())
    }

    /// The live sessions of `user_id`, the most recently used first: where
    /// the person is signed in, for a page that lets them end one.
    pub async fn sessions(&self, user_id: &str) -> Result<Vec<Session>, FlowError> {
        let mut sessions = self.inner.store.user_sessions(user_id).await?;
        sessions.sort_by(|a, b| {
            (b.last_used_at, b.created_at, &b.sid).cmp(&(a.last_used_at, a.created_at, &a.sid))
        });
        Ok(sessions)
    }

    /// Ends session `sid` of `user_id` ("sign out that device"): its refresh
    /// token stops working at once, its access tokens as soon as each
    /// instance has the revocation (at once here, within a second elsewhere
    /// with a shared store). [`FlowError::NotFound`] when `user_id` has no
    /// such live session: another user's session is not theirs to end, and
    /// not theirs to learn about either.
    pub async fn end_session(
        &self,
        user_id: &str,
        sid: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<(), FlowError> {
        let client = client.into();
        match self.inner.store.session(sid).await? {
            Some(session) if session.user_id == user_id => {}
            _ => return Err(FlowError::NotFound),
        }
        self.revoke_session(sid).await?;
        security_event!(info, "session.ended", client, user = %user_id, sid = %sid);
        Ok(())
    }

    /// The live session of a presented refresh token (any generation of its
    /// family: its MAC proves it was ours).
    async fn session_of_refresh(&self, token: Option<&str>) -> Result<Option<Session>, FlowError> {
        let Some(PresentedRefresh { sid, .. }) =
            token.and_then(|token| refresh_token::parse(&self.inner.secret, token))
        else {
            return Ok(None);
        };
        Ok(self.inner.store.session(&sid).await?)
    }

    async fn revoke_session(&self, sid: &str) -> Result<(), FlowError> {
        self.inner.store.revoke_session(sid).await?;
        self.revoke(Revocation::Session {
            sid: sid.to_owned(),
            until: self.access_token_horizon(),
        })
        .await
    }

    /// The latest moment an access token issued now can still verify: its
    /// lifetime (verifiers of this issuer refuse longer ones) plus the
    /// largest leeway. How long a session or user revocation must be kept.
    fn access_token_horizon(&self) -> i64 {
        crate::time::now()
            .saturating_add(secs(self.inner.issuer.ttl()))
            .saturating_add(crate::token::MAX_LEEWAY.as_secs() as i64)
    }
}
