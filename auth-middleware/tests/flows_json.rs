//! How the flow endpoints answer bodies they cannot read: 400, 413, 415, 422,
//! always `{"error","error_description"}`, never 500.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod flows_support;

use auth_middleware::MAX_BODY_BYTES;
use axum::body::Body;
use flows_support::{App, PASSWORD, Reply};
use http::{Method, Request};
use serde_json::json;

async fn post_raw(
    app: &App,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Reply {
    let mut request = Request::builder().method(Method::POST).uri(path);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    app.send(request.body(body.into()).unwrap()).await
}

const JSON_ROUTES: [&str; 3] = ["/auth/register", "/auth/login", "/auth/mfa/verify"];

#[tokio::test]
async fn a_missing_or_foreign_content_type_is_415() {
    let app = App::new().await;
    let body = json!({"username": "ada", "password": PASSWORD}).to_string();
    for path in JSON_ROUTES {
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data"),
        ] {
            post_raw(&app, path, content_type, body.clone())
                .await
                .assert_error(415, "unsupported_media_type");
        }
    }
    let with_charset = post_raw(
        &app,
        "/auth/register",
        Some("application/json; charset=utf-8"),
        body,
    )
    .await;
    assert_eq!(with_charset.status, 201, "{}", with_charset.text());
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = App::new().await;
    for path in JSON_ROUTES {
        for body in [
            "",
            "{",
            "{\"username\": ",
            "not json",
            "{\"username\":\"a\"} trailing",
            "\u{0}",
        ] {
            post_raw(&app, path, Some("application/json"), body)
                .await
                .assert_error(400, "invalid_request");
        }
    }
    post_raw(
        &app,
        "/auth/register",
        Some("application/json"),
        vec![0xff, 0xfe, 0x7b],
    )
    .await
    .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn wrong_types_and_missing_fields_are_422() {
    let app = App::new().await;
    for body in [
        json!({"username": 1, "password": PASSWORD}),
        json!({"username": "ada", "password": ["x"]}),
        json!({"username": "ada"}),
        json!({}),
        json!([]),
        json!("ada"),
        json!(null),
    ] {
        let reply = post_raw(
            &app,
            "/auth/login",
            Some("application/json"),
            body.to_string(),
        )
        .await;
        reply.assert_error(422, "invalid_request");
    }
    post_raw(
        &app,
        "/auth/mfa/verify",
        Some("application/json"),
        json!({"mfa_token": 5, "code": "123456"}).to_string(),
    )
    .await
    .assert_error(422, "invalid_request");
}

#[tokio::test]
async fn bodies_over_16_kib_are_413() {
    let app = App::new().await;
    assert_eq!(MAX_BODY_BYTES, 16 * 1024);
    let padding = "x".repeat(MAX_BODY_BYTES);
    let large = json!({"username": "ada", "password": padding}).to_string();
    for path in JSON_ROUTES {
        post_raw(&app, path, Some("application/json"), large.clone())
            .await
            .assert_error(413, "payload_too_large");
    }
    // Under the limit, the same shape is read (and judged on its merits).
    let fits = json!({"username": "ada", "password": "x".repeat(MAX_BODY_BYTES - 64)}).to_string();
    post_raw(&app, "/auth/register", Some("application/json"), fits)
        .await
        .assert_error(422, "weak_password");

    // A streamed body of unknown length is cut off as well.
    post_raw(
        &app,
        "/auth/login",
        Some("application/json"),
        Body::new(Chunks(20)),
    )
    .await
    .assert_error(413, "payload_too_large");
}

/// A body of this many 1 KiB chunks of spaces, whose length is not known upfront.
struct Chunks(usize);

impl http_body::Body for Chunks {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>> {
        if self.0 == 0 {
            return std::task::Poll::Ready(None);
        }
        self.0 -= 1;
        let chunk = bytes::Bytes::from(vec![b' '; 1024]);
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }
}

#[tokio::test]
async fn body_errors_do_not_hide_a_missing_token() {
    let app = App::new().await;
    // The bearer routes check the caller before the body.
    post_raw(
        &app,
        "/auth/mfa/totp/confirm",
        Some("application/json"),
        "{",
    )
    .await
    .assert_error(401, "missing_token");
    post_raw(&app, "/auth/api-keys", None, "x")
        .await
        .assert_error(401, "missing_token");
}
