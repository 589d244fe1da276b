//! The browser and the provider of the external-login tests: starts
//! tests/oidc/provider/server.mjs (oidc-provider), wires an app to it, and plays the
//! browser through the provider's login form.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::external::{ExternalError, OAuth2Provider, ProviderUser, UserInfo};
use auth_core::{Algorithm, Authenticator, KeySet, MemoryStore, TokenIssuer};
use auth_middleware::AuthRoutes;
use reqwest::Url;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::{Demo, Session, cookie_value, free_port, services_required, set_cookie};

/// The cookie that carries the login secret from `/login` to `/callback`.
pub(crate) const LOGIN_COOKIE: &str = "__Host-oidc-oidc";

pub(crate) fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc/provider")
}

/// Whether the provider can run here; when not, one line (for the whole
/// file) says why, or every test fails under `AUTH_TEST_REQUIRE_SERVICES=1`.
pub(crate) fn provider_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(check_provider)
}

pub(crate) fn check_provider() -> bool {
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
        (true, false) => {
            "tests/oidc/provider/node_modules is missing (npm ci --prefix tests/oidc/provider)"
        }
    };
    assert!(
        !services_required(),
        "{reason}, and AUTH_TEST_REQUIRE_SERVICES=1 requires the OpenID Connect tests"
    );
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "skipping the OpenID Connect tests: {reason}"
    );
    false
}

/// The provider process; it exits when its stdin closes, or is killed on drop.
pub(crate) struct Provider {
    _child: Child,
    pub(crate) issuer: String,
}

impl Provider {
    /// Starts the provider and waits for its address. A start that prints
    /// nothing within 30 s is killed and tried once more (a node process
    /// starved on a loaded two-core machine); what it wrote on stderr goes
    /// into the failure message.
    pub(crate) async fn start(redirect_uri: &str) -> Provider {
        let mut last_stderr = String::new();
        for _ in 0..2 {
            match Provider::try_start(redirect_uri).await {
                Ok(provider) => return provider,
                Err(stderr) => last_stderr = stderr,
            }
        }
        panic!("the provider printed no address within 30 s, twice; its stderr:\n{last_stderr}");
    }

    /// One start; on a timeout, the process's stderr so far.
    async fn try_start(redirect_uri: &str) -> Result<Provider, String> {
        let mut child = Command::new("node")
            .arg(provider_dir().join("server.mjs"))
            .arg(redirect_uri)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
        let kept = Arc::clone(&stderr);
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                let mut kept = kept.lock().unwrap();
                kept.push_str(&line);
                kept.push('\n');
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), async {
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
        .await;
        let Ok(issuer) = ready else {
            // Dropping the child kills it.
            return Err(stderr.lock().unwrap().clone());
        };
        // Keep reading: a closed pipe would end the provider at its next line.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Provider {
            _child: child,
            issuer,
        })
    }
}

/// An app wired to a freshly started provider: the demo, or an app built
/// here on the library (for a plain OAuth2 provider, which the demo's
/// variables cannot describe). Both serve the provider at `/auth/oidc/*`.
pub(crate) struct Setup {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    pub(crate) provider: Provider,
    pub(crate) demo: Option<Demo>,
}

/// A new browser: it keeps the provider's cookies (its login session) and
/// follows no redirect by itself. Our `__Host-` cookies are `Secure`, which a
/// cookie store does not send over http: the test sends them.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn setup(client_id: &str) -> Option<Setup> {
    setup_with(client_id, &[]).await
}

/// [`setup`], the app started with `env` too.
pub(crate) async fn setup_with(client_id: &str, env: &[(&str, &str)]) -> Option<Setup> {
    if !provider_available() {
        return None;
    }
    // The app's origin must be known before it starts: the provider holds
    // its callback URL as the client's only redirect URI.
    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let provider = Provider::start(&format!("{origin}/auth/oidc/callback")).await;
    let addr = format!("127.0.0.1:{port}");
    let mut all = vec![
        ("AUTH_DEMO_ADDR", addr.as_str()),
        ("AUTH_DEMO_ISSUER", origin.as_str()),
        ("AUTH_DEMO_OIDC_ISSUER", provider.issuer.as_str()),
        ("AUTH_DEMO_OIDC_CLIENT_ID", client_id),
        ("AUTH_DEMO_OIDC_CLIENT_SECRET", "test-secret"),
    ];
    all.extend_from_slice(env);
    let demo = Demo::start(&all).await;
    Some(Setup {
        base: demo.url(""),
        http: demo.http.clone(),
        provider,
        demo: Some(demo),
    })
}

/// A login as far as the provider's authorization URL.
pub(crate) struct Started {
    pub(crate) authorize_url: Url,
    pub(crate) login_cookie: String,
}

/// Where the provider sent the browser back: our callback URL.
pub(crate) struct Returned {
    pub(crate) callback: Url,
    pub(crate) login_cookie: String,
}

pub(crate) fn location(response: &reqwest::Response) -> Url {
    let location = response.headers()[LOCATION].to_str().unwrap();
    response.url().join(location).unwrap()
}

pub(crate) fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

