//! `auth-demo` while its store is unreachable (its README, "Several
//! instances, and store outages"): the routes that need the store answer 503
//! `temporarily_unavailable` with `Retry-After`, never 500; bearer routes
//! keep answering from the local view; once the store is back everything
//! works again without restarting the app, and no refresh family was left
//! half-rotated by the attempts that failed. Also: a store unreachable at
//! start stops the app with one line naming `AUTH_DEMO_STORE`.
//!
//! Redis: the test runs its own `redis-server` (stopped with `SHUTDOWN SAVE`
//! and started again from its dump). PostgreSQL: the app reaches the server
//! of `DATABASE_URL` through a TCP relay in the test, which is cut and
//! restored. Without `REDIS_URL` / `DATABASE_URL` a test is skipped (one line
//! says so), unless `AUTH_TEST_REQUIRE_SERVICES=1` makes that a failure.
//! With `AUTH_DEMO_MAX_STALENESS` (this app's extension of the contract) an
//! instance refuses tokens (503) once its view is that old, and accepts them
//! again when the store is back.

// Test code: a failed step is a failed test, so panicking on it is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

// The relay of the auth-core store tests: the same code, which needs only Tokio.
#[path = "../../auth-core/tests/services/relay.rs"]
mod relay;
#[path = "../support/mod.rs"]
mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use relay::{Relay, via};
use support::{Demo, Session, free_port, service_url, unique, wait_for};

const PASSWORD: &str = "correct horse battery";

/// Concurrent clients of the load, and the rounds each runs: 50 rounds.
const CLIENTS: usize = 10;
const ROUNDS_PER_CLIENT: usize = 5;

/// How long the app may take to work again once the store is back.
const RECOVERY_GUARD: Duration = Duration::from_secs(30);

fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_answers_503_and_recovers_by_itself() {
    if service_url("REDIS_URL", "the auth-demo outage test on Redis").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut redis = OwnRedis::start(port, dir.path()).await;
    let store = format!("redis://127.0.0.1:{port}");
    let keys = tempfile::tempdir().unwrap();
    let key_dir = keys.path().to_str().unwrap();
    // Strict rotation, so that the check after recovery can present a
    // rotated token again and see reuse at once.
    let demo = Demo::start(&[
        ("AUTH_DEMO_STORE", &store),
        ("AUTH_DEMO_KEY_DIR", key_dir),
        ("AUTH_DEMO_REFRESH_REUSE_INTERVAL", "0"),
        ("RUST_LOG", "error"),
    ])
    .await;
    // An instance of the same app that refuses tokens once its view is a
    // second out of date.
    let strict = Demo::start(&[
        ("AUTH_DEMO_STORE", &store),
        ("AUTH_DEMO_KEY_DIR", key_dir),
        ("AUTH_DEMO_MAX_STALENESS", "1"),
        ("RUST_LOG", "error"),
    ])
    .await;
    let before = signed_in(&demo).await;
    assert_eq!(
        strict
            .get_bearer("/api/me", &before.session.access)
            .await
            .status(),
        200
    );

    redis.shutdown_saving().await;
    outage_load(&demo, &before, "redis").await;
    let closed = wait_for(
        "AUTH_DEMO_MAX_STALENESS=1 refusing tokens",
        Duration::from_millis(50),
        RECOVERY_GUARD,
        || async {
            let response = strict.get_bearer("/api/me", &before.session.access).await;
            response.status() == 503 && response.headers().contains_key("retry-after")
        },
    )
    .await;
    report(&format!(
        "outage: redis: the strict instance failed closed {closed:?} after the load"
    ));

    let _redis = OwnRedis::start(port, dir.path()).await;
    let reopened = wait_for(
        "AUTH_DEMO_MAX_STALENESS=1 accepting tokens again",
        Duration::from_millis(50),
        RECOVERY_GUARD,
        || async {
            strict
                .get_bearer("/api/me", &before.session.access)
                .await
                .status()
                == 200
        },
    )
    .await;
    report(&format!(
        "outage: redis: the strict instance accepts tokens again {reopened:?} after the store came back"
    ));
    after_recovery(&demo, &before, "redis").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_and_recovers_by_itself() {
    let Some(url) = service_url("DATABASE_URL", "the auth-demo outage test on PostgreSQL") else {
        return;
    };
    let relay = Relay::start(0, server_address(&url)).await;
    let store = via(&url, relay.port);
    let demo = Demo::start(&[
        ("AUTH_DEMO_STORE", &store),
        ("AUTH_DEMO_REFRESH_REUSE_INTERVAL", "0"),
        ("RUST_LOG", "error"),
    ])
    .await;
    let before = signed_in(&demo).await;

    let (port, target) = relay.stop().await;
    outage_load(&demo, &before, "postgres").await;

    let _relay = Relay::start(port, target).await;
    after_recovery(&demo, &before, "postgres").await;
}

#[tokio::test]
async fn a_store_unreachable_at_start_stops_the_app_with_one_line() {
    let port = free_port();
    for store in [
        format!("redis://:hunter2@127.0.0.1:{port}"),
        format!("postgres://app:hunter2@127.0.0.1:{port}/auth"),
    ] {
        let (status, stderr) = Demo::start_refused(&[("AUTH_DEMO_STORE", &store)]).await;
        assert!(!status.success(), "{status:?}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].contains("AUTH_DEMO_STORE"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}

/// A user signed in before the outage, whose username `/api/me` has shown,
/// and another whose `/api/me` this instance never answered.
#[derive(Clone)]
struct Before {
    username: String,
    session: Session,
    unseen_username: String,
    unseen: Session,
}

async fn signed_in(demo: &Demo) -> Before {
    let username = unique("outage");
    demo.register(&username, PASSWORD).await;
    let session = demo.login(&username, PASSWORD).await;
    let me = demo.get_bearer("/api/me", &session.access).await;
    assert_eq!(me.status(), 200);
    let unseen_username = unique("unseen");
    demo.register(&unseen_username, PASSWORD).await;
    let unseen = demo.login(&unseen_username, PASSWORD).await;
    Before {
        username,
        session,
        unseen_username,
        unseen,
    }
}

/// The load while the store is away: every round reads `/api/me`, refreshes
/// with the pre-outage cookie, logs in with JSON and with the page form.
async fn outage_load(demo: &Demo, before: &Before, store: &str) {
    let started = Instant::now();
    let mut clients = JoinSet::new();
    for _ in 0..CLIENTS {
        let http = demo.http.clone();
        let base = demo.url("");
        let before = before.clone();
        clients.spawn(async move {
            for _ in 0..ROUNDS_PER_CLIENT {
                one_round(&http, &base, &before).await;
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.expect("a client of the load failed");
    }
    report(&format!(
        "outage: {store}: {} rounds in {:?}, /api/me always 200, store-bound routes always 503",
        CLIENTS * ROUNDS_PER_CLIENT,
        started.elapsed()
    ));
}

async fn one_round(http: &reqwest::Client, base: &str, before: &Before) {
    let me = http
        .get(format!("{base}/api/me"))
        .bearer_auth(&before.session.access)
        .send();
    let refresh = http
        .post(format!("{base}/auth/refresh"))
        .header(
            "cookie",
            format!("__Host-refresh={}", before.session.refresh),
        )
        .send();
    let login = http
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"username": &before.username, "password": PASSWORD}))
        .send();
    let page = http
        .post(format!("{base}/login"))
        .form(&[
            ("username", before.username.as_str()),
            ("password", PASSWORD),
        ])
        .send();
    let (me, refresh, login, page) = tokio::join!(me, refresh, login, page);

    let me = me.expect("request");
    assert_eq!(me.status(), 200, "/api/me answers from the local view");
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["username"], before.username.as_str());
    // Any valid token, not only users this instance has seen: the username
    // travels in the token.
    let unseen = http
        .get(format!("{base}/api/me"))
        .bearer_auth(&before.unseen.access)
        .send()
        .await
        .expect("request");
    assert_eq!(unseen.status(), 200, "/api/me for a user never seen here");
    let unseen: serde_json::Value = unseen.json().await.unwrap();
    assert_eq!(unseen["username"], before.unseen_username.as_str());
    for (route, response) in [("/auth/refresh", refresh), ("/auth/login", login)] {
        unavailable(route, response.expect("request"), "application/json").await;
    }
    unavailable("/login", page.expect("request"), "text/html").await;
}

/// Asserts a 503 with `Retry-After`, of `content_type`; a JSON body must be
/// `{"error": "temporarily_unavailable", …}`.
async fn unavailable(route: &str, response: reqwest::Response, content_type: &str) {
    assert_eq!(response.status(), 503, "{route} while the store is away");
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str());
    assert!(
        matches!(retry_after, Some(Ok(value)) if value.parse::<u64>().is_ok()),
        "{route}: Retry-After {retry_after:?}"
    );
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with(content_type), "{route}: {kind}");
    let body = response.text().await.unwrap();
    if content_type == "application/json" {
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "temporarily_unavailable", "{route}");
    } else {
        assert!(body.contains("briefly unavailable"), "{route}: {body}");
    }
}

