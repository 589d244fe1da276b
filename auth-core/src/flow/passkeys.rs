//! Passkeys in the flows: registration, the list and deletion, discoverable
//! sign-in, and the passkey as the second step after a password.
//!
//! Every ceremony's state goes into the store under a key that binds it to
//! what started it (the user for a registration, the `mfa_token` for a
//! second step, a random id handed to the client for a sign-in), is taken
//! once when the answer comes, and expires after
//! [`CEREMONY_TTL`](crate::passkey::CEREMONY_TTL). A failed ceremony stores
//! nothing: no passkey, no counter, no session.

use subtle::ConstantTimeEq;
use webauthn_rs::prelude::{AuthenticationResult, Passkey as Credential};

use super::FlowError;
use super::events::security_event;
use super::throttle::Step;
use super::{Authenticator, ClientInfo, TokenPair};
use crate::passkey::relying_party::{CeremonyError, encode_id, user_handle};
use crate::passkey::{
    AuthenticationResponse, CEREMONY_TTL, CreationOptions, MAX_PASSKEY_NAME_CHARS,
    RegistrationResponse, RelyingParty, RequestOptions,
};
use crate::store::{Passkey, PasskeyUse, StoreError, User};

/// `amr` after a password and a passkey (RFC 8176: hardware-bound key).
const SECOND_STEP_AMR: [&str; 3] = ["pwd", "hwk", "mfa"];
/// `amr` after a passkey sign-in: a hardware-bound key and user verification.
const SIGN_IN_AMR: [&str; 3] = ["hwk", "user", "mfa"];

/// A passkey sign-in's first half: the options for the browser, and the
/// ceremony id to send back with the assertion.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PasskeySignIn {
    /// Opaque; names the ceremony in the store.
    pub ceremony: String,
    /// For `navigator.credentials.get()`.
    pub options: RequestOptions,
}

impl Authenticator {
    /// The relying party, or [`FlowError::PasskeysDisabled`].
    fn relying_party(&self) -> Result<&RelyingParty, FlowError> {
        self.inner
            .passkeys
            .as_ref()
            .ok_or(FlowError::PasskeysDisabled)
    }

    /// Whether passkeys are offered (a relying party was configured).
    pub fn passkeys_enabled(&self) -> bool {
        self.inner.passkeys.is_some()
    }

    /// Starts registering a passkey for `user_id`: options to pass to
    /// `navigator.credentials.create()`. A later call replaces the pending
    /// registration. The routes ask for recent authentication first.
    pub async fn passkey_registration_options(
        &self,
        user_id: &str,
    ) -> Result<CreationOptions, FlowError> {
        let rp = self.relying_party()?;
        let inner = &*self.inner;
        let user = inner
            .users
            .user_by_id(user_id)
            .await?
            .ok_or(FlowError::NotFound)?;
        let exclude = inner
            .store
            .user_passkeys(&user.id)
            .await?
            .iter()
            .filter_map(|passkey| credential_of(passkey).ok())
            .map(|credential| credential.cred_id().clone())
            .collect();
        let (options, state) = rp
            .start_registration(user_handle(&user.id), &user.username, exclude)
            .map_err(ceremony_failed)?;
        inner
            .store
            .put_ceremony(&registration_key(&user.id), &state, ceremony_expiry())
            .await?;
        Ok(options)
    }

