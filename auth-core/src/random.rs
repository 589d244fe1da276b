//! Unguessable identifiers.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::Error;

/// `N` random bytes, base64url-encoded.
pub(crate) fn base64_bytes<const N: usize>() -> Result<String, Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A 128-bit random id for `jti`, `sid` and user ids.
pub(crate) fn token_id() -> Result<String, Error> {
    base64_bytes::<16>()
}
