//! [`RelyingParty`]: this site as WebAuthn sees it, and the ceremonies.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::prelude::{
    AuthenticationResult, CredentialID, DiscoverableAuthentication, Passkey as Credential,
    PasskeyAuthentication, PasskeyRegistration, Url, Uuid, Webauthn, WebauthnBuilder,
    WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::wire::{AuthenticationResponse, CreationOptions, RegistrationResponse, RequestOptions};
use super::{CEREMONY_TTL, PasskeyError};

/// The relying party: its id (a domain) and the one origin whose pages may
/// run ceremonies. Cloning is cheap.
#[derive(Clone)]
pub struct RelyingParty {
    webauthn: Arc<Webauthn>,
    id: Arc<str>,
    origin: Arc<str>,
}

impl RelyingParty {
    /// The relying party of the site at `origin` (`https://id.example.com`;
    /// `http://localhost:3000` for development): its id is the origin's host.
    ///
    /// Errors: [`PasskeyError::InvalidOrigin`], or [`PasskeyError::NotADomain`]
    /// for an IP-address host, which browsers refuse as a relying-party id.
    pub fn for_origin(origin: &str) -> Result<Self, PasskeyError> {
        let url = parse_origin(origin)?;
        let host = url.domain().ok_or(PasskeyError::NotADomain)?.to_owned();
        Self::build(&host, &url)
    }

    /// The relying party with id `rp_id` (the origin's host or one of its
    /// parent domains, so that passkeys work across subdomains) for the site
    /// at `origin`.
    pub fn new(rp_id: &str, origin: &str) -> Result<Self, PasskeyError> {
        let url = parse_origin(origin)?;
        if url.domain().is_none() {
            return Err(PasskeyError::NotADomain);
        }
        Self::build(rp_id, &url)
    }

    fn build(rp_id: &str, origin: &Url) -> Result<Self, PasskeyError> {
        let webauthn = WebauthnBuilder::new(rp_id, origin)
            .and_then(|builder| builder.timeout(CEREMONY_TTL).build())
            .map_err(PasskeyError::Configuration)?;
        Ok(RelyingParty {
            webauthn: Arc::new(webauthn),
            id: Arc::from(rp_id),
            origin: Arc::from(origin.origin().ascii_serialization()),
        })
    }

    /// The relying-party id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The one origin accepted.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Options to create a discoverable passkey for the user with `handle`,
    /// excluding the credentials they already have; and the ceremony state.
    pub(crate) fn start_registration(
        &self,
        handle: Uuid,
        username: &str,
        exclude: Vec<CredentialID>,
    ) -> Result<(CreationOptions, String), CeremonyError> {
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(handle, username, username, exclude)
            .map_err(CeremonyError::Refused)?;
        // A passkey is a discoverable credential: sign-in starts without a
        // username. webauthn-rs leaves the choice to the authenticator.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        Ok((CreationOptions(options), encode_state(&state)?))
    }

    /// Checks a new credential against the ceremony `state`.
    pub(crate) fn finish_registration(
        &self,
        response: &RegistrationResponse,
        state: &str,
    ) -> Result<Credential, CeremonyError> {
        let state: PasskeyRegistration = decode_state(state)?;
        self.webauthn
            .finish_passkey_registration(&response.0, &state)
            .map_err(CeremonyError::Refused)
    }

    /// Options for a sign-in with any of this site's passkeys, no username
    /// asked; and the ceremony state.
    pub(crate) fn start_sign_in(&self) -> Result<(RequestOptions, String), CeremonyError> {
        let (mut options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(CeremonyError::Refused)?;
        // webauthn-rs asks for conditional mediation (autofill); a button
        // must open the passkey dialog at once instead.
        options.mediation = None;
        Ok((RequestOptions(options), encode_state(&state)?))
    }

    /// Checks a sign-in assertion made with `credential` against `state`.
    pub(crate) fn finish_sign_in(
        &self,
        response: &AuthenticationResponse,
        state: &str,
        credential: &Credential,
    ) -> Result<AuthenticationResult, CeremonyError> {
        let state: DiscoverableAuthentication = decode_state(state)?;
        self.webauthn
            .finish_discoverable_authentication_v2(&response.0, state, credential)
            .map_err(CeremonyError::Refused)
    }

    /// Options to assert one of `credentials` (the second step); and the
    /// ceremony state.
    pub(crate) fn start_second_step(
        &self,
        credentials: &[Credential],
    ) -> Result<(RequestOptions, String), CeremonyError> {
        let (mut options, state) = self
            .webauthn
            .start_passkey_authentication(credentials)
            .map_err(CeremonyError::Refused)?;
        options.mediation = None;
        Ok((RequestOptions(options), encode_state(&state)?))
    }

    /// Checks a second-step assertion against `state`.
    pub(crate) fn finish_second_step(
        &self,
        response: &AuthenticationResponse,
        state: &str,
    ) -> Result<AuthenticationResult, CeremonyError> {
        let state: PasskeyAuthentication = decode_state(state)?;
        self.webauthn
            .finish_passkey_authentication(&response.0, &state)
            .map_err(CeremonyError::Refused)
    }
}

impl fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelyingParty")
            .field("id", &self.id)
            .field("origin", &self.origin)
            .finish()
    }
}

/// Why a ceremony did not complete.
#[derive(Debug)]
pub(crate) enum CeremonyError {
    /// webauthn-rs refused it (or could not start one).
    Refused(WebauthnError),
    /// A state that does not (de)serialise: a record from another version.
    State,
}

impl CeremonyError {
    /// Whether the signature counter did not increase: a possible clone.
    pub(crate) fn is_counter_regression(&self) -> bool {
        matches!(
            self,
            CeremonyError::Refused(WebauthnError::CredentialPossibleCompromise)
        )
    }
}

fn parse_origin(origin: &str) -> Result<Url, PasskeyError> {
    let url = Url::parse(origin).map_err(|_| PasskeyError::InvalidOrigin)?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(PasskeyError::InvalidOrigin);
    }
    Ok(url)
}

fn encode_state(state: &impl serde::Serialize) -> Result<String, CeremonyError> {
    serde_json::to_string(state).map_err(|_| CeremonyError::State)
}

fn decode_state<T: serde::de::DeserializeOwned>(state: &str) -> Result<T, CeremonyError> {
    serde_json::from_str(state).map_err(|_| CeremonyError::State)
}

/// A credential id as stored and shown: base64url without padding.
pub(crate) fn encode_id(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// The opaque WebAuthn user handle of `user_id`: the same for all of a
/// user's passkeys (so an authenticator keeps one passkey per account),
/// derived rather than stored, and not the username.
pub(crate) fn user_handle(user_id: &str) -> Uuid {
    let digest = crate::store::SecretHash::of("passkey-user-handle", user_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.0.get(..16).unwrap_or(&[0; 16]));
    Uuid::from_bytes(bytes)
}
