//! Calls to other services (an identity provider, another issuer's keys):
//! which URLs may be called, and the one HTTP client shape for them.

use std::time::Duration;

use url::{Host, Url};

/// A URL another service gave us that we refuse to call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// Not a URL at all.
    #[error("not a URL")]
    NotAUrl(#[source] url::ParseError),
    /// Plain `http` to another machine, or another scheme.
    #[error("not https (plain http is allowed to 127.0.0.1, ::1 or localhost only)")]
    NotHttps,
    /// The HTTP client could not be built (its TLS backend failed to start).
    #[error("the HTTP client could not be built")]
    Client(#[source] reqwest::Error),
}

/// `url` parsed, if it is `https`, or plain `http` to this machine only (a
/// provider started by tests or on a developer's machine): what comes in
/// clear text from elsewhere could be anyone's.
pub(crate) fn endpoint_url(url: &str) -> Result<Url, EndpointError> {
    let parsed = Url::parse(url).map_err(EndpointError::NotAUrl)?;
    check_endpoint(&parsed)?;
    Ok(parsed)
}

/// [`endpoint_url`]'s rule for a URL already parsed.
pub(crate) fn check_endpoint(url: &Url) -> Result<(), EndpointError> {
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(EndpointError::NotHttps),
    }
}

/// The client for other services' endpoints: it follows no redirect (one
/// could lead from https to http, or to an internal address: SSRF), and
/// gives every exchange `timeout`. TLS by rustls.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, EndpointError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(EndpointError::Client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for good in [
            "https://accounts.google.com",
            "https://issuer.example/jwks",
            "http://127.0.0.1:8080/realms/x",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(endpoint_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://accounts.google.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            assert!(endpoint_url(bad).is_err(), "{bad}");
        }
    }
}
