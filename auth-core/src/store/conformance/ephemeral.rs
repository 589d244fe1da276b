//! Short-lived state: single-use marks and codes, throttling windows, revocations.

use std::sync::Arc;

use super::{Must, RACERS, now, race, random_hash, unique};
use crate::store::{Attempt, Failures, Revocation, Store};

/// Of concurrent uses of one key, exactly one is first.
pub async fn one_time_used_concurrently_once<S: Store>(store: Arc<S>) {
    let key = unique("once");
    let expires_at = now() + 60;
    let results = race(|_| {
        let (store, key) = (Arc::clone(&store), key.clone());
        async move { store.use_once(&key, expires_at).await.must("use_once") }
    })
    .await;
    let first = results.iter().filter(|fresh| **fresh).count();
    assert_eq!(
        first, 1,
        "of {RACERS} concurrent use_once calls with one key, exactly one must get true"
    );
    assert!(
        !store.use_once(&key, expires_at).await.must("use_once"),
        "a used key must stay used until it expires"
    );
    assert!(
        store
            .use_once(&unique("once"), expires_at)
            .await
            .must("use_once"),
        "keys must be independent"
    );
}

/// A mark whose expiry has passed no longer blocks its key.
pub async fn one_time_expired_mark_is_usable_again<S: Store>(store: Arc<S>) {
    let key = unique("once-expired");
    let past = now() - 5;
    assert!(
        store.use_once(&key, past).await.must("use_once"),
        "an unused key must get true"
    );
    assert!(
        store.use_once(&key, past).await.must("use_once"),
        "a key whose mark has expired must be usable again"
    );
    assert!(
        store.use_once(&key, now() + 60).await.must("use_once"),
        "an expired mark must not block a new one"
    );
    assert!(
        !store.use_once(&key, now() + 60).await.must("use_once"),
        "the new mark must hold"
    );
}

/// `is_used` tells whether a mark holds, without making one.
pub async fn one_time_is_used_looks_without_marking<S: Store>(store: Arc<S>) {
    let key = unique("once-looked-at");
    assert!(
        !store.is_used(&key, now()).await.must("is_used"),
        "an unused key must not be used"
    );
    assert!(
        store.use_once(&key, now() + 60).await.must("use_once"),
        "looking at a key must not mark it"
    );
    assert!(
        store.is_used(&key, now()).await.must("is_used"),
        "a holding mark must be seen"
    );
    let expired = unique("once-looked-at");
    assert!(store.use_once(&expired, now() - 5).await.must("use_once"));
    assert!(
        !store.is_used(&expired, now()).await.must("is_used"),
        "an expired mark must not be seen"
    );
}

/// A kept code is taken once by the right value; a wrong guess leaves it;
/// a newer code replaces it; it is usable while `now < expires_at`.
pub async fn codes_are_consumed_once<S: Store>(store: Arc<S>) {
    let at = now();
    let key = unique("code");
    let code = random_hash();
    store.put_code(&key, &code, at + 60).await.must("put_code");
    assert!(
        !store
            .consume_code(&key, &random_hash(), at)
            .await
            .must("consume_code"),
        "a wrong code must be refused"
    );
    assert!(
        !store
            .consume_code(&key, &code, at + 60)
            .await
            .must("consume_code"),
        "a code presented at its expiry must be refused"
    );
    assert!(
        store
            .consume_code(&key, &code, at + 59)
            .await
            .must("consume_code"),
        "the right code must be accepted, even after a wrong guess"
    );
    assert!(
        !store
            .consume_code(&key, &code, at)
            .await
            .must("consume_code"),
        "a code must be accepted once only"
    );

    let (old, new) = (random_hash(), random_hash());
    store.put_code(&key, &old, at + 60).await.must("put_code");
    store.put_code(&key, &new, at + 60).await.must("put_code");
    assert!(
        !store
            .consume_code(&key, &old, at)
            .await
            .must("consume_code"),
        "a replaced code must be refused"
    );
    assert!(
        store
            .consume_code(&key, &new, at)
            .await
            .must("consume_code"),
        "the latest code must be accepted"
    );
    assert!(
        !store
            .consume_code(&unique("code"), &new, at)
            .await
            .must("consume_code"),
        "a key without a code must refuse every code"
    );
}