/// Once the store is back: login works again, the pre-outage refresh cookie
/// rotates exactly once (the failed attempts left its family as it was), and
/// presenting it again is reuse.
async fn after_recovery(demo: &Demo, before: &Before, store: &str) {
    let recovered = wait_for(
        "login after the store came back",
        Duration::from_millis(100),
        RECOVERY_GUARD,
        || async {
            let response = demo
                .post_json(
                    "/auth/login",
                    serde_json::json!({"username": &before.username, "password": PASSWORD}),
                )
                .await;
            let status = response.status();
            assert!(
                status == 200 || status == 503,
                "login while recovering: {status}"
            );
            status == 200
        },
    )
    .await;
    report(&format!(
        "outage: {store}: login works again {recovered:?} after the store came back"
    ));
    let rotated = demo.refresh(&before.session.refresh).await;
    assert_eq!(
        rotated.status(),
        200,
        "the pre-outage refresh token rotates once"
    );
    let rotated = Session::from_token_response(rotated).await;
    let reuse = demo.refresh(&before.session.refresh).await;
    assert_eq!(reuse.status(), 401, "presenting it again is reuse");
    let me = demo.get_bearer("/api/me", &rotated.access).await;
    assert_eq!(me.status(), 401, "reuse revoked the family's access tokens");
    let me = demo.get_bearer("/api/me", &before.session.access).await;
    assert_eq!(me.status(), 401);
}

/// A `redis-server` of the test's own, killed when dropped.
struct OwnRedis {
    port: u16,
    child: Child,
}

impl OwnRedis {
    /// Starts one on `port`, its dump in `dir` (loaded if there is one), and
    /// waits until it answers.
    async fn start(port: u16, dir: &Path) -> OwnRedis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--dir", dir.to_str().unwrap()])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts (is it installed?)");
        let server = OwnRedis { port, child };
        wait_for(
            "redis-server answering PING",
            Duration::from_millis(50),
            Duration::from_secs(10),
            || async { server.command("PING").await.as_deref() == Some("+PONG") },
        )
        .await;
        server
    }

    /// Sends one inline command and returns the first line of the answer.
    async fn command(&self, command: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await.ok()?;
        stream
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .ok()?;
        let mut answer = vec![0u8; 256];
        let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut answer))
            .await
            .ok()?
            .ok()?;
        let answer = String::from_utf8_lossy(answer.get(..read)?).into_owned();
        answer.lines().next().map(str::to_owned)
    }

    /// Stops the server after writing its data to the dump, so that the
    /// next start on the same folder has it back.
    async fn shutdown_saving(&mut self) {
        // A successful SHUTDOWN closes the connection without an answer.
        let _ = self.command("SHUTDOWN SAVE").await;
        wait_for(
            "redis-server to exit",
            Duration::from_millis(20),
            Duration::from_secs(10),
            || {
                let exited = matches!(self.child.try_wait(), Ok(Some(_)));
                async move { exited }
            },
        )
        .await;
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `host:port` of a `postgres://` URL (port 5432 unless given).
fn server_address(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split(['/', '?']).next().unwrap();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    }
}
