//! Compact JWS (RFC 7515) signing and verification with the key-bound
//! algorithm rules of RFC 8725; shared by access tokens and the short-lived
//! tokens of the flows (such as the `mfa_token`).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::TokenError;
use super::TokenRejection;
use crate::keys::{Algorithm, KeySet, SigningKey};

/// The largest signature we decode: RSA-8192 (1024 bytes).
const MAX_SIGNATURE_LEN: usize = 1024;

/// The JOSE header fields a verifier reads. Anything else (`jku`, `x5u`,
/// `jwk`, `x5c`, …) is ignored, never dereferenced.
#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow, default)]
    typ: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kid: Option<Cow<'a, str>>,
    /// Present at all, whatever its value (`"crit": null` included).
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

#[derive(Serialize)]
struct OutgoingHeader<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

/// A compact JWS whose signature checked out.
pub(crate) struct VerifiedJws<'b> {
    /// The decoded claims JSON, an object.
    pub(crate) claims_json: &'b [u8],
    /// The generation of the key set the signature was checked under.
    pub(crate) key_generation: u64,
}

/// Checks everything but the claims: size, shape, header (`alg` supported and
/// equal to the key's own algorithm, `typ` accepted by `accept_typ`, no `crit`,
/// a known `kid`) and the signature. Returns the claims JSON, decoded into
/// `claims_buffer`.
///
/// Each segment is decoded once, into a buffer on the stack when it fits
/// (every token this crate issues does), and the header is parsed once,
/// borrowing from it.
pub(crate) fn verify_compact<'b>(
    keys: &KeySet,
    token: &str,
    max_len: usize,
    accept_typ: fn(&str) -> bool,
    claims_buffer: &'b mut SegmentBuffer<CLAIMS_INLINE>,
) -> Result<VerifiedJws<'b>, TokenRejection> {
    if token.len() > max_len {
        return Err(TokenRejection::Oversized);
    }
    let (signing_input, signature_b64) = token.rsplit_once('.').ok_or(TokenRejection::Malformed)?;
    let (header_b64, claims_b64) = signing_input
        .split_once('.')
        .ok_or(TokenRejection::Malformed)?;
    if claims_b64.contains('.') {
        return Err(TokenRejection::Malformed);
    }

    let mut header_buffer = SegmentBuffer::<HEADER_INLINE>::new();
    let header_json = header_buffer
        .decode(header_b64)
        .filter(|json| is_json_object(json))
        .ok_or(TokenRejection::MalformedHeader)?;
    let header: Header<'_> =
        serde_json::from_slice(header_json).map_err(|_| TokenRejection::MalformedHeader)?;
    let alg = Algorithm::from_header(&header.alg).ok_or(TokenRejection::UnsupportedAlgorithm)?;
    if !header.typ.as_deref().is_some_and(accept_typ) {
        return Err(TokenRejection::WrongType);
    }
    if header.crit {
        return Err(TokenRejection::CriticalHeader);
    }

    let key_set = keys;
    let keys = key_set.load();
    let Some(key) = keys.find(header.kid.as_deref(), alg) else {
        // A remote set may have rotated: let it refresh, in the background.
        key_set.note_unknown_key();
        return Err(TokenRejection::UnknownKey);
    };
    if key.algorithm() != alg {
        return Err(TokenRejection::AlgorithmMismatch);
    }
    let mut signature = [0u8; MAX_SIGNATURE_LEN];
    let signature_len = URL_SAFE_NO_PAD
        .decode_slice(signature_b64, &mut signature)
        .map_err(|_| TokenRejection::Malformed)?;
    let signature = signature
        .get(..signature_len)
        .ok_or(TokenRejection::Malformed)?;
    if !key.verify(signing_input.as_bytes(), signature) {
        return Err(TokenRejection::BadSignature);
    }
    let key_generation = keys.generation();
    drop(keys);

    let claims_json = claims_buffer
        .decode(claims_b64)
        .filter(|json| is_json_object(json))
        .ok_or(TokenRejection::MalformedClaims)?;
    Ok(VerifiedJws {
        claims_json,
        key_generation,
    })
}

/// Room on the stack for a decoded header: ours are under 100 bytes.
const HEADER_INLINE: usize = 256;
/// Room on the stack for decoded claims: ours are under 600 bytes.
pub(crate) const CLAIMS_INLINE: usize = 1536;

/// Where one segment is decoded: on the stack when it fits, else on the heap.
pub(crate) struct SegmentBuffer<const N: usize> {
    inline: [u8; N],
    heap: Vec<u8>,
}

impl<const N: usize> SegmentBuffer<N> {
    /// An empty buffer (nothing allocated).
    pub(crate) fn new() -> Self {
        SegmentBuffer {
            inline: [0; N],
            heap: Vec::new(),
        }
    }

    /// Decodes `segment` (strict base64url without padding; non-canonical
    /// trailing bits are refused).
    fn decode(&mut self, segment: &str) -> Option<&[u8]> {
        if base64::decoded_len_estimate(segment.len()) <= N {
            let len = URL_SAFE_NO_PAD
                .decode_slice(segment, &mut self.inline)
                .ok()?;
            self.inline.get(..len)
        } else {
            self.heap.clear();
            URL_SAFE_NO_PAD.decode_vec(segment, &mut self.heap).ok()?;
            Some(&self.heap)
        }
    }
}

/// Signs `claims` as a compact JWS with header `{alg, typ, kid}`.
pub(crate) fn sign_compact<T: Serialize>(
    key: &SigningKey,
    typ: &str,
    claims: &T,
) -> Result<String, TokenError> {
    let header = OutgoingHeader {
        alg: key.algorithm().as_str(),
        typ,
        kid: key.kid(),
    };
    let mut token = String::with_capacity(512);
    let header_json = serde_json::to_vec(&header).map_err(TokenError::Claims)?;
    URL_SAFE_NO_PAD.encode_string(header_json, &mut token);
    token.push('.');
    let claims_json = serde_json::to_vec(claims).map_err(TokenError::Claims)?;
    URL_SAFE_NO_PAD.encode_string(claims_json, &mut token);
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// The header and the claims must be JSON objects (RFC 7515 §4, RFC 7519 §7.2);
/// serde would otherwise also read a struct from a JSON array, field by position.
fn is_json_object(json: &[u8]) -> bool {
    json.iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b'{')
}

/// Any value, `null` included, marks a header parameter as present.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}
