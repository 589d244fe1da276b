//! Key material: one signing key and the public (or shared) half that verifies it.
//!
//! Keys are parsed once, when they are created or loaded, so that signing and
//! verifying on the request path never parse DER or derive an HMAC key again.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, ParsedPublicKey, RsaKeyPair,
};
use aws_lc_rs::{hmac, rsa};
use zeroize::Zeroizing;

use super::Algorithm;
use super::KeyError;

/// Bytes in a freshly generated HS256 secret (the HMAC-SHA-256 block is 64 bytes;
/// RFC 7518 §3.2 requires at least the hash size, 32).
const HMAC_SECRET_LEN: usize = 64;
/// The shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash output size).
pub(crate) const HMAC_MIN_SECRET_LEN: usize = 32;

/// A private key that signs tokens, with the `kid` that names it.
///
/// Cloning is cheap: the parsed key is shared.
#[derive(Clone)]
pub struct SigningKey {
    inner: Arc<SigningInner>,
}

struct SigningInner {
    kid: String,
    signer: Signer,
    /// PKCS#8 DER for asymmetric keys, the raw secret for HS256; kept for saving.
    secret: Zeroizing<Vec<u8>>,
    verifying: VerifyingKey,
}

// The HMAC key holds precomputed hash states (over a kilobyte), hence the box.
enum Signer {
    Ed25519(Ed25519KeyPair),
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair),
    Hmac(Box<hmac::Key>),
}

