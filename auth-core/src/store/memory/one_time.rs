//! Single-use marks, and short-lived codes awaiting their one use.

use std::collections::HashMap;

use crate::store::SecretHash;

use super::expiry::ExpiryQueue;

#[derive(Default)]
pub(super) struct OneTime {
    /// key → the mark holds while `now <= expires_at`.
    marks: HashMap<String, i64>,
    expiry: ExpiryQueue<String>,
    /// key → the code issued last and its expiry; usable while `now < expires_at`.
    codes: HashMap<String, (SecretHash, i64)>,
    code_expiry: ExpiryQueue<String>,
}

impl OneTime {
    /// `true` if `key` was not marked at `now`; marks it until `expires_at`.
    pub(super) fn use_once(&mut self, key: &str, expires_at: i64, now: i64) -> bool {
        if self.marks.get(key).is_some_and(|&until| now <= until) {
            return false;
        }
        if now <= expires_at {
            self.marks.insert(key.to_owned(), expires_at);
            self.expiry.schedule(key.to_owned(), expires_at);
        } else {
            // A mark already over needs no record, but a stale one must go.
            self.marks.remove(key);
        }
        true
    }

    /// Whether `key` is marked at `now`.
    pub(super) fn is_used(&self, key: &str, now: i64) -> bool {
        self.marks.get(key).is_some_and(|&until| now <= until)
    }

    /// Keeps `code` under `key` until `expires_at`, replacing an older code.
    pub(super) fn put_code(&mut self, key: &str, code: &SecretHash, expires_at: i64) {
        self.codes.insert(key.to_owned(), (*code, expires_at));
        self.code_expiry.schedule(key.to_owned(), expires_at);
    }

    /// Takes the code of `key` if it is `code` and unexpired at `now`; a
    /// wrong code leaves it in place.
    pub(super) fn consume_code(&mut self, key: &str, code: &SecretHash, now: i64) -> bool {
        let matches = self
            .codes
            .get(key)
            .is_some_and(|(stored, expires_at)| now < *expires_at && stored.ct_eq(code));
        if matches {
            self.codes.remove(key);
        }
        matches
    }

    pub(super) fn sweep(&mut self, now: i64) {
        while let Some(key) = self.expiry.pop_due(now) {
            if self.marks.get(&key).is_some_and(|&until| until < now) {
                self.marks.remove(&key);
            }
        }
        while let Some(key) = self.code_expiry.pop_due(now) {
            if self.codes.get(&key).is_some_and(|(_, until)| *until < now) {
                self.codes.remove(&key);
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.marks.len() + self.codes.len()
    }

    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.expiry.len() + self.code_expiry.len()
    }
}
