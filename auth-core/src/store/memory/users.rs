//! Accounts, by id and by name.

use std::collections::HashMap;

use crate::store::StoreError;
use crate::store::{NewUser, SecretHash, TotpState, User};

/// The accounts. They never expire.
#[derive(Default)]
pub(super) struct Users {
    by_id: HashMap<String, User>,
    /// Exact username → id: the uniqueness index.
    id_by_name: HashMap<String, String>,
}

impl Users {
    /// Creates the account under the (random) `id` chosen by the caller.
    pub(super) fn create(
        &mut self,
        new: NewUser,
        id: String,
        now: i64,
    ) -> Result<User, StoreError> {
        if self.id_by_name.contains_key(&new.username) {
            return Err(StoreError::UsernameTaken);
        }
        let user = User {
            id: id.clone(),
            username: new.username,
            password_hash: new.password_hash,
            roles: new.roles,
            totp: None,
            recovery_codes: Vec::new(),
            created_at: now,
        };
        self.id_by_name.insert(user.username.clone(), id.clone());
        self.by_id.insert(id, user.clone());
        Ok(user)
    }

    pub(super) fn by_name(&self, username: &str) -> Option<User> {
        self.id_by_name
            .get(username)
            .and_then(|id| self.by_id.get(id))
            .cloned()
    }

    pub(super) fn by_id(&self, id: &str) -> Option<User> {
        self.by_id.get(id).cloned()
    }

    pub(super) fn set_password_hash(&mut self, id: &str, phc: &str) -> Result<(), StoreError> {
        self.get_mut(id)?.password_hash = Some(phc.to_owned());
        Ok(())
    }

    pub(super) fn set_totp(&mut self, id: &str, totp: Option<TotpState>) -> Result<(), StoreError> {
        self.get_mut(id)?.totp = totp;
        Ok(())
    }

    pub(super) fn set_recovery_codes(
        &mut self,
        id: &str,
        codes: Vec<SecretHash>,
    ) -> Result<(), StoreError> {
        self.get_mut(id)?.recovery_codes = codes;
        Ok(())
    }

    /// Removes `code` from the user's codes; `false` if the user or the code is unknown.
    pub(super) fn consume_recovery_code(&mut self, id: &str, code: &SecretHash) -> bool {
        let Some(user) = self.by_id.get_mut(id) else {
            return false;
        };
        // Compare against every code, so the time taken does not tell which
        // (or whether one) matched.
        let found = user
            .recovery_codes
            .iter()
            .enumerate()
            .fold(
                None,
                |found, (i, stored)| if stored.ct_eq(code) { Some(i) } else { found },
            );
        match found {
            Some(i) => {
                user.recovery_codes.remove(i);
                true
            }
            None => false,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    fn get_mut(&mut self, id: &str) -> Result<&mut User, StoreError> {
        self.by_id.get_mut(id).ok_or(StoreError::NotFound)
    }
}
