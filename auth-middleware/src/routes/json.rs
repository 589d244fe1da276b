//! [`JsonBody`]: a JSON request body whose every refusal is a JSON error.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::routes::error::ApiError;
use crate::routes::error::ApiErrorKind;

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
/// | JSON that is not an object at the top level (`["a","b"]`) | 422 | `invalid_request` |
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
        if !is_json(request.headers()) {
            return Err(ApiError::new(ApiErrorKind::UnsupportedMediaType));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::new(unreadable(rejection.status())))?;
        // serde reads a struct from an array too (`["ada","pw"]` as
        // username and password): only an object is a body of fields.
        if bytes.trim_ascii_start().first() != Some(&b'{') {
            let error = if serde_json::from_slice::<IgnoredAny>(&bytes).is_ok() {
                ApiErrorKind::NotAnObject
            } else {
                ApiErrorKind::MalformedBody
            };
            return Err(ApiError::new(error));
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError::new(body_error(&rejection, &bytes))),
        }
    }
}

/// Whether the `Content-Type` is `application/json` or `application/…+json`
/// (parameters such as `charset` allowed), as `axum::Json` decides.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let suffix = subtype.get(subtype.len().saturating_sub(5)..);
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || (subtype.len() > 5 && suffix.is_some_and(|s| s.eq_ignore_ascii_case("+json"))))
}

/// Reading the body failed: over the limit (413), or the stream broke (400).
fn unreadable(status: StatusCode) -> ApiErrorKind {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiErrorKind::PayloadTooLarge
    } else {
        ApiErrorKind::MalformedBody
    }
}

/// What is wrong with the body. serde reports the first problem it meets, so
/// a missing field can hide trailing garbage: a body is only "wrong fields"
/// (422) when it is valid JSON as a whole.
fn body_error(rejection: &JsonRejection, bytes: &[u8]) -> ApiErrorKind {
    match rejection {
        JsonRejection::JsonDataError(_) if serde_json::from_slice::<IgnoredAny>(bytes).is_ok() => {
            ApiErrorKind::UnprocessableBody
        }
        JsonRejection::MissingJsonContentType(_) => ApiErrorKind::UnsupportedMediaType,
        _ => ApiErrorKind::MalformedBody,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn json_content_types() {
        let check = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            is_json(&headers)
        };
        for yes in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/problem+json",
        ] {
            assert!(check(yes), "{yes}");
        }
        for no in [
            "",
            "text/plain",
            "application/jsonx",
            "application/+json",
            "json",
            "text/json",
            "application/x-www-form-urlencoded",
        ] {
            assert!(!check(no), "{no}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn data_errors_in_invalid_json_are_syntax_errors() {
        #[derive(serde::Deserialize)]
        struct Named {
            _name: String,
        }
        let classify = |body: &[u8]| match Json::<Named>::from_bytes(body) {
            Ok(_) => None,
            Err(rejection) => Some(body_error(&rejection, body)),
        };
        assert_eq!(
            classify(br#"{"other": 1}"#),
            Some(ApiErrorKind::UnprocessableBody)
        );
        assert_eq!(
            classify(br#"{"other": 1} trailing"#),
            Some(ApiErrorKind::MalformedBody)
        );
        assert_eq!(
            classify(br#"{"_name": "#),
            Some(ApiErrorKind::MalformedBody)
        );
        assert_eq!(classify(br#"{"_name": "x"}"#), None);
    }
}
