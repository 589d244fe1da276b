//! Starting the example apps as real processes on 127.0.0.1 for the end-to-end tests.
#![allow(dead_code)]
// each test file uses its own part of the support code
// Test support: a failed step is a failed test, so panicking on it is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::IpAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running example app; killed when dropped.
pub(crate) struct App {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub(crate) base: String,
    /// Lines the app printed on stdout before it was ready.
    pub(crate) banner: Vec<String>,
    /// What the app wrote on stderr, when it was started capturing it.
    pub(crate) stderr: Option<Arc<Mutex<Vec<String>>>>,
}

impl App {
    /// Starts `binary` with `env`, waits until it prints `marker` followed by
    /// its address (`http://127.0.0.1:PORT`, or `http://[::]:PORT` for an app
    /// listening on every address, reached through 127.0.0.1) on stdout, and
    /// returns it.
    pub(crate) async fn start(binary: &str, env: &[(&str, &str)], marker: &str) -> App {
        App::start_with(binary, env, marker, false).await
    }

    /// [`App::start`], keeping what the app writes on stderr in
    /// [`App::stderr`] when `capture_stderr`.
    pub(crate) async fn start_with(
        binary: &str,
        env: &[(&str, &str)],
        marker: &str,
        capture_stderr: bool,
    ) -> App {
        let mut command = Command::new(binary);
        command
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if capture_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .kill_on_drop(true);
        let mut child = command.spawn().expect("the example binary starts");
        let stderr = child.stderr.take().map(|pipe| {
            let lines = Arc::new(Mutex::new(Vec::new()));
            let kept = Arc::clone(&lines);
            tokio::spawn(async move {
                let mut pipe = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = pipe.next_line().await {
                    kept.lock().unwrap().push(line);
                }
            });
            lines
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut banner = Vec::new();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let line = lines
                    .next_line()
                    .await
                    .expect("stdout readable")
                    .expect("the app exited before it was ready");
                banner.push(line.clone());
                if let Some(rest) = line.split(marker).nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or_default();
                    if url.starts_with("http://127.0.0.1:") {
                        return url.trim_end_matches('/').to_owned();
                    }
                    if let Some(port) = url.strip_prefix("http://[::]:") {
                        return format!("http://127.0.0.1:{}", port.trim_end_matches('/'));
                    }
                }
            }
        })
        .await
        .expect("the app printed its address within 60 s");
        // Keep draining stdout so the app never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        App {
            child,
            base,
            banner,
            stderr,
        }
    }

    /// `base` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl App {
    /// Stops the process and waits until it has exited.
    pub(crate) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A running `auth-demo` and a client for it.
pub(crate) struct Demo {
    /// The process.
    pub(crate) app: App,
    /// A client without a cookie store: tests set `Cookie` by hand, since the
    /// `__Host-` cookies are `Secure` and a client would not send them over
    /// plain HTTP.
    pub(crate) http: reqwest::Client,
}

impl Demo {
    /// Starts `auth-demo` on a free port of 127.0.0.1 with `env` (on top of
    /// `AUTH_DEMO_ADDR=127.0.0.1:0`, a quiet log, and room for the many
    /// registrations a test makes from the one address 127.0.0.1; a test of
    /// the registration limit sets its own).
    pub(crate) async fn start(env: &[(&str, &str)]) -> Demo {
        Demo::start_with(env, false).await
    }

    async fn start_with(env: &[(&str, &str)], capture_stderr: bool) -> Demo {
        let mut all: Vec<(&str, &str)> = vec![
            ("AUTH_DEMO_ADDR", "127.0.0.1:0"),
            ("RUST_LOG", "warn"),
            ("AUTH_DEMO_REGISTRATIONS_PER_HOUR", "100000"),
        ];
        all.extend_from_slice(env);
        let app = App::start_with(
            env!("CARGO_BIN_EXE_e2e-auth-demo"),
            &all,
            "auth-demo listening on",
            capture_stderr,
        )
        .await;
        Demo {
            app,
            http: client(None),
        }
    }

    /// `base` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    /// Stops the process and waits until it has exited.
    pub(crate) async fn stop(self) {
        self.app.stop().await;
    }

    /// [`Demo::start`], keeping what the app logs on stderr (see
    /// [`Demo::logs`]).
    pub(crate) async fn start_logging(env: &[(&str, &str)]) -> Demo {
        Demo::start_with(env, true).await
    }

    /// The lines the app has logged so far ([`Demo::start_logging`] only).
    pub(crate) fn logs(&self) -> Vec<String> {
        self.app
            .stderr
            .as_ref()
            .map(|lines| lines.lock().unwrap().clone())
            .unwrap_or_default()
    }

    /// A client whose connections come from `ip`, one of the loopback
    /// addresses (the app sees it as the client's address).
    pub(crate) fn client_from(&self, ip: IpAddr) -> reqwest::Client {
        client(Some(ip))
    }

