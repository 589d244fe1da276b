//! Revocations: `revocation:{kind}:{subject}` (hash: kind, subject, until,
//! cut-off) expiring once the revocation is no longer in force, and
//! `revocations:by_expiry`, a sorted set of the subjects by that moment, for
//! listing those in force. Each revocation is also published on
//! `{prefix}revocations`.

use async_trait::async_trait;
use redis::Value;
use serde::Deserialize;

use super::decode::{self, Fields};
use super::{RedisStore, expiry};
use crate::store::StoreError;
use crate::store::{Revocation, RevocationStore};

const REVOCATION: &str = "revocation record";

/// A revocation as stored and published: numbers as decimal text, so they
/// round-trip exactly through Lua (whose numbers are doubles).
#[derive(Deserialize)]
pub(super) struct Stored {
    kind: String,
    subject: String,
    until: String,
    cut: String,
}

impl Stored {
    fn of(revocation: &Revocation) -> Self {
        let (kind, subject, cut) = match revocation {
            Revocation::Token { jti, .. } => ("t", jti, String::new()),
            Revocation::Session { sid, .. } => ("s", sid, String::new()),
            Revocation::User {
                sub, issued_up_to, ..
            } => ("u", sub, issued_up_to.to_string()),
        };
        Self {
            kind: kind.to_owned(),
            subject: subject.clone(),
            until: revocation.expires_at().to_string(),
            cut,
        }
    }

    pub(super) fn revocation(self) -> Option<Revocation> {
        let until = self.until.parse().ok()?;
        match self.kind.as_str() {
            "t" => Some(Revocation::Token {
                jti: self.subject,
                expires_at: until,
            }),
            "s" => Some(Revocation::Session {
                sid: self.subject,
                until,
            }),
            "u" => Some(Revocation::User {
                sub: self.subject,
                issued_up_to: self.cut.parse().ok()?,
                until,
            }),
            _ => None,
        }
    }
}

/// Decodes a message published on [`RedisStore::revocation_channel`]: the
/// revocation in force for its subject, merged with earlier ones (the later
/// expiry and cut-off win).
///
/// A message that is not one (another program publishing on the channel)
/// is an [`StoreError::Unavailable`]; subscribers should skip it.
pub fn decode_revocation_message(payload: &[u8]) -> Result<Revocation, StoreError> {
    serde_json::from_slice::<Stored>(payload)
        .ok()
        .and_then(Stored::revocation)
        .ok_or_else(|| decode::malformed("revocation message"))
}

#[async_trait]
impl RevocationStore for RedisStore {
    async fn revoke(&self, revocation: &Revocation) -> Result<(), StoreError> {
        let stored = Stored::of(revocation);
        let member = format!("{}:{}", stored.kind, stored.subject);
        // In force while `expires_at() >= now`: the key goes the second after.
        let gone_at = expiry(revocation.expires_at().saturating_add(1));
        let mut connection = self.connection();
        let mut invocation = self.scripts.revoke.key(self.key("revocation", &member));
        invocation
            .key(self.key("revocations", "by_expiry"))
            .arg(&member)
            .arg(&stored.kind)
            .arg(&stored.subject)
            .arg(&stored.until)
            .arg(&stored.cut)
            .arg(gone_at)
            .arg(crate::time::now())
            .arg(self.revocation_channel());
        let _: Value = self.run(invocation.invoke_async(&mut connection)).await?;
        Ok(())
    }

    async fn active_revocations(&self, now: i64) -> Result<Vec<Revocation>, StoreError> {
        let mut connection = self.connection();
        let reply: Value = self
            .run(
                self.scripts
                    .active_revocations
                    .key(self.key("revocations", "by_expiry"))
                    .arg(&*self.prefix)
                    .arg(now)
                    .invoke_async(&mut connection),
            )
            .await?;
        let mut records = Fields::array(reply, REVOCATION)?;
        let mut active = Vec::new();
        while !records.is_done() {
            let mut fields = Fields::array(records.value()?, REVOCATION)?;
            let stored = Stored {
                kind: fields.string()?,
                subject: fields.string()?,
                until: fields.string()?,
                cut: fields.string()?,
            };
            let revocation = stored
                .revocation()
                .ok_or_else(|| decode::malformed(REVOCATION))?;
            // The index is pruned by the clock; `now` may be later.
            if revocation.expires_at() >= now {
                active.push(revocation);
            }
        }
        Ok(active)
    }
}
