//! The example server on 127.0.0.1 (a free port), driven by tonic's
//! generated clients over HTTP/2: what the AuthLayer answers a gRPC client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest};
use grpc_example::proto::admin_client::AdminClient;
use grpc_example::proto::greeter_client::GreeterClient;
use grpc_example::proto::{CountRequest, HelloRequest};
use tokio::sync::oneshot;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

const ISSUER: &str = "http://127.0.0.1";
const AUDIENCE: &str = "grpc-example";

/// A running server, stopped when dropped.
struct Server {
    addr: SocketAddr,
    tokens: TokenIssuer,
    _stop: oneshot::Sender<()>,
}

impl Server {
    async fn start() -> Server {
        let tokens = TokenIssuer::new(
            KeySet::generate(Algorithm::EdDSA).unwrap(),
            ISSUER,
            AUDIENCE,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let verifier = tokens.verifier();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            grpc_example::serve(listener, verifier, shutdown)
                .await
                .unwrap();
        });
        Server {
            addr,
            tokens,
            _stop: stop,
        }
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    fn token(&self, request: &TokenRequest) -> String {
        self.tokens.issue(request).unwrap().access_token
    }

    /// `Greeter/SayHello` with `token` in the `authorization` metadata.
    async fn say_hello(&self, token: Option<&str>) -> Result<(String, String), Status> {
        let mut client = GreeterClient::new(self.channel().await);
        let request = with_token(
            HelloRequest {
                name: "world".into(),
            },
            token,
        );
        let reply = client.say_hello(request).await?.into_inner();
        Ok((reply.message, reply.subject))
    }

    /// `Admin/GreetingCount` with `token`.
    async fn greeting_count(&self, token: Option<&str>) -> Result<(u64, String), Status> {
        let mut client = AdminClient::new(self.channel().await);
        let reply = client
            .greeting_count(with_token(CountRequest {}, token))
            .await?
            .into_inner();
        Ok((reply.greetings, reply.admin))
    }
}

fn with_token<T>(message: T, token: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    request
}

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// `status` is UNAUTHENTICATED for an invalid token and shows nothing of it.
fn assert_invalid_token(status: &Status, token: &str) {
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(status.message(), "the access token is invalid");
    // Neither the message nor any metadata echoes the token or a part of it.
    let secret = token.rsplit('.').next().unwrap();
    assert!(!status.message().contains(secret));
    for entry in status.metadata().clone().into_headers().values() {
        let value = entry.to_str().unwrap();
        assert!(
            !value.contains(secret),
            "metadata echoes the token: {value}"
        );
    }
    assert_eq!(
        status.metadata().get("www-authenticate").unwrap(),
        r#"Bearer realm="grpc-example", error="invalid_token", error_description="the access token is invalid""#
    );
}

#[tokio::test]
async fn no_token_is_unauthenticated() {
    let server = Server::start().await;
    let status = server.say_hello(None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "an access token is required");
    assert_eq!(
        status.metadata().get("www-authenticate").unwrap(),
        r#"Bearer realm="grpc-example""#
    );
    let status = server.greeting_count(None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated_without_echoing_them() {
    let server = Server::start().await;

    let garbled = "eyJhbGciOiJFZERTQSJ9.not-base64-json.c2lnbmF0dXJl";
    let status = server.say_hello(Some(garbled)).await.unwrap_err();
    assert_invalid_token(&status, garbled);

    // Signed by another key for the same issuer and audience.
    let stranger = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        ISSUER,
        AUDIENCE,
    );
    let forged = stranger
        .issue(&TokenRequest::new("user-1"))
        .unwrap()
        .access_token;
    let status = server.say_hello(Some(&forged)).await.unwrap_err();
    assert_invalid_token(&status, &forged);

    // Issued two hours ago: past its 15 minutes.
    let expired = server
        .tokens
        .issue_at(&TokenRequest::new("user-1"), &(), now() - 7200)
        .unwrap()
        .access_token;
    let status = server.say_hello(Some(&expired)).await.unwrap_err();
    assert_invalid_token(&status, &expired);

    // Revoked by its jti before its first use.
    let issued = server.tokens.issue(&TokenRequest::new("user-1")).unwrap();
    server
        .tokens
        .revocations()
        .revoke_jti(&issued.jti, issued.expires_at);
    let status = server
        .say_hello(Some(&issued.access_token))
        .await
        .unwrap_err();
    assert_invalid_token(&status, &issued.access_token);
}

#[tokio::test]
async fn a_valid_token_is_greeted_with_its_subject() {
    let server = Server::start().await;
    let token = server.token(&TokenRequest::new("user-1"));
    let (message, subject) = server.say_hello(Some(&token)).await.unwrap();
    assert_eq!(message, "hello world");
    assert_eq!(subject, "user-1");
}

#[tokio::test]
async fn admin_needs_the_admin_role() {
    let server = Server::start().await;
    let user = server.token(&TokenRequest::new("user-1").roles(["editor"]));
    let status = server.greeting_count(Some(&user)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(
        status.message(),
        "the access token does not grant access to this resource"
    );
    assert!(
        !status.message().contains("admin"),
        "the missing role is not named"
    );

    server.say_hello(Some(&user)).await.unwrap();
    server.say_hello(Some(&user)).await.unwrap();
    let admin = server.token(&TokenRequest::new("admin-1").roles(["admin"]));
    let (greetings, who) = server.greeting_count(Some(&admin)).await.unwrap();
    assert_eq!((greetings, who.as_str()), (2, "admin-1"));
}
