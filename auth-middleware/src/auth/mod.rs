//! The layer itself: [`AuthLayer`], the [`AuthService`] it wraps a service
//! in, its [`ResponseFuture`], and where it finds credentials.

pub(crate) mod body;
pub(crate) mod future;
pub(crate) mod layer;
pub(crate) mod service;
pub(crate) mod source;

pub use body::AuthBody;
pub use future::ResponseFuture;
pub use layer::AuthLayer;
pub use service::AuthService;
