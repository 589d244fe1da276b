//! What handlers read: the verified user ([`AuthUser`]), the caller by any
//! credential ([`Caller`], [`ApiKeyUser`]), the layer's decision
//! ([`AuthContext`]), the policy guard `#[require_auth]` expands to, and the
//! client of the request ([`Client`]).

pub(crate) mod api_key;
pub(crate) mod caller;
#[cfg(feature = "router")]
pub(crate) mod client;
pub(crate) mod context;
#[cfg(feature = "grpc")]
pub(crate) mod grpc;
pub mod policy;
pub(crate) mod user;

pub use api_key::ApiKeyUser;
pub use caller::Caller;
#[cfg(feature = "router")]
#[cfg_attr(docsrs, doc(cfg(feature = "router")))]
pub use client::Client;
pub use context::AuthContext;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub use grpc::GrpcRequestExt;
pub use user::AuthUser;
