//! Two auth-demo instances on one shared store (Redis, PostgreSQL), behind
//! one origin: a passkey registered on one signs in on the other, a ceremony
//! started on one finishes on the other, and a passkey deleted on one is
//! refused on the other from the next request on.

use serde_json::json;

use super::authenticator::ClientData;
use super::support::{Demo, free_port, own_loopback_address, service_url};
use super::{add_passkey, refused, send_sign_in, sign_in, sign_in_options, user};

#[tokio::test]
async fn instances_sharing_redis_share_passkeys() {
    let Some(url) = service_url("REDIS_URL", "the passkey tests on Redis") else {
        return;
    };
    instances_share_passkeys(&url).await;
}

#[tokio::test]
async fn instances_sharing_postgres_share_passkeys() {
    let Some(url) = service_url("DATABASE_URL", "the passkey tests on PostgreSQL") else {
        return;
    };
    instances_share_passkeys(&url).await;
}

async fn instances_share_passkeys(store: &str) {
    let key_dir = tempfile::tempdir().unwrap();
    let key_dir = key_dir.path().to_str().unwrap().to_owned();
    // One origin for both, as behind a load balancer; each listens on a port
    // of its own.
    let origin = format!("http://localhost:{}", free_port());
    let env = [
        ("AUTH_DEMO_STORE", store),
        ("AUTH_DEMO_KEY_DIR", key_dir.as_str()),
        ("AUTH_DEMO_ISSUER", origin.as_str()),
    ];
    let mut a = Demo::start(&env).await;
    let mut b = Demo::start(&env).await;
    // The store is shared with other tests and earlier runs: per-address
    // limits must not meet theirs.
    let address = own_loopback_address();
    a.http = a.client_from(address);
    b.http = b.client_from(address);

    let (_, session) = user(&a).await;
    let mut credential = add_passkey(&a, &origin, &session.access, 1).await;
    assert_eq!(
        sign_in(&b, &origin, &mut credential).await.status(),
        200,
        "a passkey registered on A signs in on B"
    );

    let (ceremony, options) = sign_in_options(&a).await;
    let answer = credential.assertion(&ClientData::get(&options, &origin));
    assert_eq!(
        send_sign_in(&b, &ceremony, answer).await.status(),
        200,
        "a ceremony started on A finishes on B"
    );

    let (ceremony, options) = sign_in_options(&b).await;
    let answer = credential.assertion(&ClientData::get(&options, &origin));
    let response = a
        .http
        .delete(a.url(&format!("/auth/passkeys/{}", credential.id_b64())))
        .bearer_auth(&session.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    // B reads the passkey from the store at every sign-in: the first
    // request after the deletion is refused, well within the contract's second.
    let response = send_sign_in(&b, &ceremony, answer).await;
    assert_eq!(refused(response, 401).await, "invalid_credentials");
    let listed: serde_json::Value = b
        .get_bearer("/auth/passkeys", &session.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({ "passkeys": [] }));
}
