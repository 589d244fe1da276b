//! Sessions and refresh-token rotation (RFC 9700 §4.14.2), with the reuse
//! interval.

use std::sync::Arc;

use super::{Must, now, random_hash, unique};
use crate::flow::ClientInfo;
use crate::store::{
    NextRefresh, PresentedRefresh, Rotation, SecretHash, Session, SessionStore, Store,
};

/// A refresh lifetime far enough away for every check.
pub(super) const TTL: i64 = 3600;
/// The reuse interval of the checks that use one.
pub(super) const INTERVAL: i64 = 10;

pub(super) fn session_of(user_id: &str) -> Session {
    let at = now();
    Session {
        sid: unique("sid"),
        user_id: user_id.to_owned(),
        amr: vec!["pwd".to_owned(), "otp".to_owned(), "mfa".to_owned()],
        auth_time: at - 5,
        created_at: at,
        last_used_at: at,
        ip: None,
        user_agent: None,
    }
}

/// `rotation` with its session's activity (last use, address, user agent)
/// set back to what [`session_of`] starts with: the rotation checks compare
/// which session a rotation names, the activity checks (`session_list`)
/// what it records.
fn without_activity(rotation: Rotation) -> Rotation {
    let reset = |mut session: Session| {
        session.last_used_at = session.created_at;
        session.ip = None;
        session.user_agent = None;
        session
    };
    match rotation {
        Rotation::Rotated(session) => Rotation::Rotated(reset(session)),
        Rotation::Reused(session) => Rotation::Reused(reset(session)),
        Rotation::Repeated {
            session,
            sealed_successor,
        } => Rotation::Repeated {
            session: reset(session),
            sealed_successor,
        },
        Rotation::Invalid => Rotation::Invalid,
    }
}

/// One token of a family, as the flows would present it.
#[derive(Clone, Debug)]
pub(super) struct Token {
    sid: String,
    generation: u64,
    hash: SecretHash,
    pub(super) sealed: Vec<u8>,
    expires_at: i64,
}

impl Token {
    fn presented(&self) -> PresentedRefresh {
        PresentedRefresh {
            sid: self.sid.clone(),
            generation: self.generation,
            expires_at: self.expires_at,
            hash: self.hash,
        }
    }

    /// A fresh successor of this token, valid until `expires_at`.
    pub(super) fn successor(&self, expires_at: i64) -> Token {
        Token {
            sid: self.sid.clone(),
            generation: self.generation + 1,
            hash: random_hash(),
            sealed: random_hash().0.to_vec(),
            expires_at,
        }
    }

    fn next(&self) -> NextRefresh {
        NextRefresh {
            generation: self.generation,
            hash: self.hash,
            sealed: self.sealed.clone(),
        }
    }
}

/// Starts `session` with a first token valid until `expires_at`.
pub(super) async fn start_session<S: SessionStore + ?Sized>(
    store: &S,
    session: &Session,
    expires_at: i64,
) -> Token {
    let first = Token {
        sid: session.sid.clone(),
        generation: 0,
        hash: random_hash(),
        sealed: Vec::new(),
        expires_at,
    };
    store
        .create_session(session, &first.hash, expires_at)
        .await
        .must("create_session");
    first
}

/// Starts a session for a new user id; returns it and its first token.
pub(super) async fn start<S: SessionStore + ?Sized>(store: &S) -> (Session, Token) {
    let session = session_of(&unique("user"));
    let first = start_session(store, &session, now() + TTL).await;
    (session, first)
}

/// Presents `token` at `at`, for `next`, with the reuse interval `interval`,
/// from an unknown client; the session's activity is left out of the outcome
/// (see [`without_activity`]).
pub(super) async fn present_at<S: SessionStore + ?Sized>(
    store: &S,
    token: &Token,
    next: &Token,
    at: i64,
    interval: i64,
) -> Rotation {
    without_activity(present_from(store, token, next, (at, interval), &ClientInfo::unknown()).await)
}

/// Presents `token` at `at` with the reuse interval `interval`, from `client`,
/// for `next`; the outcome as the store returns it.
pub(super) async fn present_from<S: SessionStore + ?Sized>(
    store: &S,
    token: &Token,
    next: &Token,
    (at, interval): (i64, i64),
    client: &ClientInfo,
) -> Rotation {
    store
        .rotate_refresh(
            &token.presented(),
            &next.next(),
            at,
            next.expires_at,
            interval,
            client,
        )
        .await
        .must("rotate_refresh")
}

/// Presents `token` now for a fresh successor, strictly (no reuse interval);
/// returns the outcome and the successor.
pub(super) async fn present<S: SessionStore + ?Sized>(
    store: &S,
    token: &Token,
) -> (Rotation, Token) {
    let next = token.successor(now() + TTL);
    (present_at(store, token, &next, now(), 0).await, next)
}

