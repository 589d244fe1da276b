//! [`JsonBody`]: a JSON request body whose every refusal is a JSON error.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use http::StatusCode;
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;
use crate::error::AuthError;

/// The largest request body the flow endpoints read, in bytes; applied by
/// [`AuthRoutes`](crate::AuthRoutes) with `axum::extract::DefaultBodyLimit`.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// An axum extractor for a JSON request body, like [`axum::Json`], whose
/// refusals are [`ApiError`]s in the `{"error", "error_description"}` shape
/// instead of plain text:
///
/// | the request | status | `error` |
/// |---|---|---|
/// | no `Content-Type: application/json` (or `…+json`) | 415 | `unsupported_media_type` |
/// | a body that is not JSON | 400 | `invalid_request` |
/// | a field missing or of the wrong type | 422 | `invalid_request` |
/// | larger than the route's body limit | 413 | `payload_too_large` |
///
/// None of these is ever a 500.
///
/// ```
/// use auth_middleware::JsonBody;
///
/// #[derive(serde::Deserialize)]
/// struct Rename {
///     name: String,
/// }
///
/// async fn rename(JsonBody(body): JsonBody<Rename>) -> String {
///     body.name
/// }
/// # let _ = axum::Router::<()>::new().route("/rename", axum::routing::post(rename));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError::new(body_error(&rejection))),
        }
    }
}

/// What is wrong with the body, by axum's classification.
fn body_error(rejection: &JsonRejection) -> AuthError {
    match rejection {
        JsonRejection::JsonDataError(_) => AuthError::UnprocessableBody,
        JsonRejection::JsonSyntaxError(_) => AuthError::MalformedBody,
        JsonRejection::MissingJsonContentType(_) => AuthError::UnsupportedMediaType,
        // Reading the body failed: over the limit (413), or the stream broke.
        other => match other.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AuthError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AuthError::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => AuthError::UnprocessableBody,
            _ => AuthError::MalformedBody,
        },
    }
}
