//! The HTTP side of remote keys: one bounded GET of a JSON document, and the
//! lifetime its `Cache-Control` header grants.

use std::time::Duration;

use reqwest::Url;
use reqwest::header::CACHE_CONTROL;
use serde::de::DeserializeOwned;

use crate::outbound::{self, EndpointError};

/// The largest document read: JWK Sets and discovery documents are a few KiB.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// Why another issuer's keys could not be had: its discovery document or JWK
/// Set was unreachable, refused, too large or not what it should be. Never
/// holds a token.
#[derive(Debug, thiserror::Error)]
#[error("remote keys at {url}: {reason}")]
pub struct RemoteKeysError {
    url: String,
    reason: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl RemoteKeysError {
    pub(super) fn new(url: impl Into<String>, reason: impl Into<String>) -> Self {
        RemoteKeysError {
            url: url.into(),
            reason: reason.into(),
            source: None,
        }
    }

    pub(super) fn caused(
        url: impl Into<String>,
        reason: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        RemoteKeysError {
            url: url.into(),
            reason: reason.into(),
            source: Some(source.into()),
        }
    }

    /// The URL that failed.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// An HTTP client for key documents (see `outbound`: no redirects, a
/// timeout on the whole exchange, TLS by rustls).
pub(super) fn client(timeout: Duration) -> Result<reqwest::Client, RemoteKeysError> {
    outbound::client(timeout)
        .map_err(|error| RemoteKeysError::caused("(none)", "no HTTP client", error))
}

/// `url` parsed, if it is https, or http to this machine only (for tests and
/// sidecars): keys fetched in clear text from elsewhere could be anyone's.
pub(super) fn key_url(url: &str) -> Result<Url, RemoteKeysError> {
    outbound::endpoint_url(url)
        .map_err(|error: EndpointError| RemoteKeysError::caused(url, "refused as a key URL", error))
}

/// GETs `url` and parses its body as `T`, reading at most 256 KiB; also
/// returns the `max-age` of its `Cache-Control` header (`Some(ZERO)` for
/// `no-cache`/`no-store`, `None` without one).
pub(super) async fn get_json<T: DeserializeOwned>(
    client: &reqwest::Client,
    url: &Url,
) -> Result<(T, Option<Duration>), RemoteKeysError> {
    let failed = |reason: String| RemoteKeysError::new(url.as_str(), reason);
    let mut response = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|error| RemoteKeysError::caused(url.as_str(), "GET failed", error))?;
    if !response.status().is_success() {
        return Err(failed(format!("status {}", response.status())));
    }
    let max_age = response
        .headers()
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(max_age);
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| RemoteKeysError::caused(url.as_str(), "reading the body failed", error))?
    {
        if body.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
            return Err(failed(format!("body over {MAX_BODY_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    let document = serde_json::from_slice(&body)
        .map_err(|error| RemoteKeysError::caused(url.as_str(), "unexpected document", error))?;
    Ok((document, max_age))
}

/// The lifetime one `Cache-Control` value grants (RFC 9111 §5.2.2):
/// `max-age=N`, or zero for `no-cache`/`no-store`.
fn max_age(header: &str) -> Option<Duration> {
    header.split(',').map(str::trim).find_map(|directive| {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
            return Some(Duration::ZERO);
        }
        if name.eq_ignore_ascii_case("max-age") {
            return value
                .trim_matches('"')
                .parse()
                .ok()
                .map(Duration::from_secs);
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_gives_the_lifetime() {
        assert_eq!(
            max_age("public, max-age=3600, must-revalidate"),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(max_age("Max-Age=\"60\""), Some(Duration::from_secs(60)));
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=soon"), None);
    }

    #[test]
    fn keys_come_over_https_or_from_this_machine_only() {
        assert!(key_url("https://issuer.example/jwks").is_ok());
        assert!(key_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(key_url("http://issuer.example/jwks").is_err());
        assert!(key_url("not a url").is_err());
    }
}