/// Rotates `first` `n` times; returns every token of the chain, `first` included.
async fn chain<S: SessionStore + ?Sized>(
    store: &S,
    session: &Session,
    first: Token,
    n: usize,
) -> Vec<Token> {
    let mut tokens = vec![first];
    for step in 0..n {
        let Some(current) = tokens.last().cloned() else {
            panic!("store conformance: a chain starts with a token");
        };
        let (rotation, next) = present(store, &current).await;
        assert_eq!(
            rotation,
            Rotation::Rotated(session.clone()),
            "rotation {} of a chain must succeed and return the session",
            step + 1
        );
        tokens.push(next);
    }
    tokens
}

/// Five rotations in a row each make the next token current and return the
/// session; tokens that do not match the family's state are Invalid.
pub async fn rotation_chain<S: Store>(store: Arc<S>) {
    let (session, first) = start(&*store).await;
    assert_eq!(
        store.session(&session.sid).await.must("session").as_ref(),
        Some(&session),
        "session must find a new session"
    );
    let tokens = chain(&*store, &session, first, 5).await;
    assert_eq!(
        store.session(&session.sid).await.must("session").as_ref(),
        Some(&session),
        "session must find a rotated session"
    );
    assert!(
        store
            .session(&unique("sid"))
            .await
            .must("session")
            .is_none(),
        "session of an unknown sid must be None"
    );
    let Some(current) = tokens.last().cloned() else {
        panic!("store conformance: the chain must hold six tokens");
    };

    let stranger = Token {
        sid: unique("sid"),
        ..current.clone()
    };
    assert_eq!(
        present(&*store, &stranger).await.0,
        Rotation::Invalid,
        "a token of an unknown family must be Invalid"
    );
    let forged = Token {
        hash: random_hash(),
        ..current.clone()
    };
    assert_eq!(
        present(&*store, &forged).await.0,
        Rotation::Invalid,
        "the current generation with another hash must be Invalid"
    );
    let ahead = Token {
        generation: current.generation + 1,
        ..current.clone()
    };
    assert_eq!(
        present(&*store, &ahead).await.0,
        Rotation::Invalid,
        "a generation the family has not reached must be Invalid"
    );
    assert_eq!(
        present(&*store, &current).await.0,
        Rotation::Rotated(session),
        "tokens that do not match must leave the family as it was"
    );
}

/// Presenting an older token is reuse: the family is revoked, its newest
/// token stops working, other families are untouched.
pub async fn rotation_reuse_revokes_the_family<S: Store>(store: Arc<S>) {
    let (session, first) = start(&*store).await;
    let (bystander, bystander_token) = start(&*store).await;
    let tokens = chain(&*store, &session, first, 3).await;
    let (Some(older), Some(newest)) = (tokens.get(1).cloned(), tokens.last().cloned()) else {
        panic!("store conformance: the chain must hold four tokens");
    };

    let next = older.successor(now() + TTL);
    assert_eq!(
        present_at(&*store, &older, &next, now(), INTERVAL).await,
        Rotation::Reused(session.clone()),
        "presenting a token two generations old must be Reused, whatever the interval"
    );
    assert_eq!(
        present(&*store, &newest).await.0,
        Rotation::Invalid,
        "after reuse, the newest token of the family must be Invalid"
    );
    assert_eq!(
        present(&*store, &older).await.0,
        Rotation::Invalid,
        "an old token of a revoked family must be Invalid"
    );
    assert!(
        store.session(&session.sid).await.must("session").is_none(),
        "a family revoked for reuse must not be found"
    );
    assert!(
        store
            .revoke_session(&session.sid)
            .await
            .must("revoke_session")
            .is_none(),
        "a family revoked for reuse is no longer live"
    );
    assert_eq!(
        present(&*store, &bystander_token).await.0,
        Rotation::Rotated(bystander),
        "reuse in one family must not touch another"
    );
}

/// Within the reuse interval the token rotated last gets the same successor
/// (sealed as it was stored) and nothing changes; past the interval, or once
/// the successor has itself been rotated, or with no interval, it is reuse.
pub async fn rotation_reuse_interval<S: Store>(store: Arc<S>) {
    let at = now();
    let (session, first) = start(&*store).await;
    let second = first.successor(at + TTL);
    assert_eq!(
        present_at(&*store, &first, &second, at, INTERVAL).await,
        Rotation::Rotated(session.clone())
    );
    for offset in [0, 1, INTERVAL] {
        let other = first.successor(at + TTL);
        assert_eq!(
            present_at(&*store, &first, &other, at + offset, INTERVAL).await,
            Rotation::Repeated {
                session: session.clone(),
                sealed_successor: second.sealed.clone(),
            },
            "the parent presented {offset} s after its rotation must get its successor again"
        );
    }
    let third = second.successor(at + TTL);
    assert_eq!(
        present_at(&*store, &second, &third, at + 1, INTERVAL).await,
        Rotation::Rotated(session.clone()),
        "a repeated parent must leave its successor current"
    );
    assert_eq!(
        present_at(
            &*store,
            &first,
            &first.successor(at + TTL),
            at + 2,
            INTERVAL
        )
        .await,
        Rotation::Reused(session),
        "once the successor has been rotated, the parent is reuse"
    );

    let (late, first) = start(&*store).await;
    let second = first.successor(at + TTL);
    present_at(&*store, &first, &second, at, INTERVAL).await;
    assert_eq!(
        present_at(
            &*store,
            &first,
            &first.successor(at + TTL),
            at + INTERVAL + 1,
            INTERVAL
        )
        .await,
        Rotation::Reused(late),
        "past the interval, the parent is reuse"
    );

    let (strict, first) = start(&*store).await;
    let second = first.successor(at + TTL);
    present_at(&*store, &first, &second, at, 0).await;
    assert_eq!(
        present_at(&*store, &first, &first.successor(at + TTL), at, 0).await,
        Rotation::Reused(strict),
        "with no interval, any second use is reuse"
    );
}

