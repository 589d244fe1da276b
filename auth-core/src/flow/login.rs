//! Registration and the password step, with throttling.

use std::net::IpAddr;

use super::{Authenticator, LoginOutcome};
use crate::Error;
use crate::password::PasswordCheck;
use crate::store::{NewUser, User};

/// Throttling keys: one per account, one per client address.
fn account_key(scope: &str, account: &str) -> String {
    format!("{scope}:account:{account}")
}

fn address_key(scope: &str, address: IpAddr) -> String {
    format!("{scope}:address:{address}")
}

impl Authenticator {
    /// Creates an account with a password.
    ///
    /// Errors: [`Error::WeakPassword`] (too short, too long, or the username),
    /// [`Error::UsernameTaken`].
    pub async fn register(&self, username: &str, password: &str) -> Result<User, Error> {
        let inner = &*self.inner;
        inner
            .hasher
            .policy()
            .check_new_password(password, Some(username))
            .map_err(Error::WeakPassword)?;
        if username.is_empty()
            || username.chars().count() > 64
            || username.chars().any(char::is_control)
        {
            return Err(Error::InvalidUsername);
        }
        let phc = inner.hasher.hash(password).await?;
        inner
            .store
            .create_user(NewUser {
                username: username.to_owned(),
                password_hash: Some(phc),
                roles: (inner.roles_for_new_user)(username),
            })
            .await
    }

    /// The password step.
    ///
    /// The same [`Error::InvalidCredentials`] after the same argon2 work answers
    /// an unknown user and a wrong password. Once the account or the client
    /// address has failed [`FlowConfig::max_failures`](super::FlowConfig::max_failures)
    /// times in the window, every attempt — the right password included — gets
    /// [`Error::TooManyAttempts`] until the window ends. A success clears the
    /// account's failures. A password over the policy's maximum length is
    /// refused before any hashing.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<LoginOutcome, Error> {
        let inner = &*self.inner;
        let account = account_key("login", username);
        let address = client.map(|ip| address_key("login", ip));
        self.refuse_if_throttled(&account, address.as_deref())
            .await?;

        if password.chars().count() > inner.hasher.policy().max_len() {
            self.count_failure(&account, address.as_deref()).await?;
            return Err(Error::InvalidCredentials);
        }

        let user = inner.store.user_by_name(username).await?;
        let (user, check) = match user {
            Some(User {
                password_hash: Some(ref phc),
                ..
            }) => {
                let check = inner.hasher.verify(password, phc).await?;
                (user, check)
            }
            // Same work as a wrong password, so timing does not tell.
            _ => (None, inner.hasher.verify_dummy(password).await?),
        };
        let user = match (user, check) {
            (Some(user), check) if check.is_match() => {
                // Attempts that raced past the first check while others were
                // failing: the limit holds for them too, right password or not.
                self.refuse_if_throttled(&account, address.as_deref())
                    .await?;
                if check == PasswordCheck::MatchNeedsRehash {
                    // A password set under an older, laxer minimum length still
                    // logs in; it keeps its old hash until it is changed.
                    match inner.hasher.hash(password).await {
                        Ok(phc) => inner.store.set_password_hash(&user.id, &phc).await?,
                        Err(Error::PasswordTooShort { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                user
            }
            _ => {
                self.count_failure(&account, address.as_deref()).await?;
                return Err(Error::InvalidCredentials);
            }
        };
        inner.store.clear_failures(&account).await?;

        if user.totp.as_ref().is_some_and(|t| t.confirmed) {
            let challenge = self.mfa_challenge(&user)?;
            return Ok(LoginOutcome::MfaRequired(challenge));
        }
        let tokens = self
            .start_session(&user, vec!["pwd".to_owned()], crate::time::now())
            .await?;
        Ok(LoginOutcome::Tokens(tokens))
    }

    /// Refuses with [`Error::TooManyAttempts`] while a key is over its limit.
    pub(crate) async fn refuse_if_throttled(
        &self,
        account: &str,
        address: Option<&str>,
    ) -> Result<(), Error> {
        let now = crate::time::now();
        let limit = self.inner.config.max_failures;
        let mut retry_after: i64 = 0;
        for key in std::iter::once(account).chain(address) {
            let failures = self.inner.store.failures(key, now).await?;
            if failures.count >= limit {
                retry_after = retry_after.max(failures.window_ends - now);
            }
        }
        if retry_after > 0 {
            return Err(Error::TooManyAttempts {
                retry_after: u64::try_from(retry_after).unwrap_or(1).max(1),
            });
        }
        Ok(())
    }

    /// Counts one failure for the account and the address.
    pub(crate) async fn count_failure(
        &self,
        account: &str,
        address: Option<&str>,
    ) -> Result<(), Error> {
        let now = crate::time::now();
        let window = self.inner.config.window_secs();
        for key in std::iter::once(account).chain(address) {
            self.inner.store.record_failure(key, now, window).await?;
        }
        Ok(())
    }

    pub(crate) fn mfa_throttle_key(user_id: &str) -> String {
        account_key("mfa", user_id)
    }
}
