//! Remote JWK Sets against a local issuer (axum on 127.0.0.1:0) that serves
//! keys we generate: verification with its keys, rotation without a
//! restart, the rate limit on refreshes, and a request path that never waits
//! on the network.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth_core::keys::JwkSet;
use auth_core::remote::{RefreshPolicy, RemoteIssuer};
use auth_core::{Algorithm, KeySet, SigningKey, TokenIssuer, TokenRejection, TokenRequest};
use axum::Router;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::sync::Notify;

const AUDIENCE: &str = "my-api";
type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A local issuer: its signing key, the JWK Set it publishes, and what it saw.
#[derive(Clone)]
struct Provider {
    issuer: Arc<str>,
    signing: Arc<Mutex<SigningKey>>,
    /// Requests for the JWK Set, counted on arrival.
    fetches: Arc<AtomicU64>,
    /// While set, JWK Set requests wait for `release` before answering.
    hold: Arc<AtomicBool>,
    release: Arc<Notify>,
    max_age: Option<u64>,
}

impl Provider {
    async fn start(max_age: Option<u64>) -> Result<Provider, Box<dyn std::error::Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let issuer: Arc<str> = format!("http://{}", listener.local_addr()?).into();
        let provider = Provider {
            issuer,
            signing: Arc::new(Mutex::new(SigningKey::generate(Algorithm::ES256)?)),
            fetches: Arc::new(AtomicU64::new(0)),
            hold: Arc::new(AtomicBool::new(false)),
            release: Arc::new(Notify::new()),
            max_age,
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .with_state(provider.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(provider)
    }

    /// Replaces the published key with a new one (the old one is withdrawn).
    fn rotate(&self) -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::generate(Algorithm::ES256)?;
        match self.signing.lock() {
            Ok(mut current) => *current = key,
            Err(poisoned) => *poisoned.into_inner() = key,
        }
        Ok(())
    }