/// Tokens are valid while `now < expires_at`; an expired older token is
/// merely Invalid, it does not revoke the family.
pub async fn rotation_expired_token_is_invalid<S: Store>(store: Arc<S>) {
    let at = now();
    let session = session_of(&unique("user"));
    let first = start_session(&*store, &session, at + 100).await;
    let next = first.successor(at + 300);
    assert_eq!(
        present_at(&*store, &first, &next, at + 100, 0).await,
        Rotation::Invalid,
        "a refresh token presented at its expiry must be Invalid"
    );
    assert_eq!(
        present_at(&*store, &first, &next, at + 99, 0).await,
        Rotation::Rotated(session.clone()),
        "a refresh token presented before its expiry must rotate"
    );
    // At its expiry `first` is old and expired: presenting it proves nothing.
    let third = next.successor(at + 400);
    assert_eq!(
        present_at(&*store, &first, &third, at + 100, 0).await,
        Rotation::Invalid,
        "an expired older token must be Invalid, not Reused"
    );
    assert_eq!(
        present_at(&*store, &next, &third, at + 150, 0).await,
        Rotation::Rotated(session),
        "an expired older token must not revoke the family"
    );

    let dead = session_of(&unique("user"));
    let dead_token = start_session(&*store, &dead, at - 10).await;
    let dead_token = Token {
        expires_at: at + TTL,
        ..dead_token
    };
    assert_eq!(
        present(&*store, &dead_token).await.0,
        Rotation::Invalid,
        "a session created already expired must be Invalid"
    );
    assert!(
        store.session(&dead.sid).await.must("session").is_none(),
        "an expired session must not be found"
    );
}

/// `revoke_session` ends one session, once.
pub async fn sessions_revoked_by_sid<S: Store>(store: Arc<S>) {
    let (session, first) = start(&*store).await;
    let tokens = chain(&*store, &session, first, 2).await;
    let revoked = store
        .revoke_session(&session.sid)
        .await
        .must("revoke_session");
    assert_eq!(
        revoked,
        Some(session.clone()),
        "revoke_session must return the live session"
    );
    assert!(
        store
            .revoke_session(&session.sid)
            .await
            .must("revoke_session")
            .is_none(),
        "revoking a revoked session must return None"
    );
    for token in &tokens {
        assert_eq!(
            present(&*store, token).await.0,
            Rotation::Invalid,
            "every token of a revoked session must be Invalid"
        );
    }
    assert!(
        store.session(&session.sid).await.must("session").is_none(),
        "a revoked session must not be found"
    );
    assert!(
        store
            .revoke_session(&unique("sid"))
            .await
            .must("revoke_session")
            .is_none(),
        "revoking an unknown session must return None"
    );
}

/// `revoke_user_sessions` ends every live session of one user and no other.
pub async fn sessions_revoked_by_user<S: Store>(store: Arc<S>) {
    let user = unique("user");
    let mut live = Vec::new();
    for _ in 0..3 {
        let session = session_of(&user);
        let token = start_session(&*store, &session, now() + TTL).await;
        live.push((session, token));
    }
    let Some((ended, _)) = live.pop() else {
        panic!("store conformance: three sessions were created");
    };
    store
        .revoke_session(&ended.sid)
        .await
        .must("revoke_session");
    let (other, other_token) = start(&*store).await;

    let mut revoked = store
        .revoke_user_sessions(&user)
        .await
        .must("revoke_user_sessions");
    revoked.sort_by(|a, b| a.sid.cmp(&b.sid));
    let mut expected: Vec<Session> = live.iter().map(|(s, _)| s.clone()).collect();
    expected.sort_by(|a, b| a.sid.cmp(&b.sid));
    assert_eq!(
        revoked, expected,
        "revoke_user_sessions must return exactly the user's live sessions"
    );
    for (_, token) in &live {
        assert_eq!(
            present(&*store, token).await.0,
            Rotation::Invalid,
            "the tokens of a user's revoked sessions must be Invalid"
        );
    }
    assert!(
        store
            .revoke_user_sessions(&user)
            .await
            .must("revoke_user_sessions")
            .is_empty(),
        "a second revoke_user_sessions must find nothing live"
    );
    assert_eq!(
        present(&*store, &other_token).await.0,
        Rotation::Rotated(other),
        "another user's session must be untouched"
    );
}
