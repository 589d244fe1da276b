//! The second step: TOTP or a recovery code, and TOTP enrolment.

use std::net::IpAddr;

use zeroize::Zeroizing;

use super::{Authenticator, TokenPair};
use crate::Error;
use crate::mfa::{RecoveryCodes, TotpEnrollment};
use crate::store::TotpState;

/// `amr` after a password and a second factor (RFC 8176).
const MFA_AMR: [&str; 3] = ["pwd", "otp", "mfa"];

impl Authenticator {
    /// The second step: `code` is a current TOTP code (accepted once) or an
    /// unused recovery code (accepted once); `mfa_token` comes from the password
    /// step and works once.
    ///
    /// Errors: [`Error::InvalidCode`] for a wrong, reused or expired code or
    /// token; [`Error::TooManyAttempts`] after too many failures for the account.
    pub async fn verify_mfa(
        &self,
        mfa_token: &str,
        code: &str,
        client: Option<IpAddr>,
    ) -> Result<TokenPair, Error> {
        let inner = &*self.inner;
        let pending = self.open_mfa_token(mfa_token)?;
        let throttle_key = Self::mfa_throttle_key(&pending.sub);
        let address = client.map(|ip| format!("mfa:address:{ip}"));
        self.refuse_if_throttled(&throttle_key, address.as_deref())
            .await?;

        let user = inner
            .store
            .user_by_id(&pending.sub)
            .await?
            .ok_or(Error::InvalidCode)?;
        let now = crate::time::now();
        let confirmed = user.totp.as_ref().filter(|t| t.confirmed);
        // A TOTP step is spent by checking it (losing one costs the user
        // nothing: the next step's code works). A recovery code is only
        // looked at first and spent after the mfa_token, so a used token never
        // costs the user one of their ten codes.
        let factor = match confirmed {
            Some(totp) if is_totp_shaped(code) => inner
                .totp
                .verify_once(&*inner.store, &user.id, &totp.secret, code, now)
                .await?
                .then_some(Factor::Totp),
            Some(_) => RecoveryCodes::hash(code)
                .filter(|hash| user.recovery_codes.iter().any(|stored| stored.ct_eq(hash)))
                .map(Factor::Recovery),
            None => None,
        };
        let Some(factor) = factor else {
            self.count_failure(&throttle_key, address.as_deref())
                .await?;
            return Err(Error::InvalidCode);
        };
        // The token works once: a second use, even with another valid code, fails.
        if !inner
            .store
            .use_once(&format!("mfa-token:{}", pending.jti), pending.exp)
            .await?
        {
            return Err(Error::InvalidCode);
        }
        if let Factor::Recovery(hash) = factor
            && !inner.store.consume_recovery_code(&user.id, &hash).await?
        {
            // Spent concurrently by another request.
            self.count_failure(&throttle_key, address.as_deref())
                .await?;
            return Err(Error::InvalidCode);
        }
        inner.store.clear_failures(&throttle_key).await?;
        let amr = MFA_AMR.iter().map(|m| (*m).to_owned()).collect();
        self.start_session(&user, amr, pending.auth_time).await
    }

    /// Starts TOTP enrolment for `user_id`: a new secret, stored unconfirmed
    /// (login does not ask for it until [`Authenticator::confirm_totp`]).
    pub async fn enroll_totp(&self, user_id: &str) -> Result<TotpEnrollment, Error> {
        let inner = &*self.inner;
        let user = inner
            .store
            .user_by_id(user_id)
            .await?
            .ok_or(Error::NotFound)?;
        // Replacing a confirmed secret would switch the second factor off
        // until the new one is confirmed: refuse instead.
        if user.totp.as_ref().is_some_and(|t| t.confirmed) {
            return Err(Error::MfaAlreadyEnrolled);
        }
        let secret = crate::mfa::Totp::generate_secret()?;
        // The Key Uri Format separates issuer and account with ':'.
        let account = user.username.replace(':', "_");
        let enrollment = inner.totp.enrollment(&secret, &account)?;
        inner
            .store
            .set_totp(
                &user.id,
                Some(TotpState {
                    secret: Zeroizing::new(secret.as_bytes().to_vec()),
                    confirmed: false,
                }),
            )
            .await?;
        Ok(enrollment)
    }

    /// Confirms enrolment with a first code and returns ten recovery codes,
    /// shown once (the store keeps their hashes). From now on login asks for a
    /// second factor.
    pub async fn confirm_totp(&self, user_id: &str, code: &str) -> Result<Vec<String>, Error> {
        let inner = &*self.inner;
        let user = inner
            .store
            .user_by_id(user_id)
            .await?
            .ok_or(Error::NotFound)?;
        let Some(totp) = user.totp else {
            return Err(Error::InvalidCode);
        };
        let now = crate::time::now();
        if !is_totp_shaped(code)
            || !inner
                .totp
                .verify_once(&*inner.store, &user.id, &totp.secret, code, now)
                .await?
        {
            return Err(Error::InvalidCode);
        }
        let (codes, hashes) = RecoveryCodes::generate()?;
        inner.store.set_recovery_codes(&user.id, hashes).await?;
        inner
            .store
            .set_totp(
                &user.id,
                Some(TotpState {
                    secret: totp.secret,
                    confirmed: true,
                }),
            )
            .await?;
        Ok(codes)
    }
}

/// Six to eight ASCII digits (the lengths [`Totp`](crate::mfa::Totp) can be
/// configured for; it checks the exact one); anything else is tried as a
/// Which second factor a code is.
enum Factor {
    Totp,
    Recovery(crate::store::SecretHash),
}

/// recovery code, which has ten characters.
fn is_totp_shaped(code: &str) -> bool {
    (6..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}
