//! PEM encoding of keys: PKCS#8 private keys, SPKI public keys, and HS256 secrets.
//!
//! Parsing goes through the `pem` crate. Encoding is done here, straight into a
//! zeroizing buffer, so that the base64 text of a private key leaves no copy
//! behind in freed memory.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::KeyError;
use super::material::PublicKey;
use super::{Algorithm, SigningKey, VerifyingKey};

/// PKCS#8 `PrivateKeyInfo` (RFC 5208, RFC 5958): EdDSA, ES256, RS256 keys.
pub(crate) const PRIVATE_KEY_LABEL: &str = "PRIVATE KEY";
/// X.509 `SubjectPublicKeyInfo` (RFC 5280, RFC 7468 §13).
pub(crate) const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";
/// The raw bytes of an HS256 shared secret.
///
/// This label is this crate's own: no standard defines a PEM form for an HMAC
/// key, so other tools will not read these files. It only lets an HS256 key
/// live in a key folder beside the others.
pub const HMAC_SECRET_LABEL: &str = "HMAC SECRET KEY";
/// SEC 1 `ECPrivateKey` (RFC 5915), as written by `openssl ecparam -genkey`.
const EC_PRIVATE_KEY_LABEL: &str = "EC PRIVATE KEY";
/// PKCS#1 `RSAPrivateKey` (RFC 8017), as written by older `openssl genrsa`.
const RSA_PRIVATE_KEY_LABEL: &str = "RSA PRIVATE KEY";
const ENCRYPTED_PRIVATE_KEY_LABEL: &str = "ENCRYPTED PRIVATE KEY";

/// Base64 characters per PEM line (RFC 7468 §2).
const LINE_LEN: usize = 64;

/// DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410 §4), before the 32 key bytes.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// DER prefix of a P-256 `SubjectPublicKeyInfo` (RFC 5480) with an uncompressed
/// point, before the 65 point bytes `04 || x || y`.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

impl SigningKey {
    /// Reads a private key from PEM text.
    ///
    /// Accepted: PKCS#8 `PRIVATE KEY` for EdDSA, ES256 and RS256; also SEC 1
    /// `EC PRIVATE KEY` for ES256 and PKCS#1 `RSA PRIVATE KEY` for RS256; and
    /// for HS256 this crate's own `HMAC SECRET KEY` (see [`SigningKey::to_pem`]).
    /// Encrypted keys are refused: decrypt them first
    /// (`openssl pkcs8 -topk8 -nocrypt`). Without a `kid`, the RFC 7638
    /// thumbprint is used.
    ///
    /// ```
    /// use auth_core::{Algorithm, SigningKey};
    ///
    /// let key = SigningKey::generate(Algorithm::ES256)?;
    /// let again = SigningKey::from_pem(Algorithm::ES256, &key.to_pem(), None)?;
    /// assert_eq!(again.kid(), key.kid());
    /// # Ok::<(), auth_core::keys::KeyError>(())
    /// ```
    pub fn from_pem(alg: Algorithm, pem: &str, kid: Option<&str>) -> Result<Self, KeyError> {
        let (label, der) = parse_single(pem)?;
        signing_key_from_block(alg, &label, der, kid)
    }

    /// The key as PEM text: PKCS#8 `PRIVATE KEY` for EdDSA, ES256 and RS256,
    /// readable by OpenSSL and other JOSE libraries; for HS256 a block labelled
    /// [`HMAC_SECRET_LABEL`] holding the raw secret, a label of this crate's own.
    ///
    /// The text is a secret; it is wiped from memory when dropped.
    pub fn to_pem(&self) -> Zeroizing<String> {
        let label = match self.algorithm() {
            Algorithm::HS256 => HMAC_SECRET_LABEL,
            Algorithm::EdDSA | Algorithm::ES256 | Algorithm::RS256 => PRIVATE_KEY_LABEL,
        };
        encode(label, self.secret_bytes())
    }
}

impl VerifyingKey {
    /// Reads a public key from an X.509 `PUBLIC KEY` PEM block (SubjectPublicKeyInfo).
    ///
    /// HS256 has no public key and is refused. Without a `kid`, the RFC 7638
    /// thumbprint is used, so it matches the kid of the private half.
    pub fn from_public_pem(alg: Algorithm, pem: &str, kid: Option<&str>) -> Result<Self, KeyError> {
        let (label, der) = parse_single(pem)?;
        if label != PUBLIC_KEY_LABEL {
            return Err(wrong_label(&label, alg));
        }
        Self::from_parts(alg, public_key_from_spki(alg, &der)?, kid)
    }

