//! The verifier's cache of accepted tokens: a token answered from the cache
//! is refused at once, like a token verified in full, when anything that can
//! change after it was accepted does change.
//!
//! Every test first shows that the token *is* answered from the cache (the
//! same shared claims come back), so that what follows is a refusal of a
//! cached token, not of a token verified afresh.

// Slicing a token this test made.
#![allow(clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use auth_core::token::CacheLimits;
use auth_core::{
    AccessClaims, Algorithm, KeySet, RevocationList, RevocationQuery, RevocationView, SigningKey,
    TokenIssuer, TokenRejection, TokenRequest, Verifier,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn issuer(alg: Algorithm) -> Result<TokenIssuer, Box<dyn std::error::Error>> {
    Ok(TokenIssuer::new(
        KeySet::generate(alg)?,
        "https://id.example",
        "api",
    ))
}

/// Verifies `token` twice and checks that the second answer came from the
/// cache: the very claims of the first.
fn cached(verifier: &Verifier, token: &str) -> Result<Arc<AccessClaims>, TokenRejection> {
    let first = verifier.verify(token)?;
    let second = verifier.verify(token)?;
    assert!(
        Arc::ptr_eq(&first, &second),
        "the second verification was not answered from the cache"
    );
    Ok(second)
}

/// An issuer, its verifier, and a token of `u1` already in the verifier's
/// cache, with its claims.
struct Cached {
    issuer: TokenIssuer,
    verifier: Verifier,
    token: String,
    claims: Arc<AccessClaims>,
}

fn cached_token(alg: Algorithm) -> Result<Cached, Box<dyn std::error::Error>> {
    let issuer = issuer(alg)?;
    let verifier = issuer.verifier();
    let token = issuer.issue(&TokenRequest::new("u1"))?.access_token;
    let claims = cached(&verifier, &token)?;
    Ok(Cached {
        issuer,
        verifier,
        token,
        claims,
    })
}

#[test]
fn a_cached_token_is_refused_at_once_when_its_jti_is_revoked() -> TestResult {
    let Cached {
        issuer,
        verifier,
        token,
        claims,
    } = cached_token(Algorithm::EdDSA)?;
    issuer.revocations().revoke_jti(&claims.jti, claims.exp);
    assert_eq!(verifier.verify(&token).err(), Some(TokenRejection::Revoked));
    Ok(())
}

#[test]
fn a_cached_token_is_refused_at_once_when_its_session_is_revoked() -> TestResult {
    let issuer = issuer(Algorithm::EdDSA)?;
    let verifier = issuer.verifier();
    let token = issuer
        .issue(&TokenRequest::new("u1").session("family-1"))?
        .access_token;
    let other = issuer
        .issue(&TokenRequest::new("u1").session("family-2"))?
        .access_token;
    let claims = cached(&verifier, &token)?;
    cached(&verifier, &other)?;
    issuer.revocations().revoke_session("family-1", claims.exp);
    assert_eq!(verifier.verify(&token).err(), Some(TokenRejection::Revoked));
    assert!(
        verifier.verify(&other).is_ok(),
        "another session is not revoked"
    );
    Ok(())
}

#[test]
fn a_cached_token_is_refused_at_once_when_its_user_is_revoked() -> TestResult {
    let Cached {
        issuer,
        verifier,
        token,
        claims,
    } = cached_token(Algorithm::EdDSA)?;
    let bystander = issuer.issue(&TokenRequest::new("u2"))?.access_token;
    cached(&verifier, &bystander)?;
    issuer
        .revocations()
        .revoke_user_before("u1", claims.iat, claims.exp + 60);
    assert_eq!(verifier.verify(&token).err(), Some(TokenRejection::Revoked));
    assert!(verifier.verify(&bystander).is_ok());
    Ok(())
}

#[test]
fn a_cached_token_is_refused_once_the_clock_passes_its_exp_and_before_its_nbf() -> TestResult {
    let issuer = issuer(Algorithm::HS256)?.access_ttl(Duration::from_secs(300));
    let verifier = issuer.verifier();
    let token = issuer.issue(&TokenRequest::new("u1"))?.access_token;
    let claims = cached(&verifier, &token)?;
    let leeway = verifier.validation().leeway_secs();

    // The last second it is good, from the cache; then expired.
    let last_good = claims.exp + leeway - 1;
    let hit = verifier.verify_at(&token, last_good)?;
    assert!(Arc::ptr_eq(&hit, &claims));
    assert_eq!(
        verifier.verify_at(&token, last_good + 1).err(),
        Some(TokenRejection::Expired)
    );
    // And not yet valid before its `nbf` (less the leeway).
    let nbf = claims.nbf.unwrap_or(claims.iat);
    assert_eq!(
        verifier.verify_at(&token, nbf - leeway - 1).err(),
        Some(TokenRejection::NotYetValid)
    );
    // Time going forward again: the same cached claims.
    let again = verifier.verify_at(&token, claims.iat)?;
    assert!(Arc::ptr_eq(&again, &claims));
    Ok(())
}

#[test]
fn a_cached_token_is_refused_at_once_when_its_key_is_retired() -> TestResult {
    let Cached {
        issuer,
        verifier,
        token,
        claims,
    } = cached_token(Algorithm::EdDSA)?;
    let old_kid = issuer
        .keys()
        .signing_key()
        .ok_or("no key")?
        .kid()
        .to_owned();

    // A rotation keeps the old key verifying: the token is checked again
    // under the new key set (new claims) and still accepted.
    issuer
        .keys()
        .rotate(SigningKey::generate(Algorithm::EdDSA)?);
    let rechecked = verifier.verify(&token)?;
    assert!(
        !Arc::ptr_eq(&rechecked, &claims),
        "a changed key set must not be trusted blindly"
    );
    assert!(Arc::ptr_eq(&verifier.verify(&token)?, &rechecked));

    issuer.keys().retire(&old_kid)?;
    assert_eq!(
        verifier.verify(&token).err(),
        Some(TokenRejection::UnknownKey)
    );
    let fresh = issuer.issue(&TokenRequest::new("u1"))?.access_token;
    assert!(
        verifier.verify(&fresh).is_ok(),
        "the new key signs and verifies"
    );
    Ok(())
}

/// A revocation view whose completeness the test decides.
struct SwitchableView {
    list: RevocationList,
    complete: Arc<AtomicBool>,
}

impl RevocationView for SwitchableView {
    fn is_revoked(&self, query: &RevocationQuery<'_>) -> bool {
        self.list.is_revoked(query)
    }

    fn is_complete_within(&self, _max_age: Duration) -> bool {
        self.complete.load(Ordering::SeqCst)
    }
}

#[test]
fn a_cached_token_is_refused_while_the_revocation_view_is_stale() -> TestResult {
    let issuer = issuer(Algorithm::EdDSA)?;
    let complete = Arc::new(AtomicBool::new(true));
    let verifier = issuer
        .verifier()
        .with_revocations(SwitchableView {
            list: issuer.revocations().clone(),
            complete: Arc::clone(&complete),
        })
        .max_revocation_staleness(Duration::from_secs(5));
    let token = issuer.issue(&TokenRequest::new("u1"))?.access_token;
    let claims = cached(&verifier, &token)?;

    complete.store(false, Ordering::SeqCst);
    assert_eq!(
        verifier.verify(&token).err(),
        Some(TokenRejection::RevocationsStale)
    );
    complete.store(true, Ordering::SeqCst);
    assert!(Arc::ptr_eq(&verifier.verify(&token)?, &claims));
    Ok(())
}

#[test]
fn a_token_one_byte_away_from_a_cached_one_is_never_taken_for_it() -> TestResult {
    let Cached {
        issuer: _issuer,
        verifier,
        token,
        claims,
    } = cached_token(Algorithm::HS256)?;
    let bytes = token.as_bytes();
    for i in 0..bytes.len() {
        for replacement in [b'A', b'.', b'_'] {
            if bytes.get(i) == Some(&replacement) {
                continue;
            }
            let mut other = bytes.to_vec();
            if let Some(byte) = other.get_mut(i) {
                *byte = replacement;
            }
            let other = String::from_utf8(other)?;
            assert!(
                verifier.verify(&other).is_err(),
                "byte {i} changed to {} verified",
                replacement as char
            );
        }
        // Dropped and appended bytes too.
        let shorter = format!("{}{}", &token[..i], &token[i + 1..]);
        assert!(
            verifier.verify(&shorter).is_err(),
            "byte {i} dropped verified"
        );
    }
    assert!(verifier.verify(&format!("{token}A")).is_err());
    // The original is still answered from the cache, with its own claims.
    assert!(Arc::ptr_eq(&verifier.verify(&token)?, &claims));
    Ok(())
}

#[test]
fn a_revocation_holds_for_every_thread_as_soon_as_it_is_made() -> TestResult {
    let Cached {
        issuer,
        verifier,
        token,
        claims,
    } = cached_token(Algorithm::HS256)?;
    let revoked = AtomicBool::new(false);
    // Each reader hits the cache until it has seen the token refused after
    // the revocation was made, counting acceptances after it was made.
    let outcomes: Vec<(usize, bool)> = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut accepted_after = 0usize;
                    for _ in 0..50_000_000u64 {
                        let done = revoked.load(Ordering::SeqCst);
                        match verifier.verify(&token) {
                            Ok(_) if done => accepted_after += 1,
                            Err(_) if done => return (accepted_after, true),
                            _ => {}
                        }
                    }
                    (accepted_after, false)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        issuer.revocations().revoke_jti(&claims.jti, claims.exp);
        revoked.store(true, Ordering::SeqCst);
        readers
            .into_iter()
            .map(|reader| reader.join().unwrap_or((usize::MAX, false)))
            .collect()
    });
    for (accepted_after, refused) in outcomes {
        assert!(refused, "a reader never saw the refusal");
        assert_eq!(
            accepted_after, 0,
            "a cached token was accepted after its revocation"
        );
    }
    Ok(())
}

