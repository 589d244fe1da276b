//! [`Client`]: who sent a request, as far as the server can tell.

use std::convert::Infallible;
use std::net::SocketAddr;

use auth_core::flow::ClientInfo;
use axum::extract::{ConnectInfo, FromRequestParts};
use http::header::USER_AGENT;
use http::request::Parts;
use http::{Extensions, HeaderMap};

/// The client of a request, for the flows: its address (from axum's
/// `ConnectInfo<SocketAddr>`, so serve with
/// `into_make_service_with_connect_info::<SocketAddr>()` or
/// [`serve`](crate::serve)) and its `User-Agent`.
///
/// Every route that throttles or logs a security event reads the client
/// through this one extractor, so a JSON login and a form login count the
/// same address the same way (an IPv4 client of a dual-stack socket is its
/// IPv4 address). It never fails: without connect info the address is
/// unknown, and per-address throttling does not apply.
///
/// ```
/// use auth_middleware::Client;
///
/// async fn who(Client(client): Client) -> String {
///     format!("{:?} with {:?}", client.ip(), client.user_agent())
/// }
/// # let _ = axum::Router::<()>::new().route("/who", axum::routing::get(who));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Client(pub ClientInfo);

impl Client {
    /// The client of a request with these parts.
    pub fn of(parts: &Parts) -> ClientInfo {
        Client::from_request(&parts.headers, &parts.extensions)
    }

    /// The client of a request with these headers and extensions.
    pub(crate) fn from_request(headers: &HeaderMap, extensions: &Extensions) -> ClientInfo {
        let ip = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        let client = ClientInfo::new(ip);
        // Kept as the client sent it: a user agent with UTF-8 (or stray
        // Latin-1) bytes is still one a person may need to recognise.
        match headers.get(USER_AGENT) {
            Some(agent) => client.with_user_agent(&String::from_utf8_lossy(agent.as_bytes())),
            None => client,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Client(Client::of(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapped_ipv4_client_is_its_ipv4_address() {
        let (mut parts, ()) = http::Request::builder()
            .header(USER_AGENT, "Mozilla/5.0")
            .body(())
            .unwrap_or_default()
            .into_parts();
        let mapped: SocketAddr = "[::ffff:192.0.2.7]:4000"
            .parse()
            .unwrap_or_else(|_| unreachable!());
        parts.extensions.insert(ConnectInfo(mapped));
        let client = Client::of(&parts);
        assert_eq!(client.ip(), "192.0.2.7".parse().ok());
        assert_eq!(client.user_agent(), Some("Mozilla/5.0"));
    }

    #[test]
    fn a_user_agent_with_non_ascii_bytes_is_kept() {
        let agent = http::HeaderValue::from_bytes("Laptop/2.0 (é)".as_bytes())
            .unwrap_or_else(|_| unreachable!());
        let latin1 =
            http::HeaderValue::from_bytes(b"Old/1.0 (\xe9)").unwrap_or_else(|_| unreachable!());
        for (value, kept) in [(agent, "Laptop/2.0 (é)"), (latin1, "Old/1.0 (\u{fffd})")] {
            let (parts, ()) = http::Request::builder()
                .header(USER_AGENT, value)
                .body(())
                .unwrap_or_default()
                .into_parts();
            assert_eq!(Client::of(&parts).user_agent(), Some(kept));
        }
    }
}
