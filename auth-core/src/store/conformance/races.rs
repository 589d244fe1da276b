//! Refresh-token rotation raced: many tasks presenting one token at once,
//! on one store instance and across two over the same backend (which must
//! also agree on users and single-use marks).

use std::sync::Arc;

use super::sessions::{INTERVAL, TTL, Token, present, present_at, start};
use super::{Must, RACERS, StoreFactory, now, race, unique};
use crate::store::{NewUser, OneTimeStore, Rotation, Session, SessionStore, Store, UserStore};

/// Checks the outcome of a strict race on one refresh token: exactly one
/// rotation, the family revoked by the losers' reuse.
async fn assert_one_rotation<S: Store>(
    store: &S,
    session: &Session,
    results: &[(Rotation, Token)],
) {
    let winners: Vec<&Token> = results
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
        "the losers of a strict concurrent rotation present a rotated token: at least one must be Reused"
    );
    for (rotation, _) in results {
        match rotation {
            Rotation::Rotated(s) | Rotation::Reused(s) => {
                assert_eq!(s, session, "a rotation must return its session");
            }
            Rotation::Repeated { .. } => {
                panic!("store conformance: with no reuse interval nothing may be Repeated")
            }
            Rotation::Invalid => {}
        }
    }
    if let Some(winner) = winners.first() {
        assert_eq!(
            present(store, winner).await.0,
            Rotation::Invalid,
            "after the reuse in a race, the winner's new token must be Invalid"
        );
    }
}

/// Checks the outcome of a race within the reuse interval: one rotation,
/// every other presenter handed the winner's successor, the family alive.
async fn assert_one_successor<S: Store>(
    store: &S,
    session: &Session,
    results: &[(Rotation, Token)],
) {
    let winners: Vec<&Token> = results
        .iter()
        .filter(|(r, _)| matches!(r, Rotation::Rotated(_)))
        .map(|(_, next)| next)
        .collect();
    let [winner] = winners.as_slice() else {
        panic!(
            "store conformance: of {RACERS} concurrent rotations of one token, exactly one must rotate"
        );
    };
    for (rotation, _) in results {
        match rotation {
            Rotation::Rotated(s) => assert_eq!(s, session),
            Rotation::Repeated {
                session: s,
                sealed_successor,
            } => {
                assert_eq!(s, session, "a repeated rotation must return its session");
                assert_eq!(
                    sealed_successor, &winner.sealed,
                    "within the interval every presenter must get the winner's successor"
                );
            }
            other => panic!(
                "store conformance: within the reuse interval a concurrent presenter got {other:?}"
            ),
        }
    }
    assert_eq!(
        present(store, winner).await.0,
        Rotation::Rotated(session.clone()),
        "after a race within the interval, the successor must still rotate"
    );
}

/// Many tasks present one refresh token at once: strictly, one rotates and
/// the family ends revoked; within the reuse interval, one rotates and all
/// the others get its successor.
pub async fn rotation_concurrent_one_token<S: Store>(store: Arc<S>) {
    for interval in [0, INTERVAL] {
        let (session, token) = start(&*store).await;
        let results = race(|_| {
            let (store, token) = (Arc::clone(&store), token.clone());
            async move {
                let next = token.successor(now() + TTL);
                (
                    present_at(&*store, &token, &next, now(), interval).await,
                    next,
                )
            }
        })
        .await;
        if interval == 0 {
            assert_one_rotation(&*store, &session, &results).await;
        } else {
            assert_one_successor(&*store, &session, &results).await;
        }
    }
}

/// The same races across two instances of one backend, plus the basics of
/// sharing: what one instance writes, the other sees.
pub async fn rotation_concurrent_across_instances<F: StoreFactory>(factory: &F) {
    let first = Arc::new(factory.create().await);
    let second = Arc::new(factory.second_instance(&first).await);

    for interval in [0, INTERVAL] {
        let (session, token) = start(&*first).await;
        let found = second.session(&session.sid).await.must("session");
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
            let token = token.clone();
            async move {
                let next = token.successor(now() + TTL);
                (
                    present_at(&*store, &token, &next, now(), interval).await,
                    next,
                )
            }
        })
        .await;
        if interval == 0 {
            assert_one_rotation(&*second, &session, &results).await;
        } else {
            assert_one_successor(&*second, &session, &results).await;
        }
    }

    let (session, token) = start(&*first).await;
    let (rotation, next) = present(&*first, &token).await;
    assert_eq!(rotation, Rotation::Rotated(session.clone()));
    assert_eq!(
        present(&*second, &token).await.0,
        Rotation::Reused(session),
        "a token rotated on one instance must be detected as reused on the other"
    );
    assert_eq!(
        present(&*first, &next).await.0,
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
