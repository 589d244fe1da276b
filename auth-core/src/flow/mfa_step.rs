//! The second step: TOTP or a recovery code, and TOTP enrolment.

use super::FlowError;
use super::events::security_event;
use super::throttle::Step;
use super::{Authenticator, ClientInfo, TokenPair};
use crate::mfa::{RecoveryCodes, TotpEnrollment, TotpSecret};
use crate::store::{SecretHash, User};

/// `amr` after a password and a second factor (RFC 8176).
const MFA_AMR: [&str; 3] = ["pwd", "otp", "mfa"];

/// Which second factor a code is.
enum Factor {
    Totp,
    Recovery(SecretHash),
}

impl Authenticator {
    /// The second step: `code` is a current TOTP code (accepted once) or an
    /// unused recovery code (accepted once); `mfa_token` comes from the password
    /// step and works once.
    ///
    /// Like the password step, each attempt is counted in the store before
    /// the code is checked, per account and per client address, so at most
    /// [`FlowConfig::max_failures`](super::FlowConfig::max_failures) codes are
    /// ever tried in a window, however many arrive at once.
    ///
    /// Errors: [`FlowError::InvalidCode`] for a wrong, reused or expired code or
    /// token; [`FlowError::TooManyAttempts`] after too many failures for the account.
    pub async fn verify_mfa(
        &self,
        mfa_token: &str,
        code: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<TokenPair, FlowError> {
        let client = client.into();
        let inner = &*self.inner;
        let pending = self.open_mfa_token(mfa_token)?;
        let reservation = self.reserve(Step::Mfa, Some(&pending.sub), &client).await?;

        let checked = self.check_second_factor(&pending.sub, code).await;
        let (user, factor) = match checked {
            Ok(Some(found)) => found,
            Ok(None) => {
                security_event!(info, "mfa.failed", client, user = %pending.sub, reason = "invalid_code");
                return Err(FlowError::InvalidCode);
            }
            Err(error) => {
                reservation.give_back(self).await;
                return Err(error);
            }
        };
        self.spend_mfa_token(&pending, &client).await?;
        if let Factor::Recovery(hash) = factor
            && !inner.users.consume_recovery_code(&user.id, &hash).await?
        {
            // Spent concurrently by another request.
            security_event!(info, "mfa.failed", client, user = %user.id, reason = "spent_recovery_code");
            return Err(FlowError::InvalidCode);
        }
        reservation.succeeded(self).await?;
        security_event!(info, "login.succeeded", client, user = %user.id, method = "mfa");
        let amr = MFA_AMR.iter().map(|m| (*m).to_owned()).collect();
        self.start_session(&user, amr, pending.auth_time, &client)
            .await
    }

    /// Spends the `mfa_token` of a second step whose factor checked out. It
    /// works once: a second use, even with another valid factor, is
    /// [`FlowError::InvalidCode`].
    pub(super) async fn spend_mfa_token(
        &self,
        pending: &super::mfa_token::MfaTokenClaims,
        client: &ClientInfo,
    ) -> Result<(), FlowError> {
        if self
            .inner
            .store
            .use_once(&mfa_token_key(&pending.jti), pending.exp)
            .await?
        {
            return Ok(());
        }
        security_event!(info, "mfa.failed", client, user = %pending.sub, reason = "spent_mfa_token");
        Err(FlowError::InvalidCode)
    }

    /// The user and the factor `code` is, if it is a valid one of theirs.
    ///
    /// A TOTP step is spent by checking it (losing one costs the user
    /// nothing: the next step's code works). A recovery code is only looked
    /// at here and spent after the `mfa_token`, so a used token never costs
    /// the user one of their ten codes.
    async fn check_second_factor(
        &self,
        user_id: &str,
        code: &str,
    ) -> Result<Option<(User, Factor)>, FlowError> {
        let inner = &*self.inner;
        let Some(user) = inner.users.user_by_id(user_id).await? else {
            return Ok(None);
        };
        let Some(totp) = user.totp.as_ref().filter(|t| t.confirmed) else {
            return Ok(None);
        };
        let factor = if is_totp_shaped(code) {
            let Some(secret) = TotpSecret::open(totp, &inner.secret, &user.id) else {
                tracing::error!(user = %user.id, "a stored TOTP secret does not open with this server secret");
                return Ok(None);
            };
            inner
                .totp
                .verify_once(
                    &*inner.store,
                    &user.id,
                    secret.as_bytes(),
                    code,
                    crate::time::now(),
                )
                .await?
                .then_some(Factor::Totp)
        } else {
            RecoveryCodes::hash(code)
                .map(|hash| RecoveryCodes::keyed(&inner.secret, &user.id, &hash))
                .filter(|keyed| user.recovery_codes.iter().any(|stored| stored.ct_eq(keyed)))
                .map(Factor::Recovery)
        };
        Ok(factor.map(|factor| (user, factor)))
    }

    /// Starts TOTP enrolment for `user_id`: a new secret, stored (sealed)
    /// unconfirmed (login does not ask for it until [`Authenticator::confirm_totp`]).
    pub async fn enroll_totp(&self, user_id: &str) -> Result<TotpEnrollment, FlowError> {
        let inner = &*self.inner;
        let user = inner
            .users
            .user_by_id(user_id)
            .await?
            .ok_or(FlowError::NotFound)?;
        // Replacing a confirmed secret would switch the second factor off
        // until the new one is confirmed: refuse instead.
        if user.totp.as_ref().is_some_and(|t| t.confirmed) {
            return Err(FlowError::MfaAlreadyEnrolled);
        }
        let secret = crate::mfa::Totp::generate_secret()?;
        // The Key Uri Format separates issuer and account with ':'.
        let account = user.username.replace(':', "_");
        let enrollment = inner.totp.enrollment(&secret, &account)?;
        inner
            .users
            .set_totp(&user.id, Some(secret.seal(&inner.secret, &user.id, false)?))
            .await?;
        Ok(enrollment)
    }

    /// Confirms enrolment with a first code and returns ten recovery codes,
    /// shown once (the store keeps their keyed hashes). From now on login
    /// asks for a second factor.
    pub async fn confirm_totp(
        &self,
        user_id: &str,
        code: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<Vec<String>, FlowError> {
        let client = client.into();
        let inner = &*self.inner;
        let user = inner
            .users
            .user_by_id(user_id)
            .await?
            .ok_or(FlowError::NotFound)?;
        let Some(secret) = user
            .totp
            .as_ref()
            .and_then(|totp| TotpSecret::open(totp, &inner.secret, &user.id))
        else {
            return Err(FlowError::InvalidCode);
        };
        let now = crate::time::now();
        if !is_totp_shaped(code)
            || !inner
                .totp
                .verify_once(&*inner.store, &user.id, secret.as_bytes(), code, now)
                .await?
        {
            return Err(FlowError::InvalidCode);
        }
        let (codes, hashes) = RecoveryCodes::generate()?;
        let keyed = hashes
            .iter()
            .map(|hash| RecoveryCodes::keyed(&inner.secret, &user.id, hash))
            .collect();
        inner.users.set_recovery_codes(&user.id, keyed).await?;
        inner
            .users
            .set_totp(&user.id, Some(secret.seal(&inner.secret, &user.id, true)?))
            .await?;
        security_event!(info, "totp.enrolled", client, user = %user.id);
        Ok(codes)
    }
}

/// The single-use mark of the `mfa_token` with id `jti`.
pub(super) fn mfa_token_key(jti: &str) -> String {
    format!("mfa-token:{jti}")
}

/// Six to eight ASCII digits (the lengths [`Totp`](crate::mfa::Totp) can be
/// configured for; it checks the exact one); anything else is tried as a
/// recovery code, which has ten characters.
fn is_totp_shaped(code: &str) -> bool {
    (6..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}
