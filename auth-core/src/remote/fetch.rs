//! The HTTP side of remote keys: one bounded GET of a JSON document, and the
//! lifetime its `Cache-Control` header grants.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::CACHE_CONTROL;
use serde::de::DeserializeOwned;

use crate::Error;

/// The largest document read: JWK Sets and discovery documents are a few KiB.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// An HTTP client for key documents: no redirects (a redirect could lead from
/// https to http), a timeout on the whole exchange, TLS by rustls.
pub(super) fn client(timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|error| Error::RemoteKeys(format!("cannot build an HTTP client: {error}")))
}

/// `url` parsed, if it is https, or http to this machine only (for tests and
/// sidecars): keys fetched in clear text from elsewhere could be anyone's.
pub(super) fn key_url(url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url).map_err(|_| Error::RemoteKeys(format!("{url:?} is not a URL")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(Error::RemoteKeys(format!(
            "{url:?} is not https (plain http is allowed to loopback hosts only)"
        ))),
    }
}

/// GETs `url` and parses its body as `T`, reading at most 256 KiB; also
/// returns the `max-age` of its `Cache-Control` header (`Some(ZERO)` for
/// `no-cache`/`no-store`, `None` without one).
pub(super) async fn get_json<T: DeserializeOwned>(
    client: &reqwest::Client,
    url: &Url,
) -> Result<(T, Option<Duration>), Error> {
    let failed = |reason: String| Error::RemoteKeys(format!("GET {url}: {reason}"));
    let mut response = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|error| failed(error.to_string()))?;
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
        .map_err(|error| failed(error.to_string()))?
    {
        if body.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
            return Err(failed(format!("body over {MAX_BODY_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    let document = serde_json::from_slice(&body)
        .map_err(|error| failed(format!("unexpected document: {error}")))?;
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
        assert!(key_url("http://localhost/jwks").is_ok());
        assert!(key_url("http://[::1]/jwks").is_ok());
        assert!(key_url("http://issuer.example/jwks").is_err());
        assert!(key_url("ftp://127.0.0.1/jwks").is_err());
        assert!(key_url("not a url").is_err());
    }
}
