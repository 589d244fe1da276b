//! Passkeys: creation (one id once, a limit per user), listing, the counter
//! rule, deletion by their owner only; ceremonies taken once.

use std::sync::Arc;

use super::{Must, RACERS, StoreFactory, now, race, unique};
use crate::store::{Passkey, PasskeyStore as _, PasskeyUse, Store, StoreError};

/// The per-user limit of the checks that do not test it.
const LIMIT: usize = 20;

fn new_passkey(user_id: &str, created_at: i64) -> Passkey {
    Passkey {
        id: unique("credential"),
        user_id: user_id.to_owned(),
        name: "Laptop".to_owned(),
        created_at,
        last_used_at: None,
        counter: 0,
        credential: format!("{{\"cred\":\"{}\"}}", unique("public-key")),
    }
}

/// A stored passkey is found by id and listed for its owner, oldest first;
/// another user's passkey with the same id is refused; only the owner
/// deletes it, and a deleted passkey is found no more.
pub async fn passkeys_create_list_delete<S: Store>(store: Arc<S>) {
    let owner = unique("owner");
    let at = now();
    let first = new_passkey(&owner, at - 10);
    let second = new_passkey(&owner, at);
    store
        .create_passkey(&second, LIMIT)
        .await
        .must("create_passkey");
    store
        .create_passkey(&first, LIMIT)
        .await
        .must("create_passkey");
    assert_eq!(
        store.passkey(&first.id).await.must("passkey"),
        Some(first.clone()),
        "a stored passkey must be found by its id as stored"
    );
    assert_eq!(
        store.user_passkeys(&owner).await.must("user_passkeys"),
        vec![first.clone(), second.clone()],
        "a user's passkeys must be listed oldest first"
    );
    assert!(
        store
            .user_passkeys(&unique("nobody"))
            .await
            .must("user_passkeys")
            .is_empty(),
        "a user without passkeys must list none"
    );

    let mut stolen = new_passkey(&unique("intruder"), at);
    stolen.id.clone_from(&first.id);
    assert!(
        matches!(
            store.create_passkey(&stolen, LIMIT).await,
            Err(StoreError::PasskeyTaken)
        ),
        "a credential id registered once must not be registered again, by anyone"
    );
    assert_eq!(
        store.passkey(&first.id).await.must("passkey"),
        Some(first.clone()),
        "a refused registration must leave the first passkey as it was"
    );

    assert!(
        !store
            .delete_passkey(&stolen.user_id, &first.id)
            .await
            .must("delete_passkey"),
        "another user must not delete a passkey"
    );
    assert!(
        store.passkey(&first.id).await.must("passkey").is_some(),
        "a refused deletion must leave the passkey"
    );
    assert!(
        store
            .delete_passkey(&owner, &first.id)
            .await
            .must("delete_passkey"),
        "the owner must delete their passkey"
    );
    assert!(
        store.passkey(&first.id).await.must("passkey").is_none(),
        "a deleted passkey must be found no more"
    );
    assert!(
        !store
            .delete_passkey(&owner, &first.id)
            .await
            .must("delete_passkey"),
        "deleting a passkey twice must return false"
    );
    assert_eq!(
        store.user_passkeys(&owner).await.must("user_passkeys"),
        vec![second],
        "a deleted passkey must leave the listing"
    );
    assert_eq!(
        store
            .record_passkey_use(&first.id, 1, "{}", at)
            .await
            .must("record_passkey_use"),
        PasskeyUse::NotFound,
        "a deleted passkey must not sign in"
    );
}

/// A counter must increase once either side is non-zero; a regression
/// changes nothing; both zero (a synced passkey) always passes.
pub async fn passkey_counters_only_move_forward<S: Store>(store: Arc<S>) {
    let owner = unique("owner");
    let at = now();
    let counted = new_passkey(&owner, at);
    store
        .create_passkey(&counted, LIMIT)
        .await
        .must("create_passkey");
    let record = |counter: u32, credential: &'static str, when: i64| {
        let store = Arc::clone(&store);
        let id = counted.id.clone();
        async move {
            store
                .record_passkey_use(&id, counter, credential, when)
                .await
                .must("record_passkey_use")
        }
    };
    assert_eq!(record(0, "{\"v\":1}", at + 1).await, PasskeyUse::Recorded);
    assert_eq!(record(0, "{\"v\":2}", at + 2).await, PasskeyUse::Recorded);
    let stored = store
        .passkey(&counted.id)
        .await
        .must("passkey")
        .must_exist();
    assert_eq!(
        stored.last_used_at,
        Some(at + 2),
        "a use must record its moment"
    );
    assert_eq!(
        stored.credential, "{\"v\":2}",
        "a use must store the credential"
    );

    assert_eq!(record(5, "{\"v\":3}", at + 3).await, PasskeyUse::Recorded);
    for stale in [5, 4, 0] {
        assert_eq!(
            record(stale, "{\"v\":\"clone\"}", at + 4).await,
            PasskeyUse::CounterRegressed,
            "counter {stale} after 5 must be refused"
        );
    }
    let stored = store
        .passkey(&counted.id)
        .await
        .must("passkey")
        .must_exist();
    assert_eq!(
        (
            stored.counter,
            stored.credential.as_str(),
            stored.last_used_at
        ),
        (5, "{\"v\":3}", Some(at + 3)),
        "a refused use must change nothing"
    );
    assert_eq!(record(6, "{\"v\":4}", at + 5).await, PasskeyUse::Recorded);
}