impl SigningKey {
    /// Generates a new key for `alg` (Ed25519, P-256, RSA-2048, or a 512-bit
    /// HMAC secret) with a `kid` derived from its public half.
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let secret: Vec<u8> = match alg {
            Algorithm::EdDSA => Ed25519KeyPair::generate()
                .and_then(|kp| kp.to_pkcs8())
                .map(|doc| doc.as_ref().to_vec()),
            Algorithm::ES256 => EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING)
                .and_then(|kp| kp.to_pkcs8v1())
                .map(|doc| doc.as_ref().to_vec()),
            Algorithm::RS256 => RsaKeyPair::generate(KeySize::Rsa2048)
                .and_then(|kp| kp.as_der())
                .map(|der| der.as_ref().to_vec()),
            Algorithm::HS256 => {
                let mut secret = vec![0u8; HMAC_SECRET_LEN];
                crate::random::fill(&mut secret)?;
                Ok(secret)
            }
        }
        .map_err(|_| KeyError::Generation(alg))?;
        Self::from_secret(alg, Zeroizing::new(secret), None)
    }

    /// Builds a signing key from PKCS#8 DER (EdDSA, ES256, RS256) or from the raw
    /// secret (HS256). Without a `kid`, one is derived from the public key
    /// (RFC 7638 thumbprint) or, for HS256, from a hash of the secret.
    pub fn from_der(alg: Algorithm, der: &[u8], kid: Option<&str>) -> Result<Self, KeyError> {
        Self::from_secret(alg, Zeroizing::new(der.to_vec()), kid)
    }

    /// An HS256 key from a shared secret of at least 32 bytes.
    pub fn hs256(secret: &[u8], kid: Option<&str>) -> Result<Self, KeyError> {
        Self::from_der(Algorithm::HS256, secret, kid)
    }

    pub(super) fn from_secret(
        alg: Algorithm,
        secret: Zeroizing<Vec<u8>>,
        kid: Option<&str>,
    ) -> Result<Self, KeyError> {
        let bad = |_| KeyError::InvalidKey("the private key does not match its algorithm");
        let (signer, public, secret) = match alg {
            Algorithm::EdDSA => {
                let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&secret).map_err(bad)?;
                // Kept as PKCS#8 v1 whatever came in: v2 (with the public key
                // inside) is not read by every other tool.
                let v1 = kp
                    .to_pkcs8v1()
                    .map_err(|_| KeyError::InvalidKey("the Ed25519 key cannot be encoded"))?;
                let public = PublicKey::Ed25519(kp.public_key().as_ref().to_vec());
                (
                    Signer::Ed25519(kp),
                    public,
                    Zeroizing::new(v1.as_ref().to_vec()),
                )
            }
            Algorithm::ES256 => {
                let kp = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &secret)
                    .map_err(bad)?;
                let public = PublicKey::EcP256(kp.public_key().as_ref().to_vec());
                (Signer::Ecdsa(kp), public, secret)
            }
            Algorithm::RS256 => {
                let kp = RsaKeyPair::from_pkcs8(&secret).map_err(bad)?;
                let components = rsa::PublicKeyComponents::<Vec<u8>>::from(kp.public_key());
                let public = PublicKey::Rsa {
                    n: components.n,
                    e: components.e,
                };
                (Signer::Rsa(kp), public, secret)
            }
            Algorithm::HS256 => {
                if secret.len() < HMAC_MIN_SECRET_LEN {
                    return Err(KeyError::InvalidKey(
                        "an HS256 secret needs at least 32 bytes",
                    ));
                }
                let key = Box::new(hmac::Key::new(hmac::HMAC_SHA256, &secret));
                let public = PublicKey::Hmac(secret.clone());
                (Signer::Hmac(key), public, secret)
            }
        };
        let verifying = VerifyingKey::from_parts(alg, public, kid)?;
        Ok(SigningKey {
            inner: Arc::new(SigningInner {
                kid: verifying.kid().to_owned(),
                signer,
                secret,
                verifying,
            }),
        })
    }

    /// The key id, written into every token's `kid` header.
    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.verifying.algorithm()
    }

    /// The half of this key that verifies its signatures.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.inner.verifying
    }

    /// The PKCS#8 DER (asymmetric keys) or the raw secret (HS256). Handle with care.
    pub fn secret_bytes(&self) -> &[u8] {
        &self.inner.secret
    }

    /// Signs `message` (the JWS signing input).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.inner.signer {
            Signer::Ed25519(kp) => Ok(kp.sign(message).as_ref().to_vec()),
            Signer::Ecdsa(kp) => kp
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Signing),
            Signer::Rsa(kp) => {
                let mut out = vec![0u8; kp.public_modulus_len()];
                kp.sign(
                    &sig::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut out,
                )
                .map_err(|_| KeyError::Signing)?;
                Ok(out)
            }
            Signer::Hmac(key) => Ok(hmac::sign(key, message).as_ref().to_vec()),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKey")
            .field("kid", &self.kid())
            .field("alg", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// The public half of a key (or, for HS256, the shared secret), as raw components.
#[derive(Clone)]
pub(crate) enum PublicKey {
    /// The 32-byte Ed25519 public key.
    Ed25519(Vec<u8>),
    /// The uncompressed P-256 point `04 || x || y`.
    EcP256(Vec<u8>),
    /// Big-endian modulus and exponent without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The shared HMAC secret; never published.
    Hmac(Zeroizing<Vec<u8>>),
}

impl PublicKey {
    /// Whether `other` is the same key material (the HMAC secret compared
    /// in constant time).
    #[cfg(feature = "remote-jwks")]
    pub(crate) fn same_as(&self, other: &PublicKey) -> bool {
        use subtle::ConstantTimeEq as _;
        match (self, other) {
            (PublicKey::Ed25519(a), PublicKey::Ed25519(b))
            | (PublicKey::EcP256(a), PublicKey::EcP256(b)) => a == b,
            (PublicKey::Rsa { n, e }, PublicKey::Rsa { n: n2, e: e2 }) => n == n2 && e == e2,
            (PublicKey::Hmac(a), PublicKey::Hmac(b)) => {
                bool::from(a.as_slice().ct_eq(b.as_slice()))
            }
            _ => false,
        }
    }

    /// The RFC 7638 JWK thumbprint, or for HS256 a truncated SHA-256 of the
    /// secret under a domain label (long enough to tell keys apart, too short to
    /// matter as a hash of a 256-bit or longer secret).
    fn default_kid(&self) -> String {
        use base64::Engine as _;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let canonical = match self {
            PublicKey::Ed25519(x) => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(x)),
            PublicKey::EcP256(point) => {
                let (x, y) = ec_coordinates(point);
                format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                    b64(x),
                    b64(y)
                )
            }
            PublicKey::Rsa { n, e } => {
                format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n))
            }
            PublicKey::Hmac(secret) => {
                let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
                ctx.update(b"auth-core hs256 kid\0");
                ctx.update(secret);
                let digest = ctx.finish();
                return b64(digest.as_ref().get(..12).unwrap_or_default());
            }
        };
        b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
    }
}

