//! The JSON that crosses HTTP, in the WebAuthn Level 3 form (binary as
//! base64url without padding), wrapping webauthn-rs' types so that they stay
//! an implementation detail.

use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// Options for `navigator.credentials.create()`: `{"publicKey": {...}}`.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct CreationOptions(pub(crate) CreationChallengeResponse);

/// Options for `navigator.credentials.get()`: `{"publicKey": {...}}`, with
/// no `mediation` (a sign-in button must not wait on conditional UI).
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct RequestOptions(pub(crate) RequestChallengeResponse);

/// A new credential as `credential.toJSON()` gives it (`RegistrationResponseJSON`).
#[derive(Clone, Debug, Deserialize)]
#[serde(transparent)]
pub struct RegistrationResponse(pub(crate) RegisterPublicKeyCredential);

/// An assertion as `credential.toJSON()` gives it (`AuthenticationResponseJSON`).
#[derive(Clone, Debug, Deserialize)]
#[serde(transparent)]
pub struct AuthenticationResponse(pub(crate) PublicKeyCredential);

impl AuthenticationResponse {
    /// The credential id the authenticator used, base64url without padding.
    pub fn credential_id(&self) -> String {
        super::relying_party::encode_id(self.0.get_credential_id())
    }
}
