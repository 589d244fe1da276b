//! The refresh token's format: its family, generation and expiry, under the
//! server's MAC.
//!
//! `rt1.<sid>.<generation>.<expires_at>.<secret>.<mac>`: the session id, the
//! token's place in its family, when it expires, 256 random bits, and an
//! HMAC-SHA256 (truncated to 128 bits) of all of it under the
//! [`ServerSecret`]. The store keeps only the hash of the family's current
//! token and of the one before; the MAC is what lets an older token be
//! recognised as reuse of its family without being stored, and what keeps
//! anyone who merely knows a session id (it is in every access token) from
//! forging a token that would revoke it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use super::FlowError;
use super::RefreshToken;
use crate::sealing::{self, ServerSecret};
use crate::store::{PresentedRefresh, SecretHash};

const VERSION: &str = "rt1";
/// Domain label of refresh-token hashes.
const HASH_DOMAIN: &str = "refresh-token";
/// The MAC's purpose label under the server secret.
const MAC_PURPOSE: &str = "refresh-token-mac";
/// The purpose label of the key a successor is sealed under.
const SEAL_PURPOSE: &str = "refresh-token-successor";
/// Bytes of the MAC kept in the token.
const MAC_LEN: usize = 16;
/// Longer input is not one of ours, whatever it holds.
const MAX_LEN: usize = 256;

/// A new token of family `sid` at `generation`, and its hash.
pub(super) fn issue(
    secret: &ServerSecret,
    sid: &str,
    generation: u64,
    expires_at: i64,
) -> Result<(RefreshToken, SecretHash), FlowError> {
    let mut random = Zeroizing::new([0u8; 32]);
    crate::random::fill(random.as_mut_slice())?;
    let body = Zeroizing::new(format!(
        "{VERSION}.{sid}.{generation}.{expires_at}.{}",
        URL_SAFE_NO_PAD.encode(random.as_slice())
    ));
    let mac = secret.mac(MAC_PURPOSE, &[body.as_bytes()]);
    let mac = mac.as_slice().get(..MAC_LEN).unwrap_or(mac.as_slice());
    let token = format!("{}.{}", body.as_str(), URL_SAFE_NO_PAD.encode(mac));
    let hash = hash(&token);
    Ok((RefreshToken::new(token), hash))
}

/// What a presented token says about itself, if it is one of ours (well
/// formed, and its MAC verifies); `None` for anything else, before any store
/// is asked.
pub(super) fn parse(secret: &ServerSecret, token: &str) -> Option<PresentedRefresh> {
    if token.len() > MAX_LEN {
        return None;
    }
    let (body, mac) = token.rsplit_once('.')?;
    let expected = secret.mac(MAC_PURPOSE, &[body.as_bytes()]);
    let presented = URL_SAFE_NO_PAD.decode(mac).ok()?;
    let authentic: bool = expected.get(..MAC_LEN)?.ct_eq(presented.as_slice()).into();
    if !authentic {
        return None;
    }
    let mut fields = body.split('.');
    let (Some(VERSION), Some(sid), Some(generation), Some(expires_at), Some(_), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    Some(PresentedRefresh {
        sid: sid.to_owned(),
        generation: decimal(generation)?,
        expires_at: i64::try_from(decimal(expires_at)?).ok()?,
        hash: hash(token),
    })
}

/// `successor`, sealed under a key derived from `parent`: what the store
/// keeps so that the parent, presented again within the reuse interval, gets
/// the same successor back, and nothing else can open it.
pub(super) fn seal_successor(
    parent: &str,
    presented: &PresentedRefresh,
    successor: &RefreshToken,
) -> Result<Vec<u8>, FlowError> {
    let key = sealing::derive_key(parent.as_bytes(), SEAL_PURPOSE);
    Ok(sealing::seal(
        &key,
        &binding(presented),
        successor.expose().as_bytes(),
    )?)
}

/// The successor [`seal_successor`] sealed under `parent`.
pub(super) fn open_successor(
    parent: &str,
    presented: &PresentedRefresh,
    sealed: &[u8],
) -> Option<RefreshToken> {
    let key = sealing::derive_key(parent.as_bytes(), SEAL_PURPOSE);
    let plain = sealing::open(&key, &binding(presented), sealed)?;
    let token = std::str::from_utf8(&plain).ok()?;
    Some(RefreshToken::new(token.to_owned()))
}

/// The family and generation a sealed successor belongs to.
fn binding(presented: &PresentedRefresh) -> Vec<u8> {
    format!("{}.{}", presented.sid, presented.generation).into_bytes()
}

fn hash(token: &str) -> SecretHash {
    SecretHash::of(HASH_DOMAIN, token.as_bytes())
}

/// A decimal number of at most 19 digits, digits only.
fn decimal(text: &str) -> Option<u64> {
    let plain = !text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_says_what_it_is_only_under_its_mac() {
        let secret = ServerSecret::generate().unwrap();
        let (token, hash) = issue(&secret, "sid-1", 7, 1_900_000_000).unwrap();
        let presented = parse(&secret, token.expose()).unwrap();
        assert_eq!(presented.sid, "sid-1");
        assert_eq!(presented.generation, 7);
        assert_eq!(presented.expires_at, 1_900_000_000);
        assert_eq!(presented.hash, hash);

        let other = ServerSecret::generate().unwrap();
        assert!(
            parse(&other, token.expose()).is_none(),
            "another server's secret"
        );
        let forged = token.expose().replacen(".7.", ".6.", 1);
        assert!(
            parse(&secret, &forged).is_none(),
            "an older generation cannot be forged"
        );
        for bad in [
            "",
            "rt1",
            "a.b.c.d.e.f",
            &"x".repeat(10_000),
            "rt1.s.1.2.x.!!",
        ] {
            assert!(parse(&secret, bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_successor_opens_only_with_its_parent() {
        let secret = ServerSecret::generate().unwrap();
        let (parent, _) = issue(&secret, "sid-1", 0, 1_900_000_000).unwrap();
        let (child, _) = issue(&secret, "sid-1", 1, 1_900_000_000).unwrap();
        let presented = parse(&secret, parent.expose()).unwrap();
        let sealed = seal_successor(parent.expose(), &presented, &child).unwrap();
        let opened = open_successor(parent.expose(), &presented, &sealed).unwrap();
        assert_eq!(opened.expose(), child.expose());
        let (stranger, _) = issue(&secret, "sid-1", 0, 1_900_000_000).unwrap();
        assert!(open_successor(stranger.expose(), &presented, &sealed).is_none());
        assert!(
            !sealed
                .windows(16)
                .any(|w| child.expose().as_bytes().windows(16).any(|c| c == w))
        );
    }
}
