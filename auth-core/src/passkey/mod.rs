//! Passkeys (WebAuthn Level 3): a platform authenticator (fingerprint, face,
//! device PIN) or a security key, as a sign-in of its own and as the second
//! step after a password (feature `passkeys`).
//!
//! [`RelyingParty`] holds the relying-party id and the one origin accepted;
//! hand it to [`AuthenticatorBuilder::passkeys`](crate::flow::AuthenticatorBuilder::passkeys)
//! and the flows offer registration, discoverable sign-in (no username) and
//! the passkey as a second factor. Ceremonies are verified by
//! [webauthn-rs](https://docs.rs/webauthn-rs); their state is kept in the
//! store between the options and the answer, taken once, and expires after
//! [`CEREMONY_TTL`]. User verification is always required, so a passkey
//! sign-in is two factors (`amr` `["hwk", "user", "mfa"]`).
//!
//! What travels over HTTP is the WebAuthn Level 3 JSON form: options as
//! [`CreationOptions`] / [`RequestOptions`] (for
//! `PublicKeyCredential.parseCreationOptionsFromJSON` /
//! `parseRequestOptionsFromJSON`), answers as [`RegistrationResponse`] /
//! [`AuthenticationResponse`] (what `credential.toJSON()` gives).
//!
//! ```
//! use auth_core::passkey::RelyingParty;
//!
//! let rp = RelyingParty::for_origin("https://id.example.com")?;
//! assert_eq!(rp.id(), "id.example.com");
//! // An IP address is no relying-party id.
//! assert!(RelyingParty::for_origin("http://127.0.0.1:3000").is_err());
//! # Ok::<(), auth_core::passkey::PasskeyError>(())
//! ```

mod error;
pub(crate) mod relying_party;
mod wire;

use std::time::Duration;

pub use error::PasskeyError;
pub use relying_party::RelyingParty;
pub use wire::{AuthenticationResponse, CreationOptions, RegistrationResponse, RequestOptions};

/// How long a ceremony's challenge can be answered.
pub const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// The longest passkey name kept, in characters; longer names are cut.
pub const MAX_PASSKEY_NAME_CHARS: usize = 64;
