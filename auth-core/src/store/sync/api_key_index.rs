//! The local API-key index that shared stores keep fed, so the request path
//! can look a key up without the network.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::store::{ApiKey, ApiKeyView, SecretHash};

/// An in-process copy of the API keys of a shared store, answering
/// [`ApiKeyView`] from memory.
///
/// A sync task ([`StateSync::spawn_sync`](crate::store::StateSync::spawn_sync))
/// fills it at start and after every reconnection
/// ([`replace_all`](Self::replace_all)), then applies each creation and
/// deletion announced by any instance. Cloning shares the index. Reads take a
/// read lock for one hash lookup and never across an `.await`.
#[derive(Clone, Default)]
pub struct ApiKeyIndex {
    inner: Arc<RwLock<Keys>>,
}

#[derive(Default)]
struct Keys {
    by_hash: HashMap<SecretHash, ApiKey>,
    /// Ids are random, but should one be reused for a new hash, the store
    /// replaces the older key: the index must drop its hash too.
    hash_by_id: HashMap<String, SecretHash>,
}

impl ApiKeyIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, Keys> {
        // A poisoned lock only means a writer panicked between two map
        // operations; each map is still usable, and the next reload fixes both.
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Keys> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the whole index with `keys` (a fresh listing of the store).
    pub fn replace_all(&self, keys: impl IntoIterator<Item = ApiKey>) {
        let mut fresh = Keys::default();
        for key in keys {
            fresh.insert(key);
        }
        *self.write() = fresh;
    }

    /// Adds `key`, replacing a key with the same hash or the same id.
    pub fn insert(&self, key: ApiKey) {
        self.write().insert(key);
    }

    /// Removes the key with this hash; returns it if it was there.
    pub fn remove(&self, hash: &SecretHash) -> Option<ApiKey> {
        let mut keys = self.write();
        let removed = keys.by_hash.remove(hash)?;
        if keys.hash_by_id.get(&removed.id) == Some(hash) {
            keys.hash_by_id.remove(&removed.id);
        }
        Some(removed)
    }

    /// Removes the key with this id; returns it if it was there.
    pub fn remove_id(&self, id: &str) -> Option<ApiKey> {
        let mut keys = self.write();
        let hash = keys.hash_by_id.remove(id)?;
        keys.by_hash.remove(&hash)
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.read().by_hash.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Keys {
    fn insert(&mut self, key: ApiKey) {
        if let Some(old_hash) = self.hash_by_id.get(&key.id).copied()
            && old_hash != key.hash
        {
            self.by_hash.remove(&old_hash);
        }
        if let Some(old) = self.by_hash.get(&key.hash)
            && old.id != key.id
        {
            let old_id = old.id.clone();
            self.hash_by_id.remove(&old_id);
        }
        self.hash_by_id.insert(key.id.clone(), key.hash);
        self.by_hash.insert(key.hash, key);
    }
}

impl ApiKeyView for ApiKeyIndex {
    /// A hash-map lookup: the hash is a SHA-256 of a high-entropy secret, so
    /// its timing reveals nothing usable about a stored key.
    fn api_key(&self, hash: &SecretHash) -> Option<ApiKey> {
        self.read().by_hash.get(hash).cloned()
    }
}

impl fmt::Debug for ApiKeyIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyIndex")
            .field("keys", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, secret: &str) -> ApiKey {
        ApiKey {
            id: id.to_owned(),
            user_id: "owner".to_owned(),
            name: "ci".to_owned(),
            hash: SecretHash::of("test", secret.as_bytes()),
            created_at: 1,
        }
    }

    #[test]
    fn inserted_keys_are_found_and_removed_ones_are_not() {
        let index = ApiKeyIndex::new();
        let a = key("a", "secret-a");
        index.insert(a.clone());
        assert_eq!(index.api_key(&a.hash), Some(a.clone()));
        assert_eq!(index.remove(&a.hash), Some(a.clone()));
        assert_eq!(index.api_key(&a.hash), None);
        assert_eq!(index.remove(&a.hash), None);
        assert!(index.is_empty());
    }

    #[test]
    fn a_reused_id_replaces_the_older_key() {
        let index = ApiKeyIndex::new();
        let old = key("a", "old");
        let new = key("a", "new");
        index.insert(old.clone());
        index.insert(new.clone());
        assert_eq!(index.api_key(&old.hash), None);
        assert_eq!(index.api_key(&new.hash), Some(new.clone()));
        assert_eq!(index.len(), 1);
        // Removing the replaced hash leaves the new key in place.
        assert_eq!(index.remove(&old.hash), None);
        assert_eq!(index.api_key(&new.hash), Some(new));
    }

    #[test]
    fn replace_all_forgets_what_the_listing_lacks() {
        let index = ApiKeyIndex::new();
        let (a, b, c) = (key("a", "a"), key("b", "b"), key("c", "c"));
        index.insert(a.clone());
        index.insert(b.clone());
        index.replace_all([b.clone(), c.clone()]);
        assert_eq!(index.api_key(&a.hash), None);
        assert_eq!(index.api_key(&b.hash), Some(b));
        assert_eq!(index.api_key(&c.hash), Some(c));
        assert_eq!(index.len(), 2);
    }
}
