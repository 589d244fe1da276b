//! What the sync tests of both shared stores (`sync_redis`, `sync_postgres`)
//! share: an app instance with its local views fed by
//! [`StateSync::spawn_sync`], waiting for a view to change within a guard,
//! and the promises they measure against.

use std::time::{Duration, Instant};

use auth_core::store::{
    ApiKey, ApiKeyIndex, Revocation, RevocationStore, SecretHash, StateSync, SyncHandle,
};
use auth_core::{
    Algorithm, KeySet, RevocationList, RevocationQuery, RevocationView, TokenIssuer, TokenRequest,
    Verifier,
};

use super::{now, random_hex, report};

/// Only to keep a broken sync from hanging the run; never reached when it works.
pub(crate) const HANG_GUARD: Duration = Duration::from_secs(5);
/// Reconnecting goes through a backoff of up to 2 s, and the first command
/// on a re-established connection may fail once more: a looser guard.
pub(crate) const RECOVERY_GUARD: Duration = Duration::from_secs(20);
/// What the issue promises: a revocation on one instance is seen by every
/// other within this.
pub(crate) const PROPAGATION_PROMISE: Duration = Duration::from_secs(1);

/// One app instance: its own store (connection or pool), views and sync task.
pub(crate) struct Instance<S> {
    pub(crate) store: S,
    pub(crate) revocations: RevocationList,
    pub(crate) api_keys: ApiKeyIndex,
    pub(crate) sync: SyncHandle,
}

impl<S: StateSync> Instance<S> {
    /// Starts the sync of `store` into new views; returns once the first
    /// load is done (within [`RECOVERY_GUARD`]).
    pub(crate) async fn start(store: S) -> Self {
        let revocations = RevocationList::new();
        let api_keys = ApiKeyIndex::new();
        let sync = store.spawn_sync(revocations.clone(), api_keys.clone());
        let instance = Instance {
            store,
            revocations,
            api_keys,
            sync,
        };
        wait_at_most(RECOVERY_GUARD, "the first load", || {
            instance.sync.last_synced().is_some()
        })
        .await;
        instance
    }
}

/// Polls `done` every 20 ms until it holds; returns how long that took.
/// Panics after [`HANG_GUARD`], naming `what`.
pub(crate) async fn wait_until(what: &str, done: impl Fn() -> bool) -> Duration {
    wait_at_most(HANG_GUARD, what, done).await
}

/// [`wait_until`] with another guard than [`HANG_GUARD`].
pub(crate) async fn wait_at_most(guard: Duration, what: &str, done: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < guard, "{what} never happened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

/// Revokes the token `jti` through `a` and waits for `b`'s view to hold
/// it; reports how long the write and the propagation took (`label`: which
/// store) and asserts that together they keep [`PROPAGATION_PROMISE`].
pub(crate) async fn assert_revocation_propagates<S: RevocationStore>(
    label: &str,
    a: &Instance<S>,
    b: &Instance<S>,
    jti: &str,
) {
    let written = Instant::now();
    a.store
        .revoke(&Revocation::Token {
            jti: jti.to_owned(),
            expires_at: now() + 600,
        })
        .await
        .unwrap();
    let write = written.elapsed();
    let delay = wait_until("the revocation on B", || revoked_jti(&b.revocations, jti)).await;
    report(&format!(
        "{label}: revocation written on A in {write:?}, seen on B {delay:?} later"
    ));
    assert!(
        write + delay <= PROPAGATION_PROMISE,
        "a revocation must reach the other instances within 1 s"
    );
    // The writing instance's view learns it from the same announcement,
    // which may reach it a moment after B.
    wait_until("the revocation on A", || revoked_jti(&a.revocations, jti)).await;
    assert!(
        written.elapsed() <= PROPAGATION_PROMISE,
        "the writing instance must hear its own announcement within 1 s"
    );
}

/// For the outage tests: an issuer whose tokens are checked against
/// `instance`'s revocation view, a verifier of them that refuses every token
/// once that view is older than `max_age`, and a token it issued.
pub(crate) fn issuer_over<S>(
    instance: &Instance<S>,
    max_age: Duration,
) -> (TokenIssuer, Verifier, String) {
    let issuer = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id",
        "api",
    )
    .revocation_list(instance.revocations.clone());
    let verifier = issuer.verifier().max_revocation_staleness(max_age);
    let token = issuer
        .issue(&TokenRequest::new("user-1"))
        .unwrap()
        .access_token;
    (issuer, verifier, token)
}

/// Whether `view` holds the revocation of the token `jti` (and only that
/// matches: no session, a subject nobody revokes).
pub(crate) fn revoked_jti(view: &RevocationList, jti: &str) -> bool {
    view.is_revoked(&RevocationQuery {
        jti,
        sid: None,
        sub: "nobody",
        iat: 0,
    })
}

/// The hash of a random secret.
pub(crate) fn random_hash() -> SecretHash {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).unwrap();
    SecretHash::of("sync-test", &secret)
}

/// A new API key of `owner`, with a random id and secret.
pub(crate) fn new_key(owner: &str) -> ApiKey {
    ApiKey {
        id: format!("key-{}", random_hex()),
        user_id: owner.to_owned(),
        name: "ci".to_owned(),
        hash: random_hash(),
        created_at: now(),
    }
}

/// `Attach::attach` on `a`: once ready, writes through `b` (another
/// instance over the same backend) reach its views; the memory-free API-key
/// lookup sees keys; and once the handle is dropped, its task stops.
pub(crate) async fn attach_feeds_the_views_until_dropped<S>(label: &str, a: S, b: S)
where
    S: auth_core::store::Attach + auth_core::store::ApiKeyStore,
{
    use auth_core::store::ApiKeyView as _;
    let attached = a.attach();
    attached
        .ready(RECOVERY_GUARD)
        .await
        .unwrap_or_else(|e| panic!("{label}: the attached views never loaded: {e}"));
    assert!(attached.last_synced().is_some());
    let views = attached.revocations();
    let lookup = attached.api_keys();

    let jti = format!("jti-{}", random_hex());
    b.revoke(&Revocation::Token {
        jti: jti.clone(),
        expires_at: now() + 600,
    })
    .await
    .unwrap();
    wait_until("the revocation in the attached view", || {
        revoked_jti(&views, &jti)
    })
    .await;
    let key = new_key(&format!("owner-{}", random_hex()));
    b.create_api_key(&key, 100).await.unwrap();
    wait_until("the key in the attached lookup", || {
        lookup.api_key(&key.hash).is_some()
    })
    .await;

    drop(attached);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after = format!("jti-{}", random_hex());
    b.revoke(&Revocation::Token {
        jti: after.clone(),
        expires_at: now() + 600,
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        !revoked_jti(&views, &after),
        "{label}: a dropped handle must stop its sync task"
    );
}
