//! API keys as the layer's second credential: the `X-API-Key` header and the
//! [`ApiKeyUser`] it proves.

use auth_core::flow::api_key_hash;
use auth_core::store::ApiKeyView;
use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::Response;
use http::request::Parts;
use http::{HeaderMap, HeaderName};

use crate::extract::context::{AuthContext, Principal};
use crate::response::error::{AuthError, InvalidRequest};

/// The header API keys travel in.
pub(crate) const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// The owner and id of the live API key a request presented in `X-API-Key`.
///
/// An [`AuthLayer`](crate::AuthLayer) configured with
/// [`api_key_header`](crate::AuthLayer::api_key_header) puts one into the
/// request's extensions. As an axum extractor it answers 401 without one
/// (`Option<ApiKeyUser>` is `None` then); [`Caller`](crate::Caller) takes a
/// bearer token or a key.
///
/// ```
/// use auth_middleware::ApiKeyUser;
///
/// async fn usage(key: ApiKeyUser) -> String {
///     format!("key {} of user {}", key.key_id, key.user_id)
/// }
/// # let _ = axum::Router::<()>::new().route("/usage", axum::routing::get(usage));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiKeyUser {
    /// The key owner's user id (the `sub` of their access tokens).
    pub user_id: String,
    /// The key's public id.
    pub key_id: String,
}

impl ApiKeyUser {
    /// The key owner's user id, as [`AuthUser::subject`](crate::AuthUser::subject)
    /// names it for tokens.
    pub fn subject(&self) -> &str {
        &self.user_id
    }
}

/// A key grants its owner's identity only: no roles, scopes or second factor,
/// so `#[require_auth]` lets it in and every stronger requirement refuses it.
impl Principal for ApiKeyUser {
    fn subject(&self) -> &str {
        &self.user_id
    }
    fn has_role(&self, _: &str) -> bool {
        false
    }
    fn has_scope(&self, _: &str) -> bool {
        false
    }
    fn is_mfa(&self) -> bool {
        false
    }
    fn is_api_key(&self) -> bool {
        true
    }
}

/// The owner of the key in `X-API-Key`, `None` without the header. A key that
/// cannot be ours or that `view` does not hold (never created, or deleted) is
/// [`AuthError::InvalidApiKey`]; two headers are a malformed request.
pub(crate) fn api_key_user(
    view: &dyn ApiKeyView,
    headers: &HeaderMap,
) -> Result<Option<ApiKeyUser>, AuthError> {
    let mut values = headers.get_all(API_KEY_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::InvalidRequest(InvalidRequest::DuplicateApiKey));
    }
    let key =
        std::str::from_utf8(value.as_bytes().trim_ascii()).map_err(|_| AuthError::InvalidApiKey)?;
    // The lookup is by SHA-256 of a 256-bit secret: its timing tells nothing
    // about stored keys.
    let record = api_key_hash(key)
        .and_then(|hash| view.api_key(&hash))
        .ok_or(AuthError::InvalidApiKey)?;
    Ok(Some(ApiKeyUser {
        user_id: record.user_id,
        key_id: record.id,
    }))
}

impl<S: Send + Sync> FromRequestParts<S> for ApiKeyUser {
    type Rejection = Response;

    /// Answers 401 when the request presented no API key (a token is not
    /// one), 500 when no [`AuthLayer`](crate::AuthLayer) runs in front of the route.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<ApiKeyUser>() {
            return Ok(user.clone());
        }
        let context = AuthContext::of(parts)?;
        Err(context.reject(AuthError::MissingToken))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ApiKeyUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<ApiKeyUser>() {
            return Ok(Some(user.clone()));
        }
        AuthContext::of(parts)?;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::store::{ApiKey, SecretHash};
    use http::HeaderValue;

    /// Holds one key.
    struct OneKey(ApiKey);

    impl ApiKeyView for OneKey {
        fn api_key(&self, hash: &SecretHash) -> Option<ApiKey> {
            hash.ct_eq(&self.0.hash).then(|| self.0.clone())
        }
    }

    const KEY: &str = "ak_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn view() -> OneKey {
        OneKey(ApiKey {
            id: "key-1".into(),
            user_id: "ada".into(),
            name: "ci".into(),
            hash: api_key_hash(KEY).unwrap(),
            created_at: 0,
        })
    }

    fn lookup(values: &[&'static str]) -> Result<Option<ApiKeyUser>, AuthError> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(API_KEY_HEADER, HeaderValue::from_static(value));
        }
        api_key_user(&view(), &headers)
    }

    #[test]
    fn a_known_key_names_its_owner() {
        let user = lookup(&[KEY]).unwrap().unwrap();
        assert_eq!((user.subject(), user.key_id.as_str()), ("ada", "key-1"));
    }

    #[test]
    fn no_header_is_no_key() {
        assert_eq!(lookup(&[]), Ok(None));
    }

    #[test]
    fn unknown_and_malformed_keys_are_invalid() {
        let unknown = "ak_BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for value in [unknown, "", "ak_", "not a key", &KEY[1..]] {
            assert_eq!(lookup(&[value]), Err(AuthError::InvalidApiKey), "{value:?}");
        }
    }

    #[test]
    fn two_headers_are_an_invalid_request() {
        assert_eq!(
            lookup(&[KEY, KEY]),
            Err(AuthError::InvalidRequest(InvalidRequest::DuplicateApiKey))
        );
    }
}
