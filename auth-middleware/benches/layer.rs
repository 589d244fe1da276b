//! Where the time of [`AuthLayer`] goes on a request whose token the
//! verifier has seen before (a cache hit), in-process, without sockets:
//!
//! - `no auth`: an axum route answering `hello`, the request carrying a token
//!   all the same (the baseline);
//! - `layer`: the same route behind `AuthLayer::bearer`, the handler taking
//!   nothing (the layer: header parsing, the verification, the extensions);
//! - `layer + AuthUser`: the handler also takes the `AuthUser` extractor;
//! - `verifier hit`: the verification alone, to subtract.
//!
//! The layer's own cost is `layer - no auth - verifier hit`; the
//! extractor's is `layer + AuthUser - layer`.
//!
//! `cargo bench -p auth-middleware --bench layer -- --warm-up-time 1 --measurement-time 3`

// Fixture setup runs once, before measuring, on data made here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
use auth_middleware::{AuthLayer, AuthUser};
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use tower::ServiceExt as _;

fn layer(c: &mut Criterion) {
    let issuer = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://bench.example",
        "bench",
    );
    let verifier = issuer.verifier();
    let token = issuer
        .issue(&TokenRequest::new("user-1"))
        .unwrap()
        .access_token;
    let authorization = format!("Bearer {token}");
    let request = || {
        Request::get("/hello")
            .header("authorization", &authorization)
            .body(Body::empty())
            .unwrap()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    let plain = Router::new().route("/hello", get(|| async { "hello" }));
    let layered = Router::new()
        .route("/hello", get(|| async { "hello" }))
        .layer(AuthLayer::bearer(verifier.clone()));
    let extracted = Router::new()
        .route("/hello", get(|_user: AuthUser| async { "hello" }))
        .layer(AuthLayer::bearer(verifier.clone()));
    for app in [&plain, &layered, &extracted] {
        let response = runtime.block_on(app.clone().oneshot(request())).unwrap();
        assert_eq!(response.status(), 200);
    }

    let mut group = c.benchmark_group("layer_on_a_cache_hit");
    for (name, app) in [
        ("no auth", &plain),
        ("layer", &layered),
        ("layer + AuthUser", &extracted),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let response = runtime.block_on(app.clone().oneshot(request())).unwrap();
                black_box(response.status())
            });
        });
    }
    group.bench_function("verifier hit", |b| {
        b.iter(|| verifier.verify(black_box(&token)).is_ok());
    });
    group.finish();
}

criterion_group!(benches, layer);
criterion_main!(benches);
