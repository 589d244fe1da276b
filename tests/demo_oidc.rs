//! auth-demo over HTTP: login with an external OpenID Connect provider
//! (demo-api.md, the `/auth/oidc/*` rows), against a real provider:
//! `oidc-provider` (OpenID Certified), started from tests/oidc/server.mjs.
//!
//! The test plays the browser: it follows the redirects, posts the
//! provider's own login form, and lands on `/auth/oidc/callback`. Without
//! node or without `npm ci --prefix tests/oidc`, the tests are skipped with
//! one line; with `AUTH_TEST_REQUIRE_SERVICES=1` (CI) they fail instead.
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;
use support::{Demo, Session, claims, cookie_value, free_port, services_required, set_cookie};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The cookie that carries the login secret from `/login` to `/callback`.
const LOGIN_COOKIE: &str = "__Host-oidc-oidc";

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/oidc")
}

/// Whether the provider can run here; when not, one line says why (or the
/// test fails, under `AUTH_TEST_REQUIRE_SERVICES=1`).
fn provider_available() -> bool {
    let node = std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let installed = provider_dir()
        .join("node_modules/oidc-provider/package.json")
        .is_file();
    let reason = match (node, installed) {
        (true, true) => return true,
        (false, _) => "node is not installed",
        (true, false) => "tests/oidc/node_modules is missing (npm ci --prefix tests/oidc)",
    };
    assert!(
        !services_required(),
        "{reason}, and AUTH_TEST_REQUIRE_SERVICES=1 requires the OpenID Connect tests"
    );
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "skipping the OpenID Connect tests: {reason}");
    false
}

/// The provider process; it exits when its stdin closes, or is killed on drop.
struct Provider {
    _child: Child,
    issuer: String,
}

impl Provider {
    async fn start(redirect_uri: &str) -> Provider {
        let mut child = Command::new("node")
            .arg(provider_dir().join("server.mjs"))
            .arg(redirect_uri)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let issuer = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let line = lines
                    .next_line()
                    .await
                    .unwrap()
                    .expect("the provider exited before it was ready");
                if let Some(issuer) = line.strip_prefix("listening ") {
                    return issuer.trim().to_owned();
                }
            }
        })
        .await
        .expect("the provider printed its address within 60 s");
        Provider {
            _child: child,
            issuer,
        }
    }
}

/// A demo wired to a freshly started provider, as client `client_id`.
struct Setup {
    demo: Demo,
    provider: Provider,
    /// The browser: it keeps the provider's cookies (its login session) and
    /// follows no redirect by itself. Our `__Host-` cookies are `Secure`,
    /// which a cookie store does not send over http: the test sends them.
    browser: reqwest::Client,
}

async fn setup(client_id: &str) -> Option<Setup> {
    if !provider_available() {
        return None;
    }
    // The app's origin must be known before it starts: the provider holds
    // its callback URL as the client's only redirect URI.
    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let provider = Provider::start(&format!("{origin}/auth/oidc/callback")).await;
    let addr = format!("127.0.0.1:{port}");
    let demo = Demo::start(&[
        ("AUTH_DEMO_ADDR", &addr),
        ("AUTH_DEMO_ISSUER", &origin),
        ("AUTH_DEMO_OIDC_ISSUER", &provider.issuer),
        ("AUTH_DEMO_OIDC_CLIENT_ID", client_id),
        ("AUTH_DEMO_OIDC_CLIENT_SECRET", "test-secret"),
        ("RUST_LOG", "info"),
    ])
    .await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Some(Setup {
        demo,
        provider,
        browser,
    })
}

/// A login as far as the provider's authorization URL.
struct Started {
    authorize_url: Url,
    login_cookie: String,
}

/// Where the provider sent the browser back: our callback URL.
struct Returned {
    callback: Url,
    login_cookie: String,
}

