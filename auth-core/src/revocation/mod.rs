//! Revoked tokens, sessions and users: the local view the verifier consults.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

mod record;

pub use record::Revocation;

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

    /// Whether the view was known to hold every revocation in force at some
    /// moment within the last `max_age`. A view fed by a shared store stops
    /// being so while the store cannot be reached; a
    /// [`Verifier`](crate::Verifier) with a
    /// [maximum staleness](crate::Verifier::max_revocation_staleness) then
    /// refuses tokens. Views fed only within the process are always complete,
    /// the default.
    fn is_complete_within(&self, max_age: Duration) -> bool {
        let _ = max_age;
        true
    }
}

/// The in-memory revocation view: revoked `jti`s (each kept only until the
/// token would have expired anyway), revoked sessions, and per-user cut-offs
/// ("everything issued up to now").
///
/// Cloning shares the list. Reads take a read lock for a few hash lookups and
/// never across an `.await`.
///
/// A new list is complete by definition (everything revoked goes through it).
/// Once a sync task feeds it from a shared store ([`track_sync`](Self::track_sync)),
/// it is complete only as of the last [`mark_synced`](Self::mark_synced): one
/// atomic timestamp, read by [`is_complete_within`](RevocationView::is_complete_within).
///
/// ```
/// use auth_core::{RevocationList, RevocationQuery, RevocationView};
///
/// let list = RevocationList::new();
/// list.revoke_jti("token-1", 2_000_000_000);
/// let q = RevocationQuery { jti: "token-1", sid: None, sub: "u1", iat: 1_700_000_000 };
/// assert!(list.is_revoked(&q));
/// ```
#[derive(Clone)]
pub struct RevocationList {
    inner: Arc<RwLock<Revoked>>,
    /// When the list was last known complete, in milliseconds since
    /// [`anchor`]; [`ALWAYS_COMPLETE`] or [`NEVER_SYNCED`] otherwise.
    synced: Arc<AtomicI64>,
}

impl Default for RevocationList {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            synced: Arc::new(AtomicI64::new(ALWAYS_COMPLETE)),
        }
    }
}

/// No sync feeds the list: it holds everything by construction.
const ALWAYS_COMPLETE: i64 = i64::MAX;
/// A sync feeds the list and has not completed a load yet.
const NEVER_SYNCED: i64 = i64::MIN;

/// The origin of the sync timestamps: a monotonic clock, so that a step of
/// the wall clock neither ages nor refreshes the view.
fn anchor() -> Instant {
    static ANCHOR: OnceLock<Instant> = OnceLock::new();
    *ANCHOR.get_or_init(Instant::now)
}

/// `at` in milliseconds since [`anchor`] (0 for moments before it).
fn millis_since_anchor(at: Instant) -> i64 {
    let elapsed = at.saturating_duration_since(anchor());
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX - 1)
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

    /// From now on the list is fed by a sync task from a shared store: it
    /// counts as complete only as of the last [`mark_synced`](Self::mark_synced),
    /// and not at all until the first.
    pub fn track_sync(&self) {
        self.synced.store(NEVER_SYNCED, Ordering::Release);
    }

    /// Records that the list held every revocation in force at `at` (a load
    /// finished, a message arrived, or a probe of the subscription came back
    /// after being sent at `at`). Never moves the moment backwards.
    pub fn mark_synced(&self, at: Instant) {
        let at = millis_since_anchor(at);
        // `fetch_max` leaves ALWAYS_COMPLETE as it is: a list nobody asked to
        // track stays complete.
        self.synced.fetch_max(at, Ordering::AcqRel);
    }

    /// The last moment the list was known complete: `None` while a sync has
    /// not completed its first load, the present moment for a list no sync
    /// feeds (it is always complete).
    pub fn last_synced(&self) -> Option<Instant> {
        match self.synced.load(Ordering::Acquire) {
            NEVER_SYNCED => None,
            ALWAYS_COMPLETE => Some(Instant::now()),
            at => anchor().checked_add(Duration::from_millis(at.unsigned_abs())),
        }
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

    #[inline]
    fn is_complete_within(&self, max_age: Duration) -> bool {
        match self.synced.load(Ordering::Acquire) {
            ALWAYS_COMPLETE => true,
            NEVER_SYNCED => false,
            at => {
                let age = millis_since_anchor(Instant::now()).saturating_sub(at);
                u128::from(age.unsigned_abs()) <= max_age.as_millis()
            }
        }
    }
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationList")
            .field("entries", &self.len())
            .field("last_synced", &self.last_synced())
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

    #[test]
    fn a_list_no_sync_feeds_is_always_complete() {
        let list = RevocationList::new();
        assert!(list.is_complete_within(Duration::ZERO));
        assert!(list.last_synced().is_some());
        // A stray mark does not turn it into a tracked list.
        list.mark_synced(Instant::now());
        assert!(list.is_complete_within(Duration::ZERO));
    }

    #[test]
    fn a_synced_list_is_complete_only_as_of_its_last_mark() {
        let list = RevocationList::new();
        list.track_sync();
        assert!(!list.is_complete_within(Duration::from_secs(3600)));
        assert_eq!(list.last_synced(), None);
        let long_ago = Instant::now();
        list.mark_synced(long_ago);
        assert!(list.is_complete_within(Duration::from_secs(3600)));
        let marked = list.last_synced().unwrap_or_else(|| panic!("marked"));
        assert!(marked <= Instant::now());
        // Clones share the mark; an older mark does not move it back.
        let clone = list.clone();
        let later = long_ago + Duration::from_secs(5);
        clone.mark_synced(later);
        clone.mark_synced(long_ago);
        assert!(list.last_synced() >= Some(later - Duration::from_millis(1)));
    }

    #[test]
    fn a_mark_older_than_the_allowed_age_is_stale() {
        let list = RevocationList::new();
        list.track_sync();
        // The anchor is set by the first mark at the latest: a mark at the
        // anchor itself, checked a measurable time later, is stale for a
        // zero allowance.
        list.mark_synced(super::anchor());
        std::thread::sleep(Duration::from_millis(5));
        assert!(!list.is_complete_within(Duration::ZERO));
        assert!(list.is_complete_within(Duration::from_secs(3600)));
    }
}
