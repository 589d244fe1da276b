//! Revoked tokens, sessions and users: the local view the verifier consults.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use crate::store::Revocation;

/// What a revocation check needs to know about a token.
#[derive(Debug, Clone, Copy)]
pub struct RevocationQuery<'a> {
    /// The token's `jti`.
    pub jti: &'a str,
    /// The token's session (`sid`), if any.
    pub sid: Option<&'a str>,
    /// The token's subject.
    pub sub: &'a str,
    /// When the token was issued (`iat`).
    pub iat: i64,
}

/// A local, in-process answer to "has this token been revoked?".
///
/// Called on every verified request, so an implementation must answer from
/// memory in O(1), without I/O and without waiting: shared stores feed such a
/// view in the background instead of being asked per request.
pub trait RevocationView: Send + Sync + 'static {
    /// Whether the token described by `query` is revoked.
    fn is_revoked(&self, query: &RevocationQuery<'_>) -> bool;
}

/// The in-memory revocation view: revoked `jti`s (each kept only until the
/// token would have expired anyway), revoked sessions, and per-user cut-offs
/// ("everything issued up to now").
///
/// Cloning shares the list. Reads take a read lock for a few hash lookups and
/// never across an `.await`.
///
/// ```
/// use auth_core::{RevocationList, RevocationQuery, RevocationView};
///
/// let list = RevocationList::new();
/// list.revoke_jti("token-1", 2_000_000_000);
/// let q = RevocationQuery { jti: "token-1", sid: None, sub: "u1", iat: 1_700_000_000 };
/// assert!(list.is_revoked(&q));
/// ```
#[derive(Clone, Default)]
pub struct RevocationList {
    inner: Arc<RwLock<Revoked>>,
}

#[derive(Default)]
struct Revoked {
    /// `jti` → the token's `exp`: after that the entry is useless and is purged.
    jtis: HashMap<String, i64>,
    /// `sid` → until when the revocation must be remembered.
    sessions: HashMap<String, i64>,
    /// `sub` → the user's cut-off.
    users: HashMap<String, UserCutoff>,
    /// The earliest expiry among the entries; nothing to purge before it.
    next_purge: i64,
}

/// "Everything of this user issued up to a moment is revoked."
#[derive(Clone, Copy)]
struct UserCutoff {
    /// Tokens with `iat` at or before this second are revoked.
    issued_up_to: i64,
    /// After this no token issued before the cut-off can be alive, so the
    /// entry is forgotten.
    until: i64,
}

impl Revoked {
    fn purge(&mut self, now: i64) {
        if now < self.next_purge {
            return;
        }
        self.jtis.retain(|_, exp| *exp >= now);
        self.sessions.retain(|_, until| *until >= now);
        self.users.retain(|_, cut| cut.until >= now);
        self.next_purge = self
            .jtis
            .values()
            .chain(self.sessions.values())
            .copied()
            .chain(self.users.values().map(|cut| cut.until))
            .min()
            .unwrap_or(i64::MAX)
            .saturating_add(1);
    }

    fn note_expiry(&mut self, at: i64) {
        self.next_purge = self.next_purge.min(at.saturating_add(1));
    }
}

impl RevocationList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Revoked> {
        // A poisoned lock only means a writer panicked between two map
        // operations; the maps themselves are still consistent.
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Revokes the token `jti` until `exp` (its own expiry), then forgets it.
    pub fn revoke_jti(&self, jti: &str, exp: i64) {
        let mut r = self.write();
        r.purge(crate::time::now());
        r.jtis.insert(jti.to_owned(), exp);
        r.note_expiry(exp);
    }

    /// Revokes every token of session `sid`, remembered until `until`
    /// (the longest lifetime a token of the session can have).
    pub fn revoke_session(&self, sid: &str, until: i64) {
        let mut r = self.write();
        r.purge(crate::time::now());
        r.sessions.insert(sid.to_owned(), until);
        r.note_expiry(until);
    }

