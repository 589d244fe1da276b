//! API keys by hash (the request path) and by id (deletion).

use std::collections::HashMap;

use crate::store::StoreError;
use crate::store::{ApiKey, SecretHash};

#[derive(Default)]
pub(super) struct ApiKeys {
    by_hash: HashMap<[u8; 32], ApiKey>,
    hash_by_id: HashMap<String, [u8; 32]>,
    /// Live keys per owner, for the per-user limit.
    per_user: HashMap<String, usize>,
}

impl ApiKeys {
    pub(super) fn create(&mut self, key: &ApiKey, max_per_user: usize) -> Result<(), StoreError> {
        let owned = self.per_user.get(&key.user_id).copied().unwrap_or(0);
        if owned >= max_per_user {
            return Err(StoreError::TooManyApiKeys { max: max_per_user });
        }
        // Ids are random; should one be reused, the older key goes, so the
        // maps never disagree.
        if let Some(old) = self.hash_by_id.remove(&key.id) {
            self.remove_hash(&old);
        }
        self.hash_by_id.insert(key.id.clone(), key.hash.0);
        self.by_hash.insert(key.hash.0, key.clone());
        *self.per_user.entry(key.user_id.clone()).or_default() += 1;
        Ok(())
    }

    fn remove_hash(&mut self, hash: &[u8; 32]) {
        let Some(key) = self.by_hash.remove(hash) else {
            return;
        };
        if let Some(count) = self.per_user.get_mut(&key.user_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_user.remove(&key.user_id);
            }
        }
    }

    /// A hash-map lookup: the key is a SHA-256 of a high-entropy secret, so
    /// timing reveals nothing usable about a stored key.
    pub(super) fn by_hash(&self, hash: &SecretHash) -> Option<ApiKey> {
        self.by_hash.get(&hash.0).cloned()
    }

    /// Deletes key `id` if `user_id` owns it.
    pub(super) fn revoke(&mut self, user_id: &str, id: &str) -> bool {
        let owned = self
            .hash_by_id
            .get(id)
            .and_then(|hash| self.by_hash.get(hash))
            .is_some_and(|key| key.user_id == user_id);
        if !owned {
            return false;
        }
        if let Some(hash) = self.hash_by_id.remove(id) {
            self.remove_hash(&hash);
        }
        true
    }

    pub(super) fn all(&self) -> Vec<ApiKey> {
        self.by_hash.values().cloned().collect()
    }

    pub(super) fn len(&self) -> usize {
        self.by_hash.len()
    }
}
