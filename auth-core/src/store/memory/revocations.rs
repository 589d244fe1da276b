//! Stored revocations, one record per revoked token, session or user.

use std::collections::HashMap;

use crate::store::Revocation;

use super::expiry::ExpiryQueue;

/// What a revocation is about: a second revocation of the same thing is
/// merged into the first rather than stored beside it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Subject {
    Token(String),
    Session(String),
    User(String),
}

impl Subject {
    fn of(revocation: &Revocation) -> Self {
        match revocation {
            Revocation::Token { jti, .. } => Subject::Token(jti.clone()),
            Revocation::Session { sid, .. } => Subject::Session(sid.clone()),
            Revocation::User { sub, .. } => Subject::User(sub.clone()),
        }
    }
}

#[derive(Default)]
pub(super) struct Revocations {
    records: HashMap<Subject, Revocation>,
    expiry: ExpiryQueue<Subject>,
}

impl Revocations {
    pub(super) fn revoke(&mut self, revocation: &Revocation) {
        let subject = Subject::of(revocation);
        let merged = match self.records.get(&subject) {
            Some(old) => merge(old, revocation),
            None => revocation.clone(),
        };
        self.expiry.schedule(subject.clone(), merged.expires_at());
        self.records.insert(subject, merged);
    }

    /// The revocations with `expires_at() >= now`.
    pub(super) fn active(&self, now: i64) -> Vec<Revocation> {
        self.records
            .values()
            .filter(|r| r.expires_at() >= now)
            .cloned()
            .collect()
    }

    pub(super) fn sweep(&mut self, now: i64) {
        while let Some(subject) = self.expiry.pop_due(now) {
            if self
                .records
                .get(&subject)
                .is_some_and(|r| r.expires_at() < now)
            {
                self.records.remove(&subject);
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.records.len()
    }

    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.expiry.len()
    }
}

/// Two revocations of one subject: the one that revokes more, for longer.
fn merge(old: &Revocation, new: &Revocation) -> Revocation {
    match (old, new) {
        (Revocation::Token { expires_at: a, .. }, Revocation::Token { jti, expires_at: b }) => {
            Revocation::Token {
                jti: jti.clone(),
                expires_at: (*a).max(*b),
            }
        }
        (Revocation::Session { until: a, .. }, Revocation::Session { sid, until: b }) => {
            Revocation::Session {
                sid: sid.clone(),
                until: (*a).max(*b),
            }
        }
        (
            Revocation::User {
                issued_up_to: cut_a,
                until: a,
                ..
            },
            Revocation::User {
                sub,
                issued_up_to: cut_b,
                until: b,
            },
        ) => Revocation::User {
            sub: sub.clone(),
            issued_up_to: (*cut_a).max(*cut_b),
            until: (*a).max(*b),
        },
        // Subjects of different kinds are never merged (see `Subject::of`).
        _ => new.clone(),
    }
}
