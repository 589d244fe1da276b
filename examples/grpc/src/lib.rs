//! A tonic gRPC server behind the toolkit's `AuthLayer`: `greeter.Greeter`
//! greets any signed-in caller, `greeter.Admin` answers only callers with the
//! `admin` role. The layer answers missing or invalid tokens with
//! `UNAUTHENTICATED` before any handler runs; the admin handler refuses other
//! callers with `PERMISSION_DENIED`.
//!
//! [`serve`] runs it on a listener; `src/main.rs` is the binary and
//! `tests/grpc.rs` drives it with a tonic client over HTTP/2.
#![forbid(unsafe_code)]

pub mod proto;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use auth_core::Verifier;
use auth_middleware::policy::Requirement;
use auth_middleware::{AuthLayer, AuthUser, GrpcRequestExt};
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

use proto::admin_server::{Admin, AdminServer};
use proto::greeter_server::{Greeter, GreeterServer};
use proto::{CountReply, CountRequest, HelloReply, HelloRequest};

/// The realm named in the `www-authenticate` metadata of refusals.
pub const REALM: &str = "grpc-example";

/// The role `greeter.Admin` requires.
pub const ADMIN: Requirement = Requirement::Role("admin");

/// The longest name greeted; a longer one is `INVALID_ARGUMENT`.
const MAX_NAME_CHARS: usize = 64;

/// Both services: they share the count of greetings sent.
#[derive(Debug, Clone, Default)]
pub struct Greetings {
    sent: Arc<AtomicU64>,
}

#[tonic::async_trait]
impl Greeter for Greetings {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        // The layer let the call through: a verified token's user is there.
        let user: &AuthUser = request.auth_user()?;
        let subject = user.subject().to_owned();
        let name = request.into_inner().name;
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(Status::invalid_argument("the name is too long"));
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let whom = if name.is_empty() { &subject } else { &name };
        Ok(Response::new(HelloReply {
            message: format!("hello {whom}"),
            subject,
        }))
    }
}

#[tonic::async_trait]
impl Admin for Greetings {
    async fn greeting_count(
        &self,
        request: Request<CountRequest>,
    ) -> Result<Response<CountReply>, Status> {
        // PERMISSION_DENIED for a valid token without the role.
        request.require(&ADMIN)?;
        let admin: &AuthUser = request.auth_user()?;
        Ok(Response::new(CountReply {
            greetings: self.sent.load(Ordering::Relaxed),
            admin: admin.subject().to_owned(),
        }))
    }
}

/// Serves both services on `listener`, every call checked by an
/// [`AuthLayer`] verifying with `verifier`, until `shutdown` completes.
///
/// # Errors
///
/// When the server fails (tonic's transport error).
pub async fn serve(
    listener: TcpListener,
    verifier: Verifier,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let greetings = Greetings::default();
    Server::builder()
        // Refusals as gRPC statuses; the token comes from the
        // `authorization: Bearer …` metadata.
        .layer(AuthLayer::bearer(verifier).realm(REALM).grpc())
        .add_service(GreeterServer::new(greetings.clone()))
        .add_service(AdminServer::new(greetings))
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), shutdown)
        .await
}
