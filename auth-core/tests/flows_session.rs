//! Sessions through the flows' public API: refresh-token rotation and reuse
//! detection, logout, logout everywhere, revocations surviving a restart,
//! and API keys.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use auth_core::flow::{API_KEY_PREFIX, FlowConfig, api_key_hash};
use auth_core::store::{ApiKeyView, MemoryStore, RevocationStore};
use auth_core::{Authenticator, FlowError, TokenRejection};
use common::{PASSWORD, authenticator, authenticator_with, keys, login, register_and_login};

fn assert_invalid_grant<T: std::fmt::Debug>(result: Result<T, FlowError>, what: &str) {
    assert!(
        matches!(result, Err(FlowError::InvalidGrant)),
        "{what}: {result:?}"
    );
}

fn assert_revoked(auth: &Authenticator, access_token: &str, what: &str) {
    assert_eq!(
        auth.verifier()
            .verify(access_token)
            .map(|claims| claims.sub.clone()),
        Err(TokenRejection::Revoked),
        "{what}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_rotates_within_the_session() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let (user, first) = register_and_login(&auth, "ada").await;
    let sid = first.access.sid.clone();

    let mut current = first;
    let mut seen = vec![current.refresh.expose().to_owned()];
    for round in 0..3 {
        let next = auth.refresh(current.refresh.expose(), None).await.unwrap();
        let claims = auth.verifier().verify(&next.access.access_token).unwrap();
        assert_eq!(claims.sub, user.id, "round {round}");
        assert_eq!(claims.sid.as_deref(), Some(sid.as_str()), "round {round}");
        assert_eq!(claims.amr, ["pwd"], "round {round}");
        assert_ne!(next.access.jti, current.access.jti);
        assert!(common::is_refresh_token(next.refresh.expose()));
        assert!(
            !seen.contains(&next.refresh.expose().to_owned()),
            "a new token each time"
        );
        seen.push(next.refresh.expose().to_owned());
        // The previous access token is still valid until it expires: rotation
        // is not a logout.
        assert!(auth.verifier().verify(&current.access.access_token).is_ok());
        current = next;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reuse_of_a_retired_refresh_token_revokes_the_family() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let (_user, first) = register_and_login(&auth, "ada").await;
    let second = auth.refresh(first.refresh.expose(), None).await.unwrap();
    let third = auth.refresh(second.refresh.expose(), None).await.unwrap();
    // Another session of the same user, which must survive.
    let other = login(&auth, "ada").await;

    assert_invalid_grant(
        auth.refresh(first.refresh.expose(), None).await,
        "reused token",
    );

    assert_invalid_grant(
        auth.refresh(third.refresh.expose(), None).await,
        "newest token of the family",
    );
    for (what, tokens) in [("first", &first), ("second", &second), ("third", &third)] {
        assert_revoked(&auth, &tokens.access.access_token, what);
    }
    // Presenting the retired token again is still just refused.
    assert_invalid_grant(
        auth.refresh(second.refresh.expose(), None).await,
        "retired token, family revoked",
    );

    assert!(auth.verifier().verify(&other.access.access_token).is_ok());
    let other_next = auth.refresh(other.refresh.expose(), None).await.unwrap();
    assert!(
        auth.verifier()
            .verify(&other_next.access.access_token)
            .is_ok()
    );
}

/// Strict rotation (no reuse interval): RFC 9700 to the letter.
fn strict() -> FlowConfig {
    FlowConfig::default().refresh_reuse_interval(Duration::ZERO)
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_refreshes_with_one_token_succeed_at_most_once() {
    let (auth, _store) = authenticator(strict()).await;
    let (_user, tokens) = register_and_login(&auth, "ada").await;
    let refresh = tokens.refresh.expose().to_owned();

    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let auth = auth.clone();
            let refresh = refresh.clone();
            tokio::spawn(async move { auth.refresh(&refresh, None).await })
        })
        .collect();
    let mut successes = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => successes += 1,
            Err(FlowError::InvalidGrant) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert!(successes <= 1, "{successes} concurrent refreshes succeeded");
    assert_invalid_grant(
        auth.refresh(&refresh, None).await,
        "the raced token afterwards",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_refreshes_within_the_reuse_interval_share_one_successor() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let (_user, tokens) = register_and_login(&auth, "ada").await;
    let refresh = tokens.refresh.expose().to_owned();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (auth, refresh) = (auth.clone(), refresh.clone());
            tokio::spawn(async move { auth.refresh(&refresh, None).await })
        })
        .collect();
    let mut successors = std::collections::HashSet::new();
    for task in tasks {
        let pair = task.await.unwrap().unwrap();
        assert!(auth.verifier().verify(&pair.access.access_token).is_ok());
        successors.insert(pair.refresh.expose().to_owned());
    }
    assert_eq!(successors.len(), 1, "one successor for every tab");
    let successor = successors.into_iter().next().unwrap();
    // The successor rotates on; then its parent is reuse.
    let next = auth.refresh(&successor, None).await.unwrap();
    assert_invalid_grant(
        auth.refresh(&refresh, None).await,
        "the parent after the successor rotated",
    );
    assert_revoked(&auth, &next.access.access_token, "reuse revokes the family");
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_and_expired_refresh_tokens_are_invalid_grants() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let (_user, tokens) = register_and_login(&auth, "ada").await;
    let refresh = tokens.refresh.expose();
    let key = auth.create_api_key("someone", "k", None).await.unwrap().key;
    let garbage = [
        String::new(),
        "x".into(),
        "!".repeat(43),
        "A".repeat(43),
        "A".repeat(44),
        format!("{refresh} "),
        format!(" {}", &refresh[1..]),
        refresh.to_uppercase(),
        "é".repeat(43),
        "\u{0}".repeat(43),
        "x".repeat(100_000),
        tokens.access.access_token.clone(),
        key,
    ];
    for token in &garbage {
        assert_invalid_grant(auth.refresh(token, None).await, token);
    }
    // None of that touched the real token.
    auth.refresh(refresh, None).await.unwrap();

    // A token past its lifetime (zero here) is refused.
    let (auth, _store) = authenticator(FlowConfig::default().refresh_ttl(Duration::ZERO)).await;
    let (_user, tokens) = register_and_login(&auth, "ada").await;
    assert_eq!(tokens.refresh_expires_in, 0);
    assert_invalid_grant(
        auth.refresh(tokens.refresh.expose(), None).await,
        "expired token",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_the_access_token_and_the_session() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let (_user, tokens) = register_and_login(&auth, "ada").await;
    let other = login(&auth, "ada").await;

    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    auth.logout(&claims, None, None).await.unwrap();
    assert_revoked(&auth, &tokens.access.access_token, "logged-out token");
    assert_invalid_grant(
        auth.refresh(tokens.refresh.expose(), None).await,
        "logged-out session",
    );

    // The user's other session is not touched.
    assert!(auth.verifier().verify(&other.access.access_token).is_ok());
    auth.refresh(other.refresh.expose(), None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn revocations_last_as_long_as_the_tokens_they_cover_could_verify() {
    let (auth, store) = authenticator(FlowConfig::default()).await;
    let (user, tokens) = register_and_login(&auth, "ada").await;
    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    auth.logout(&claims, None, None).await.unwrap();
    // The verifier accepts a token until `exp` plus its leeway: the `jti`
    // revocation must still be in force then.
    let leeway = auth_core::token::MAX_LEEWAY.as_secs() as i64;
    let in_force = store.active_revocations(claims.exp + leeway).await.unwrap();
    assert!(
        in_force.iter().any(|r| matches!(
            r,
            auth_core::store::Revocation::Token { jti, .. } if *jti == claims.jti
        )),
        "the jti revocation must outlive exp + leeway: {in_force:?}"
    );
    // A user cut-off covers any token issued before it, whose lifetime the
    // verifier bounds by the access TTL.
    auth.logout_all(&user.id, None).await.unwrap();
    let horizon = common::now() + auth.issuer().ttl().as_secs() as i64 + leeway;
    let in_force = store.active_revocations(horizon).await.unwrap();
    assert!(
        in_force.iter().any(|r| matches!(
            r,
            auth_core::store::Revocation::User { sub, .. } if *sub == user.id
        )),
        "the user cut-off must last the longest token lifetime plus leeway"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_the_presented_refresh_token_only_if_it_is_the_users() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let (_ada, ada) = register_and_login(&auth, "ada").await;
    let ada_cookie = login(&auth, "ada").await;
    let (_grace, grace) = register_and_login(&auth, "grace").await;

    // Ada's access token with a refresh cookie of another of her sessions: both go.
    let claims = auth.verifier().verify(&ada.access.access_token).unwrap();
    auth.logout(&claims, Some(ada_cookie.refresh.expose()), None)
        .await
        .unwrap();
    assert_invalid_grant(
        auth.refresh(ada_cookie.refresh.expose(), None).await,
        "ada's cookie",
    );
    assert_revoked(
        &auth,
        &ada_cookie.access.access_token,
        "ada's cookie session",
    );

    // Grace's refresh token presented with Ada's logout is left alone.
    let ada = login(&auth, "ada").await;
    let claims = auth.verifier().verify(&ada.access.access_token).unwrap();
    auth.logout(&claims, Some(grace.refresh.expose()), None)
        .await
        .unwrap();
    assert!(auth.verifier().verify(&grace.access.access_token).is_ok());
    auth.refresh(grace.refresh.expose(), None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_by_refresh_token_revokes_its_session() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let (_user, tokens) = register_and_login(&auth, "ada").await;
    let other = login(&auth, "ada").await;
    // Unknown and malformed cookies are ignored.
    auth.logout_refresh("not a refresh token", None)
        .await
        .unwrap();
    auth.logout_refresh(&"A".repeat(43), None).await.unwrap();

    auth.logout_refresh(tokens.refresh.expose(), None)
        .await
        .unwrap();
    assert_invalid_grant(
        auth.refresh(tokens.refresh.expose(), None).await,
        "logged-out session",
    );
    assert_revoked(
        &auth,
        &tokens.access.access_token,
        "token of the logged-out session",
    );
    assert!(auth.verifier().verify(&other.access.access_token).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_all_revokes_every_session_until_the_next_second() {
    let (auth, _store) = authenticator(FlowConfig::default()).await;
    let (ada, first) = register_and_login(&auth, "ada").await;
    let second = login(&auth, "ada").await;
    let refreshed = auth.refresh(second.refresh.expose(), None).await.unwrap();
    let (_grace, grace) = register_and_login(&auth, "grace").await;

    auth.logout_all(&ada.id, None).await.unwrap();
    for (what, tokens) in [
        ("first", &first),
        ("second", &second),
        ("refreshed", &refreshed),
    ] {
        assert_revoked(&auth, &tokens.access.access_token, what);
    }
    assert_invalid_grant(
        auth.refresh(first.refresh.expose(), None).await,
        "first session",
    );
    assert_invalid_grant(
        auth.refresh(refreshed.refresh.expose(), None).await,
        "second session",
    );
    // Another user is not affected.
    assert!(auth.verifier().verify(&grace.access.access_token).is_ok());
    auth.refresh(grace.refresh.expose(), None).await.unwrap();

    // A functional wait: tokens issued from the next second on are not cut off.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let fresh = login(&auth, "ada").await;
    assert!(auth.verifier().verify(&fresh.access.access_token).is_ok());
    let next = auth.refresh(fresh.refresh.expose(), None).await.unwrap();
    assert!(auth.verifier().verify(&next.access.access_token).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_instance_loads_revocations_at_build() {
    let store = MemoryStore::new();
    let keys = keys();
    let first = authenticator_with(&store, &keys, strict()).await;
    let (ada, logged_out) = register_and_login(&first, "ada").await;
    let reused = login(&first, "ada").await;
    let kept = login(&first, "ada").await;
    let (grace, everywhere) = register_and_login(&first, "grace").await;

    let claims = first
        .verifier()
        .verify(&logged_out.access.access_token)
        .unwrap();
    first.logout(&claims, None, None).await.unwrap();
    let rotated = first.refresh(reused.refresh.expose(), None).await.unwrap();
    assert_invalid_grant(first.refresh(reused.refresh.expose(), None).await, "reuse");
    first.logout_all(&grace.id, None).await.unwrap();

    let second = authenticator_with(&store, &keys, FlowConfig::default()).await;
    assert_revoked(
        &second,
        &logged_out.access.access_token,
        "logged out on the first",
    );
    assert_revoked(
        &second,
        &rotated.access.access_token,
        "family revoked on the first",
    );
    assert_revoked(
        &second,
        &everywhere.access.access_token,
        "logged out everywhere on the first",
    );
    // Same keys, so what was not revoked still verifies.
    let claims = second.verifier().verify(&kept.access.access_token).unwrap();
    assert_eq!(claims.sub, ada.id);
    // And the sessions are shared: the second instance rotates the first's tokens.
    second.refresh(kept.refresh.expose(), None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn api_keys_are_shown_once_stored_hashed_and_revocable() {
    let (auth, store) = authenticator(FlowConfig::default()).await;
    let ada = auth.register("ada", PASSWORD, None).await.unwrap();
    let grace = auth.register("grace", PASSWORD, None).await.unwrap();

    let created = auth.create_api_key(&ada.id, "ci", None).await.unwrap();
    assert!(created.key.starts_with(API_KEY_PREFIX));
    assert!(created.key.starts_with("ak_"));
    assert_eq!(created.key.len(), 3 + 43, "256 bits after the prefix");
    assert!(!created.id.is_empty());
    assert!(!format!("{created:?}").contains(&created.key));
    let another = auth.create_api_key(&ada.id, "ci", None).await.unwrap();
    assert_ne!(another.key, created.key);
    assert_ne!(another.id, created.id);

    let hash = api_key_hash(&created.key).unwrap();
    let record = store.api_key(&hash).unwrap();
    assert_eq!(record.id, created.id);
    assert_eq!(record.user_id, ada.id);
    assert_eq!(record.name, "ci");
    assert_eq!(record.hash, hash);
    // Only the hash is kept: the key appears nowhere in the record.
    let body = &created.key[API_KEY_PREFIX.len()..];
    for field in [&record.id, &record.user_id, &record.name] {
        assert!(!field.contains(body));
    }
    assert!(!format!("{record:?}").contains(body));
    assert_ne!(record.hash.0.as_slice(), body.as_bytes());

    // A long name is cut, not refused.
    let long = auth
        .create_api_key(&ada.id, &"n".repeat(1_000), None)
        .await
        .unwrap();
    let long_record = store.api_key(&api_key_hash(&long.key).unwrap()).unwrap();
    assert_eq!(long_record.name, "n".repeat(100));
    // Strings that are not keys of ours have no hash to look up.
    for not_a_key in [
        "",
        "ak_",
        "ak_short",
        &created.key[API_KEY_PREFIX.len()..],
        &format!("{}x", created.key),
    ] {
        assert_eq!(api_key_hash(not_a_key), None, "{not_a_key}");
    }

    // Another user cannot delete it.
    let result = auth.revoke_api_key(&grace.id, &created.id, None).await;
    assert!(matches!(result, Err(FlowError::NotFound)), "{result:?}");
    assert!(store.api_key(&hash).is_some());

    // The owner can, with effect at once; a second delete finds nothing.
    auth.revoke_api_key(&ada.id, &created.id, None)
        .await
        .unwrap();
    assert!(store.api_key(&hash).is_none());
    let result = auth.revoke_api_key(&ada.id, &created.id, None).await;
    assert!(matches!(result, Err(FlowError::NotFound)), "{result:?}");
    // The other key lives on.
    assert!(
        store
            .api_key(&api_key_hash(&another.key).unwrap())
            .is_some()
    );
}
