//! Revocations: stored until they expire, and announced to every listening
//! instance on [`PostgresStore::REVOCATION_CHANNEL`].

use async_trait::async_trait;
use serde::Deserialize;

use super::PostgresStore;
use super::errors::{Db, bounded, malformed};
use crate::store::StoreError;
use crate::store::{Revocation, RevocationStore};

/// A revocation as one row: `kind`, `subject`, `issued_up_to`, `expires_at`.
type RevocationRow = (String, String, Option<i64>, i64);

fn row_of(revocation: &Revocation) -> (&'static str, &str, Option<i64>, i64) {
    match revocation {
        Revocation::Token { jti, expires_at } => ("token", jti, None, *expires_at),
        Revocation::Session { sid, until } => ("session", sid, None, *until),
        Revocation::User {
            sub,
            issued_up_to,
            until,
        } => ("user", sub, Some(*issued_up_to), *until),
    }
}

/// The revocation a row describes; `None` for a row the schema does not allow.
fn revocation_of(
    kind: &str,
    subject: String,
    issued_up_to: Option<i64>,
    expires_at: i64,
) -> Option<Revocation> {
    match (kind, issued_up_to) {
        ("token", _) => Some(Revocation::Token {
            jti: subject,
            expires_at,
        }),
        ("session", _) => Some(Revocation::Session {
            sid: subject,
            until: expires_at,
        }),
        ("user", Some(issued_up_to)) => Some(Revocation::User {
            sub: subject,
            issued_up_to,
            until: expires_at,
        }),
        _ => None,
    }
}

/// The JSON payload of a notification, built by the database in [`revoke`].
#[derive(Deserialize)]
struct Notice {
    schema: String,
    kind: String,
    subject: String,
    issued_up_to: Option<i64>,
    expires_at: i64,
}

impl PostgresStore {
    /// Decodes the payload of a notification received on
    /// [`REVOCATION_CHANNEL`](Self::REVOCATION_CHANNEL): the revocation as
    /// stored (merged with earlier revocations of the same subject).
    ///
    /// The channel is shared by every schema of the database, so a payload
    /// from another schema than this store's gives `None`, as does one that
    /// is not a revocation notice (API-key notices included: see
    /// [`decode_event`](Self::decode_event) for every kind).
    pub fn revocation_from_notice(&self, payload: &str) -> Option<Revocation> {
        let notice: Notice = serde_json::from_str(payload).ok()?;
        if notice.schema != *self.schema {
            return None;
        }
        revocation_of(
            &notice.kind,
            notice.subject,
            notice.issued_up_to,
            notice.expires_at,
        )
    }
}

#[async_trait]
impl RevocationStore for PostgresStore {
    async fn revoke(&self, revocation: &Revocation) -> Result<(), StoreError> {
        bounded(async {
            let (kind, subject, issued_up_to, expires_at) = row_of(revocation);
            // One statement: the write and the notification commit together,
            // and listeners are told the merged record. A second revocation
            // of a subject keeps the later of each moment.
            sqlx::query(
                "WITH merged AS ( \
                     INSERT INTO auth_revocations AS r (kind, subject, issued_up_to, expires_at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (kind, subject) DO UPDATE SET \
                         issued_up_to = GREATEST(r.issued_up_to, EXCLUDED.issued_up_to), \
                         expires_at = GREATEST(r.expires_at, EXCLUDED.expires_at) \
                     RETURNING kind, subject, issued_up_to, expires_at) \
                 SELECT pg_notify($5, json_build_object( \
                     'schema', current_schema(), 'kind', kind, 'subject', subject, \
                     'issued_up_to', issued_up_to, 'expires_at', expires_at)::text) \
                 FROM merged",
            )
            .bind(kind)
            .bind(subject)
            .bind(issued_up_to)
            .bind(expires_at)
            .bind(Self::REVOCATION_CHANNEL)
            .execute(&self.pool)
            .await
            .db()?;
            Ok(())
        })
        .await
    }

    async fn active_revocations(&self, now: i64) -> Result<Vec<Revocation>, StoreError> {
        bounded(async {
            let rows: Vec<RevocationRow> = sqlx::query_as(
                "SELECT kind, subject, issued_up_to, expires_at FROM auth_revocations \
                 WHERE expires_at >= $1",
            )
            .bind(now)
            .fetch_all(&self.pool)
            .await
            .db()?;
            rows.into_iter()
                .map(|(kind, subject, issued_up_to, expires_at)| {
                    revocation_of(&kind, subject, issued_up_to, expires_at)
                        .ok_or_else(|| malformed("revocation"))
                })
                .collect()
        })
        .await
    }
}
