//! The layer on a hyper 1.x server over a real TCP socket on 127.0.0.1,
//! driven by raw HTTP/1.1 writes (so duplicate headers reach the server as sent).

// Test helpers, outside `#[test]` functions: a failure should panic right there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;

use auth_middleware::{AuthLayer, AuthUser};
use bytes::Bytes;
use common::{Headers, Reply, Tokens};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceBuilder;

async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let subject = request
        .extensions()
        .get::<AuthUser>()
        .map_or("anonymous", AuthUser::subject)
        .to_owned();
    Ok(Response::new(Full::from(subject)))
}

/// Serves `layer` around [`echo`] on a free port of 127.0.0.1.
async fn serve(layer: AuthLayer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = ServiceBuilder::new().layer(layer).service_fn(echo);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    address
}

async fn exchange(address: SocketAddr, headers: Headers) -> Reply {
    let mut request = String::from("GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse(&raw)
}

/// A response with a `Content-Length` body (what hyper sends for bodies of known size).
fn parse(raw: &[u8]) -> Reply {
    let text = std::str::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value.trim()).unwrap(),
        );
    }
    let length: usize = headers["content-length"].to_str().unwrap().parse().unwrap();
    assert_eq!(body.len(), length);
    Reply {
        status,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn client(address: SocketAddr) -> impl AsyncFn(Headers) -> Reply {
    async move |headers| exchange(address, headers).await
}

#[tokio::test]
async fn bearer_tokens() {
    let tokens = Tokens::new();
    let address = serve(tokens.layer()).await;
    common::bearer_suite(&tokens, client(address)).await;
}

#[tokio::test]
async fn optional_mode() {
    let tokens = Tokens::new();
    let address = serve(tokens.layer().optional()).await;
    common::optional_suite(&tokens, client(address)).await;
}

#[tokio::test]
async fn cookie_source() {
    let tokens = Tokens::new();
    let address = serve(common::cookie_layer(&tokens)).await;
    common::cookie_suite(&tokens, client(address)).await;
}
