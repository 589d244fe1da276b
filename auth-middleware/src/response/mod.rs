//! How the layer refuses a request: [`AuthError`] (RFC 6750 / RFC 9470),
//! rendered in one place by a [`RenderRejection`] (as HTTP, or with the
//! `grpc` feature as a gRPC status).

pub(crate) mod error;
#[cfg(feature = "grpc")]
pub(crate) mod grpc;
pub(crate) mod rejection;

pub use error::{AuthError, InvalidRequest};
#[cfg(feature = "grpc")]
pub use grpc::GrpcRenderer;
pub use rejection::{DefaultRenderer, Rejection, RenderRejection};
