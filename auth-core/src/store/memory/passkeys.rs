//! Passkeys by credential id and by owner, and ceremonies awaiting their one use.

use std::collections::{BTreeMap, HashMap};

use crate::store::{Passkey, PasskeyUse, StoreError};

use super::expiry::ExpiryQueue;

#[derive(Default)]
pub(super) struct Passkeys {
    by_id: HashMap<String, Passkey>,
    /// Owner → (creation, id) of their passkeys: the per-user limit, and the
    /// listing in creation order.
    by_user: HashMap<String, BTreeMap<(i64, String), ()>>,
    /// key → the ceremony's state and its expiry; usable while `now < expires_at`.
    ceremonies: HashMap<String, (String, i64)>,
    ceremony_expiry: ExpiryQueue<String>,
}

impl Passkeys {
    pub(super) fn create(
        &mut self,
        passkey: &Passkey,
        max_per_user: usize,
    ) -> Result<(), StoreError> {
        if self.by_id.contains_key(&passkey.id) {
            return Err(StoreError::PasskeyTaken);
        }
        let owned = self.by_user.entry(passkey.user_id.clone()).or_default();
        if owned.len() >= max_per_user {
            return Err(StoreError::TooManyPasskeys { max: max_per_user });
        }
        owned.insert((passkey.created_at, passkey.id.clone()), ());
        self.by_id.insert(passkey.id.clone(), passkey.clone());
        Ok(())
    }

    pub(super) fn get(&self, id: &str) -> Option<Passkey> {
        self.by_id.get(id).cloned()
    }

    pub(super) fn of_user(&self, user_id: &str) -> Vec<Passkey> {
        self.by_user
            .get(user_id)
            .into_iter()
            .flat_map(BTreeMap::keys)
            .filter_map(|(_, id)| self.by_id.get(id).cloned())
            .collect()
    }

    pub(super) fn record_use(
        &mut self,
        id: &str,
        counter: u32,
        credential: &str,
        now: i64,
    ) -> PasskeyUse {
        let Some(passkey) = self.by_id.get_mut(id) else {
            return PasskeyUse::NotFound;
        };
        if (counter > 0 || passkey.counter > 0) && counter <= passkey.counter {
            return PasskeyUse::CounterRegressed;
        }
        passkey.counter = counter;
        credential.clone_into(&mut passkey.credential);
        passkey.last_used_at = Some(now);
        PasskeyUse::Recorded
    }

    pub(super) fn delete(&mut self, user_id: &str, id: &str) -> bool {
        let Some(passkey) = self.by_id.get(id).filter(|p| p.user_id == user_id) else {
            return false;
        };
        let slot = (passkey.created_at, passkey.id.clone());
        self.by_id.remove(id);
        if let Some(owned) = self.by_user.get_mut(user_id) {
            owned.remove(&slot);
            if owned.is_empty() {
                self.by_user.remove(user_id);
            }
        }
        true
    }

    pub(super) fn put_ceremony(&mut self, key: &str, state: &str, expires_at: i64) {
        self.ceremonies
            .insert(key.to_owned(), (state.to_owned(), expires_at));
        self.ceremony_expiry.schedule(key.to_owned(), expires_at);
    }

    pub(super) fn take_ceremony(&mut self, key: &str, now: i64) -> Option<String> {
        let (state, expires_at) = self.ceremonies.remove(key)?;
        (now < expires_at).then_some(state)
    }

    pub(super) fn sweep(&mut self, now: i64) {
        while let Some(key) = self.ceremony_expiry.pop_due(now) {
            if self
                .ceremonies
                .get(&key)
                .is_some_and(|(_, until)| *until < now)
            {
                self.ceremonies.remove(&key);
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.by_id.len() + self.ceremonies.len()
    }

    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.ceremony_expiry.len()
    }
}
