//! The announcements published on `{prefix}revocations`: revocations in
//! their original shape (`kind`, `subject`, `until`, `cut`), so instances of
//! an earlier version keep decoding them, and API-key events, told apart by
//! an `event` field that revocations lack.

use serde::Deserialize;

use super::RedisStore;
use super::decode;
use super::revocations::Stored;
use crate::store::StoreError;
use crate::store::{ApiKey, SecretHash, StoreEvent};

const EVENT: &str = "store announcement";

/// An API-key event as the scripts publish it: numbers as decimal text,
/// as Lua received them.
#[derive(Deserialize)]
#[serde(tag = "event")]
enum ApiKeyEvent {
    #[serde(rename = "apikey_created")]
    Created {
        id: String,
        user: String,
        name: String,
        hash: String,
        created: String,
    },
    #[serde(rename = "apikey_revoked")]
    Revoked { id: String, hash: String },
}

impl ApiKeyEvent {
    fn store_event(self) -> Option<StoreEvent> {
        match self {
            ApiKeyEvent::Created {
                id,
                user,
                name,
                hash,
                created,
            } => Some(StoreEvent::ApiKeyCreated(ApiKey {
                id,
                user_id: user,
                name,
                hash: SecretHash::from_hex(&hash)?,
                created_at: created.parse().ok()?,
            })),
            ApiKeyEvent::Revoked { id, hash } => Some(StoreEvent::ApiKeyRevoked {
                id,
                hash: SecretHash::from_hex(&hash)?,
            }),
        }
    }
}

impl RedisStore {
    /// Decodes a message published on [`revocation_channel`](Self::revocation_channel):
    /// a revocation (as stored, merged with earlier ones of its subject), a
    /// new API key, or a deleted one.
    ///
    /// A message that is none of these (another program publishing on the
    /// channel) is an [`StoreError::Unavailable`]; subscribers should skip it.
    pub fn decode_event(payload: &[u8]) -> Result<StoreEvent, StoreError> {
        let message: serde_json::Value =
            serde_json::from_slice(payload).map_err(|_| decode::malformed(EVENT))?;
        let event = if message.get("event").is_some() {
            ApiKeyEvent::deserialize(message)
                .ok()
                .and_then(ApiKeyEvent::store_event)
        } else {
            Stored::deserialize(message)
                .ok()
                .and_then(Stored::revocation)
                .map(StoreEvent::Revoked)
        };
        event.ok_or_else(|| decode::malformed(EVENT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Revocation;

    #[test]
    fn each_kind_of_announcement_decodes() {
        let hash = SecretHash::of("test", b"key");
        let created = format!(
            r#"{{"event":"apikey_created","id":"k1","user":"u1","name":"ci \/ deploy","hash":"{}","created":"1700000000"}}"#,
            hash.to_hex()
        );
        assert_eq!(
            RedisStore::decode_event(created.as_bytes()).ok(),
            Some(StoreEvent::ApiKeyCreated(ApiKey {
                id: "k1".into(),
                user_id: "u1".into(),
                name: "ci / deploy".into(),
                hash,
                created_at: 1_700_000_000,
            }))
        );
        let revoked = format!(
            r#"{{"event":"apikey_revoked","id":"k1","hash":"{}"}}"#,
            hash.to_hex()
        );
        assert_eq!(
            RedisStore::decode_event(revoked.as_bytes()).ok(),
            Some(StoreEvent::ApiKeyRevoked {
                id: "k1".into(),
                hash
            })
        );
        let revocation = br#"{"kind":"u","subject":"u1","until":"200","cut":"100"}"#;
        assert_eq!(
            RedisStore::decode_event(revocation).ok(),
            Some(StoreEvent::Revoked(Revocation::User {
                sub: "u1".into(),
                issued_up_to: 100,
                until: 200,
            }))
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for junk in [
            &b""[..],
            b"null",
            b"{}",
            br#"{"event":"apikey_created","id":"k1"}"#,
            br#"{"event":"apikey_revoked","id":"k1","hash":"not hex"}"#,
            br#"{"event":"other","kind":"t","subject":"j","until":"1","cut":""}"#,
            br#"{"kind":"x","subject":"j","until":"1","cut":""}"#,
        ] {
            assert!(
                matches!(
                    RedisStore::decode_event(junk),
                    Err(StoreError::Unavailable(_))
                ),
                "{:?}",
                String::from_utf8_lossy(junk)
            );
        }
    }
}