#[test]
fn refusals_are_not_cached_and_the_cache_can_be_bounded_or_off() -> TestResult {
    let issuer = issuer(Algorithm::HS256)?;
    let verifier = issuer
        .verifier()
        .cache_limits(CacheLimits::new(64, 1 << 20));
    let wrong_audience = TokenIssuer::new(issuer.keys().clone(), "https://id.example", "other")
        .issue(&TokenRequest::new("u1"))?
        .access_token;
    for _ in 0..3 {
        assert_eq!(
            verifier.verify(&wrong_audience).err(),
            Some(TokenRejection::WrongAudience)
        );
    }
    assert_eq!(verifier.cache_usage().map(|u| u.entries), Some(0));

    for i in 0..1_000 {
        let token = issuer
            .issue(&TokenRequest::new(format!("user-{i}")))?
            .access_token;
        verifier.verify(&token)?;
    }
    let usage = verifier.cache_usage().ok_or("a cache")?;
    assert!(usage.entries <= 64 && usage.entries > 0, "{usage:?}");

    let off = issuer.verifier().without_cache();
    let token = issuer.issue(&TokenRequest::new("u1"))?.access_token;
    assert!(!Arc::ptr_eq(&off.verify(&token)?, &off.verify(&token)?));
    assert_eq!(off.cache_usage(), None);
    Ok(())
}