    /// The key as an X.509 `PUBLIC KEY` PEM block; `None` for HS256, whose
    /// verifying key is the shared secret.
    pub fn to_public_pem(&self) -> Option<String> {
        self.spki_der()
            .map(|spki| String::from(encode(PUBLIC_KEY_LABEL, spki).as_str()))
    }
}

/// A key read from PEM text: a private key (or HS256 secret), or a public key.
pub(super) enum PemKey {
    /// A `PRIVATE KEY`, `EC PRIVATE KEY`, `RSA PRIVATE KEY` or `HMAC SECRET KEY`.
    Signing(SigningKey),
    /// A `PUBLIC KEY`.
    Verifying(VerifyingKey),
}

/// Reads whichever kind of key `text` holds, judging by its label.
pub(super) fn read_key(alg: Algorithm, text: &str, kid: Option<&str>) -> Result<PemKey, KeyError> {
    let (label, der) = parse_single(text)?;
    if label == PUBLIC_KEY_LABEL {
        let public = public_key_from_spki(alg, &der)?;
        return Ok(PemKey::Verifying(VerifyingKey::from_parts(
            alg, public, kid,
        )?));
    }
    signing_key_from_block(alg, &label, der, kid).map(PemKey::Signing)
}

/// A signing key from the contents of a PEM block labelled `label`.
fn signing_key_from_block(
    alg: Algorithm,
    label: &str,
    der: Zeroizing<Vec<u8>>,
    kid: Option<&str>,
) -> Result<SigningKey, KeyError> {
    let pkcs8 = match (label, alg) {
        (PRIVATE_KEY_LABEL, Algorithm::EdDSA | Algorithm::ES256 | Algorithm::RS256)
        | (HMAC_SECRET_LABEL, Algorithm::HS256) => der,
        (EC_PRIVATE_KEY_LABEL, Algorithm::ES256) => {
            let kp =
                EcdsaKeyPair::from_private_key_der(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &der)
                    .map_err(|_| KeyError::InvalidKey("not a P-256 EC PRIVATE KEY"))?;
            let doc = kp
                .to_pkcs8v1()
                .map_err(|_| KeyError::InvalidKey("the EC key cannot be encoded"))?;
            Zeroizing::new(doc.as_ref().to_vec())
        }
        (RSA_PRIVATE_KEY_LABEL, Algorithm::RS256) => {
            let kp = RsaKeyPair::from_der(&der).map_err(|_| {
                KeyError::InvalidKey("not a usable RSA PRIVATE KEY (2048 to 8192 bits)")
            })?;
            let doc = kp
                .as_der()
                .map_err(|_| KeyError::InvalidKey("the RSA key cannot be encoded"))?;
            Zeroizing::new(doc.as_ref().to_vec())
        }
        (ENCRYPTED_PRIVATE_KEY_LABEL, _) => {
            return Err(KeyError::Encoding(
                "encrypted private keys are not supported; decrypt the key first".into(),
            ));
        }
        (label, alg) => return Err(wrong_label(label, alg)),
    };
    SigningKey::from_secret(alg, pkcs8, kid)
}

/// The raw components of a SubjectPublicKeyInfo, checked by the crypto backend.
fn public_key_from_spki(alg: Algorithm, der: &[u8]) -> Result<PublicKey, KeyError> {
    fn unusable<E>(_: E) -> KeyError {
        KeyError::InvalidKey("not a usable public key for this algorithm")
    }
    let public = match alg {
        Algorithm::EdDSA => {
            // Parse first so that any valid DER form is accepted, then read the
            // key out of the canonical re-encoding.
            let parsed = sig::ParsedPublicKey::new(&sig::ED25519, der).map_err(unusable)?;
            let canonical = parsed.as_der().map_err(unusable)?;
            let x = strip_spki_prefix(canonical.as_ref(), &ED25519_SPKI_PREFIX, 32)?;
            PublicKey::Ed25519(x.to_vec())
        }
        Algorithm::ES256 => {
            let parsed =
                sig::ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, der).map_err(unusable)?;
            let canonical = parsed.as_der().map_err(unusable)?;
            let point = strip_spki_prefix(canonical.as_ref(), &P256_SPKI_PREFIX, 65)?;
            PublicKey::EcP256(point.to_vec())
        }
        Algorithm::RS256 => {
            let key = aws_lc_rs::rsa::PublicKey::from_der(der).map_err(unusable)?;
            let components = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(&key);
            PublicKey::Rsa {
                n: components.n,
                e: components.e,
            }
        }
        Algorithm::HS256 => {
            return Err(KeyError::InvalidKey(
                "HS256 has no public key; load its secret as a SigningKey",
            ));
        }
    };
    Ok(public)
}

