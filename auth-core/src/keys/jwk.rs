//! JSON Web Keys (RFC 7517) for the asymmetric algorithms: OKP/Ed25519
//! (RFC 8037), EC/P-256 and RSA (RFC 7518 §6).
//!
//! Exported keys carry only public members. Imported keys take their algorithm
//! from `kty`/`crv`, never from a token, and an `alg` member must agree with it
//! (RFC 8725 §3.1); HS256 secrets are never published nor imported.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::KeyError;
use super::material::{PublicKey, ec_coordinates};
use super::set::Keys;
use super::{Algorithm, KeySet, VerifyingKey};

/// Bytes of an Ed25519 public key, and of each P-256 coordinate.
const COORDINATE_LEN: usize = 32;
/// The smallest RSA modulus accepted, in bits (RFC 7518 §3.3).
const RSA_MIN_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bytes (8192 bits; the backend's limit).
const RSA_MAX_BYTES: usize = 1024;
/// Characters of an untrusted member value quoted in an error or a log line.
const QUOTE_LEN: usize = 32;

/// A JWK Set (RFC 7517 §5): what `/.well-known/jwks.json` serves.
///
/// ```
/// use auth_core::{Algorithm, KeySet};
///
/// let keys = KeySet::generate(Algorithm::EdDSA)?;
/// let json = serde_json::to_string(&keys.jwks()).unwrap();
/// let imported = KeySet::from_jwks(&serde_json::from_str(&json).unwrap())?;
/// assert_eq!(imported.verifying_keys().len(), 1);
/// # Ok::<(), auth_core::keys::KeyError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// One public JSON Web Key, with the members this crate reads and writes.
///
/// Other members (`x5c`, `key_ops` values, private members such as `d`) are
/// ignored when reading and never written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Jwk {
    /// Key type: `OKP`, `EC` or `RSA`.
    pub kty: String,
    /// Curve of an `OKP` (`Ed25519`) or `EC` (`P-256`) key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// The public key (`OKP`) or x coordinate (`EC`), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// The y coordinate of an `EC` key, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// The modulus of an `RSA` key, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// The public exponent of an `RSA` key, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// The key id tokens name in their `kid` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The one algorithm this key is used with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use: `sig` for signature keys.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// Permitted operations (RFC 7517 §4.3); when present, must include `verify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
}

