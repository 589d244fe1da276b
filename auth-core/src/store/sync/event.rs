//! [`StoreEvent`]: one announcement of a shared store to every instance.

use crate::revocation::RevocationList;
use crate::store::{ApiKey, ApiKeyIndex, Revocation, SecretHash};

/// One announcement of a shared store to every instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreEvent {
    /// A revocation, as stored (merged with earlier ones of its subject).
    Revoked(Revocation),
    /// A new API key.
    ApiKeyCreated(ApiKey),
    /// An API key was deleted.
    ApiKeyRevoked {
        /// Its public id.
        id: String,
        /// Its hash, the key of the local index.
        hash: SecretHash,
    },
}

impl StoreEvent {
    /// Applies the announcement to an instance's local views.
    pub fn apply(self, revocations: &RevocationList, api_keys: &ApiKeyIndex) {
        match self {
            StoreEvent::Revoked(revocation) => revocations.apply(&revocation),
            StoreEvent::ApiKeyCreated(key) => api_keys.insert(key),
            StoreEvent::ApiKeyRevoked { hash, .. } => {
                api_keys.remove(&hash);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_apply_to_the_local_views() {
        let revocations = RevocationList::new();
        let api_keys = ApiKeyIndex::new();
        let key = ApiKey {
            id: "k".into(),
            user_id: "u".into(),
            name: "n".into(),
            hash: SecretHash::of("test", b"secret"),
            created_at: 1,
        };
        StoreEvent::ApiKeyCreated(key.clone()).apply(&revocations, &api_keys);
        assert_eq!(
            crate::store::ApiKeyView::api_key(&api_keys, &key.hash),
            Some(key.clone())
        );
        StoreEvent::ApiKeyRevoked {
            id: key.id.clone(),
            hash: key.hash,
        }
        .apply(&revocations, &api_keys);
        assert!(api_keys.is_empty());
        StoreEvent::Revoked(Revocation::Session {
            sid: "s".into(),
            until: crate::time::now() + 60,
        })
        .apply(&revocations, &api_keys);
        assert_eq!(revocations.len(), 1);
    }
}