/// Of concurrent uses reporting the same counter, one is recorded.
pub async fn passkey_counter_races_record_once<S: Store>(store: Arc<S>) {
    let owner = unique("owner");
    let passkey = new_passkey(&owner, now());
    store
        .create_passkey(&passkey, LIMIT)
        .await
        .must("create_passkey");
    let outcomes = race(|_| {
        let store = Arc::clone(&store);
        let id = passkey.id.clone();
        async move {
            store
                .record_passkey_use(&id, 7, "{}", now())
                .await
                .must("record_passkey_use")
        }
    })
    .await;
    let recorded = outcomes
        .iter()
        .filter(|o| **o == PasskeyUse::Recorded)
        .count();
    assert_eq!(
        recorded, 1,
        "one of {RACERS} uses with one counter may be recorded"
    );
}

/// Of concurrent registrations for one user, no more than the limit succeed.
pub async fn passkeys_are_limited_per_user<S: Store>(store: Arc<S>) {
    const SMALL: usize = 3;
    let owner = unique("owner");
    let at = now();
    let outcomes = race(|i| {
        let store = Arc::clone(&store);
        let passkey = new_passkey(&owner, at + i64::try_from(i).unwrap_or(0));
        async move { store.create_passkey(&passkey, SMALL).await }
    })
    .await;
    let stored = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(
        stored, SMALL,
        "exactly the limit of {RACERS} racing registrations must be stored"
    );
    assert!(
        outcomes
            .iter()
            .filter_map(|o| o.as_ref().err())
            .all(|e| matches!(e, StoreError::TooManyPasskeys { max: SMALL })),
        "the others must be refused for the limit"
    );
    assert_eq!(
        store
            .user_passkeys(&owner)
            .await
            .must("user_passkeys")
            .len(),
        SMALL
    );
}

/// A ceremony is taken once, not after it expires, and a new one under the
/// same key replaces the old; of concurrent takers, one gets it.
pub async fn ceremonies_are_taken_once<S: Store>(store: Arc<S>) {
    let at = now();
    let key = unique("ceremony");
    store
        .put_ceremony(&key, "first", at + 300)
        .await
        .must("put_ceremony");
    store
        .put_ceremony(&key, "second", at + 300)
        .await
        .must("put_ceremony");
    assert_eq!(
        store
            .take_ceremony(&key, at)
            .await
            .must("take_ceremony")
            .as_deref(),
        Some("second"),
        "the latest state under a key must be the one taken"
    );
    assert_eq!(
        store.take_ceremony(&key, at).await.must("take_ceremony"),
        None,
        "a ceremony must be taken once"
    );

    let expired = unique("ceremony");
    store
        .put_ceremony(&expired, "state", at + 300)
        .await
        .must("put_ceremony");
    assert_eq!(
        store
            .take_ceremony(&expired, at + 300)
            .await
            .must("take_ceremony"),
        None,
        "a ceremony must not be taken at or after its expiry"
    );

    let raced = unique("ceremony");
    store
        .put_ceremony(&raced, "state", at + 300)
        .await
        .must("put_ceremony");
    let taken = race(|_| {
        let store = Arc::clone(&store);
        let key = raced.clone();
        async move { store.take_ceremony(&key, now()).await.must("take_ceremony") }
    })
    .await;
    assert_eq!(
        taken.iter().filter(|t| t.is_some()).count(),
        1,
        "of {RACERS} concurrent takers, one must get the ceremony"
    );
}

trait MustExist {
    fn must_exist(self) -> Passkey;
}

impl MustExist for Option<Passkey> {
    #[track_caller]
    fn must_exist(self) -> Passkey {
        match self {
            Some(passkey) => passkey,
            None => panic!("store conformance: a stored passkey is missing"),
        }
    }
}

/// Two instances over one backend: a passkey registered through one is
/// found and used through the other, a ceremony put through one is taken
/// through the other, and a deletion through one is seen by the other at once.
pub async fn passkeys_are_shared_across_instances<F: StoreFactory>(factory: &F) {
    let first = factory.create().await;
    let second = factory.second_instance(&first).await;
    let owner = unique("owner");
    let at = now();
    let passkey = new_passkey(&owner, at);
    first
        .create_passkey(&passkey, LIMIT)
        .await
        .must("create_passkey");
    assert_eq!(
        second.passkey(&passkey.id).await.must("passkey"),
        Some(passkey.clone()),
        "a passkey registered on one instance must be found on the other"
    );
    assert_eq!(
        second
            .record_passkey_use(&passkey.id, 3, "{}", at)
            .await
            .must("record_passkey_use"),
        PasskeyUse::Recorded
    );
    assert_eq!(
        first
            .record_passkey_use(&passkey.id, 3, "{}", at)
            .await
            .must("record_passkey_use"),
        PasskeyUse::CounterRegressed,
        "a counter recorded on one instance must hold on the other"
    );

    let key = unique("ceremony");
    first
        .put_ceremony(&key, "state", at + 300)
        .await
        .must("put_ceremony");
    assert_eq!(
        second
            .take_ceremony(&key, at)
            .await
            .must("take_ceremony")
            .as_deref(),
        Some("state"),
        "a ceremony started on one instance must finish on the other"
    );
    assert_eq!(
        first.take_ceremony(&key, at).await.must("take_ceremony"),
        None,
        "a ceremony finished on one instance must be spent on the other"
    );

    assert!(
        first
            .delete_passkey(&owner, &passkey.id)
            .await
            .must("delete_passkey")
    );
    assert_eq!(
        second
            .record_passkey_use(&passkey.id, 4, "{}", at)
            .await
            .must("record_passkey_use"),
        PasskeyUse::NotFound,
        "a passkey deleted on one instance must not sign in on the other"
    );
}