fn location(response: &reqwest::Response) -> Url {
    let location = response.headers()[LOCATION].to_str().unwrap();
    response.url().join(location).unwrap()
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn with_query(url: &Url, name: &str, value: &str) -> Url {
    let mut changed = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name { value.to_owned() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

/// The `action` of the first form of an HTML page.
fn form_action(page_url: &Url, html: &str) -> Url {
    let start = html.find("action=\"").expect("a form") + "action=\"".len();
    let end = start + html[start..].find('"').unwrap();
    page_url.join(&html[start..end].replace("&amp;", "&")).unwrap()
}

impl Setup {
    /// `GET /auth/oidc/login`: the 302 to the provider and the login cookie.
    async fn begin(&self) -> Started {
        let response = self
            .demo
            .http
            .get(self.demo.url("/auth/oidc/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        let cookie = set_cookie(&response, LOGIN_COOKIE).expect("a login cookie");
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("Secure")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/"),
            "{cookie}"
        );
        Started {
            authorize_url: location(&response),
            login_cookie: cookie_value(&cookie).to_owned(),
        }
    }

    /// The provider's part, as a browser does it: follow its redirects and
    /// post its login form as `user` (any password: the built-in form checks
    /// none), until it redirects to our callback. `abort` takes the form's
    /// "abort" link instead, which answers `error=access_denied`.
    async fn at_provider(&self, started: Started, user: &str, abort: bool) -> Returned {
        let callback_prefix = self.demo.url("/auth/oidc/callback");
        let mut next = self
            .browser
            .get(started.authorize_url.clone())
            .send()
            .await
            .unwrap();
        for _ in 0..10 {
            if next.status().is_redirection() {
                let target = location(&next);
                if target.as_str().starts_with(&callback_prefix) {
                    return Returned {
                        callback: target,
                        login_cookie: started.login_cookie,
                    };
                }
                next = self.browser.get(target).send().await.unwrap();
                continue;
            }
            assert_eq!(next.status(), 200, "the provider answered {}", next.url());
            let page_url = next.url().clone();
            let html = next.text().await.unwrap();
            assert!(html.contains(r#"name="prompt" value="login""#), "{html}");
            next = if abort {
                let abort_url = page_url.join(&format!("{}/abort", page_url.path())).unwrap();
                self.browser.get(abort_url).send().await.unwrap()
            } else {
                self.browser
                    .post(form_action(&page_url, &html))
                    .form(&[("prompt", "login"), ("login", user), ("password", "any")])
                    .send()
                    .await
                    .unwrap()
            };
        }
        panic!("the provider did not send the browser back");
    }

    /// Our callback, with the login cookie (`None`: without it).
    async fn callback(&self, url: &Url, login_cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.demo.http.get(url.clone());
        if let Some(value) = login_cookie {
            request = request.header(COOKIE, format!("{LOGIN_COOKIE}={value}"));
        }
        request.send().await.unwrap()
    }

    /// A whole login as `user`: the token response.
    async fn login_as(&self, user: &str) -> Session {
        let returned = self.at_provider(self.begin().await, user, false).await;
        let response = self
            .callback(&returned.callback, Some(&returned.login_cookie))
            .await;
        assert_eq!(response.status(), 200);
        let cleared = set_cookie(&response, LOGIN_COOKIE).expect("the login cookie is cleared");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        Session::from_token_response(response).await
    }

    async fn me(&self, session: &Session) -> Value {
        let response = self.demo.get_bearer("/api/me", &session.access).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// A 400 with `{"error": code}` and a description.
async fn assert_refused(response: reqwest::Response, code: &str) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn a_provider_login_links_one_account_per_identity() {
    let Some(setup) = setup("test-client").await else {
        return;
    };
    let started = setup.begin().await;
    let url = &started.authorize_url;
    assert!(url.as_str().starts_with(&setup.provider.issuer));
    assert_eq!(query(url, "response_type").as_deref(), Some("code"));
    assert_eq!(query(url, "code_challenge_method").as_deref(), Some("S256"));
    assert!(query(url, "scope").unwrap().split(' ').any(|s| s == "openid"));
    assert!(query(url, "state").is_some() && query(url, "nonce").is_some());
    assert_eq!(
        query(url, "redirect_uri").unwrap(),
        setup.demo.url("/auth/oidc/callback")
    );

    let first = setup.login_as("alice").await;
    let access = claims(&first.access);
    assert_eq!(access["amr"][0], "fed");
    let me = setup.me(&first).await;
    assert_eq!(me["sub"], access["sub"]);
    assert!(me["username"].as_str().unwrap().starts_with("oidc:"));

    // The same identity again: the same account. Another: another account.
    let again = setup.login_as("alice").await;
    assert_eq!(setup.me(&again).await["sub"], me["sub"]);
    let bob = setup.login_as("bob").await;
    assert_ne!(setup.me(&bob).await["sub"], me["sub"]);

    // The session is an ordinary one: its refresh token rotates.
    assert_eq!(setup.demo.refresh(&first.refresh).await.status(), 200);
}

#[tokio::test]
async fn es256_id_tokens_verify_too() {
    let Some(setup) = setup("test-client-es256").await else {
        return;
    };
    let session = setup.login_as("alice").await;
    assert_eq!(setup.me(&session).await["amr"][0], "fed");
}

#[tokio::test]
async fn a_callback_works_once_and_only_with_its_state_and_cookie() {
    let Some(setup) = setup("test-client").await else {
        return;
    };
    // Mismatched state: the provider's answer with another state.
    let returned = setup.at_provider(setup.begin().await, "alice", false).await;
    let other_state = "A".repeat(43);
    let tampered = with_query(&returned.callback, "state", &other_state);
    assert_refused(
        setup.callback(&tampered, Some(&returned.login_cookie)).await,
        "invalid_request",
    )
    .await;
    // No cookie: not the browser that started the login.
    let returned = setup.at_provider(setup.begin().await, "alice", false).await;
    assert_refused(setup.callback(&returned.callback, None).await, "invalid_request").await;
    // Another browser's cookie.
    let elsewhere = setup.begin().await;
    assert_refused(
        setup
            .callback(&returned.callback, Some(&elsewhere.login_cookie))
            .await,
        "invalid_request",
    )
    .await;

    // Replayed callback: the same URL and cookie a second time.
    let returned = setup.at_provider(setup.begin().await, "alice", false).await;
    let cookie = Some(returned.login_cookie.as_str());
    assert_eq!(setup.callback(&returned.callback, cookie).await.status(), 200);
    assert_refused(setup.callback(&returned.callback, cookie).await, "invalid_request").await;

    // Replayed code under a fresh login state: the provider refuses the code.
    let fresh = setup.at_provider(setup.begin().await, "alice", false).await;
    let old_code = query(&returned.callback, "code").unwrap();
    let replayed = with_query(&fresh.callback, "code", &old_code);
    assert_refused(
        setup.callback(&replayed, Some(&fresh.login_cookie)).await,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn an_id_token_that_does_not_verify_is_refused() {
    let Some(setup) = setup("test-client").await else {
        return;
    };
    // The harness corrupts the signature of the `tampered` user's id_tokens.
    let returned = setup.at_provider(setup.begin().await, "tampered", false).await;
    assert_refused(
        setup
            .callback(&returned.callback, Some(&returned.login_cookie))
            .await,
        "invalid_request",
    )
    .await;

    // Wrong nonce: the authorization request altered on its way to the
    // provider, which then signs an id_token for another nonce.
    let mut started = setup.begin().await;
    started.authorize_url = with_query(&started.authorize_url, "nonce", "not-our-nonce");
    let returned = setup.at_provider(started, "alice", false).await;
    assert_refused(
        setup
            .callback(&returned.callback, Some(&returned.login_cookie))
            .await,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn a_provider_error_is_passed_on_as_a_400() {
    let Some(setup) = setup("test-client").await else {
        return;
    };
    let returned = setup.at_provider(setup.begin().await, "alice", true).await;
    assert_eq!(
        query(&returned.callback, "error").as_deref(),
        Some("access_denied")
    );
    let response = setup
        .callback(&returned.callback, Some(&returned.login_cookie))
        .await;
    assert!(set_cookie(&response, "__Host-refresh").is_none());
    assert_refused(response, "access_denied").await;
}
