//! What a person sees of their sessions: each one's last use, address and
//! user agent, listed per user.

use std::net::IpAddr;
use std::sync::Arc;

use super::sessions::{INTERVAL, TTL, Token, present_from, session_of, start_session};
use super::{Must, now, unique};
use crate::flow::{ClientInfo, MAX_USER_AGENT_CHARS};
use crate::store::{Rotation, Session, Store};

/// The sessions of `user_id` as the store lists them, ordered by sid.
async fn listed<S: Store + ?Sized>(store: &S, user_id: &str) -> Vec<Session> {
    let mut sessions = store.user_sessions(user_id).await.must("user_sessions");
    sessions.sort_by(|a, b| a.sid.cmp(&b.sid));
    sessions
}

/// `sessions` ordered by sid.
fn by_sid(mut sessions: Vec<Session>) -> Vec<Session> {
    sessions.sort_by(|a, b| a.sid.cmp(&b.sid));
    sessions
}

fn address(text: &str) -> IpAddr {
    match text.parse() {
        Ok(ip) => ip,
        Err(_) => panic!("store conformance: {text} is an address"),
    }
}

/// `user_sessions` lists exactly the user's live sessions, each as it was
/// recorded (an IPv4 and an IPv6 address, a user agent of the longest kept
/// length with non-ASCII characters, nothing known); not another user's, not
/// an expired one, not a revoked one; none once all are revoked.
pub async fn sessions_are_listed_per_user<S: Store>(store: Arc<S>) {
    let user = unique("user");
    let long_agent: String = "Mozilla/5.0 (Ü; ✓) "
        .chars()
        .cycle()
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    let clients = [
        (Some(address("192.0.2.7")), Some("curl/8.5.0".to_owned())),
        (Some(address("2001:db8::42")), Some(long_agent)),
        (None, None),
    ];
    let mut live = Vec::new();
    for (ip, user_agent) in clients {
        let mut session = session_of(&user);
        session.last_used_at = session.created_at - 3;
        session.ip = ip;
        session.user_agent = user_agent;
        start_session(&*store, &session, now() + TTL).await;
        live.push(session);
    }
    let expired = session_of(&user);
    start_session(&*store, &expired, now() - 1).await;
    let other = session_of(&unique("user"));
    start_session(&*store, &other, now() + TTL).await;

    assert_eq!(
        listed(&*store, &user).await,
        by_sid(live.clone()),
        "user_sessions must list the user's live sessions as they were recorded"
    );
    assert_eq!(
        listed(&*store, &other.user_id).await,
        vec![other.clone()],
        "user_sessions must list only that user's sessions"
    );
    assert!(
        listed(&*store, &unique("user")).await.is_empty(),
        "a user without sessions has none listed"
    );

    let Some(ended) = live.pop() else {
        panic!("store conformance: three sessions were started");
    };
    store
        .revoke_session(&ended.sid)
        .await
        .must("revoke_session");
    assert_eq!(
        listed(&*store, &user).await,
        by_sid(live.clone()),
        "a revoked session must no longer be listed"
    );
    store
        .revoke_user_sessions(&user)
        .await
        .must("revoke_user_sessions");
    assert!(
        listed(&*store, &user).await.is_empty(),
        "no session is listed once the user's sessions are revoked"
    );
    assert_eq!(
        listed(&*store, &other.user_id).await,
        vec![other],
        "another user's sessions are untouched"
    );
}

/// A rotation is a use: it records its moment and its client, which the
/// rotation's outcome, `session` and `user_sessions` all show; the
/// creation stays. Presenting the previous token again within the reuse
/// interval (a second tab) changes nothing.
pub async fn rotation_records_the_last_use<S: Store>(store: Arc<S>) {
    let mut session = session_of(&unique("user"));
    session.created_at -= 100;
    session.last_used_at = session.created_at;
    session.ip = Some(address("198.51.100.1"));
    session.user_agent = Some("first browser".to_owned());
    let first = start_session(&*store, &session, now() + TTL).await;

    let at = now();
    let client = ClientInfo::new(Some(address("2001:db8:5::9"))).with_user_agent("second browser");
    let next: Token = first.successor(now() + TTL);
    let rotation = present_from(&*store, &first, &next, (at, INTERVAL), &client).await;
    let mut used = session.clone();
    used.last_used_at = at;
    used.ip = client.ip();
    used.user_agent = Some("second browser".to_owned());
    assert_eq!(
        rotation,
        Rotation::Rotated(used.clone()),
        "a rotation must return the session with its new last use"
    );
    assert_eq!(
        store.session(&session.sid).await.must("session"),
        Some(used.clone()),
        "the session must keep the last use"
    );
    assert_eq!(
        listed(&*store, &session.user_id).await,
        vec![used.clone()],
        "the listed session must show the last use"
    );

    // The second tab, within the interval: the successor again, no new use.
    let stranger = ClientInfo::new(Some(address("203.0.113.9"))).with_user_agent("third");
    let repeated = present_from(
        &*store,
        &first,
        &first.successor(now() + TTL),
        (at + 1, INTERVAL),
        &stranger,
    )
    .await;
    assert!(
        matches!(&repeated, Rotation::Repeated { session, .. } if *session == used),
        "a repeat within the reuse interval must not count as a use, got {repeated:?}"
    );
    assert_eq!(
        listed(&*store, &session.user_id).await,
        vec![used],
        "a repeat within the reuse interval must not record its client"
    );

    // A use from a client the server knows nothing about records nothing.
    let third = next.successor(now() + TTL);
    let rotation = present_from(
        &*store,
        &next,
        &third,
        (at + 2, INTERVAL),
        &ClientInfo::unknown(),
    )
    .await;
    let Rotation::Rotated(unknown) = rotation else {
        panic!("store conformance: the current token must rotate, got {rotation:?}");
    };
    assert_eq!(
        (unknown.last_used_at, unknown.ip, unknown.user_agent),
        (at + 2, None, None),
        "a use by an unknown client must record its moment and no client"
    );
}
