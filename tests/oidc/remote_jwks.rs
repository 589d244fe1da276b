//! Remote JWK Sets against a real OpenID Connect provider: `oidc-provider`
//! (OpenID Certified), started from tests/oidc/provider/server.mjs, issues RFC 9068
//! access tokens (`typ: at+jwt`) to a machine client by the
//! client_credentials grant, for a resource server named by RFC 8707
//! `resource`; our `AuthLayer`, in front of an axum API on 127.0.0.1, finds
//! the provider's keys by discovery and checks those tokens.
//!
//! What it shows: the provider's tokens (RS256 and ES256) are accepted, and
//! refused when addressed to another API or altered; after the provider
//! rotates its keys (new kids, old ones withdrawn, same issuer URL), new
//! tokens verify with the same running layer and old ones stop verifying; a
//! flood of tokens naming unknown kids makes at most the number of JWK Set
//! fetches that `RefreshPolicy::min_fetch_interval` allows, and every one of
//! them is a 401. auth-core/tests/remote_jwks.rs proves the same against a
//! fixture of ours; this file proves it against someone else's provider.
//!
//! Without node or without `npm ci --prefix tests/oidc/provider`, the tests are
//! skipped with one line; with `AUTH_TEST_REQUIRE_SERVICES=1` (CI) they fail.

use std::time::{Duration, Instant};

use auth_core::remote::{RefreshPolicy, RemoteIssuer};
use auth_core::{
    Algorithm, KeySet, TokenIssuer, TokenRejection, TokenRequest, TrustedIssuers, Verifier,
};
use auth_middleware::{AuthLayer, AuthUser};
use axum::Json;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::{Value, json};

use crate::browser::{Provider, provider_available};

/// The audience of our API, as the provider's resource server config names it.
const TEST_API: &str = "urn:auth-toolkit:test-api";
/// The resource indicators the provider knows (tests/oidc/provider/server.mjs).
const RS256_RESOURCE: &str = "urn:auth-toolkit:test-api";
const ES256_RESOURCE: &str = "urn:auth-toolkit:test-api:es256";
const OTHER_API: &str = "urn:auth-toolkit:other-api";
/// The provider's machine client.
const CLIENT_ID: &str = "api-client";
const CLIENT_SECRET: &str = "api-secret";

/// The provider, and where its token and key endpoints are (from discovery).
struct Idp {
    provider: Provider,
    http: reqwest::Client,
    token_endpoint: String,
    jwks_uri: String,
}

impl Idp {
    /// A fresh provider, or `None` (after one line) when it cannot run here.
    async fn start() -> Option<Idp> {
        if !provider_available() {
            return None;
        }
        // The login clients need a redirect URI; no login happens here.
        let provider = Provider::start("http://127.0.0.1:9/unused-callback").await;
        let http = reqwest::Client::new();
        let discovery = get_json(
            &http,
            &format!("{}/.well-known/openid-configuration", provider.issuer),
        )
        .await;
        assert_eq!(discovery["issuer"], provider.issuer.as_str());
        assert!(
            discovery["grant_types_supported"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g == "client_credentials"),
            "{discovery}"
        );
        Some(Idp {
            token_endpoint: discovery["token_endpoint"].as_str().unwrap().to_owned(),
            jwks_uri: discovery["jwks_uri"].as_str().unwrap().to_owned(),
            provider,
            http,
        })
    }

    fn issuer(&self) -> &str {
        &self.provider.issuer
    }

