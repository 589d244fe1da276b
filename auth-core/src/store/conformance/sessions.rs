//! Sessions and refresh-token rotation (RFC 9700 §4.14.2).

use std::sync::Arc;

use super::{Must, RACERS, StoreFactory, now, race, random_hash, unique};
use crate::store::{
    NewUser, OneTimeStore, Rotation, SecretHash, Session, SessionStore, Store, UserStore,
};

/// A refresh lifetime far enough away for every check.
const TTL: i64 = 3600;

fn session_of(user_id: &str) -> Session {
    let at = now();
    Session {
        sid: unique("sid"),
        user_id: user_id.to_owned(),
        amr: vec!["pwd".to_owned(), "otp".to_owned(), "mfa".to_owned()],
        auth_time: at - 5,
        created_at: at,
    }
}

/// Starts a session for a new user id; returns it and its first refresh hash.
async fn start<S: SessionStore + ?Sized>(store: &S) -> (Session, SecretHash) {
    let session = session_of(&unique("user"));
    let refresh = random_hash();
    store
        .create_session(&session, &refresh, now() + TTL)
        .await
        .must("create_session");
    (session, refresh)
}

/// Presents `presented` now, for `next` valid for [`TTL`].
async fn rotate<S: SessionStore + ?Sized>(
    store: &S,
    presented: &SecretHash,
    next: &SecretHash,
) -> Rotation {
    rotate_at(store, presented, next, now(), now() + TTL).await
}

/// Presents `presented` at `at`, for `next` valid until `expires_at`.
async fn rotate_at<S: SessionStore + ?Sized>(
    store: &S,
    presented: &SecretHash,
    next: &SecretHash,
    at: i64,
    expires_at: i64,
) -> Rotation {
    store
        .rotate_refresh(presented, next, at, expires_at)
        .await
        .must("rotate_refresh")
}

/// Rotates `first` `n` times; returns every token of the chain, `first` included.
async fn chain<S: SessionStore + ?Sized>(
    store: &S,
    session: &Session,
    first: SecretHash,
    n: usize,
) -> Vec<SecretHash> {
    let mut tokens = vec![first];
    for step in 0..n {
        let next = random_hash();
        let current = tokens.last().copied().unwrap_or(first);
        let rotation = rotate(store, &current, &next).await;
        assert_eq!(
            rotation,
            Rotation::Rotated(session.clone()),
            "rotation {} of a chain must succeed and return the session",
            step + 1
        );
        tokens.push(next);
    }
    tokens
}

/// Five rotations in a row each retire the current token and return the session.
pub async fn rotation_chain<S: Store>(store: Arc<S>) {
    let (session, first) = start(&*store).await;
    let found = store
        .session_by_refresh(&first)
        .await
        .must("session_by_refresh");
    assert_eq!(
        found.as_ref(),
        Some(&session),
        "session_by_refresh must find a new session"
    );
    let tokens = chain(&*store, &session, first, 5).await;
    for token in &tokens {
        let found = store
            .session_by_refresh(token)
            .await
            .must("session_by_refresh");
        assert_eq!(
            found.as_ref(),
            Some(&session),
            "session_by_refresh must find the session from any token of its family, retired ones too"
        );
    }
    assert!(
        store
            .session_by_refresh(&random_hash())
            .await
            .must("session_by_refresh")
            .is_none(),
        "session_by_refresh of an unknown token must be None"
    );
    assert_eq!(
        rotate(&*store, &random_hash(), &random_hash()).await,
        Rotation::Invalid,
        "an unknown refresh token must be Invalid"
    );
}

/// Presenting a retired token is reuse: the family is revoked, its newest
/// token stops working, other families are untouched.
pub async fn rotation_reuse_revokes_the_family<S: Store>(store: Arc<S>) {
    let (session, first) = start(&*store).await;
    let (bystander, bystander_token) = start(&*store).await;
    let tokens = chain(&*store, &session, first, 3).await;
    let (Some(older), Some(newest)) = (tokens.get(1).copied(), tokens.last().copied()) else {
        panic!("store conformance: the chain must hold four tokens");
    };

    assert_eq!(
        rotate(&*store, &older, &random_hash()).await,
        Rotation::Reused(session.clone()),
        "presenting a retired refresh token must be Reused and return the session"
    );
    assert_eq!(
        rotate(&*store, &newest, &random_hash()).await,
        Rotation::Invalid,
        "after reuse, the newest token of the family must be Invalid"
    );
    assert_eq!(
        rotate(&*store, &older, &random_hash()).await,
        Rotation::Invalid,
        "a retired token of a revoked family must be Invalid"
    );
    assert!(
        store
            .session_by_refresh(&newest)
            .await
            .must("session_by_refresh")
            .is_none(),
        "a family revoked for reuse must not be found"
    );
    assert!(
        store
            .revoke_session(&session.sid)
            .await
            .must("revoke_session")
            .is_none(),
        "a family revoked for reuse is no longer live"
    );
    assert_eq!(
        rotate(&*store, &bystander_token, &random_hash()).await,
        Rotation::Rotated(bystander),
        "reuse in one family must not touch another"
    );
}

