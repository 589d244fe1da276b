//! The notices on [`PostgresStore::REVOCATION_CHANNEL`]: revocations in their
//! original shape, and API-key events, told apart by an `event` field that
//! revocations lack. Every notice names its schema: the channel is shared by
//! every schema of the database.

use serde::Deserialize;

use super::PostgresStore;
use crate::store::{ApiKey, SecretHash, StoreEvent};

/// An API-key notice, as built by the database in `create_api_key` and
/// `revoke_api_key`.
#[derive(Deserialize)]
#[serde(tag = "event")]
enum ApiKeyNotice {
    #[serde(rename = "apikey_created")]
    Created {
        schema: String,
        id: String,
        user_id: String,
        name: String,
        hash: String,
        created_at: i64,
    },
    #[serde(rename = "apikey_revoked")]
    Revoked {
        schema: String,
        id: String,
        hash: String,
    },
}

impl PostgresStore {
    /// Decodes the payload of a notification received on
    /// [`REVOCATION_CHANNEL`](Self::REVOCATION_CHANNEL): a revocation (as
    /// stored, merged with earlier ones of its subject), a new API key, or a
    /// deleted one.
    ///
    /// A notice from another schema than this store's gives `None`, as does
    /// a payload that is none of these.
    pub fn decode_event(&self, payload: &str) -> Option<StoreEvent> {
        let notice: serde_json::Value = serde_json::from_str(payload).ok()?;
        if notice.get("event").is_none() {
            return self
                .revocation_from_notice(payload)
                .map(StoreEvent::Revoked);
        }
        match ApiKeyNotice::deserialize(notice).ok()? {
            ApiKeyNotice::Created {
                schema,
                id,
                user_id,
                name,
                hash,
                created_at,
            } if schema == *self.schema => Some(StoreEvent::ApiKeyCreated(ApiKey {
                id,
                user_id,
                name,
                hash: SecretHash::from_hex(&hash)?,
                created_at,
            })),
            ApiKeyNotice::Revoked { schema, id, hash } if schema == *self.schema => {
                Some(StoreEvent::ApiKeyRevoked {
                    id,
                    hash: SecretHash::from_hex(&hash)?,
                })
            }
            _ => None,
        }
    }
}