fn strip_spki_prefix<'a>(
    der: &'a [u8],
    prefix: &[u8],
    key_len: usize,
) -> Result<&'a [u8], KeyError> {
    der.strip_prefix(prefix)
        .filter(|key| key.len() == key_len)
        .ok_or(KeyError::InvalidKey(
            "unsupported public key encoding (a compressed point?)",
        ))
}

/// Exactly one PEM block without headers; its label and zeroizing contents.
fn parse_single(text: &str) -> Result<(String, Zeroizing<Vec<u8>>), KeyError> {
    // The pem crate's errors can quote pieces of the input (which may be a
    // private key), so they are replaced by fixed messages.
    let mut blocks = ::pem::parse_many(text)
        .map_err(|_| KeyError::Encoding("not a well-formed PEM document".into()))?;
    if blocks.len() != 1 {
        // Also wipe every block we will not use.
        for block in blocks.drain(..) {
            drop(Zeroizing::new(block.into_contents()));
        }
        return Err(KeyError::Encoding("expected exactly one PEM block".into()));
    }
    let Some(block) = blocks.pop() else {
        return Err(KeyError::Encoding("expected exactly one PEM block".into()));
    };
    let has_headers = block.headers().iter().next().is_some();
    let label = block.tag().to_owned();
    let contents = Zeroizing::new(block.into_contents());
    if has_headers {
        return Err(KeyError::Encoding(
            "PEM headers (legacy encrypted keys) are not supported".into(),
        ));
    }
    if contents.is_empty() {
        return Err(KeyError::Encoding("the PEM block is empty".into()));
    }
    Ok((label, contents))
}

fn wrong_label(label: &str, alg: Algorithm) -> KeyError {
    let label: String = label.chars().take(32).collect();
    KeyError::Encoding(format!(
        "a PEM block labelled {label:?} is not accepted for an {alg} key"
    ))
}