/// Tokens are valid while `now < expires_at`; an expired retired token is
/// merely Invalid, it does not revoke the family.
pub async fn rotation_expired_token_is_invalid<S: Store>(store: Arc<S>) {
    let at = now();
    let session = session_of(&unique("user"));
    let first = random_hash();
    store
        .create_session(&session, &first, at + 100)
        .await
        .must("create_session");
    let next = random_hash();
    let rotation = rotate_at(&*store, &first, &next, at + 100, at + 300).await;
    assert_eq!(
        rotation,
        Rotation::Invalid,
        "a refresh token presented at its expiry must be Invalid"
    );
    let rotation = rotate_at(&*store, &first, &next, at + 99, at + 300).await;
    assert_eq!(
        rotation,
        Rotation::Rotated(session.clone()),
        "a refresh token presented before its expiry must rotate"
    );
    // At its expiry `first` is retired and expired: presenting it proves nothing.
    let third = random_hash();
    let rotation = rotate_at(&*store, &first, &third, at + 100, at + 400).await;
    assert_eq!(
        rotation,
        Rotation::Invalid,
        "an expired retired token must be Invalid, not Reused"
    );
    let rotation = rotate_at(&*store, &next, &third, at + 150, at + 400).await;
    assert_eq!(
        rotation,
        Rotation::Rotated(session),
        "an expired retired token must not revoke the family"
    );

    let (dead, dead_token) = (session_of(&unique("user")), random_hash());
    store
        .create_session(&dead, &dead_token, at - 10)
        .await
        .must("create_session");
    assert_eq!(
        rotate(&*store, &dead_token, &random_hash()).await,
        Rotation::Invalid,
        "a session created already expired must be Invalid"
    );
    assert!(
        store
            .session_by_refresh(&dead_token)
            .await
            .must("session_by_refresh")
            .is_none(),
        "an expired session must not be found"
    );
}

/// `revoke_session` ends one session, once.
pub async fn sessions_revoked_by_sid<S: Store>(store: Arc<S>) {
    let (session, first) = start(&*store).await;
    let tokens = chain(&*store, &session, first, 2).await;
    let revoked = store
        .revoke_session(&session.sid)
        .await
        .must("revoke_session");
    assert_eq!(
        revoked,
        Some(session.clone()),
        "revoke_session must return the live session"
    );
    assert!(
        store
            .revoke_session(&session.sid)
            .await
            .must("revoke_session")
            .is_none(),
        "revoking a revoked session must return None"
    );
    for token in &tokens {
        assert_eq!(
            rotate(&*store, token, &random_hash()).await,
            Rotation::Invalid,
            "every token of a revoked session must be Invalid"
        );
        assert!(
            store
                .session_by_refresh(token)
                .await
                .must("session_by_refresh")
                .is_none(),
            "a revoked session must not be found"
        );
    }
    assert!(
        store
            .revoke_session(&unique("sid"))
            .await
            .must("revoke_session")
            .is_none(),
        "revoking an unknown session must return None"
    );
}

/// `revoke_user_sessions` ends every live session of one user and no other.
pub async fn sessions_revoked_by_user<S: Store>(store: Arc<S>) {
    let user = unique("user");
    let mut live = Vec::new();
    for _ in 0..3 {
        let session = session_of(&user);
        let token = random_hash();
        store
            .create_session(&session, &token, now() + TTL)
            .await
            .must("create_session");
        live.push((session, token));
    }
    let Some((ended, _)) = live.pop() else {
        panic!("store conformance: three sessions were created");
    };
    store
        .revoke_session(&ended.sid)
        .await
        .must("revoke_session");
    let (other, other_token) = start(&*store).await;

    let mut revoked = store
        .revoke_user_sessions(&user)
        .await
        .must("revoke_user_sessions");
    revoked.sort_by(|a, b| a.sid.cmp(&b.sid));
    let mut expected: Vec<Session> = live.iter().map(|(s, _)| s.clone()).collect();
    expected.sort_by(|a, b| a.sid.cmp(&b.sid));
    assert_eq!(
        revoked, expected,
        "revoke_user_sessions must return exactly the user's live sessions"
    );
    for (_, token) in &live {
        assert_eq!(
            rotate(&*store, token, &random_hash()).await,
            Rotation::Invalid,
            "the tokens of a user's revoked sessions must be Invalid"
        );
    }
    assert!(
        store
            .revoke_user_sessions(&user)
            .await
            .must("revoke_user_sessions")
            .is_empty(),
        "a second revoke_user_sessions must find nothing live"
    );
    assert_eq!(
        rotate(&*store, &other_token, &random_hash()).await,
        Rotation::Rotated(other),
        "another user's session must be untouched"
    );
}

