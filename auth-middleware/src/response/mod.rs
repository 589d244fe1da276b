//! How the layer refuses a request: [`AuthError`] (RFC 6750 / RFC 9470),
//! rendered in one place by a [`RenderRejection`].

pub(crate) mod error;
pub(crate) mod rejection;

pub use error::{AuthError, InvalidRequest};
pub use rejection::{DefaultRenderer, Rejection, RenderRejection};