/// Splits an uncompressed P-256 point `04 || x || y` into `x` and `y`.
pub(crate) fn ec_coordinates(point: &[u8]) -> (&[u8], &[u8]) {
    let coordinates = point.get(1..).unwrap_or_default();
    coordinates.split_at(coordinates.len() / 2)
}

/// A key that verifies signatures: a public key, or the HS256 shared secret.
///
/// Bound to one algorithm; cloning is cheap.
#[derive(Clone)]
pub struct VerifyingKey {
    inner: Arc<VerifyingInner>,
}

struct VerifyingInner {
    kid: String,
    alg: Algorithm,
    public: PublicKey,
    /// The X.509 SubjectPublicKeyInfo DER of an asymmetric key, encoded once
    /// here so that exporting it cannot fail later.
    spki: Option<Vec<u8>>,
    verifier: Verifier,
}

enum Verifier {
    Parsed(ParsedPublicKey),
    Hmac(Box<hmac::Key>),
}

impl VerifyingKey {
    /// A verifying key from raw components; without a `kid`, the RFC 7638
    /// thumbprint (or, for HS256, the hash described at [`PublicKey`]).
    pub(crate) fn from_parts(
        alg: Algorithm,
        public: PublicKey,
        kid: Option<&str>,
    ) -> Result<Self, KeyError> {
        let kid = match kid {
            Some(kid) => kid.to_owned(),
            None => public.default_kid(),
        };
        Self::from_public(kid, alg, public)
    }

    pub(crate) fn from_public(
        kid: String,
        alg: Algorithm,
        public: PublicKey,
    ) -> Result<Self, KeyError> {
        if kid.is_empty() {
            return Err(KeyError::InvalidKey("a kid cannot be empty"));
        }
        let bad = |_| KeyError::InvalidKey("the public key does not match its algorithm");
        let verifier = match (&public, alg) {
            (PublicKey::Ed25519(x), Algorithm::EdDSA) => {
                Verifier::Parsed(ParsedPublicKey::new(&sig::ED25519, x).map_err(bad)?)
            }
            (PublicKey::EcP256(point), Algorithm::ES256) => Verifier::Parsed(
                ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point).map_err(bad)?,
            ),
            (PublicKey::Rsa { n, e }, Algorithm::RS256) => {
                let components = rsa::PublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                };
                Verifier::Parsed(
                    components
                        .to_parsed_public_key(&sig::RSA_PKCS1_2048_8192_SHA256)
                        .map_err(bad)?,
                )
            }
            (PublicKey::Hmac(secret), Algorithm::HS256) => {
                Verifier::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, secret)))
            }
            _ => {
                return Err(KeyError::InvalidKey(
                    "the key type does not match its algorithm",
                ));
            }
        };
        let spki = match &verifier {
            Verifier::Parsed(key) => Some(
                key.as_der()
                    .map_err(|_| KeyError::InvalidKey("the public key cannot be encoded"))?
                    .as_ref()
                    .to_vec(),
            ),
            Verifier::Hmac(_) => None,
        };
        Ok(VerifyingKey {
            inner: Arc::new(VerifyingInner {
                kid,
                alg,
                public,
                spki,
                verifier,
            }),
        })
    }

    /// The key id tokens name in their `kid` header.
    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.alg
    }

    pub(crate) fn public(&self) -> &PublicKey {
        &self.inner.public
    }

    /// The SubjectPublicKeyInfo DER; `None` for HS256.
    pub(crate) fn spki_der(&self) -> Option<&[u8]> {
        self.inner.spki.as_deref()
    }

    /// The shared secret of an HS256 key, for saving it; `None` otherwise.
    pub(crate) fn hmac_secret(&self) -> Option<&[u8]> {
        match &self.inner.public {
            PublicKey::Hmac(secret) => Some(secret),
            _ => None,
        }
    }

    /// Checks `signature` over `message`. HMAC tags are compared in constant time.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.inner.verifier {
            Verifier::Parsed(key) => key.verify_sig(message, signature).is_ok(),
            Verifier::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
        }
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid())
            .field("alg", &self.algorithm())
            .finish_non_exhaustive()
    }
}
