//! Sessions and their refresh-token families, one record per family.
//!
//! A family holds its current token's hash and generation, and the previous
//! token's hash with the current token sealed under it (the reuse interval);
//! nothing is kept per token, so a family's record does not grow as it
//! rotates. Revoking a session removes its record: its tokens then name a
//! family that is not there and are refused.

use std::collections::{HashMap, HashSet};

use crate::flow::ClientInfo;
use crate::store::{NextRefresh, PresentedRefresh, Rotation, SecretHash, Session};

use super::expiry::ExpiryQueue;

/// A live session and the state of its refresh-token family.
struct Family {
    session: Session,
    /// The current token's expiry: the session dies with it.
    expires_at: i64,
    generation: u64,
    current: SecretHash,
    /// The token before the current one, and the current one sealed under it.
    previous: Option<Previous>,
}

struct Previous {
    hash: SecretHash,
    sealed_successor: Vec<u8>,
    rotated_at: i64,
}

#[derive(Default)]
pub(super) struct Sessions {
    families: HashMap<String, Family>,
    /// `user_id` → the sids of the user's sessions, for "log out everywhere".
    by_user: HashMap<String, HashSet<String>>,
    family_expiry: ExpiryQueue<String>,
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
                generation: 0,
                current: *refresh,
                previous: None,
            },
        );
        self.family_expiry.schedule(sid, expires_at);
    }

    pub(super) fn rotate(
        &mut self,
        presented: &PresentedRefresh,
        next: &NextRefresh,
        (now, next_expires_at): (i64, i64),
        reuse_interval: i64,
        client: &ClientInfo,
    ) -> Rotation {
        // An expired token is refused before anything else: it proves
        // nothing, not even reuse.
        if presented.expires_at <= now {
            return Rotation::Invalid;
        }
        let Some(family) = self
            .families
            .get_mut(&presented.sid)
            .filter(|f| f.expires_at > now)
        else {
            return Rotation::Invalid;
        };
        let current = family.generation;
        if presented.generation == current {
            if !presented.hash.ct_eq(&family.current) {
                return Rotation::Invalid;
            }
            family.previous = Some(Previous {
                hash: family.current,
                sealed_successor: next.sealed.clone(),
                rotated_at: now,
            });
            family.current = next.hash;
            family.generation = current.saturating_add(1);
            // The family's queue entry stays where it is: when it falls due,
            // the sweep finds the later expiry and schedules that instead, so
            // a family has one entry however often it rotates.
            family.expires_at = family.expires_at.max(next_expires_at);
            family.session.last_used_at = now;
            family.session.ip = client.ip();
            family.session.user_agent = client.user_agent().map(str::to_owned);
            return Rotation::Rotated(family.session.clone());
        }
        if presented.generation > current {
            return Rotation::Invalid;
        }
        if presented.generation.saturating_add(1) == current
            && reuse_interval > 0
            && let Some(previous) = &family.previous
            && presented.hash.ct_eq(&previous.hash)
            && now.saturating_sub(previous.rotated_at) <= reuse_interval
        {
            return Rotation::Repeated {
                session: family.session.clone(),
                sealed_successor: previous.sealed_successor.clone(),
            };
        }
        match self.remove_family(&presented.sid) {
            Some(family) => Rotation::Reused(family.session),
            None => Rotation::Invalid,
        }
    }

    /// The live session `sid`.
    pub(super) fn live(&self, sid: &str, now: i64) -> Option<Session> {
        self.families
            .get(sid)
            .filter(|family| family.expires_at > now)
            .map(|family| family.session.clone())
    }

    /// The live sessions of `user_id`.
    pub(super) fn of_user(&self, user_id: &str, now: i64) -> Vec<Session> {
        self.by_user
            .get(user_id)
            .into_iter()
            .flatten()
            .filter_map(|sid| self.live(sid, now))
            .collect()
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

    /// Drops the sessions whose expiry is before `now`.
    pub(super) fn sweep(&mut self, now: i64) {
        while let Some(sid) = self.family_expiry.pop_due(now) {
            match self.families.get(&sid).map(|f| f.expires_at) {
                Some(expires_at) if expires_at < now => {
                    self.remove_family(&sid);
                }
                // Rotated since it was scheduled: it lives on, so it is
                // scheduled again at its new expiry.
                Some(expires_at) => self.family_expiry.schedule(sid, expires_at),
                None => {}
            }
        }
    }

    /// Sessions held.
    pub(super) fn len(&self) -> usize {
        self.families.len()
    }

    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.family_expiry.len()
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
