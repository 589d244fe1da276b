//! Sessions and their refresh-token families.
//!
//! Each refresh hash points to its session and is either the family's current
//! token or a retired one. Revoking a session removes the session record only:
//! its tokens then point at nothing and are refused (a retired token of a
//! revoked family reports [`Rotation::Invalid`], not [`Rotation::Reused`]: the
//! family is already dead, there is nothing left to revoke). Those dangling
//! hashes are dropped at their own expiry like every other.

use std::collections::{HashMap, HashSet};

use crate::store::{Rotation, SecretHash, Session};

use super::expiry::ExpiryQueue;

/// A live session.
struct Family {
    session: Session,
    /// The latest expiry among its refresh tokens: the session dies with it.
    expires_at: i64,
}

/// One refresh token, by hash.
struct Refresh {
    sid: String,
    retired: bool,
    expires_at: i64,
}

#[derive(Default)]
pub(super) struct Sessions {
    families: HashMap<String, Family>,
    /// `user_id` → the sids of the user's sessions, for "log out everywhere".
    by_user: HashMap<String, HashSet<String>>,
    refresh: HashMap<[u8; 32], Refresh>,
    family_expiry: ExpiryQueue<String>,
    refresh_expiry: ExpiryQueue<[u8; 32]>,
}

impl Sessions {
    pub(super) fn create(&mut self, session: &Session, refresh: &SecretHash, expires_at: i64) {
        let sid = session.sid.clone();
        self.by_user
            .entry(session.user_id.clone())
            .or_default()
            .insert(sid.clone());
        self.families.insert(
            sid.clone(),
            Family {
                session: session.clone(),
                expires_at,
            },
        );
        self.family_expiry.schedule(sid.clone(), expires_at);
        self.insert_refresh(refresh, sid, expires_at);
    }

    pub(super) fn rotate(
        &mut self,
        presented: &SecretHash,
        next: &SecretHash,
        now: i64,
        next_expires_at: i64,
    ) -> Rotation {
        let Some(token) = self.refresh.get_mut(&presented.0) else {
            return Rotation::Invalid;
        };
        // An expired token is refused before anything else: it proves nothing,
        // not even reuse.
        if token.expires_at <= now {
            return Rotation::Invalid;
        }
        let Some(family) = self
            .families
            .get_mut(&token.sid)
            .filter(|f| f.expires_at > now)
        else {
            return Rotation::Invalid;
        };
        if token.retired {
            let sid = token.sid.clone();
            return match self.remove_family(&sid) {
                Some(family) => Rotation::Reused(family.session),
                None => Rotation::Invalid,
            };
        }
        token.retired = true;
        let sid = token.sid.clone();
        let session = family.session.clone();
        if next_expires_at > family.expires_at {
            family.expires_at = next_expires_at;
            self.family_expiry.schedule(sid.clone(), next_expires_at);
        }
        self.insert_refresh(next, sid, next_expires_at);
        Rotation::Rotated(session)
    }

    /// The live session of a refresh token, current or retired.
    pub(super) fn by_refresh(&self, refresh: &SecretHash, now: i64) -> Option<Session> {
        let token = self.refresh.get(&refresh.0)?;
        self.live(&token.sid, now)
    }

    /// Removes session `sid`; returns it if it was live.
    pub(super) fn revoke(&mut self, sid: &str, now: i64) -> Option<Session> {
        self.remove_family(sid)
            .filter(|family| family.expires_at > now)
            .map(|family| family.session)
    }

    /// Removes every session of `user_id`; returns those that were live.
    pub(super) fn revoke_user(&mut self, user_id: &str, now: i64) -> Vec<Session> {
        let sids = self.by_user.remove(user_id).unwrap_or_default();
        sids.iter()
            .filter_map(|sid| self.families.remove(sid))
            .filter(|family| family.expires_at > now)
            .map(|family| family.session)
            .collect()
    }

    /// Drops the sessions and refresh hashes whose expiry is before `now`.
    pub(super) fn sweep(&mut self, now: i64) {
        while let Some(sid) = self.family_expiry.pop_due(now) {
            // A family rotated since has a later expiry and stays.
            if self.families.get(&sid).is_some_and(|f| f.expires_at < now) {
                self.remove_family(&sid);
            }
        }
        while let Some(hash) = self.refresh_expiry.pop_due(now) {
            if self.refresh.get(&hash).is_some_and(|t| t.expires_at < now) {
                self.refresh.remove(&hash);
            }
        }
    }

    /// Sessions plus refresh hashes held.
    pub(super) fn len(&self) -> usize {
        self.families.len() + self.refresh.len()
    }

    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.family_expiry.len() + self.refresh_expiry.len()
    }

    fn live(&self, sid: &str, now: i64) -> Option<Session> {
        self.families
            .get(sid)
            .filter(|family| family.expires_at > now)
            .map(|family| family.session.clone())
    }

    fn insert_refresh(&mut self, hash: &SecretHash, sid: String, expires_at: i64) {
        self.refresh.insert(
            hash.0,
            Refresh {
                sid,
                retired: false,
                expires_at,
            },
        );
        self.refresh_expiry.schedule(hash.0, expires_at);
    }

    fn remove_family(&mut self, sid: &str) -> Option<Family> {
        let family = self.families.remove(sid)?;
        if let Some(sids) = self.by_user.get_mut(&family.session.user_id) {
            sids.remove(sid);
            if sids.is_empty() {
                self.by_user.remove(&family.session.user_id);
            }
        }
        Some(family)
    }
}