    /// Runs `auth-demo` with `env` (on top of `AUTH_DEMO_ADDR=127.0.0.1:0`)
    /// expecting it to refuse to start: returns its exit status and what it
    /// wrote on stderr. Panics if it is still running after 60 s.
    pub(crate) async fn start_refused(env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_e2e-auth-demo"));
        command
            .env("AUTH_DEMO_ADDR", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().expect("the example binary starts");
        let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("the app gave up within 60 s")
            .expect("the app's output is readable");
        (
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// POST `path` with a bearer token and `body` as JSON.
    pub(crate) async fn post_json_bearer(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// POST `path` with a bearer token and no body.
    pub(crate) async fn post_bearer(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// POSTs `body` as JSON.
    pub(crate) async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Registers `username`; panics unless 201.
    pub(crate) async fn register(&self, username: &str, password: &str) -> String {
        let response = self
            .post_json(
                "/auth/register",
                serde_json::json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(response.status(), 201, "register {username}");
        let body: serde_json::Value = response.json().await.expect("json");
        body["user_id"].as_str().expect("user_id").to_owned()
    }

    /// Logs in with a password (no MFA); returns the access token and the refresh cookie value.
    pub(crate) async fn login(&self, username: &str, password: &str) -> Session {
        let response = self
            .post_json(
                "/auth/login",
                serde_json::json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(response.status(), 200, "login {username}");
        Session::from_token_response(response).await
    }

    /// GET `path` with a bearer token.
    pub(crate) async fn get_bearer(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// POST /auth/refresh with the refresh cookie.
    pub(crate) async fn refresh(&self, refresh: &str) -> reqwest::Response {
        self.http
            .post(self.url("/auth/refresh"))
            .header("cookie", format!("__Host-refresh={refresh}"))
            .send()
            .await
            .expect("request")
    }
}

/// The tokens of one login.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// The access token from the JSON body.
    pub(crate) access: String,
    /// The refresh token from the `__Host-refresh` cookie.
    pub(crate) refresh: String,
    /// The response body.
    pub(crate) body: serde_json::Value,
}

impl Session {
    /// Reads a token response: the JSON body and the refresh cookie.
    pub(crate) async fn from_token_response(response: reqwest::Response) -> Session {
        let refresh = set_cookie(&response, "__Host-refresh").expect("a refresh cookie");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_u64().is_some());
        assert!(
            body.get("refresh_token").is_none(),
            "the refresh token travels only in the cookie"
        );
        Session {
            access: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
            refresh: cookie_value(&refresh).to_owned(),
            body,
        }
    }
}

/// A client that follows no redirect, connecting from `local` when given.
fn client(local: Option<IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(local)
        .build()
        .expect("client")
}

/// A loopback address of its own for one test (127.x.y.z, never 127.0.0.1):
/// per-address limits in a shared store then never meet another test's, or
/// an earlier run's.
pub(crate) fn own_loopback_address() -> IpAddr {
    let mut bytes = [0u8; 3];
    getrandom_bytes(&mut bytes);
    let [a, b, c] = bytes;
    IpAddr::V4(std::net::Ipv4Addr::new(127, a.max(1), b, c.clamp(2, 254)))
}

/// Random bytes from the OS (via the standard library's hasher seeds, so
/// the tests need no extra crate).
fn getrandom_bytes(out: &mut [u8]) {
    use std::hash::{BuildHasher as _, Hasher as _};
    for byte in out {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(0);
        *byte = hasher.finish().to_le_bytes()[0];
    }
}

/// The `Set-Cookie` header that sets `name`, if any.
pub(crate) fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value part of a `Set-Cookie` header.
pub(crate) fn cookie_value(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// The JSON claims of a JWT (unverified; for looking at what the app issued).
pub(crate) fn claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// A unique username for one test.
pub(crate) fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The TOTP code for a base32 secret at now + `offset_secs`, computed with
/// totp-rs (an implementation independent of the app's). An offset of 30 gives
/// the next step's code, which the app accepts (±1 step) and which a code used
/// just before (this step's) does not make a replay.
pub(crate) fn totp_at(secret_base32: &str, offset_secs: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name("e2e")
        .build()
        .expect("totp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    totp.generate(now + offset_secs).to_string()
}

/// Whether a missing Redis or PostgreSQL must fail the tests rather than skip
/// them (`AUTH_TEST_REQUIRE_SERVICES=1`).
pub(crate) fn services_required() -> bool {
    std::env::var("AUTH_TEST_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// The URL in the environment variable `name` (`REDIS_URL`, `DATABASE_URL`),
/// or `None` after one line on stderr saying `what` is skipped; when
/// [`services_required`], a missing URL panics instead.
pub(crate) fn service_url(name: &str, what: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if services_required() => {
            panic!("{name} is not set, and AUTH_TEST_REQUIRE_SERVICES=1 requires {what}")
        }
        _ => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "skipping {what}: {name} is not set");
            None
        }
    }
}

/// Polls `check` every `every` until it holds, and returns how long that
/// took; panics (naming `what`) once `guard` has passed without it holding.
pub(crate) async fn wait_for<F, Fut>(
    what: &str,
    every: Duration,
    guard: Duration,
    mut check: F,
) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < guard,
            "{what}: still not the case after {guard:?}"
        );
        tokio::time::sleep(every).await;
    }
}

/// A port of 127.0.0.1 that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local address")
        .port()
}
