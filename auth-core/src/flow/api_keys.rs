//! API keys: created with a name, shown once, stored hashed, revocable at once.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::FlowError;
use super::events::security_event;
use super::{Authenticator, ClientInfo};
use crate::store::{ApiKey, SecretHash};

/// Every key starts with this, so it is recognisable in a leak scan.
pub const API_KEY_PREFIX: &str = "ak_";
const API_KEY_DOMAIN: &str = "api-key";

/// The hash an API key is stored and looked up by; `None` for input that
/// cannot be a key of ours.
pub fn api_key_hash(key: &str) -> Option<SecretHash> {
    let body = key.strip_prefix(API_KEY_PREFIX)?;
    let plausible = body.len() == 43
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| SecretHash::of(API_KEY_DOMAIN, key.as_bytes()))
}

/// A new API key as shown to its owner, once.
#[derive(Clone)]
#[non_exhaustive]
pub struct NewApiKey {
    /// The key's public id (to delete it).
    pub id: String,
    /// The key itself; not stored, not shown again.
    pub key: String,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Creates an API key named `name` for `user_id`.
    ///
    /// A user holds at most
    /// [`FlowConfig::max_api_keys_per_user`](super::FlowConfig::max_api_keys_per_user)
    /// live keys ([`FlowError::TooManyApiKeys`] past them, decided in the store).
    /// Keys are not tied to a session: they outlive logout and logout-all and
    /// are deleted one by one, which is why the routes ask for a recent
    /// authentication to create one.
    pub async fn create_api_key(
        &self,
        user_id: &str,
        name: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<NewApiKey, FlowError> {
        let client = client.into();
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        crate::random::fill(secret.as_mut_slice())?;
        let key = format!(
            "{API_KEY_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(secret.as_slice())
        );
        // Always one of ours: the prefix and 43 base64url characters.
        let hash = api_key_hash(&key).ok_or(FlowError::Key(crate::keys::KeyError::InvalidKey(
            "not an API key",
        )))?;
        let record = ApiKey {
            id: crate::random::token_id()?,
            user_id: user_id.to_owned(),
            name: name.chars().take(100).collect(),
            hash,
            created_at: crate::time::now(),
        };
        self.inner
            .store
            .create_api_key(&record, self.inner.config.max_api_keys_per_user)
            .await?;
        let id = record.id.clone();
        if let Some(index) = &self.inner.api_key_index {
            index.insert(record);
        }
        security_event!(info, "api_key.created", client, user = %user_id, key_id = %id);
        Ok(NewApiKey { id, key })
    }

    /// Deletes key `id` of `user_id`; [`FlowError::NotFound`] if the user has no such key.
    pub async fn revoke_api_key(
        &self,
        user_id: &str,
        id: &str,
        client: impl Into<ClientInfo>,
    ) -> Result<(), FlowError> {
        let client = client.into();
        if self.inner.store.revoke_api_key(user_id, id).await? {
            if let Some(index) = &self.inner.api_key_index {
                index.remove_id(id);
            }
            security_event!(info, "api_key.deleted", client, user = %user_id, key_id = %id);
            Ok(())
        } else {
            Err(FlowError::NotFound)
        }
    }
}
