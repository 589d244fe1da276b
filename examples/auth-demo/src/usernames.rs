//! Usernames by user id, remembered in this instance.
//!
//! `GET /api/me` is a bearer route: the contract wants it answering from the
//! instance's local view while the store is unreachable, yet its answer holds
//! the username, which lives in the store. Accounts are permanent records and
//! a username never changes, so a name read once stays right: it is kept
//! here and the store is asked only for ids not seen yet.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

/// How many names are kept. Past it the memory is emptied and refilled on
/// demand: simple, bounded, and a miss only costs one store read.
const CAPACITY: usize = 10_000;

/// The remembered usernames. Cloning shares them.
#[derive(Clone, Default)]
pub(crate) struct Usernames {
    names: Arc<RwLock<HashMap<String, Arc<str>>>>,
}

impl Usernames {
    /// The username of the account `user_id`, if remembered.
    pub(crate) fn get(&self, user_id: &str) -> Option<Arc<str>> {
        self.names
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user_id)
            .cloned()
    }

    /// Remembers that the account `user_id` is named `username`.
    pub(crate) fn remember(&self, user_id: &str, username: &str) {
        let mut names = self.names.write().unwrap_or_else(PoisonError::into_inner);
        if names.len() >= CAPACITY && !names.contains_key(user_id) {
            names.clear();
        }
        names.insert(user_id.to_owned(), Arc::from(username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_remembered_and_memory_stays_bounded() {
        let names = Usernames::default();
        assert_eq!(names.get("u1"), None);
        names.remember("u1", "ada");
        assert_eq!(names.get("u1").as_deref(), Some("ada"));
        for i in 0..CAPACITY + 5 {
            names.remember(&format!("id{i}"), "x");
        }
        let held = names
            .names
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        assert!(held <= CAPACITY, "{held}");
        assert_eq!(
            names.get(&format!("id{}", CAPACITY + 4)).as_deref(),
            Some("x")
        );
    }
}