    fn signing_key(&self) -> SigningKey {
        match self.signing.lock() {
            Ok(key) => key.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// An access token for us, signed with the current key.
    fn token(&self, subject: &str) -> Result<String, Box<dyn std::error::Error>> {
        let issuer = TokenIssuer::new(KeySet::new(self.signing_key()), &*self.issuer, AUDIENCE);
        Ok(issuer.issue(&TokenRequest::new(subject))?.access_token)
    }

    fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn discovery(State(provider): State<Provider>) -> impl IntoResponse {
    axum::Json(serde_json::json!({
        "issuer": &*provider.issuer,
        "jwks_uri": format!("{}/jwks.json", provider.issuer),
    }))
}

async fn jwks(State(provider): State<Provider>) -> axum::response::Response {
    provider.fetches.fetch_add(1, Ordering::SeqCst);
    if provider.hold.load(Ordering::SeqCst) {
        provider.release.notified().await;
    }
    let set = JwkSet {
        keys: provider
            .signing_key()
            .verifying_key()
            .to_jwk()
            .into_iter()
            .collect(),
    };
    let mut response = axum::Json(set).into_response();
    if let Some(max_age) = provider.max_age
        && let Ok(value) = format!("max-age={max_age}").parse()
    {
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    response
}

/// A token whose header names a key nobody has (its signature is never looked at).
fn token_with_kid(kid: &str) -> String {
    let header = serde_json::json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
    format!(
        "{}.e30.c2ln",
        URL_SAFE_NO_PAD.encode(header.to_string().as_bytes())
    )
}

/// Waits (10 s at most) until `done` holds; whether it does is for the caller to assert.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}

fn policy(interval_ms: u64) -> RefreshPolicy {
    RefreshPolicy::default().min_fetch_interval(Duration::from_millis(interval_ms))
}

#[tokio::test]
async fn tokens_signed_with_the_published_keys_verify() -> TestResult {
    let provider = Provider::start(None).await?;
    let remote = RemoteIssuer::discover(&provider.issuer, AUDIENCE).await?;
    let verifier = remote.verifier();

    let claims = verifier.verify(&provider.token("alice")?)?;
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.iss, &*provider.issuer);
    assert_eq!(remote.jwks().fetch_count(), 1);
    assert_eq!(provider.fetches(), 1);

    // Another audience, or another issuer's name for the same keys, is refused.
    let elsewhere = RemoteIssuer::with_jwks(&provider.issuer, "other-api", remote.jwks().clone());
    assert_eq!(
        elsewhere.verifier().verify(&provider.token("alice")?).err(),
        Some(TokenRejection::WrongAudience)
    );
    // Discovery must name the issuer we asked for.
    let alias = provider.issuer.replace("127.0.0.1", "localhost");
    assert!(RemoteIssuer::discover(&alias, AUDIENCE).await.is_err());
    Ok(())
}

#[tokio::test]
async fn a_rotated_key_verifies_after_the_refresh_its_unknown_kid_triggers() -> TestResult {
    let provider = Provider::start(None).await?;
    let remote = RemoteIssuer::discover_with(&provider.issuer, AUDIENCE, policy(50)).await?;
    let verifier = remote.verifier();
    let before = provider.token("alice")?;
    assert!(verifier.verify(&before).is_ok());

    provider.rotate()?;
    let after = provider.token("alice")?;
    // Refused at once, never awaited: the refresh happens in the background.
    assert_eq!(
        verifier.verify(&after).err(),
        Some(TokenRejection::UnknownKey)
    );
    assert!(
        eventually(|| verifier.verify(&after).is_ok()).await,
        "the new key was never fetched"
    );
    assert_eq!(
        verifier.verify(&before).err(),
        Some(TokenRejection::UnknownKey),
        "a key no longer published must stop verifying"
    );
    assert!(remote.jwks().fetch_count() >= 2);
    Ok(())
}

#[tokio::test]
async fn a_key_set_is_refreshed_before_its_lifetime_runs_out() -> TestResult {
    // max-age=1 s, within bounds of [1 s, 1 h]: refreshed 0.9 s after each fetch.
    let provider = Provider::start(Some(1)).await?;
    let policy = policy(50).max_age_bounds(Duration::from_secs(1), Duration::from_secs(3600));
    let remote = RemoteIssuer::discover_with(&provider.issuer, AUDIENCE, policy).await?;
    provider.rotate()?;
    let new_kid = provider.signing_key().kid().to_owned();
    // No token names the new key: only the schedule can bring it.
    assert!(
        eventually(|| remote.jwks().keys().verifying_key(&new_kid).is_some()).await,
        "the set was not refreshed on schedule"
    );
    assert!(remote.verifier().verify(&provider.token("bob")?).is_ok());
    Ok(())
}

#[tokio::test]
async fn a_flood_of_unknown_kids_fetches_at_most_once_per_interval() -> TestResult {
    let interval = Duration::from_millis(250);
    let provider = Provider::start(None).await?;
    let remote = RemoteIssuer::discover_with(&provider.issuer, AUDIENCE, policy(250)).await?;
    let verifier = remote.verifier();
    assert_eq!(provider.fetches(), 1);

    let started = Instant::now();
    for n in 0..1_000u32 {
        let token = token_with_kid(&format!("random-{n}-{}", started.elapsed().as_nanos()));
        assert_eq!(
            verifier.verify(&token).err(),
            Some(TokenRejection::UnknownKey)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let flood = started.elapsed();

    // Let the last merged trigger be served, then count: settled once three
    // intervals pass without a fetch.
    let mut seen = provider.fetches();
    loop {
        tokio::time::sleep(interval * 3).await;
        let now = provider.fetches();
        if now == seen {
            break;
        }
        seen = now;
    }
    let flood_fetches = seen - 1;
    let bound = flood.as_millis().div_ceil(interval.as_millis()) + 1;
    println!("{flood:?} of unknown kids: {flood_fetches} fetches (bound {bound})");
    assert!(flood_fetches >= 1, "unknown kids never triggered a refresh");
    assert!(
        u128::from(flood_fetches) <= bound,
        "{flood_fetches} fetches for a {flood:?} flood exceed {bound}"
    );
    assert_eq!(remote.jwks().fetch_count(), seen);
    Ok(())
}

#[tokio::test]
async fn verification_never_waits_for_a_fetch() -> TestResult {
    let provider = Provider::start(None).await?;
    let remote = RemoteIssuer::discover_with(&provider.issuer, AUDIENCE, policy(10)).await?;
    let verifier = remote.verifier();
    let good = provider.token("alice")?;

    provider.hold.store(true, Ordering::SeqCst);
    assert_eq!(
        verifier.verify(&token_with_kid("unknown")).err(),
        Some(TokenRejection::UnknownKey)
    );
    assert!(
        eventually(|| provider.fetches() == 2).await,
        "the unknown kid did not trigger a fetch"
    );
    // The fetch is now stuck at the issuer; verification goes on regardless.
    assert!(verifier.verify(&good).is_ok());
    assert_eq!(
        verifier.verify(&token_with_kid("still-unknown")).err(),
        Some(TokenRejection::UnknownKey)
    );
    assert_eq!(
        provider.fetches(),
        2,
        "a fetch ran while the first was stuck"
    );

    provider.hold.store(false, Ordering::SeqCst);
    provider.release.notify_one();
    assert!(
        eventually(|| remote.jwks().fetch_count() >= 3).await,
        "the trigger raised while a fetch was stuck was lost"
    );
    assert!(verifier.verify(&good).is_ok());
    Ok(())
}
