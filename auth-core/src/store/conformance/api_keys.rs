//! API keys: creation, lookup by hash, deletion by their owner only.

use std::sync::Arc;

use super::{Must, RACERS, now, race, random_hash, unique};
use crate::store::StoreError;
use crate::store::{ApiKey, ApiKeyView, Store};

/// The per-user limit of the checks that do not test it.
const LIMIT: usize = 100;

fn new_key(user_id: &str) -> ApiKey {
    ApiKey {
        id: unique("key-id"),
        user_id: user_id.to_owned(),
        name: "ci deploy".to_owned(),
        hash: random_hash(),
        created_at: now(),
    }
}

/// A stored key is found by its hash and deleted only by its owner.
pub async fn api_keys_create_look_up_revoke<S: Store>(store: Arc<S>) {
    let owner = unique("owner");
    let key = new_key(&owner);
    let other = new_key(&owner);
    store
        .create_api_key(&key, LIMIT)
        .await
        .must("create_api_key");
    store
        .create_api_key(&other, LIMIT)
        .await
        .must("create_api_key");
    let found = store
        .api_key_by_hash(&key.hash)
        .await
        .must("api_key_by_hash");
    assert_eq!(
        found.as_ref(),
        Some(&key),
        "a stored key must be found by its hash as stored"
    );
    assert!(
        store
            .api_key_by_hash(&random_hash())
            .await
            .must("api_key_by_hash")
            .is_none(),
        "an unknown hash must find no key"
    );

    assert!(
        !store
            .revoke_api_key(&unique("intruder"), &key.id)
            .await
            .must("revoke_api_key"),
        "another user must not delete a key"
    );
    assert!(
        store
            .api_key_by_hash(&key.hash)
            .await
            .must("api_key_by_hash")
            .is_some(),
        "a refused deletion must leave the key"
    );
    assert!(
        !store
            .revoke_api_key(&owner, &unique("key-id"))
            .await
            .must("revoke_api_key"),
        "deleting an unknown key must return false"
    );
    assert!(
        store
            .revoke_api_key(&owner, &key.id)
            .await
            .must("revoke_api_key"),
        "the owner must delete the key"
    );
    assert!(
        store
            .api_key_by_hash(&key.hash)
            .await
            .must("api_key_by_hash")
            .is_none(),
        "a deleted key must not be found"
    );
    assert!(
        !store
            .revoke_api_key(&owner, &key.id)
            .await
            .must("revoke_api_key"),
        "deleting a deleted key must return false"
    );
    assert_eq!(
        store
            .api_key_by_hash(&other.hash)
            .await
            .must("api_key_by_hash"),
        Some(other),
        "deleting one key must leave the owner's others"
    );
}

/// The synchronous view sees a created key and misses a deleted one at once.
pub async fn api_key_view_follows_the_store<S: Store + ApiKeyView>(store: Arc<S>) {
    let owner = unique("owner");
    let key = new_key(&owner);
    assert!(
        store.api_key(&key.hash).is_none(),
        "the view must not know a key before it is created"
    );
    store
        .create_api_key(&key, LIMIT)
        .await
        .must("create_api_key");
    assert_eq!(
        store.api_key(&key.hash),
        Some(key.clone()),
        "the view must find a created key"
    );
    assert!(
        store
            .revoke_api_key(&owner, &key.id)
            .await
            .must("revoke_api_key")
    );
    assert!(
        store.api_key(&key.hash).is_none(),
        "the view must miss a deleted key at once"
    );
}

/// Every stored key is listed, as stored, until it is deleted.
pub async fn api_keys_are_listed<S: Store>(store: Arc<S>) {
    let owner = unique("owner");
    let kept = new_key(&owner);
    let deleted = new_key(&owner);
    let someone_elses = new_key(&unique("owner"));
    for key in [&kept, &deleted, &someone_elses] {
        store
            .create_api_key(key, LIMIT)
            .await
            .must("create_api_key");
    }
    assert!(
        store
            .revoke_api_key(&owner, &deleted.id)
            .await
            .must("revoke_api_key")
    );
    // A shared backend may hold other checks' keys: look only for these.
    let listed = store.all_api_keys().await.must("all_api_keys");
    let find = |wanted: &ApiKey| listed.iter().filter(|key| key.id == wanted.id).count();
    assert_eq!(
        listed.iter().find(|key| key.id == kept.id),
        Some(&kept),
        "a stored key must be listed as stored"
    );
    assert_eq!(find(&kept), 1, "a key must be listed once");
    assert_eq!(
        listed.iter().find(|key| key.id == someone_elses.id),
        Some(&someone_elses),
        "every user's keys must be listed"
    );
    assert_eq!(find(&deleted), 0, "a deleted key must not be listed");
}

/// A user holds at most the limit of live keys, under concurrent creations
/// too; a deleted key frees its place; other users are not counted.
pub async fn api_keys_are_limited_per_user<S: Store>(store: Arc<S>) {
    const SMALL: usize = 3;
    let owner = unique("owner");
    let mut made = Vec::new();
    for _ in 0..SMALL {
        let key = new_key(&owner);
        store
            .create_api_key(&key, SMALL)
            .await
            .must("create_api_key");
        made.push(key);
    }
    let refused = new_key(&owner);
    assert!(
        matches!(
            store.create_api_key(&refused, SMALL).await,
            Err(StoreError::TooManyApiKeys { max: SMALL })
        ),
        "a key past the limit must be refused with TooManyApiKeys"
    );
    assert!(
        store
            .api_key_by_hash(&refused.hash)
            .await
            .must("api_key_by_hash")
            .is_none(),
        "a refused key must not be stored"
    );
    store
        .create_api_key(&new_key(&unique("owner")), SMALL)
        .await
        .must("another user's key is not counted");
    let Some(first) = made.first() else {
        panic!("store conformance: keys were made");
    };
    assert!(
        store
            .revoke_api_key(&owner, &first.id)
            .await
            .must("revoke_api_key")
    );
    store
        .create_api_key(&new_key(&owner), SMALL)
        .await
        .must("a deleted key must free its place");

    let racer = unique("owner");
    let outcomes = race(|_| {
        let (store, key) = (Arc::clone(&store), new_key(&racer));
        async move { store.create_api_key(&key, SMALL).await }
    })
    .await;
    let created = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(
        created, SMALL,
        "of {RACERS} concurrent creations for one user, exactly the limit must succeed"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(()) | Err(StoreError::TooManyApiKeys { .. }))),
        "the others must be refused with TooManyApiKeys"
    );
}