/// Of concurrent uses of the right code, exactly one succeeds.
pub async fn codes_consumed_concurrently_once<S: Store>(store: Arc<S>) {
    let key = unique("code-race");
    let code = random_hash();
    store
        .put_code(&key, &code, now() + 60)
        .await
        .must("put_code");
    let results = race(|_| {
        let (store, key) = (Arc::clone(&store), key.clone());
        async move {
            store
                .consume_code(&key, &code, now())
                .await
                .must("consume_code")
        }
    })
    .await;
    let accepted = results.iter().filter(|ok| **ok).count();
    assert_eq!(
        accepted, 1,
        "of {RACERS} concurrent uses of one code, exactly one must succeed"
    );
}

/// Failures count in a fixed window opened by the first one; after it ends
/// the count is 0 and the next failure opens a new window.
pub async fn throttle_counts_in_a_fixed_window<S: Store>(store: Arc<S>) {
    let at = now();
    let key = unique("throttle");
    let none = store.failures(&key, at).await.must("failures");
    assert_eq!(none.count, 0, "a key without failures must count 0");
    for expected in 1..=3u32 {
        let counted = store
            .record_failure(&key, at + i64::from(expected), 60)
            .await
            .must("record_failure");
        assert_eq!(
            counted,
            Failures {
                count: expected,
                window_ends: at + 61
            },
            "failures must count up in the window opened by the first one"
        );
    }
    let counted = store.failures(&key, at + 60).await.must("failures");
    assert_eq!(
        counted,
        Failures {
            count: 3,
            window_ends: at + 61
        },
        "failures must report the running window"
    );
    let after = store.failures(&key, at + 61).await.must("failures");
    assert_eq!(
        after.count, 0,
        "once the window has ended the count must be 0"
    );
    let reopened = store
        .record_failure(&key, at + 70, 60)
        .await
        .must("record_failure");
    assert_eq!(
        reopened,
        Failures {
            count: 1,
            window_ends: at + 130
        },
        "a failure after the window must open a new one"
    );
    let other = store
        .failures(&unique("throttle"), at + 70)
        .await
        .must("failures");
    assert_eq!(other.count, 0, "throttling keys must be independent");
}

/// Clearing forgets the count at once.
pub async fn throttle_clear_forgets<S: Store>(store: Arc<S>) {
    let at = now();
    let (key, other) = (unique("throttle"), unique("throttle"));
    store
        .record_failure(&key, at, 60)
        .await
        .must("record_failure");
    store
        .record_failure(&key, at, 60)
        .await
        .must("record_failure");
    store
        .record_failure(&other, at, 60)
        .await
        .must("record_failure");
    store.clear_failures(&key).await.must("clear_failures");
    assert_eq!(
        store.failures(&key, at).await.must("failures").count,
        0,
        "clear_failures must reset the count"
    );
    assert_eq!(
        store
            .record_failure(&key, at, 60)
            .await
            .must("record_failure")
            .count,
        1,
        "after clear_failures the next failure must count 1"
    );
    assert_eq!(
        store.failures(&other, at).await.must("failures").count,
        1,
        "clear_failures must not touch other keys"
    );
    store
        .clear_failures(&unique("throttle"))
        .await
        .must("clear_failures of an unknown key");
}

/// Concurrent failures are each counted once.
pub async fn throttle_counts_concurrent_failures<S: Store>(store: Arc<S>) {
    let at = now();
    let key = unique("throttle-race");
    let mut counts = race(|_| {
        let (store, key) = (Arc::clone(&store), key.clone());
        async move {
            store
                .record_failure(&key, at, 60)
                .await
                .must("record_failure")
                .count
        }
    })
    .await;
    counts.sort_unstable();
    let expected: Vec<u32> = (1..=u32::try_from(RACERS).unwrap_or(u32::MAX)).collect();
    assert_eq!(
        counts, expected,
        "concurrent failures must each get their own count"
    );
    assert_eq!(
        store.failures(&key, at).await.must("failures").count,
        u32::try_from(RACERS).unwrap_or(u32::MAX),
        "every concurrent failure must be counted"
    );
}