/// Checks the outcome of a race on one refresh token: exactly one rotation,
/// the family revoked by the losers' reuse.
async fn assert_one_rotation<S: Store>(
    store: &S,
    session: &Session,
    results: &[(Rotation, SecretHash)],
) {
    let winners: Vec<&SecretHash> = results
        .iter()
        .filter(|(r, _)| matches!(r, Rotation::Rotated(_)))
        .map(|(_, next)| next)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "of {RACERS} concurrent rotations of one token, exactly one must rotate"
    );
    let reused = results
        .iter()
        .filter(|(r, _)| matches!(r, Rotation::Reused(_)))
        .count();
    assert!(
        reused >= 1,
        "the losers of a concurrent rotation present a retired token: at least one must be Reused"
    );
    for (rotation, _) in results {
        match rotation {
            Rotation::Rotated(s) | Rotation::Reused(s) => {
                assert_eq!(s, session, "a rotation must return its session");
            }
            Rotation::Invalid => {}
        }
    }
    if let Some(winner) = winners.first() {
        assert_eq!(
            rotate(store, winner, &random_hash()).await,
            Rotation::Invalid,
            "after the reuse in a race, the winner's new token must be Invalid"
        );
    }
}

/// Many tasks present one refresh token at once: one rotates, the family ends revoked.
pub async fn rotation_concurrent_one_token<S: Store>(store: Arc<S>) {
    let (session, token) = start(&*store).await;
    let results = race(|_| {
        let store = Arc::clone(&store);
        async move {
            let next = random_hash();
            (rotate(&*store, &token, &next).await, next)
        }
    })
    .await;
    assert_one_rotation(&*store, &session, &results).await;
}

/// The same race across two instances of one backend, plus the basics of
/// sharing: what one instance writes, the other sees.
pub async fn rotation_concurrent_across_instances<F: StoreFactory>(factory: &F) {
    let first = Arc::new(factory.create().await);
    let second = Arc::new(factory.second_instance(&first).await);

    let (session, token) = start(&*first).await;
    let found = second
        .session_by_refresh(&token)
        .await
        .must("session_by_refresh");
    assert_eq!(
        found,
        Some(session.clone()),
        "a session created on one instance must be found on the other"
    );
    let results = race(|i| {
        let store = if i % 2 == 0 {
            Arc::clone(&first)
        } else {
            Arc::clone(&second)
        };
        async move {
            let next = random_hash();
            (rotate(&*store, &token, &next).await, next)
        }
    })
    .await;
    assert_one_rotation(&*second, &session, &results).await;

    let (session, token) = start(&*first).await;
    let next = random_hash();
    assert_eq!(
        rotate(&*first, &token, &next).await,
        Rotation::Rotated(session.clone())
    );
    assert_eq!(
        rotate(&*second, &token, &random_hash()).await,
        Rotation::Reused(session),
        "a token rotated on one instance must be detected as reused on the other"
    );
    assert_eq!(
        rotate(&*first, &next, &random_hash()).await,
        Rotation::Invalid,
        "a family revoked on one instance must be revoked on the other"
    );

    let name = unique("shared");
    let user = first
        .create_user(NewUser {
            username: name.clone(),
            password_hash: None,
            roles: Vec::new(),
        })
        .await
        .must("create_user");
    let found = second.user_by_name(&name).await.must("user_by_name");
    assert_eq!(
        found,
        Some(user),
        "a user created on one instance must be found on the other"
    );
    let key = unique("once");
    assert!(first.use_once(&key, now() + TTL).await.must("use_once"));
    assert!(
        !second.use_once(&key, now() + TTL).await.must("use_once"),
        "a key used on one instance must be used on the other"
    );
}
