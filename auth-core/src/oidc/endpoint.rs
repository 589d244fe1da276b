//! Which provider URLs are acceptable, and the HTTP client that calls them.

use std::time::Duration;

use url::{Host, Url};

use crate::Error;

/// How long one call to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// `https` always; plain `http` only on the loopback interface (a provider
/// started by tests or on a developer's machine), where there is no network
/// to listen on.
pub(super) fn check_endpoint(what: &'static str, url: &Url) -> Result<(), Error> {
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(Error::ProviderUnavailable(format!(
            "the provider's {what} must be an https URL (http only on 127.0.0.1 or localhost)"
        ))),
    }
}

/// A provider's name becomes a path segment and part of a cookie name: 1 to
/// 32 of `a-z`, `0-9`, `-`, `_`.
pub(super) fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::ProviderUnavailable(
            "a provider name is 1 to 32 of a-z, 0-9, '-' and '_'".to_owned(),
        ))
    }
}

/// The client for the provider's endpoints. It follows no redirects: the
/// metadata, token and key URLs must answer themselves (openidconnect's advice
/// against SSRF).
pub(super) fn http_client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PROVIDER_TIMEOUT)
        .build()
        .map_err(|e| Error::ProviderUnavailable(format!("HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::check_endpoint;

    fn allowed(url: &str) -> bool {
        check_endpoint("issuer", &url.parse().unwrap()).is_ok()
    }

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        assert!(allowed("https://accounts.google.com"));
        assert!(allowed("http://127.0.0.1:8080/realms/x"));
        assert!(allowed("http://localhost:8080"));
        assert!(allowed("http://[::1]:8080"));
        assert!(!allowed("http://accounts.google.com"));
        assert!(!allowed("http://10.0.0.1"));
        assert!(!allowed("ftp://127.0.0.1"));
    }
}