    /// Revokes every token of `sub` issued at or before `issued_up_to`,
    /// remembered until `until` (when every such token has expired anyway).
    ///
    /// A second cut-off for the same user keeps the later of each moment.
    pub fn revoke_user_before(&self, sub: &str, issued_up_to: i64, until: i64) {
        let mut r = self.write();
        r.purge(crate::time::now());
        let cut = r.users.entry(sub.to_owned()).or_insert(UserCutoff {
            issued_up_to,
            until,
        });
        cut.issued_up_to = cut.issued_up_to.max(issued_up_to);
        cut.until = cut.until.max(until);
        r.note_expiry(until);
    }

    /// Feeds one stored (or propagated) revocation into this local view.
    pub fn apply(&self, revocation: &Revocation) {
        match revocation {
            Revocation::Token { jti, expires_at } => self.revoke_jti(jti, *expires_at),
            Revocation::Session { sid, until } => self.revoke_session(sid, *until),
            Revocation::User {
                sub,
                issued_up_to,
                until,
            } => self.revoke_user_before(sub, *issued_up_to, *until),
        }
    }

    /// Drops entries whose tokens have expired.
    pub fn purge_expired(&self) {
        self.write().purge(crate::time::now());
    }

    /// How many entries are held (for metrics and tests).
    pub fn len(&self) -> usize {
        let r = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        r.jtis.len() + r.sessions.len() + r.users.len()
    }

    /// Whether nothing is revoked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl RevocationView for RevocationList {
    #[inline]
    fn is_revoked(&self, q: &RevocationQuery<'_>) -> bool {
        let r = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        r.jtis.contains_key(q.jti)
            || q.sid.is_some_and(|sid| r.sessions.contains_key(sid))
            || r.users
                .get(q.sub)
                .is_some_and(|cut| q.iat <= cut.issued_up_to)
    }
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationList")
            .field("entries", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q<'a>(jti: &'a str, sid: Option<&'a str>, sub: &'a str, iat: i64) -> RevocationQuery<'a> {
        RevocationQuery { jti, sid, sub, iat }
    }

    #[test]
    fn each_kind_of_revocation_is_seen() {
        let list = RevocationList::new();
        let far = crate::time::now() + 3600;
        assert!(!list.is_revoked(&q("a", Some("s"), "u", 10)));
        list.revoke_jti("a", far);
        assert!(list.is_revoked(&q("a", None, "u", 10)));
        list.revoke_session("s", far);
        assert!(list.is_revoked(&q("b", Some("s"), "u", 10)));
        assert!(!list.is_revoked(&q("b", Some("t"), "u", 10)));
        list.revoke_user_before("u", 100, far);
        assert!(list.is_revoked(&q("c", None, "u", 100)));
        assert!(!list.is_revoked(&q("c", None, "u", 101)));
        assert!(!list.is_revoked(&q("c", None, "v", 50)));
    }

    #[test]
    fn expired_entries_are_forgotten() {
        let list = RevocationList::new();
        let past = crate::time::now() - 10;
        list.revoke_jti("old", past);
        list.revoke_session("old-session", past);
        list.revoke_user_before("old-user", past - 60, past);
        list.purge_expired();
        assert!(list.is_empty());
        // A later write purges too: the list does not grow without bound.
        for i in 0..100 {
            list.revoke_jti(&format!("t{i}"), past);
        }
        list.revoke_jti("fresh", crate::time::now() + 60);
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn stored_revocations_apply_to_the_view() {
        let list = RevocationList::new();
        let far = crate::time::now() + 3600;
        list.apply(&Revocation::Token {
            jti: "j".into(),
            expires_at: far,
        });
        list.apply(&Revocation::Session {
            sid: "s".into(),
            until: far,
        });
        list.apply(&Revocation::User {
            sub: "u".into(),
            issued_up_to: 100,
            until: far,
        });
        assert!(list.is_revoked(&q("j", None, "x", 10)));
        assert!(list.is_revoked(&q("k", Some("s"), "x", 10)));
        assert!(list.is_revoked(&q("k", None, "u", 100)));
        assert!(!list.is_revoked(&q("k", None, "u", 101)));
        // An earlier cut-off arriving late does not undo the later one.
        list.apply(&Revocation::User {
            sub: "u".into(),
            issued_up_to: 50,
            until: far,
        });
        assert!(list.is_revoked(&q("k", None, "u", 80)));
        assert_eq!(list.len(), 3);
    }
}
