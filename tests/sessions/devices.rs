//! `GET /auth/sessions` and `DELETE /auth/sessions/{id}`: where a person is
//! signed in, and signing one device out, on every store.

use std::net::IpAddr;
use std::time::Duration;

use super::support::{Demo, Session, claims, own_loopback_address, service_url, unique};
use super::{PASSWORD, Value, json};

/// Every store the demo runs on here: memory, and the shared ones whose
/// variable is set.
fn stores() -> Vec<(&'static str, String)> {
    let mut stores = vec![("memory", "memory".to_owned())];
    if let Some(url) = service_url("REDIS_URL", "the session list tests on Redis") {
        stores.push(("redis", url));
    }
    if let Some(url) = service_url("DATABASE_URL", "the session list tests on PostgreSQL") {
        stores.push(("postgres", url));
    }
    stores
}

/// A device: its own loopback address and user agent.
struct Device {
    ip: IpAddr,
    agent: String,
    http: reqwest::Client,
}

impl Device {
    fn new(demo: &Demo, agent: &str) -> Device {
        let ip = own_loopback_address();
        Device {
            ip,
            agent: agent.to_owned(),
            http: demo.client_from(ip),
        }
    }

    async fn login(&self, demo: &Demo, name: &str) -> Session {
        let response = self
            .http
            .post(demo.url("/auth/login"))
            .header("user-agent", &self.agent)
            .json(&json!({"username": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login");
        Session::from_token_response(response).await
    }

    async fn refresh(&self, demo: &Demo, refresh: &str) -> reqwest::Response {
        self.http
            .post(demo.url("/auth/refresh"))
            .header("user-agent", &self.agent)
            .header("cookie", format!("__Host-refresh={refresh}"))
            .send()
            .await
            .unwrap()
    }
}

async fn sessions(demo: &Demo, access: &str) -> Vec<Value> {
    let response = demo.get_bearer("/auth/sessions", access).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["sessions"].as_array().unwrap().clone()
}

async fn end(demo: &Demo, access: &str, id: &str) -> reqwest::Response {
    demo.http
        .delete(demo.url(&format!("/auth/sessions/{id}")))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sid(session: &Session) -> String {
    claims(&session.access)["sid"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_listed_and_ended_on_every_store() {
    for (store, url) in stores() {
        eprintln!("store: {store}");
        let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
        listed_with_their_devices(&demo).await;
        ended_one_by_one(&demo).await;
        demo.stop().await;
    }
}

/// Two devices: each session shows its device's address and user agent (a
/// user agent longer than 256 characters cut there), the asking token's own
/// marked current; a refresh from elsewhere is the session's new last use;
/// another user sees none of them.
async fn listed_with_their_devices(demo: &Demo) {
    let name = unique("devices");
    demo.register(&name, PASSWORD).await;
    let phone = Device::new(demo, "Phone/1.0 (Android 15)");
    let long_agent = format!("Laptop/2.0 {}", "é".repeat(400));
    let laptop = Device::new(demo, &long_agent);
    let before = now();
    let on_phone = phone.login(demo, &name).await;
    let on_laptop = laptop.login(demo, &name).await;

    let listed = sessions(demo, &on_phone.access).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let find = |listed: &[Value], id: &str| {
        listed
            .iter()
            .find(|session| session["id"] == id)
            .unwrap_or_else(|| panic!("session {id} listed in {listed:?}"))
            .clone()
    };
    let phone_entry = find(&listed, &sid(&on_phone));
    let laptop_entry = find(&listed, &sid(&on_laptop));
    assert_eq!(phone_entry["current"], true);
    assert_eq!(laptop_entry["current"], false);
    assert_eq!(phone_entry["ip"], phone.ip.to_string());
    assert_eq!(laptop_entry["ip"], laptop.ip.to_string());
    assert_eq!(phone_entry["user_agent"], phone.agent);
    let kept: String = long_agent.chars().take(256).collect();
    assert_eq!(laptop_entry["user_agent"], kept, "cut to 256 characters");
    for entry in [&phone_entry, &laptop_entry] {
        let created = entry["created_at"].as_i64().unwrap();
        assert!(created >= before && created <= now(), "{entry}");
        assert_eq!(entry["last_used_at"], entry["created_at"]);
        let mut keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "created_at",
                "current",
                "id",
                "ip",
                "last_used_at",
                "user_agent"
            ]
        );
    }
    // Seen from the laptop, the laptop's is the current one.
    let from_laptop = sessions(demo, &on_laptop.access).await;
    assert_eq!(find(&from_laptop, &sid(&on_laptop))["current"], true);
    assert_eq!(find(&from_laptop, &sid(&on_phone))["current"], false);

    // The laptop's session refreshed from a third address and browser: its
    // last use moves there, and it is listed first.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let train = Device::new(demo, "Tablet/3.0");
    let response = train.refresh(demo, &on_laptop.refresh).await;
    assert_eq!(response.status(), 200);
    let listed = sessions(demo, &on_phone.access).await;
    let laptop_entry = find(&listed, &sid(&on_laptop));
    assert_eq!(laptop_entry["ip"], train.ip.to_string());
    assert_eq!(laptop_entry["user_agent"], "Tablet/3.0");
    assert!(laptop_entry["last_used_at"].as_i64() > laptop_entry["created_at"].as_i64());
    assert_eq!(
        listed[0]["id"],
        sid(&on_laptop),
        "the most recently used first"
    );

    // Another user sees only their own.
    let other = unique("other");
    demo.register(&other, PASSWORD).await;
    let theirs = demo.login(&other, PASSWORD).await;
    let listed = sessions(demo, &theirs.access).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], sid(&theirs));
    // No token, no list.
    let anonymous = demo
        .http
        .get(demo.url("/auth/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// Ending the laptop's session from the phone: its refresh token and its
/// access token are refused at once, the phone's still work; ending it
/// again, ending another user's, or an id no session has: 404.
async fn ended_one_by_one(demo: &Demo) {
    let name = unique("ending");
    demo.register(&name, PASSWORD).await;
    let phone = demo.login(&name, PASSWORD).await;
    let laptop = demo.login(&name, PASSWORD).await;
    let stranger = unique("stranger");
    demo.register(&stranger, PASSWORD).await;
    let theirs = demo.login(&stranger, PASSWORD).await;

    let response = end(demo, &theirs.access, &sid(&laptop)).await;
    assert_eq!(response.status(), 404, "another user's session");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert_eq!(
        demo.get_bearer("/api/me", &laptop.access).await.status(),
        200
    );

    let response = end(demo, &phone.access, &sid(&laptop)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        demo.get_bearer("/api/me", &laptop.access).await.status(),
        401
    );
    assert_eq!(demo.refresh(&laptop.refresh).await.status(), 401);
    assert_eq!(
        demo.get_bearer("/api/me", &phone.access).await.status(),
        200
    );
    let listed = sessions(demo, &phone.access).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], sid(&phone));

    assert_eq!(end(demo, &phone.access, &sid(&laptop)).await.status(), 404);
    assert_eq!(
        end(demo, &phone.access, "no-such-session").await.status(),
        404
    );
    assert_eq!(
        end(demo, &phone.access, &"x".repeat(5000)).await.status(),
        404
    );
    assert_eq!(
        demo.get_bearer("/api/me", &theirs.access).await.status(),
        200
    );

    // Ending one's own session is a logout of this device.
    assert_eq!(end(demo, &phone.access, &sid(&phone)).await.status(), 204);
    assert_eq!(
        demo.get_bearer("/api/me", &phone.access).await.status(),
        401
    );
    assert_eq!(demo.refresh(&phone.refresh).await.status(), 401);
}

/// Ending a session is an account change: with a login older than
/// `AUTH_DEMO_STEP_UP_MAX_AGE`, 401 with an RFC 9470 challenge, and the
/// session lives on; listing is only reading, and still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_a_session_needs_a_recent_login() {
    let demo = Demo::start(&[("AUTH_DEMO_STEP_UP_MAX_AGE", "1")]).await;
    let name = unique("stale");
    demo.register(&name, PASSWORD).await;
    let phone = demo.login(&name, PASSWORD).await;
    let laptop = demo.login(&name, PASSWORD).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let response = end(&demo, &phone.access, &sid(&laptop)).await;
    assert_eq!(response.status(), 401);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(r#"error="insufficient_user_authentication""#)
            && challenge.ends_with("max_age=1"),
        "{challenge}"
    );
    assert_eq!(sessions(&demo, &phone.access).await.len(), 2);
    assert_eq!(demo.refresh(&laptop.refresh).await.status(), 200);
    let again = demo.login(&name, PASSWORD).await;
    assert_eq!(end(&demo, &again.access, &sid(&laptop)).await.status(), 204);
    demo.stop().await;
}