pub(crate) fn with_query(url: &Url, name: &str, value: &str) -> Url {
    let mut changed = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

/// The `action` of the first form of an HTML page.
pub(crate) fn form_action(page_url: &Url, html: &str) -> Url {
    let start = html.find("action=\"").expect("a form") + "action=\"".len();
    let end = start + html[start..].find('"').unwrap();
    page_url
        .join(&html[start..end].replace("&amp;", "&"))
        .unwrap()
}

impl Setup {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /auth/oidc/login`: the 302 to the provider and the login cookie.
    pub(crate) async fn begin(&self) -> Started {
        let response = self
            .http
            .get(self.url("/auth/oidc/login"))
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

    /// The provider's part, as a new browser does it: follow its redirects
    /// and post its login form as `user` (any password: the built-in form
    /// checks none), until it redirects to our callback. `abort` takes the
    /// form's "abort" link instead, which answers `error=access_denied`.
    pub(crate) async fn at_provider(&self, started: Started, user: &str, abort: bool) -> Returned {
        let callback_prefix = self.url("/auth/oidc/callback");
        let browser = browser();
        let mut form_posted = false;
        let mut next = browser
            .get(started.authorize_url.clone())
            .send()
            .await
            .unwrap();
        for _ in 0..10 {
            if next.status().is_redirection() {
                let target = location(&next);
                if target.as_str().starts_with(&callback_prefix) {
                    assert!(form_posted, "the provider showed no login form");
                    return Returned {
                        callback: target,
                        login_cookie: started.login_cookie,
                    };
                }
                next = browser.get(target).send().await.unwrap();
                continue;
            }
            assert_eq!(next.status(), 200, "the provider answered {}", next.url());
            let page_url = next.url().clone();
            let html = next.text().await.unwrap();
            assert!(html.contains(r#"name="prompt" value="login""#), "{html}");
            form_posted = true;
            next = if abort {
                let abort_url = page_url
                    .join(&format!("{}/abort", page_url.path()))
                    .unwrap();
                browser.get(abort_url).send().await.unwrap()
            } else {
                browser
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
    pub(crate) async fn callback(
        &self,
        url: &Url,
        login_cookie: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.http.get(url.clone());
        if let Some(value) = login_cookie {
            request = request.header(COOKIE, format!("{LOGIN_COOKIE}={value}"));
        }
        request.send().await.unwrap()
    }

    /// A whole login as `user`: the token response.
    pub(crate) async fn login_as(&self, user: &str) -> Session {
        let returned = self.at_provider(self.begin().await, user, false).await;
        let response = self
            .callback(&returned.callback, Some(&returned.login_cookie))
            .await;
        assert_eq!(response.status(), 200);
        let cleared = set_cookie(&response, LOGIN_COOKIE).expect("the login cookie is cleared");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        Session::from_token_response(response).await
    }

    pub(crate) async fn me(&self, session: &Session) -> Value {
        let demo = self.demo.as_ref().expect("the demo");
        let response = demo.get_bearer("/api/me", &session.access).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// A 400 with `{"error": code}` and a description.
pub(crate) async fn assert_refused(response: reqwest::Response, code: &str) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
}

/// The provider's user-info endpoint (`/me`), as an application would ask
/// a plain OAuth2 provider's API who the user is.
pub(crate) struct ProviderApi {
    pub(crate) userinfo_url: String,
}

#[async_trait::async_trait]
impl UserInfo for ProviderApi {
    async fn user_info(
        &self,
        http: &reqwest::Client,
        access_token: &str,
    ) -> Result<ProviderUser, ExternalError> {
        let unavailable = |e: reqwest::Error| ExternalError::Unavailable {
            what: "the user-info endpoint".to_owned(),
            source: Some(Box::new(e)),
        };
        let response = http
            .get(&self.userinfo_url)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(unavailable)?;
        if !response.status().is_success() {
            return Err(ExternalError::Refused("the user-info call was refused"));
        }
        let body: Value = response.json().await.map_err(unavailable)?;
        let subject = body["sub"]
            .as_str()
            .ok_or(ExternalError::Refused("no user id"))?;
        Ok(ProviderUser {
            subject: subject.to_owned(),
            preferred_username: body["preferred_username"].as_str().map(str::to_owned),
        })
    }
}

/// An app built on the library with the provider as a plain OAuth2 provider
/// (endpoints given, no discovery, no id_token checks: `UserInfo` says who
/// the user is).
pub(crate) async fn setup_plain_oauth2() -> Option<(Setup, Authenticator)> {
    if !provider_available() {
        return None;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let redirect_uri = format!("{origin}/auth/oidc/callback");
    let provider = Provider::start(&redirect_uri).await;
    let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA).unwrap(), &origin, "test");
    let auth = Authenticator::builder(issuer, MemoryStore::new())
        .build()
        .await
        .unwrap();
    let login = OAuth2Provider::new(
        "oidc",
        provider.issuer.as_str(),
        &format!("{}/auth", provider.issuer),
        &format!("{}/token", provider.issuer),
        "test-client",
        "test-secret",
        ProviderApi {
            userinfo_url: format!("{}/me", provider.issuer),
        },
    )
    .scopes(["openid", "profile"])
    .build(&redirect_uri)
    .unwrap();
    let app = axum::Router::new().nest(
        "/auth",
        AuthRoutes::new(auth.clone())
            .external_login(login)
            .into_router(),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let setup = Setup {
        base: origin,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        provider,
        demo: None,
    };
    Some((setup, auth))
}