impl VerifyingKey {
    /// This key as a public JWK with `kid`, `alg` and `use: "sig"`; `None` for
    /// HS256, whose key is a shared secret.
    pub fn to_jwk(&self) -> Option<Jwk> {
        let b64 = |bytes: &[u8]| Some(URL_SAFE_NO_PAD.encode(bytes));
        let mut jwk = Jwk {
            kty: String::new(),
            crv: None,
            x: None,
            y: None,
            n: None,
            e: None,
            kid: Some(self.kid().to_owned()),
            alg: Some(self.algorithm().as_str().to_owned()),
            key_use: Some("sig".to_owned()),
            key_ops: None,
        };
        match self.public() {
            PublicKey::Ed25519(x) => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("Ed25519".into());
                jwk.x = b64(x);
            }
            PublicKey::EcP256(point) => {
                let (x, y) = ec_coordinates(point);
                jwk.kty = "EC".into();
                jwk.crv = Some("P-256".into());
                jwk.x = b64(x);
                jwk.y = b64(y);
            }
            PublicKey::Rsa { n, e } => {
                jwk.kty = "RSA".into();
                jwk.n = b64(n);
                jwk.e = b64(e);
            }
            PublicKey::Hmac(_) => return None,
        }
        Some(jwk)
    }

    /// A verifying key from a public JWK.
    ///
    /// The algorithm comes from `kty` and `crv` (`OKP`/`Ed25519` is EdDSA,
    /// `EC`/`P-256` is ES256, `RSA` is RS256); an `alg` member must name the
    /// same algorithm. Refused: a missing `kid`, a `use` other than `sig`,
    /// `key_ops` without `verify`, other key types and curves, symmetric keys,
    /// RSA moduli under 2048 bits, and members that are not strict base64url
    /// of the right length.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        if let Some(key_use) = &jwk.key_use
            && key_use != "sig"
        {
            return Err(KeyError::InvalidKey("the JWK's use is not sig"));
        }
        if let Some(ops) = &jwk.key_ops
            && !ops.iter().any(|op| op == "verify")
        {
            return Err(KeyError::InvalidKey(
                "the JWK's key_ops do not include verify",
            ));
        }
        let kid = match jwk.kid.as_deref() {
            Some(kid) if !kid.is_empty() => kid,
            _ => return Err(KeyError::InvalidKey("the JWK has no kid")),
        };
        let (alg, public) = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => {
                let x = member(&jwk.x, "x", Some(COORDINATE_LEN))?;
                (Algorithm::EdDSA, PublicKey::Ed25519(x))
            }
            ("EC", Some("P-256")) => {
                let x = member(&jwk.x, "x", Some(COORDINATE_LEN))?;
                let y = member(&jwk.y, "y", Some(COORDINATE_LEN))?;
                let mut point = Vec::with_capacity(1 + 2 * COORDINATE_LEN);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                (Algorithm::ES256, PublicKey::EcP256(point))
            }
            ("RSA", _) => {
                let n = strip_leading_zeros(member(&jwk.n, "n", None)?);
                let e = strip_leading_zeros(member(&jwk.e, "e", None)?);
                if bit_length(&n) < RSA_MIN_BITS {
                    return Err(KeyError::InvalidKey(
                        "RSA moduli under 2048 bits are refused",
                    ));
                }
                if n.len() > RSA_MAX_BYTES || e.is_empty() || e.len() > 8 {
                    return Err(KeyError::InvalidKey("unsupported RSA key size or exponent"));
                }
                (Algorithm::RS256, PublicKey::Rsa { n, e })
            }
            ("oct", _) => {
                return Err(KeyError::InvalidKey(
                    "symmetric keys are never taken from a JWK",
                ));
            }
            (kty, crv) => {
                return Err(KeyError::Encoding(format!(
                    "unsupported JWK key type {:?} with curve {:?}",
                    quote(kty),
                    crv.map(quote)
                )));
            }
        };
        if let Some(named) = jwk.alg.as_deref()
            && !names_algorithm(named, alg)
        {
            return Err(KeyError::Encoding(format!(
                "the JWK's alg {:?} does not match its {} key",
                quote(named),
                alg
            )));
        }
        Self::from_parts(alg, public, Some(kid))
    }
}

impl KeySet {
    /// The JWK Set of every asymmetric verification key, to publish at
    /// `/.well-known/jwks.json`. HS256 keys are never included, so an
    /// HS256-only set gives `{"keys":[]}`.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .load()
                .verifying
                .iter()
                .filter_map(VerifyingKey::to_jwk)
                .collect(),
        }
    }

    /// A verify-only set of the usable keys of a JWK Set (another issuer's).
    ///
    /// Keys that [`VerifyingKey::from_jwk`] refuses, and keys whose `kid` was
    /// already taken by an earlier key, are skipped and logged at debug level
    /// (without key material). A set left with no key at all is an error.
    pub fn from_jwks(set: &JwkSet) -> Result<KeySet, KeyError> {
        let mut verifying: Vec<VerifyingKey> = Vec::with_capacity(set.keys.len());
        for jwk in &set.keys {
            let kid = jwk.kid.as_deref().map(quote);
            match VerifyingKey::from_jwk(jwk) {
                Ok(key) if verifying.iter().any(|k| k.kid() == key.kid()) => {
                    tracing::debug!(kid = ?kid, "skipping a JWK whose kid is already in the set");
                }
                Ok(key) => verifying.push(key),
                Err(reason) => tracing::debug!(kid = ?kid, %reason, "skipping an unusable JWK"),
            }
        }
        if verifying.is_empty() {
            return Err(KeyError::InvalidKey(
                "the JWK Set holds no usable signature key",
            ));
        }
        Ok(KeySet::from_keys(Keys::new(None, verifying)))
    }
}

