//! [`ClientInfo`]: who is on the other end of a flow, as far as the server can tell.

use std::net::{IpAddr, Ipv6Addr};

/// The longest user agent kept, in characters: enough for every real
/// browser's, and a bound on what a client can make the store keep.
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// The client of a flow call: its address (for throttling per client and for
/// the security events) and its user agent, as the HTTP layer saw them.
///
/// The address is kept canonical: an IPv4 client of a dual-stack socket
/// (`::ffff:192.0.2.7`) is its IPv4 address, so every route counts one
/// client the same way. The user agent is cut to
/// [`MAX_USER_AGENT_CHARS`] characters, control characters dropped.
///
/// ```
/// use auth_core::flow::ClientInfo;
/// use std::net::IpAddr;
///
/// let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
/// let client = ClientInfo::new(Some(mapped)).with_user_agent("curl/8.5");
/// assert_eq!(client.ip(), Some("192.0.2.7".parse().unwrap()));
/// assert_eq!(client.user_agent(), Some("curl/8.5"));
/// assert_eq!(ClientInfo::from(None), ClientInfo::unknown());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientInfo {
    ip: Option<IpAddr>,
    user_agent: Option<String>,
}

impl ClientInfo {
    /// A client at `ip` (when known), without a user agent.
    pub fn new(ip: Option<IpAddr>) -> Self {
        ClientInfo {
            ip: ip.map(|ip| ip.to_canonical()),
            user_agent: None,
        }
    }

    /// Nothing known about the client (flows called outside a request).
    pub fn unknown() -> Self {
        ClientInfo::default()
    }

    /// With the client's `User-Agent`, bounded and without control characters.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: &str) -> Self {
        let kept: String = user_agent
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_USER_AGENT_CHARS)
            .collect();
        self.user_agent = (!kept.is_empty()).then_some(kept);
        self
    }

    /// The client's address.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The client's user agent.
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    /// The address as throttling counts it: an IPv4 address as it is, an
    /// IPv6 address by its /64 prefix (one subscriber's whole block, which
    /// costs an attacker nothing to rotate through).
    pub(crate) fn throttle_address(&self) -> Option<String> {
        self.ip.map(|ip| match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        })
    }
}

impl From<Option<IpAddr>> for ClientInfo {
    fn from(ip: Option<IpAddr>) -> Self {
        ClientInfo::new(ip)
    }
}

impl From<IpAddr> for ClientInfo {
    fn from(ip: IpAddr) -> Self {
        ClientInfo::new(Some(ip))
    }
}

impl From<&ClientInfo> for ClientInfo {
    fn from(client: &ClientInfo) -> Self {
        client.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_counts_ipv6_by_prefix_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert_eq!(
            ClientInfo::new(Some(a)).throttle_address(),
            ClientInfo::new(Some(b)).throttle_address()
        );
        assert_eq!(
            ClientInfo::new(Some(a)).throttle_address().as_deref(),
            Some("2001:db8:1:2::/64")
        );
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(
            ClientInfo::new(Some(mapped)).throttle_address().as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(ClientInfo::unknown().throttle_address(), None);
    }

    #[test]
    fn user_agents_are_bounded_and_clean() {
        let long = "x".repeat(10_000);
        let client = ClientInfo::unknown().with_user_agent(&long);
        assert_eq!(
            client.user_agent().map(str::len),
            Some(MAX_USER_AGENT_CHARS)
        );
        let client = ClientInfo::unknown().with_user_agent("a\r\nb\u{0}c");
        assert_eq!(client.user_agent(), Some("abc"));
        assert_eq!(
            ClientInfo::unknown().with_user_agent("\n").user_agent(),
            None
        );
    }
}