    /// Finishes registering a passkey for `user_id` with the browser's
    /// answer to [`passkey_registration_options`](Self::passkey_registration_options).
    ///
    /// Errors: [`FlowError::InvalidPasskey`] when the answer does not verify
    /// (no pending registration for this user, a spent or expired challenge,
    /// another origin or RP id, no user verification, a credential already
    /// registered); [`FlowError::TooManyPasskeys`].
    pub async fn register_passkey(
        &self,
        user_id: &str,
        response: &RegistrationResponse,
        name: Option<&str>,
        client: impl Into<ClientInfo>,
    ) -> Result<Passkey, FlowError> {
        let client = client.into();
        let rp = self.relying_party()?;
        let inner = &*self.inner;
        let now = crate::time::now();
        let state = inner
            .store
            .take_ceremony(&registration_key(user_id), now)
            .await?
            .ok_or(FlowError::InvalidPasskey)?;
        let credential = rp
            .finish_registration(response, &state)
            .map_err(|_| FlowError::InvalidPasskey)?;
        let passkey = Passkey {
            id: encode_id(credential.cred_id()),
            user_id: user_id.to_owned(),
            name: passkey_name(name),
            created_at: now,
            last_used_at: None,
            counter: stored_counter(&credential),
            credential: serde_json::to_string(&credential)
                .map_err(|_| FlowError::InvalidPasskey)?,
        };
        match inner
            .store
            .create_passkey(&passkey, inner.config.max_passkeys_per_user)
            .await
        {
            Ok(()) => {}
            Err(StoreError::PasskeyTaken) => return Err(FlowError::InvalidPasskey),
            Err(other) => return Err(other.into()),
        }
        security_event!(info, "passkey.registered", client, user = %user_id, passkey = %passkey.id);
        Ok(passkey)
    }

    /// The passkeys of `user_id`, oldest first.
    pub async fn passkeys(&self, user_id: &str) -> Result<Vec<Passkey>, FlowError> {
        Ok(self.inner.store.user_passkeys(user_id).await?)
    }

