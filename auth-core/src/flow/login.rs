//! Registration and the password step, each throttled in the store.

use super::FlowError;
use super::events::security_event;
use super::throttle::{Reservation, Step};
use super::{Authenticator, ClientInfo, LoginOutcome, username};
use crate::password::PasswordCheck;
use crate::store::{NewUser, User};

impl Authenticator {
    /// Creates an account with a password.
    ///
    /// The username is put in its RFC 8265 `UsernameCaseMapped` form first
    /// (so `Alice`, `alice` and `Ａｌｉｃｅ` are one account); the password
    /// policy is checked against that form. Each client address may register
    /// [`FlowConfig::registrations_per`](super::FlowConfig::registrations_per)
    /// accounts per window, a limit decided in the store before any hashing.
    ///
    /// Errors: [`FlowError::InvalidUsername`] (refused by the profile, or longer
    /// than 64 characters), [`FlowError::WeakPassword`], [`FlowError::TooManyAttempts`],
    /// [`FlowError::Overloaded`] (the hasher's queue is full),
    /// [`FlowError::UsernameTaken`].
    pub async fn register(
        &self,
        username: &str,
        password: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<User, FlowError> {
        let client = client.into();
        let inner = &*self.inner;
        // The password against the name as typed and as it will be stored.
        let policy = inner.hasher.policy();
        policy
            .check_new_password(password, Some(username))
            .map_err(FlowError::WeakPassword)?;
        let username = username::canonical(username)?;
        policy
            .check_new_password(password, Some(&username))
            .map_err(FlowError::WeakPassword)?;
        let reservation = self.reserve(Step::Register, None, &client).await?;
        let created = async {
            let phc = inner.hasher.hash(password).await?;
            let user = inner
                .users
                .create_user(NewUser {
                    roles: (inner.roles_for_new_user)(&username),
                    username,
                    password_hash: Some(phc),
                })
                .await?;
            Ok::<_, FlowError>(user)
        }
        .await;
        match &created {
            // A registration counts, made or refused for its name: both cost
            // a hash. Only one the server could not finish is given back.
            Ok(user) => {
                security_event!(info, "user.registered", client, user = %user.id);
            }
            Err(FlowError::UsernameTaken) => {}
            Err(_) => reservation.give_back(self).await,
        }
        created
    }

    /// The password step.
    ///
    /// Each attempt is counted in the store *before* the password is checked,
    /// against the account and against the client address, in one atomic
    /// step per key: once [`FlowConfig::max_failures`](super::FlowConfig::max_failures)
    /// attempts are counted in the window, every further one — sent later or
    /// at the same moment, with the right password or not — gets
    /// [`FlowError::TooManyAttempts`] without being checked. A success gives its
    /// attempt back and clears the account's failures.
    ///
    /// The same [`FlowError::InvalidCredentials`] after the same argon2 work
    /// answers an unknown user, a username the RFC 8265 profile refuses, and a
    /// wrong password. A password over the policy's maximum length is refused
    /// before any hashing (and counts as a failure).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<LoginOutcome, FlowError> {
        let client = client.into();
        // An unusable name is an unknown user, down to the work done.
        let name = username::canonical(username).unwrap_or_default();
        let reservation = self.reserve(Step::Login, Some(&name), &client).await?;

        let checked = self.check_password(&name, password).await;
        let user = match checked {
            Ok(Some(user)) => user,
            Ok(None) => {
                security_event!(info, "login.failed", client, reason = "invalid_credentials");
                return Err(FlowError::InvalidCredentials);
            }
            Err(error) => {
                // Not checked (store down, hasher saturated): not a failure.
                reservation.give_back(self).await;
                return Err(error);
            }
        };
        reservation.succeeded(self).await?;

        #[cfg(feature = "passkeys")]
        let passkey = self.has_passkeys(&user.id).await?;
        #[cfg(not(feature = "passkeys"))]
        let passkey = false;
        if passkey || user.totp.as_ref().is_some_and(|t| t.confirmed) {
            let challenge = self.mfa_challenge(&user, passkey)?;
            return Ok(LoginOutcome::MfaRequired(challenge));
        }
        security_event!(info, "login.succeeded", client, user = %user.id, method = "pwd");
        let tokens = self
            .start_session(&user, vec!["pwd".to_owned()], crate::time::now(), &client)
            .await?;
        Ok(LoginOutcome::Tokens(tokens))
    }

    /// The account named `name` if `password` is its password; `None` for a
    /// wrong password or an unknown account, after the same work.
    async fn check_password(&self, name: &str, password: &str) -> Result<Option<User>, FlowError> {
        let inner = &*self.inner;
        if password.chars().count() > inner.hasher.policy().max_len() {
            return Ok(None);
        }
        let user = if name.is_empty() {
            None
        } else {
            inner.users.user_by_name(name).await?
        };
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
        let Some(user) = user.filter(|_| check.is_match()) else {
            return Ok(None);
        };
        if check == PasswordCheck::MatchNeedsRehash {
            // A password set under an older, laxer minimum length still
            // logs in; it keeps its old hash until it is changed.
            match inner.hasher.hash(password).await {
                Ok(phc) => inner.users.set_password_hash(&user.id, &phc).await?,
                Err(crate::password::PasswordError::TooShort { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(user))
    }

    /// Reserves one attempt of `step` for the account (when there is one) and
    /// the client address, or refuses with [`FlowError::TooManyAttempts`].
    pub(super) async fn reserve(
        &self,
        step: Step,
        account: Option<&str>,
        client: &ClientInfo,
    ) -> Result<Reservation, FlowError> {
        let reserved = Reservation::take(self, step, account, client).await;
        if let Err(FlowError::TooManyAttempts { .. }) = &reserved {
            security_event!(warn, "login.throttled", client, step = step.name());
        }
        reserved
    }
}
