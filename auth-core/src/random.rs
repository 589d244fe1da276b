//! Unguessable identifiers and secrets, from the operating system's source.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The operating system's random number generator failed (it never does on
/// a working system; nothing is made up instead).
#[derive(Debug, thiserror::Error)]
#[error("the random number generator failed")]
pub struct RandomError(#[source] getrandom::Error);

/// Fills `buf` with random bytes.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(RandomError)
}

/// `N` random bytes, base64url-encoded.
pub(crate) fn base64_bytes<const N: usize>() -> Result<String, RandomError> {
    let mut bytes = [0u8; N];
    fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A 128-bit random id for `jti`, `sid` and user ids.
pub(crate) fn token_id() -> Result<String, RandomError> {
    base64_bytes::<16>()
}