    /// Deletes passkey `id` of `user_id`; it signs in nowhere from now on.
    /// [`FlowError::NotFound`] if the user has no such passkey.
    pub async fn delete_passkey(
        &self,
        user_id: &str,
        id: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<(), FlowError> {
        let client = client.into();
        if !self.inner.store.delete_passkey(user_id, id).await? {
            return Err(FlowError::NotFound);
        }
        security_event!(info, "passkey.deleted", client, user = %user_id, passkey = %id);
        Ok(())
    }

    /// Starts a passkey sign-in (no username: the authenticator offers the
    /// passkeys it holds for this site). Counted per client address (see
    /// [`FlowConfig::passkey_challenges_per`](super::FlowConfig::passkey_challenges_per)),
    /// since each start keeps a ceremony in the store.
    pub async fn passkey_sign_in_options(
        &self,
        client: impl Into<ClientInfo>,
    ) -> Result<PasskeySignIn, FlowError> {
        let client = client.into();
        let rp = self.relying_party()?;
        // Never given back: every start stores a ceremony.
        let _counted = self.reserve(Step::PasskeyChallenge, None, &client).await?;
        let (options, state) = rp.start_sign_in().map_err(ceremony_failed)?;
        let ceremony = crate::random::token_id()?;
        self.inner
            .store
            .put_ceremony(&sign_in_key(&ceremony), &state, ceremony_expiry())
            .await?;
        Ok(PasskeySignIn { ceremony, options })
    }

    /// Signs in with a passkey: the assertion answering the options of
    /// [`passkey_sign_in_options`](Self::passkey_sign_in_options). A
    /// user-verified passkey is two factors: no second step follows.
    ///
    /// Throttled like the password step, per client address. Errors:
    /// [`FlowError::PasskeyRefused`] for everything the assertion can get
    /// wrong (unknown or deleted credential, a bad signature, another origin
    /// or RP id, no user verification, a spent or expired ceremony, a
    /// signature counter that did not increase — also logged as
    /// `passkey.clone_suspected`); [`FlowError::TooManyAttempts`].
    pub async fn sign_in_with_passkey(
        &self,
        ceremony: &str,
        response: &AuthenticationResponse,
        client: impl Into<ClientInfo>,
    ) -> Result<TokenPair, FlowError> {
        let client = client.into();
        let rp = self.relying_party()?;
        let reservation = self.reserve(Step::Passkey, None, &client).await?;
        let checked = self
            .check_assertion(
                &sign_in_key(ceremony),
                None,
                response,
                &client,
                |state, credential| rp.finish_sign_in(response, state, credential),
            )
            .await;
        let user = match checked {
            Ok(Some(user)) => user,
            Ok(None) => {
                security_event!(info, "login.failed", client, reason = "invalid_passkey");
                return Err(FlowError::PasskeyRefused);
            }
            Err(error) => {
                reservation.give_back(self).await;
                return Err(error);
            }
        };
        reservation.succeeded(self).await?;
        security_event!(info, "login.succeeded", client, user = %user.id, method = "hwk");
        let amr = SIGN_IN_AMR.iter().map(|m| (*m).to_owned()).collect();
        self.start_session(&user, amr, crate::time::now(), &client)
            .await
    }

    /// Options for the passkey as second step: the user's passkeys allowed,
    /// the challenge bound to this `mfa_token`. [`FlowError::InvalidCode`] for
    /// a bad, expired or spent token; [`FlowError::NotFound`] when the user
    /// has no passkey.
    pub async fn mfa_passkey_options(&self, mfa_token: &str) -> Result<RequestOptions, FlowError> {
        let rp = self.relying_party()?;
        let inner = &*self.inner;
        let pending = self.open_mfa_token(mfa_token)?;
        if inner
            .store
            .is_used(
                &super::mfa_step::mfa_token_key(&pending.jti),
                crate::time::now(),
            )
            .await?
        {
            return Err(FlowError::InvalidCode);
        }
        let credentials: Vec<Credential> = inner
            .store
            .user_passkeys(&pending.sub)
            .await?
            .iter()
            .filter_map(|passkey| credential_of(passkey).ok())
            .collect();
        if credentials.is_empty() {
            return Err(FlowError::NotFound);
        }
        let (options, state) = rp
            .start_second_step(&credentials)
            .map_err(ceremony_failed)?;
        inner
            .store
            .put_ceremony(
                &second_step_key(&pending.jti),
                &state,
                pending.exp.min(ceremony_expiry()),
            )
            .await?;
        Ok(options)
    }

    /// The second step with a passkey: the assertion answering
    /// [`mfa_passkey_options`](Self::mfa_passkey_options) for this
    /// `mfa_token`. Throttled and single-use like
    /// [`verify_mfa`](Self::verify_mfa); errors: [`FlowError::InvalidCode`],
    /// [`FlowError::TooManyAttempts`].
    pub async fn verify_mfa_passkey(
        &self,
        mfa_token: &str,
        response: &AuthenticationResponse,
        client: impl Into<ClientInfo>,
    ) -> Result<TokenPair, FlowError> {
        let client = client.into();
        let rp = self.relying_party()?;
        let pending = self.open_mfa_token(mfa_token)?;
        let reservation = self.reserve(Step::Mfa, Some(&pending.sub), &client).await?;
        let key = second_step_key(&pending.jti);
        let checked = self
            .check_assertion(&key, Some(&pending.sub), response, &client, |state, _| {
                rp.finish_second_step(response, state)
            })
            .await;
        let user = match checked {
            Ok(Some(user)) => user,
            Ok(None) => {
                security_event!(info, "mfa.failed", client, user = %pending.sub, reason = "invalid_passkey");
                return Err(FlowError::InvalidCode);
            }
            Err(error) => {
                reservation.give_back(self).await;
                return Err(error);
            }
        };
        self.spend_mfa_token(&pending, &client).await?;
        reservation.succeeded(self).await?;
        security_event!(info, "login.succeeded", client, user = %user.id, method = "mfa");
        let amr = SECOND_STEP_AMR.iter().map(|m| (*m).to_owned()).collect();
        self.start_session(&user, amr, pending.auth_time, &client)
            .await
    }

    /// The user an assertion proves, or `None` when it does not verify;
    /// errors only for what the server could not check.
    ///
    /// The ceremony under `ceremony_key` is taken (spent whatever follows);
    /// the passkey the assertion names must exist and, for a second step,
    /// belong to `owner`; for a sign-in, where nobody is identified yet, the
    /// user handle the authenticator returns must be its owner's. `verify`
    /// checks the assertion against the ceremony's state.
    async fn check_assertion(
        &self,
        ceremony_key: &str,
        owner: Option<&str>,
        response: &AuthenticationResponse,
        client: &ClientInfo,
        verify: impl FnOnce(&str, &Credential) -> Result<AuthenticationResult, CeremonyError>,
    ) -> Result<Option<User>, FlowError> {
        let inner = &*self.inner;
        let now = crate::time::now();
        let Some(state) = inner.store.take_ceremony(ceremony_key, now).await? else {
            return Ok(None);
        };
        let Some(passkey) = inner.store.passkey(&response.credential_id()).await? else {
            return Ok(None);
        };
        let owned = match owner {
            Some(owner) => passkey.user_id == owner,
            None => {
                let expected = user_handle(&passkey.user_id);
                let presented = response.0.get_user_unique_id().unwrap_or_default();
                bool::from(presented.ct_eq(expected.as_bytes()))
            }
        };
        if !owned {
            return Ok(None);
        }
        let Ok(mut credential) = credential_of(&passkey) else {
            return Ok(None);
        };
        let result = match verify(&state, &credential) {
            Ok(result) => result,
            Err(error) => {
                if error.is_counter_regression() {
                    clone_suspected(&passkey, client);
                }
                return Ok(None);
            }
        };
        if !self
            .record_use(&passkey, &mut credential, &result, now, client)
            .await?
        {
            return Ok(None);
        }
        Ok(inner.users.user_by_id(&passkey.user_id).await?)
    }

    /// Stores a verified use (counter, flags, moment); `false` when the
    /// store refuses it: deleted meanwhile, or a counter that another use
    /// already moved past (a clone racing the original).
    async fn record_use(
        &self,
        passkey: &Passkey,
        credential: &mut Credential,
        result: &AuthenticationResult,
        now: i64,
        client: &ClientInfo,
    ) -> Result<bool, FlowError> {
        credential.update_credential(result);
        let serialised = serde_json::to_string(&*credential).map_err(|_| FlowError::InvalidCode)?;
        let recorded = self
            .inner
            .store
            .record_passkey_use(&passkey.id, result.counter(), &serialised, now)
            .await?;
        match recorded {
            PasskeyUse::Recorded => Ok(true),
            PasskeyUse::NotFound => Ok(false),
            PasskeyUse::CounterRegressed => {
                clone_suspected(passkey, client);
                Ok(false)
            }
        }
    }

    /// Whether `user_id` has a passkey to use as second step.
    pub(super) async fn has_passkeys(&self, user_id: &str) -> Result<bool, FlowError> {
        if self.inner.passkeys.is_none() {
            return Ok(false);
        }
        Ok(!self.inner.store.user_passkeys(user_id).await?.is_empty())
    }
}

fn clone_suspected(passkey: &Passkey, client: &ClientInfo) {
    security_event!(
        warn,
        "passkey.clone_suspected",
        client,
        user = %passkey.user_id,
        passkey = %passkey.id
    );
}

/// The credential a stored passkey holds.
fn credential_of(passkey: &Passkey) -> Result<Credential, serde_json::Error> {
    serde_json::from_str(&passkey.credential)
}

/// The counter a new credential starts from, as the authenticator reported it.
fn stored_counter(credential: &Credential) -> u32 {
    // webauthn-rs keeps it inside the credential without an accessor; its
    // serialised form names it.
    serde_json::to_value(credential)
        .ok()
        .and_then(|value| value.get("cred")?.get("counter")?.as_u64())
        .and_then(|counter| u32::try_from(counter).ok())
        .unwrap_or(0)
}

fn passkey_name(name: Option<&str>) -> String {
    let name = name.map(str::trim).filter(|name| !name.is_empty());
    name.unwrap_or("Passkey")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_PASSKEY_NAME_CHARS)
        .collect()
}

fn ceremony_expiry() -> i64 {
    crate::time::now().saturating_add(super::config::secs(CEREMONY_TTL))
}

fn registration_key(user_id: &str) -> String {
    format!("passkey-register:{user_id}")
}

fn sign_in_key(ceremony: &str) -> String {
    format!("passkey-sign-in:{ceremony}")
}

fn second_step_key(mfa_jti: &str) -> String {
    format!("passkey-mfa:{mfa_jti}")
}

/// A ceremony that could not even start: webauthn-rs refused its own
/// options, or its state would not serialise.
fn ceremony_failed(error: CeremonyError) -> FlowError {
    tracing::error!(?error, "a passkey ceremony could not start");
    FlowError::PasskeyCeremony
}
