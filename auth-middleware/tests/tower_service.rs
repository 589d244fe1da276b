//! The layer on a plain `tower::service_fn`, no axum.

// Test helpers, outside `#[test]` functions: a failure should panic right there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use auth_middleware::{AuthLayer, AuthService, AuthUser, Rejection};
use bytes::Bytes;
use common::{Headers, Reply, Tokens};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::{Layer, Service, ServiceBuilder, ServiceExt, service_fn};

async fn echo(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let subject = request
        .extensions()
        .get::<AuthUser>()
        .map_or("anonymous", AuthUser::subject)
        .to_owned();
    Ok(Response::new(Full::from(subject)))
}

fn request(headers: Headers) -> Request<Full<Bytes>> {
    let mut builder = Request::get("/me");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(Full::default()).unwrap()
}

/// Sends one request through `layer` wrapped around [`echo`].
fn client(layer: AuthLayer) -> impl AsyncFn(Headers) -> Reply {
    let service = ServiceBuilder::new().layer(layer).service_fn(echo);
    async move |headers| {
        let response = service.clone().oneshot(request(headers)).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes().to_vec();
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }
}

#[tokio::test]
async fn bearer_tokens() {
    let tokens = Tokens::new();
    common::bearer_suite(&tokens, client(tokens.layer())).await;
}

#[tokio::test]
async fn optional_mode() {
    let tokens = Tokens::new();
    common::optional_suite(&tokens, client(tokens.layer().optional())).await;
}

#[tokio::test]
async fn cookie_source() {
    let tokens = Tokens::new();
    common::cookie_suite(&tokens, client(common::cookie_layer(&tokens))).await;
}

#[tokio::test]
async fn default_realm_is_api() {
    let tokens = Tokens::new();
    let reply = client(AuthLayer::bearer(tokens.issuer.verifier()))(vec![]).await;
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );
}

#[tokio::test]
async fn realm_is_quoted() {
    let tokens = Tokens::new();
    let layer = AuthLayer::bearer(tokens.issuer.verifier()).realm(r#"say "hi" \o/"#);
    let reply = client(layer)(vec![]).await;
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="say \"hi\" \\o/""#)
    );
}

#[tokio::test]
async fn custom_renderer_renders_layer_rejections() {
    let tokens = Tokens::new();
    let layer = tokens.layer().on_rejection(|rejection: &Rejection| {
        let mut response = Response::new(Bytes::from(format!(
            "custom {} in {}",
            rejection.error().code(),
            rejection.realm()
        )));
        *response.status_mut() = StatusCode::IM_A_TEAPOT;
        response
    });
    let send = client(layer);
    let reply = send(common::bearer("not-a-jwt")).await;
    assert_eq!(
        (reply.status, reply.text()),
        (418, "custom invalid_token in test-realm")
    );
    assert_eq!(
        reply.header("www-authenticate"),
        None,
        "the renderer decides every header"
    );
    let ok = send(common::bearer(&tokens.user("ada"))).await;
    assert_eq!((ok.status, ok.text()), (200, "ada"));
}

/// An inner service whose readiness the test controls, counting its calls.
#[derive(Clone, Default)]
struct Gate {
    open: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl Service<Request<Full<Bytes>>> for Gate {
    type Response = Response<Full<Bytes>>;
    type Error = &'static str;
    type Future = Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The tests poll with a no-op waker, so no wake-up is registered.
        if self.failed.load(Ordering::SeqCst) {
            Poll::Ready(Err("overloaded"))
        } else if self.open.load(Ordering::SeqCst) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    fn call(&mut self, _request: Request<Full<Bytes>>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        ready(Ok(Response::new(Full::from("inner"))))
    }
}

#[tokio::test]
async fn poll_ready_is_the_inner_services() {
    let tokens = Tokens::new();
    let gate = Gate::default();
    let mut service = tokens.layer().layer(gate.clone());
    let mut cx = Context::from_waker(Waker::noop());

    assert!(service.poll_ready(&mut cx).is_pending(), "inner not ready");
    gate.open.store(true, Ordering::SeqCst);
    assert!(matches!(service.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    gate.failed.store(true, Ordering::SeqCst);
    assert!(matches!(
        service.poll_ready(&mut cx),
        Poll::Ready(Err("overloaded"))
    ));
}

#[tokio::test]
async fn refused_requests_never_reach_the_inner_service() {
    let tokens = Tokens::new();
    let gate = Gate {
        open: Arc::new(AtomicBool::new(true)),
        ..Gate::default()
    };
    let service = tokens.layer().layer(gate.clone());

    let refused = service.clone().oneshot(request(vec![])).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(gate.calls.load(Ordering::SeqCst), 0);

    let let_in = service
        .oneshot(request(common::bearer(&tokens.user("ada"))))
        .await
        .unwrap();
    assert_eq!(let_in.status(), StatusCode::OK);
    assert_eq!(gate.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn clones_share_the_configuration() {
    let tokens = Tokens::new();
    let layer = tokens.layer().optional();
    let service: AuthService<_> = layer.clone().layer(service_fn(echo));
    let copy = service.clone();
    let from_layer_copy = layer.layer(service_fn(echo));
    let token = tokens.user("ada");
    for service in [service, copy, from_layer_copy] {
        let response = service
            .oneshot(request(common::bearer(&token)))
            .await
            .unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, "ada");
    }
}

#[tokio::test]
async fn the_inner_service_sees_user_and_context() {
    let tokens = Tokens::new();
    let token = tokens.token(
        auth_core::TokenRequest::new("ada")
            .roles(["admin"])
            .scopes(["a", "b"]),
    );
    let service = tokens
        .layer()
        .layer(service_fn(|request: Request<Full<Bytes>>| async move {
            let user = request.extensions().get::<AuthUser>().unwrap();
            let context = request
                .extensions()
                .get::<auth_middleware::AuthContext>()
                .unwrap();
            assert_eq!(context.subject(), Some(user.subject()));
            assert!(user.has_role("admin"));
            assert_eq!(user.scopes().collect::<Vec<_>>(), ["a", "b"]);
            assert_eq!(user.amr(), [] as [String; 0]);
            Ok::<_, Infallible>(Response::new(Full::<Bytes>::default()))
        }));
    let response = service
        .oneshot(request(common::bearer(&token)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
