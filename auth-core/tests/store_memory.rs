//! The store conformance suite against [`MemoryStore`], and what only the
//! memory store promises: it does not grow without bound.

// Test helpers, outside `#[test]` functions: a failure should panic right there.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use auth_core::flow::ClientInfo;
use auth_core::store::conformance::{self, StoreFactory};
use auth_core::store::{
    MemoryStore, NextRefresh, OneTimeStore, PresentedRefresh, Revocation, RevocationStore,
    Rotation, SecretHash, Session, SessionStore, ThrottleStore,
};

struct Memory;

impl StoreFactory for Memory {
    type Store = MemoryStore;

    async fn create(&self) -> MemoryStore {
        MemoryStore::new()
    }

    async fn second_instance(&self, store: &MemoryStore) -> MemoryStore {
        // Instances of one process share the memory store by cloning it.
        store.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_passes_the_conformance_suite() {
    conformance::run_all(&Memory).await;
    conformance::api_key_view_follows_the_store(Arc::new(MemoryStore::new())).await;
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap()
}

const N: usize = 10_000;

/// Writes `N` records of every expiring kind, each expiring at `expires_at`;
/// returns how many records that is.
async fn fill(store: &MemoryStore, expires_at: i64) -> usize {
    for i in 0..N {
        let session = Session {
            sid: format!("sid-{i}"),
            user_id: format!("user-{}", i % 100),
            amr: vec!["pwd".into()],
            auth_time: expires_at - 3600,
            created_at: expires_at - 3600,
            last_used_at: expires_at - 3600,
            ip: None,
            user_agent: None,
        };
        let refresh = SecretHash::of("test", format!("refresh-{i}").as_bytes());
        store
            .create_session(&session, &refresh, expires_at)
            .await
            .unwrap();
        store
            .revoke(&Revocation::Token {
                jti: format!("jti-{i}"),
                expires_at,
            })
            .await
            .unwrap();
        store
            .record_failure(&format!("ip-{i}"), expires_at - 60, 60)
            .await
            .unwrap();
        store
            .use_once(&format!("totp-{i}"), expires_at)
            .await
            .unwrap();
        let code = SecretHash::of("test", format!("code-{i}").as_bytes());
        store
            .put_code(&format!("email-{i}"), &code, expires_at)
            .await
            .unwrap();
    }
    // A session (its refresh family inside), a revocation, a window, a mark, a code.
    5 * N
}

#[tokio::test]
async fn purge_drops_every_expired_record() {
    let store = MemoryStore::new();
    let expires_at = now() + 600;
    let written = fill(&store, expires_at).await;
    assert_eq!(
        store.len(),
        written,
        "nothing has expired yet, so nothing may be dropped"
    );

    store.purge_expired(expires_at);
    assert_eq!(
        store.len(),
        written,
        "records are dropped only once their expiry has passed"
    );
    store.purge_expired(expires_at + 1);
    assert!(
        store.is_empty(),
        "purge must drop every expired record, {} left",
        store.len()
    );
}

#[tokio::test]
async fn writes_sweep_expired_records_on_their_own() {
    let store = MemoryStore::new();
    fill(&store, now() - 120).await;
    // Each write sweeps what fell due before it, so at most the last write of
    // each kind is left: a session, a revocation, a window, a code (an
    // already expired mark is never stored).
    assert!(
        store.len() <= 4,
        "lazy sweeps must keep the store bounded, {} left",
        store.len()
    );
}

#[tokio::test]
async fn a_family_stays_one_record_however_often_it_rotates() {
    let store = MemoryStore::new();
    let at = now();
    let session = Session {
        sid: "sid".into(),
        user_id: "user".into(),
        amr: vec!["pwd".into()],
        auth_time: at,
        created_at: at,
        last_used_at: at,
        ip: None,
        user_agent: None,
    };
    let mut current = SecretHash::of("test", b"refresh-0");
    store
        .create_session(&session, &current, at + 10)
        .await
        .unwrap();
    assert_eq!(store.len(), 1);
    for step in 1..=10_000u64 {
        let next = SecretHash::of("test", format!("refresh-{step}").as_bytes());
        let presented = PresentedRefresh {
            sid: "sid".into(),
            generation: step - 1,
            expires_at: at + 10 + step as i64,
            hash: current,
        };
        let successor = NextRefresh {
            generation: step,
            hash: next,
            sealed: vec![0; 100],
        };
        let rotation = store
            .rotate_refresh(
                &presented,
                &successor,
                at,
                at + 10 + step as i64,
                10,
                &ClientInfo::unknown(),
            )
            .await
            .unwrap();
        assert!(matches!(rotation, Rotation::Rotated(_)), "step {step}");
        current = next;
        assert_eq!(store.len(), 1, "one record for the family at step {step}");
    }
    // The session lives as long as its newest token.
    store.purge_expired(at + 60);
    assert_eq!(store.len(), 1);
    store.purge_expired(at + 10_011);
    assert!(store.is_empty(), "the session goes with its last token");
}