/// Encodes `der` as a PEM block with LF line endings (RFC 7468), directly into
/// a zeroizing buffer sized up front so it is never reallocated.
pub(super) fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    const BYTES_PER_LINE: usize = LINE_LEN / 4 * 3;
    let lines = der.len().div_ceil(BYTES_PER_LINE);
    let frame = "-----BEGIN -----\n".len() + "-----END -----\n".len() + 2 * label.len();
    let mut out = Zeroizing::new(String::with_capacity(frame + lines * (LINE_LEN + 1)));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in der.chunks(BYTES_PER_LINE) {
        STANDARD.encode_string(chunk, &mut out);
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_pem_round_trips_for_every_algorithm() {
        for alg in Algorithm::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let pem = key.to_pem();
            assert!(
                pem.lines().all(|line| line.len() <= LINE_LEN),
                "{alg}: long line"
            );
            let again = SigningKey::from_pem(alg, &pem, None).unwrap();
            assert_eq!(again.kid(), key.kid(), "{alg}");
            assert_eq!(again.secret_bytes(), key.secret_bytes(), "{alg}");
            let signature = key.sign(b"message").unwrap();
            assert!(
                again.verifying_key().verify(b"message", &signature),
                "{alg}"
            );
        }
    }

    #[test]
    fn pem_matches_the_pem_crate() {
        let key = SigningKey::generate(Algorithm::RS256).unwrap();
        let ours = key.to_pem();
        let theirs = ::pem::encode_config(
            &::pem::Pem::new(PRIVATE_KEY_LABEL, key.secret_bytes()),
            ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF),
        );
        assert_eq!(ours.as_str(), theirs);
    }

    #[test]
    fn public_pem_round_trips_with_the_same_kid() {
        for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
            let key = SigningKey::generate(alg).unwrap();
            let pem = key.verifying_key().to_public_pem().unwrap();
            assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
            let public = VerifyingKey::from_public_pem(alg, &pem, None).unwrap();
            assert_eq!(public.kid(), key.kid(), "{alg}");
            let signature = key.sign(b"message").unwrap();
            assert!(public.verify(b"message", &signature), "{alg}");
            assert!(!public.verify(b"massage", &signature), "{alg}");
        }
        let hmac = SigningKey::generate(Algorithm::HS256).unwrap();
        assert!(hmac.verifying_key().to_public_pem().is_none());
    }

    #[test]
    fn legacy_ec_and_rsa_private_keys_are_read() {
        let ec = EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let sec1 = ec.private_key().as_der().unwrap();
        let text = encode(EC_PRIVATE_KEY_LABEL, sec1.as_ref());
        let key = SigningKey::from_pem(Algorithm::ES256, &text, None).unwrap();
        let same = SigningKey::from_der(Algorithm::ES256, ec.to_pkcs8v1().unwrap().as_ref(), None)
            .unwrap();
        assert_eq!(key.kid(), same.kid());
        assert_eq!(key.secret_bytes(), same.secret_bytes());

        let rsa = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = rsa.as_der().unwrap();
        let pkcs1 = pkcs8_rsa_to_pkcs1(pkcs8.as_ref());
        let text = encode(RSA_PRIVATE_KEY_LABEL, pkcs1);
        let key = SigningKey::from_pem(Algorithm::RS256, &text, None).unwrap();
        assert_eq!(key.secret_bytes(), pkcs8.as_ref());
    }

    /// The `privateKey` OCTET STRING of an RSA PKCS#8 document: the PKCS#1 key.
    /// (aws-lc-rs writes `30 82 LL LL 02 01 00 30 0d <alg id> 04 82 LL LL <pkcs1>`.)
    fn pkcs8_rsa_to_pkcs1(pkcs8: &[u8]) -> &[u8] {
        assert_eq!(&pkcs8[4..9], &[0x02, 0x01, 0x00, 0x30, 0x0d]);
        let octets = &pkcs8[9 + 0x0d..];
        assert_eq!(&octets[..2], &[0x04, 0x82]);
        let len = usize::from(octets[2]) << 8 | usize::from(octets[3]);
        &octets[4..4 + len]
    }

    #[test]
    fn mismatched_and_malformed_pem_is_refused() {
        let ed = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let ed_pem = ed.to_pem();
        assert!(SigningKey::from_pem(Algorithm::ES256, &ed_pem, None).is_err());
        assert!(SigningKey::from_pem(Algorithm::HS256, &ed_pem, None).is_err());
        let public = ed.verifying_key().to_public_pem().unwrap();
        assert!(SigningKey::from_pem(Algorithm::EdDSA, &public, None).is_err());
        assert!(VerifyingKey::from_public_pem(Algorithm::EdDSA, &ed_pem, None).is_err());
        assert!(VerifyingKey::from_public_pem(Algorithm::ES256, &public, None).is_err());
        assert!(VerifyingKey::from_public_pem(Algorithm::HS256, &public, None).is_err());

        let two = format!("{}{}", ed_pem.as_str(), ed_pem.as_str());
        let truncated: String = ed_pem.chars().take(40).collect();
        let encrypted = encode(ENCRYPTED_PRIVATE_KEY_LABEL, &[1, 2, 3]);
        let with_headers = ed_pem.replacen(
            '\n',
            "\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n",
            1,
        );
        let short_hmac = encode(HMAC_SECRET_LABEL, &[7; 16]);
        for bad in [
            "",
            "not pem",
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            &two,
            &truncated,
            &encrypted,
            &with_headers,
        ] {
            for alg in Algorithm::ALL {
                assert!(
                    SigningKey::from_pem(alg, bad, None).is_err(),
                    "{alg}: {bad:?}"
                );
                assert!(
                    VerifyingKey::from_public_pem(alg, bad, None).is_err(),
                    "{alg}: {bad:?}"
                );
            }
        }
        assert!(matches!(
            SigningKey::from_pem(Algorithm::HS256, &short_hmac, None),
            Err(KeyError::InvalidKey(_))
        ));
    }

    #[test]
    fn errors_never_quote_the_key() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let pem = key.to_pem();
        let body: String = pem.lines().nth(1).unwrap().to_owned();
        let corrupted = pem.replacen(&body, &format!("{}*", &body[..body.len() - 1]), 1);
        let error = SigningKey::from_pem(Algorithm::EdDSA, &corrupted, None).unwrap_err();
        let message = error.to_string();
        assert!(!message.contains(&body[..8]), "{message}");
        let error = SigningKey::from_pem(Algorithm::RS256, &pem, None).unwrap_err();
        assert!(!error.to_string().contains(&body[..8]));
    }
}
