//! [`PasskeyError`]: a relying party that cannot be set up.

/// Why a [`RelyingParty`](super::RelyingParty) could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasskeyError {
    /// The origin is not an absolute `http(s)` URL.
    #[error("the passkey origin is not an http(s) URL")]
    InvalidOrigin,
    /// The origin's host is an IP address (or missing): a relying-party id
    /// must be a domain name.
    #[error("the passkey origin's host must be a domain name, not an IP address")]
    NotADomain,
    /// webauthn-rs refused the configuration (an id that is not the
    /// origin's host or one of its parent domains).
    #[error("the relying-party id does not fit the origin")]
    Configuration(#[source] webauthn_rs::prelude::WebauthnError),
}