    /// An access token for `resource`, by the client_credentials grant.
    async fn access_token(&self, resource: &str) -> String {
        let response = self
            .http
            .post(&self.token_endpoint)
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "client_credentials"),
                ("resource", resource),
                ("scope", "api:read"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer", "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// The provider rotates its keys; returns the new kids.
    async fn rotate(&self) -> Vec<String> {
        let response = self
            .http
            .post(format!("{}/_test/rotate", self.issuer()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["kids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kid| kid.as_str().unwrap().to_owned())
            .collect()
    }

    /// How many times the provider has served its JWK Set.
    async fn jwks_fetches(&self) -> u64 {
        let body = get_json(&self.http, &format!("{}/_test/jwks-fetches", self.issuer())).await;
        body["count"].as_u64().unwrap()
    }

    /// The kids the provider publishes now (itself one JWK Set fetch).
    async fn published_kids(&self) -> Vec<String> {
        let set = get_json(&self.http, &self.jwks_uri).await;
        set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["kid"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// `GET url` answered with JSON.
async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Our API: one route that answers the caller's claims, behind `AuthLayer`,
/// served on 127.0.0.1:0 for as long as the test runs.
struct Api {
    base: String,
    http: reqwest::Client,
}

async fn whoami(user: AuthUser) -> Json<Value> {
    let claims = user.access_claims();
    Json(json!({
        "iss": claims.iss,
        "sub": claims.sub,
        "client_id": claims.client_id,
        "scope": claims.scope,
    }))
}

impl Api {
    async fn start(verifier: TrustedIssuers) -> Api {
        let app = axum::Router::new()
            .route("/whoami", get(whoami))
            .layer(AuthLayer::bearer(verifier));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Api {
            base,
            http: reqwest::Client::new(),
        }
    }

    async fn whoami(&self, token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/whoami", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Asks with `token` until it is accepted (30 s at most: a refresh runs
    /// in the background); the claims, or `None` if it never was.
    async fn eventually_accepted(&self, token: &str) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let response = self.whoami(token).await;
            if response.status() == StatusCode::OK {
                return Some(response.json().await.unwrap());
            }
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A 401 with the RFC 6750 `invalid_token` challenge.
fn assert_invalid_token(response: &reqwest::Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
}

fn decode(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn segments(token: &str) -> [&str; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS compact token: {token}");
    [parts[0], parts[1], parts[2]]
}

fn header(token: &str) -> Value {
    decode(segments(token)[0])
}

/// `token` with its header's `kid` replaced (the signature no longer matches).
fn with_kid(token: &str, kid: &str) -> String {
    let [_, payload, signature] = segments(token);
    let mut header = header(token);
    header["kid"] = json!(kid);
    format!("{}.{payload}.{signature}", encode(&header))
}

/// Our verifier for the provider's tokens to `TEST_API`, beside our own
/// issuer's, as an API that accepts both would configure it.
async fn trust(idp: &Idp, policy: RefreshPolicy) -> (RemoteIssuer, TokenIssuer, TrustedIssuers) {
    let remote = RemoteIssuer::discover_with(idp.issuer(), TEST_API, policy)
        .await
        .unwrap();
    let ours = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://api.example",
        TEST_API,
    );
    let verifier = Verifier::any([ours.verifier(), remote.verifier()]);
    (remote, ours, verifier)
}

#[tokio::test]
async fn the_providers_access_tokens_are_accepted_and_altered_ones_refused() {
    let Some(idp) = Idp::start().await else {
        return;
    };
    let (remote, ours, verifier) = trust(&idp, RefreshPolicy::default()).await;
    let api = Api::start(verifier).await;
    let published = idp.published_kids().await;

    for (resource, alg) in [(RS256_RESOURCE, "RS256"), (ES256_RESOURCE, "ES256")] {
        let token = idp.access_token(resource).await;
        // An RFC 9068 access token, signed by a key the provider publishes.
        let header = header(&token);
        assert_eq!(header["typ"], "at+jwt", "{header}");
        assert_eq!(header["alg"], alg, "{header}");
        assert!(published.iter().any(|kid| header["kid"] == kid.as_str()));

        let response = api.whoami(&token).await;
        assert_eq!(response.status(), StatusCode::OK, "{resource}");
        let me: Value = response.json().await.unwrap();
        assert_eq!(me["iss"], idp.issuer());
        // client_credentials: the client is the subject.
        assert_eq!(me["sub"], CLIENT_ID);
        assert_eq!(me["client_id"], CLIENT_ID);
        assert_eq!(me["scope"], "api:read");
    }
    // Our own tokens still pass the same layer.
    let own = ours
        .issue(&TokenRequest::new("local-user"))
        .unwrap()
        .access_token;
    let response = api.whoami(&own).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["sub"], "local-user");

    // A token the provider issued for another API: refused for its audience
    // alone (the same keys accept it for that API).
    let other = idp.access_token(OTHER_API).await;
    assert_invalid_token(&api.whoami(&other).await);
    assert_eq!(
        remote.verifier().verify(&other).err(),
        Some(TokenRejection::WrongAudience)
    );
    let for_other = RemoteIssuer::with_jwks(idp.issuer(), OTHER_API, remote.jwks().clone());
    assert_eq!(for_other.verifier().verify(&other).unwrap().sub, CLIENT_ID);

    // Altered tokens: a flipped signature bit, and claims rewritten under
    // the original signature.
    let token = idp.access_token(RS256_RESOURCE).await;
    let [head, payload, signature] = segments(&token);
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    bytes[0] ^= 0x01;
    let flipped = format!("{head}.{payload}.{}", URL_SAFE_NO_PAD.encode(&bytes));
    let mut claims = decode(payload);
    claims["sub"] = json!("admin");
    let rewritten = format!("{head}.{}.{signature}", encode(&claims));
    for tampered in [&flipped, &rewritten] {
        assert_invalid_token(&api.whoami(tampered).await);
        assert_eq!(
            remote.verifier().verify(tampered).err(),
            Some(TokenRejection::BadSignature)
        );
    }
    // Nothing here named an unknown key: the discovery fetch was the only one.
    assert_eq!(remote.jwks().fetch_count(), 1);
}

#[tokio::test]
async fn after_the_provider_rotates_its_keys_new_tokens_verify_without_a_restart() {
    let Some(idp) = Idp::start().await else {
        return;
    };
    let policy = RefreshPolicy::default().min_fetch_interval(Duration::from_millis(100));
    let (remote, _, verifier) = trust(&idp, policy).await;
    // One API, built once: nothing below rebuilds the layer or the verifier.
    let api = Api::start(verifier).await;
    let before = [
        idp.access_token(RS256_RESOURCE).await,
        idp.access_token(ES256_RESOURCE).await,
    ];
    for token in &before {
        assert_eq!(api.whoami(token).await.status(), StatusCode::OK);
    }
    let old_kids: Vec<String> = before
        .iter()
        .map(|t| header(t)["kid"].as_str().unwrap().to_owned())
        .collect();

    let mut new_kids = idp.rotate().await;
    // A real rotation: new kids, and the old keys withdrawn.
    let mut published = idp.published_kids().await;
    published.sort();
    new_kids.sort();
    assert_eq!(published, new_kids);
    assert!(old_kids.iter().all(|kid| !published.contains(kid)));

    let after = [
        idp.access_token(RS256_RESOURCE).await,
        idp.access_token(ES256_RESOURCE).await,
    ];
    for token in &after {
        let kid = header(token)["kid"].as_str().unwrap().to_owned();
        assert!(new_kids.contains(&kid), "{kid} is not among {new_kids:?}");
    }
    // The first request with a new kid is refused at once (verification never
    // waits on the network; the key set's lifetime, an hour, has not run
    // out), and makes the key set refresh in the background.
    assert_invalid_token(&api.whoami(&after[0]).await);
    for token in &after {
        let me = api
            .eventually_accepted(token)
            .await
            .expect("the rotated key was never fetched");
        assert_eq!(me["sub"], CLIENT_ID);
        assert_eq!(me["iss"], idp.issuer());
    }
    assert!(remote.jwks().fetch_count() >= 2);

    // A refresh replaces the whole set: keys the provider withdrew stop
    // verifying, even for tokens that have not expired.
    for token in &before {
        assert_invalid_token(&api.whoami(token).await);
        assert_eq!(
            remote.verifier().verify(token).err(),
            Some(TokenRejection::UnknownKey)
        );
    }
}

#[tokio::test]
async fn a_flood_of_unknown_kids_fetches_the_keys_at_most_once_per_interval() {
    const REQUESTS: usize = 200;
    const CONCURRENCY: usize = 8;
    let Some(idp) = Idp::start().await else {
        return;
    };
    let interval = Duration::from_millis(250);
    // The provider sends no Cache-Control on its JWK Set: the scheduled
    // refresh is an hour away, so only the flood can cause fetches.
    let policy = RefreshPolicy::default().min_fetch_interval(interval);
    let (remote, _, verifier) = trust(&idp, policy).await;
    let api = Api::start(verifier).await;
    let good = idp.access_token(ES256_RESOURCE).await;
    assert_eq!(api.whoami(&good).await.status(), StatusCode::OK);
    let provider_before = idp.jwks_fetches().await;
    let ours_before = remote.jwks().fetch_count();
    assert_eq!(
        (provider_before, ours_before),
        (1, 1),
        "discovery fetched once"
    );

    // Real tokens of the provider, each naming a different kid nobody has:
    // no remembered refusal can absorb them, each one signals the refresher.
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..CONCURRENCY {
        let http = api.http.clone();
        let url = format!("{}/whoami", api.base);
        let good = good.clone();
        workers.spawn(async move {
            let mut statuses = Vec::new();
            for n in (worker..REQUESTS).step_by(CONCURRENCY) {
                let forged = with_kid(&good, &format!("unknown-{n}"));
                let response = http.get(&url).bearer_auth(&forged).send().await.unwrap();
                assert_invalid_token(&response);
                statuses.push(response.status());
            }
            statuses
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = workers.join_next().await {
        statuses.extend(done.unwrap());
    }
    let flood = started.elapsed();
    assert_eq!(statuses.len(), REQUESTS);
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED));

    // Let the trigger still pending at the flood's end be served, then
    // count: settled once three intervals pass without a fetch.
    let mut seen = idp.jwks_fetches().await;
    loop {
        tokio::time::sleep(interval * 3).await;
        let now = idp.jwks_fetches().await;
        if now == seen {
            break;
        }
        seen = now;
    }
    let provider_fetches = seen - provider_before;
    let our_fetches = remote.jwks().fetch_count() - ours_before;
    // The bound, from the refresher's design: fetches begin at least
    // `interval` apart, and each one answers a trigger raised after the
    // previous one began. Only the flood raises triggers, so every fetch but
    // the last began within it (at most 1 + flood/interval of them), and the
    // last answers a trigger the flood left pending.
    let bound = 2 + flood.as_millis() / interval.as_millis();
    println!(
        "{REQUESTS} unknown kids in {flood:?}: {provider_fetches} JWK Set fetches (bound {bound})"
    );
    assert!(provider_fetches >= 1, "unknown kids never made a refresh");
    assert!(
        u128::from(provider_fetches) <= bound,
        "{provider_fetches} fetches for a {flood:?} flood exceed {bound}"
    );
    // The provider saw exactly the fetches we counted: no other requests.
    assert_eq!(provider_fetches, our_fetches);

    // The provider's real tokens pass as before.
    assert_eq!(api.whoami(&good).await.status(), StatusCode::OK);
}
