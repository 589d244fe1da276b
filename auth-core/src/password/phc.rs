//! Stored PHC strings: which ones the hasher agrees to verify, whether they
//! follow the current parameters, and the dummy hash for unknown users.

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Params, Version};

use super::PasswordError;

/// A stored hash may predate a change of policy and ask for more than the
/// current parameters, but not without limit: a corrupted or planted hash
/// must not make one login allocate gigabytes (the allocation failure would
/// abort the process) or spin for minutes.
const MAX_STORED_MEMORY_KIB: u32 = 256 * 1024;
/// See [`MAX_STORED_MEMORY_KIB`].
const MAX_STORED_ITERATIONS: u32 = 32;

/// The salt length of new hashes, in bytes (RFC 9106 recommends 16).
pub(super) const SALT_LEN: usize = 16;

/// A stored argon2 hash that parsed and that the hasher agrees to verify.
pub(super) struct StoredHash {
    algorithm: Algorithm,
    version: Option<Version>,
    params: Params,
    salt_len: usize,
}

impl StoredHash {
    /// Parses `phc` and checks everything that can be checked without
    /// running argon2, so that a bad hash fails before waiting for the pool.
    ///
    /// # Errors
    /// [`PasswordError::MalformedHash`] for anything but an argon2 PHC string with a
    /// salt, a digest and affordable parameters.
    pub(super) fn parse(phc: &str, current: &Params) -> Result<Self, PasswordError> {
        let hash = PasswordHash::new(phc).map_err(|_| PasswordError::MalformedHash)?;
        let algorithm =
            Algorithm::try_from(hash.algorithm).map_err(|_| PasswordError::MalformedHash)?;
        let version = hash
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|_| PasswordError::MalformedHash)?;
        let params = Params::try_from(&hash).map_err(|_| PasswordError::MalformedHash)?;
        let (Some(salt), Some(_digest)) = (hash.salt, &hash.hash) else {
            return Err(PasswordError::MalformedHash);
        };
        let salt_len = decoded_salt_len(salt)?;
        if params.m_cost() > current.m_cost().max(MAX_STORED_MEMORY_KIB)
            || params.t_cost() > current.t_cost().max(MAX_STORED_ITERATIONS)
        {
            return Err(PasswordError::MalformedHash);
        }
        Ok(Self {
            algorithm,
            version,
            params,
            salt_len,
        })
    }

    /// Whether a hash made now would differ in anything but salt and digest.
    pub(super) fn needs_rehash(&self, current: &Params) -> bool {
        self.algorithm != Algorithm::Argon2id
            || self.version != Some(Version::V0x13)
            || self.params.m_cost() != current.m_cost()
            || self.params.t_cost() != current.t_cost()
            || self.params.p_cost() != current.p_cost()
            || self.params.output_len() != Some(output_len(current))
            || !self.params.keyid().is_empty()
            || !self.params.data().is_empty()
            || self.salt_len < SALT_LEN
    }
}

fn decoded_salt_len(salt: Salt<'_>) -> Result<usize, PasswordError> {
    let mut buf = [0u8; Salt::MAX_LENGTH];
    let bytes = salt
        .decode_b64(&mut buf)
        .map_err(|_| PasswordError::MalformedHash)?;
    if bytes.len() < argon2::MIN_SALT_LEN {
        return Err(PasswordError::MalformedHash);
    }
    Ok(bytes.len())
}

/// The digest length of new hashes.
pub(super) fn output_len(params: &Params) -> usize {
    params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)
}

/// A random salt for a new hash.
pub(super) fn random_salt() -> Result<SaltString, PasswordError> {
    let mut bytes = [0u8; SALT_LEN];
    crate::random::fill(&mut bytes)?;
    SaltString::encode_b64(&bytes).map_err(PasswordError::Hashing)
}

/// The hash that unknown users are verified against: the current parameters,
/// a random salt and a random digest.
///
/// Verifying recomputes argon2 from the stored parameters and salt and only
/// then compares digests, so checking a password against this string costs
/// exactly what checking it against a real hash with the same parameters
/// costs. Drawing the digest at random instead of hashing a secret makes the
/// string free to build (no first-use latency that would itself tell unknown
/// users apart), and no known password produces it.
pub(super) fn dummy(params: &Params) -> Result<String, PasswordError> {
    let salt = random_salt()?;
    let mut digest = vec![0u8; output_len(params)];
    crate::random::fill(&mut digest)?;
    let hashing = PasswordError::Hashing;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(hashing)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&digest).map_err(hashing)?),
    };
    Ok(hash.to_string())
}