/// Reservations count up to the limit and no further; a released one frees
/// its place; a window released to nothing is forgotten.
pub async fn throttle_reserves_up_to_the_limit<S: Store>(store: Arc<S>) {
    let at = now();
    let key = unique("throttle");
    for expected in 1..=3u32 {
        assert_eq!(
            store
                .reserve_attempt(&key, at, 60, 3)
                .await
                .must("reserve_attempt"),
            Attempt::Reserved(Failures {
                count: expected,
                window_ends: at + 60
            }),
            "reservations under the limit must be counted in one window"
        );
    }
    assert_eq!(
        store
            .reserve_attempt(&key, at + 1, 60, 3)
            .await
            .must("reserve_attempt"),
        Attempt::Refused(Failures {
            count: 3,
            window_ends: at + 60
        }),
        "a reservation at the limit must be refused and counted nowhere"
    );
    assert_eq!(store.failures(&key, at + 1).await.must("failures").count, 3);
    store
        .release_attempt(&key, at + 2)
        .await
        .must("release_attempt");
    assert_eq!(
        store.failures(&key, at + 2).await.must("failures").count,
        2,
        "a released reservation must give its place back"
    );
    assert!(matches!(
        store
            .reserve_attempt(&key, at + 2, 60, 3)
            .await
            .must("reserve_attempt"),
        Attempt::Reserved(Failures { count: 3, .. })
    ));
    assert!(
        matches!(
            store.reserve_attempt(&key, at + 60, 60, 3).await.must("reserve_attempt"),
            Attempt::Reserved(Failures { count: 1, window_ends }) if window_ends == at + 120
        ),
        "after the window a reservation must open a new one"
    );
    assert!(
        matches!(
            store
                .reserve_attempt(&unique("throttle"), at, 60, 0)
                .await
                .must("reserve_attempt"),
            Attempt::Refused(Failures { count: 0, .. })
        ),
        "a limit of zero must refuse everything"
    );

    let once = unique("throttle");
    store
        .reserve_attempt(&once, at, 60, 3)
        .await
        .must("reserve_attempt");
    store
        .release_attempt(&once, at)
        .await
        .must("release_attempt");
    assert_eq!(
        store.failures(&once, at).await.must("failures"),
        Failures {
            count: 0,
            window_ends: at
        },
        "a window released to nothing must be forgotten"
    );
    store
        .release_attempt(&unique("throttle"), at)
        .await
        .must("release_attempt of an unknown key");
}

/// Of many reservations at once, exactly the limit are reserved.
pub async fn throttle_reservations_hold_under_concurrency<S: Store>(store: Arc<S>) {
    const LIMIT: u32 = 5;
    let at = now();
    let key = unique("throttle-race");
    let outcomes = race(|_| {
        let (store, key) = (Arc::clone(&store), key.clone());
        async move {
            store
                .reserve_attempt(&key, at, 60, LIMIT)
                .await
                .must("reserve_attempt")
        }
    })
    .await;
    let reserved = outcomes
        .iter()
        .filter(|o| matches!(o, Attempt::Reserved(_)))
        .count();
    assert_eq!(
        reserved, LIMIT as usize,
        "of {RACERS} concurrent reservations with a limit of {LIMIT}, exactly {LIMIT} must be reserved"
    );
    assert_eq!(
        store.failures(&key, at).await.must("failures").count,
        LIMIT,
        "refused reservations must not be counted"
    );
}

/// Stored revocations are listed while `expires_at() >= now`, and no longer.
pub async fn revocations_are_listed_until_they_expire<S: Store>(store: Arc<S>) {
    let at = now();
    let live = [
        Revocation::Token {
            jti: unique("jti"),
            expires_at: at + 600,
        },
        Revocation::Session {
            sid: unique("sid"),
            until: at + 600,
        },
        Revocation::User {
            sub: unique("sub"),
            issued_up_to: at,
            until: at + 600,
        },
        Revocation::Token {
            jti: unique("jti"),
            expires_at: at,
        },
    ];
    let gone = [
        Revocation::Token {
            jti: unique("jti"),
            expires_at: at - 1,
        },
        Revocation::Session {
            sid: unique("sid"),
            until: at - 30,
        },
    ];
    for revocation in live.iter().chain(&gone) {
        store.revoke(revocation).await.must("revoke");
    }
    let active = store
        .active_revocations(at)
        .await
        .must("active_revocations");
    for revocation in &live {
        assert!(
            active.contains(revocation),
            "a revocation with expires_at() >= now must be listed as stored: {revocation:?}"
        );
    }
    for revocation in &gone {
        assert!(
            !active.contains(revocation),
            "an expired revocation must not be listed: {revocation:?}"
        );
    }
    let later = store
        .active_revocations(at + 601)
        .await
        .must("active_revocations");
    for revocation in &live {
        assert!(
            !later.contains(revocation),
            "a revocation must not be listed after it expires: {revocation:?}"
        );
    }
}