/// Whether an `alg` member names `alg`; `Ed25519` is the fully specified name
/// of EdDSA over Ed25519 (RFC 9864).
fn names_algorithm(named: &str, alg: Algorithm) -> bool {
    named == alg.as_str() || (alg == Algorithm::EdDSA && named == "Ed25519")
}

/// A required base64url member, strictly decoded (no padding, no stray bits),
/// of exactly `len` bytes when given.
fn member(
    value: &Option<String>,
    name: &'static str,
    len: Option<usize>,
) -> Result<Vec<u8>, KeyError> {
    let value = value
        .as_deref()
        .ok_or_else(|| KeyError::Encoding(format!("the JWK has no {name}")))?;
    // Bound the work before decoding: 8192 bits of base64url, with slack.
    if value.len() > 2 * RSA_MAX_BYTES {
        return Err(KeyError::Encoding(format!("the JWK's {name} is too long")));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| KeyError::Encoding(format!("the JWK's {name} is not base64url")))?;
    match len {
        Some(len) if bytes.len() != len => Err(KeyError::Encoding(format!(
            "the JWK's {name} is {} bytes, not {len}",
            bytes.len()
        ))),
        _ => Ok(bytes),
    }
}

fn strip_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.drain(..zeros);
    bytes
}

/// Bits of a big-endian unsigned integer without leading zero bytes.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        Some(&first) => bytes.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// A bounded prefix of an untrusted string, for messages.
fn quote(value: &str) -> String {
    value.chars().take(QUOTE_LEN).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    fn jwk_of(alg: Algorithm) -> (SigningKey, serde_json::Value) {
        let key = SigningKey::generate(alg).unwrap();
        let jwk = serde_json::to_value(key.verifying_key().to_jwk().unwrap()).unwrap();
        (key, jwk)
    }

    fn import(value: &serde_json::Value) -> Result<VerifyingKey, KeyError> {
        let jwk: Jwk =
            serde_json::from_value(value.clone()).map_err(|e| KeyError::Encoding(e.to_string()))?;
        VerifyingKey::from_jwk(&jwk)
    }

    #[test]
    fn exported_members_are_exactly_the_public_ones() {
        let expected: [(Algorithm, &[&str]); 3] = [
            (Algorithm::EdDSA, &["alg", "crv", "kid", "kty", "use", "x"]),
            (
                Algorithm::ES256,
                &["alg", "crv", "kid", "kty", "use", "x", "y"],
            ),
            (Algorithm::RS256, &["alg", "e", "kid", "kty", "n", "use"]),
        ];
        for (alg, members) in expected {
            let (key, jwk) = jwk_of(alg);
            let mut names: Vec<&str> = jwk
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            names.sort_unstable();
            assert_eq!(names, members, "{alg}");
            assert_eq!(jwk["kid"], key.kid());
            assert_eq!(jwk["alg"], alg.as_str());
            assert_eq!(jwk["use"], "sig");
        }
        let hmac = SigningKey::generate(Algorithm::HS256).unwrap();
        assert!(hmac.verifying_key().to_jwk().is_none());
    }

    #[test]
    fn import_round_trips_and_verifies() {
        for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
            let (key, jwk) = jwk_of(alg);
            let imported = import(&jwk).unwrap();
            assert_eq!(imported.kid(), key.kid());
            assert_eq!(imported.algorithm(), alg);
            let signature = key.sign(b"input").unwrap();
            assert!(imported.verify(b"input", &signature), "{alg}");
        }
    }

    #[test]
    fn refusals_name_the_problem() {
        let (_, ed) = jwk_of(Algorithm::EdDSA);
        let (_, ec) = jwk_of(Algorithm::ES256);
        let (_, rsa) = jwk_of(Algorithm::RS256);
        let with = |base: &serde_json::Value, name: &str, value: serde_json::Value| {
            let mut jwk = base.clone();
            jwk[name] = value;
            jwk
        };
        let without = |base: &serde_json::Value, name: &str| {
            let mut jwk = base.clone();
            jwk.as_object_mut().unwrap().remove(name);
            jwk
        };
        let x = ed["x"].as_str().unwrap().to_owned();
        let cases = [
            with(&ed, "use", "enc".into()),
            with(&ed, "key_ops", serde_json::json!(["sign"])),
            without(&ed, "kid"),
            with(&ed, "kid", "".into()),
            with(&ed, "alg", "ES256".into()),
            with(&ed, "alg", "none".into()),
            with(&ed, "crv", "Ed448".into()),
            with(&ed, "crv", "X25519".into()),
            with(&ed, "kty", "EC".into()),
            without(&ed, "x"),
            with(&ed, "x", format!("{x}=").into()),
            with(&ed, "x", x[..x.len() - 1].into()),
            with(&ed, "x", format!("{x}AA").into()),
            with(
                &ed,
                "x",
                x.replace(|c: char| c.is_ascii_alphabetic(), "+").into(),
            ),
            with(&ec, "y", ec["x"].clone()), // not on the curve
            without(&ec, "y"),
            with(&ec, "crv", "P-384".into()),
            with(&ec, "alg", "ES384".into()),
            with(&rsa, "alg", "PS256".into()),
            with(&rsa, "n", URL_SAFE_NO_PAD.encode([0xff; 128]).into()), // 1024 bits
            with(&rsa, "e", "".into()),
            with(&rsa, "n", "A".repeat(5000).into()),
            serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "k"}),
            serde_json::json!({"kty": "RSA", "kid": "k"}),
        ];
        for case in &cases {
            assert!(import(case).is_err(), "accepted {case}");
        }
        // The fully specified name of EdDSA is accepted, and leading zeros in n are not fatal.
        assert!(import(&with(&ed, "alg", "Ed25519".into())).is_ok());
        let n = URL_SAFE_NO_PAD.decode(rsa["n"].as_str().unwrap()).unwrap();
        let padded = [&[0u8][..], &n].concat();
        assert!(import(&with(&rsa, "n", URL_SAFE_NO_PAD.encode(padded).into())).is_ok());
    }

    #[test]
    fn from_jwks_skips_unusable_keys_and_duplicates() {
        let (ed_key, ed) = jwk_of(Algorithm::EdDSA);
        let (_, rsa) = jwk_of(Algorithm::RS256);
        let mut enc = rsa.clone();
        enc["use"] = "enc".into();
        let mut duplicate = rsa.clone();
        duplicate["kid"] = ed["kid"].clone();
        let set: JwkSet = serde_json::from_value(
            serde_json::json!({ "keys": [ed, enc, duplicate, {"kty": "oct", "kid": "s"}] }),
        )
        .unwrap();
        let keys = KeySet::from_jwks(&set).unwrap();
        let imported = keys.verifying_keys();
        assert_eq!(imported.len(), 1);
        assert_eq!(imported[0].kid(), ed_key.kid());
        assert_eq!(imported[0].algorithm(), Algorithm::EdDSA);
        assert!(keys.signing_key().is_none());

        assert!(KeySet::from_jwks(&JwkSet::default()).is_err());
    }

    #[test]
    fn hmac_keys_are_never_published() {
        let keys = KeySet::generate(Algorithm::HS256).unwrap();
        assert_eq!(
            serde_json::to_string(&keys.jwks()).unwrap(),
            r#"{"keys":[]}"#
        );
        keys.rotate(SigningKey::generate(Algorithm::HS256).unwrap());
        assert!(keys.jwks().keys.is_empty());
    }

    #[test]
    fn bit_length_counts_from_the_top_bit() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0x7f; 256]), 2047);
    }
}
