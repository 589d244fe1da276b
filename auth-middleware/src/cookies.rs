//! The session cookies of pages: names, attributes, lifetime.

use std::borrow::Cow;

use auth_core::Authenticator;
use auth_core::flow::FlowConfig;
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

use crate::auth::source::{cookie_pairs, cookie_token};

/// The attributes every session cookie carries: not readable by scripts, sent
/// over HTTPS only, never on cross-site requests, for the whole site. With the
/// `__Host-` prefix the browser also refuses a `Domain` (RFC 6265bis §4.1.3.2).
const ATTRIBUTES: &str = "HttpOnly; Secure; SameSite=Strict; Path=/";

/// The names and lifetime of the session cookies: the access token of pages
/// and the refresh token of everyone.
///
/// [`CookieConfig::default`] names them `__Host-access` and `__Host-refresh`,
/// both `HttpOnly; Secure; SameSite=Strict; Path=/`, with `Max-Age` the
/// refresh-token lifetime (the access cookie too: the token's own `exp`
/// decides when it stops working, and a transparent refresh needs to see it).
/// [`AuthRoutes`](crate::AuthRoutes) and [`RefreshLayer`](crate::RefreshLayer)
/// take the lifetime from their [`Authenticator`] unless
/// [`CookieConfig::max_age`] set one.
///
/// ```
/// use auth_middleware::CookieConfig;
///
/// let cookies = CookieConfig::default().max_age(3600);
/// assert_eq!(
///     cookies.set_refresh("r3fr3sh"),
///     "__Host-refresh=r3fr3sh; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=3600",
/// );
/// assert_eq!(
///     cookies.clear_access(),
///     "__Host-access=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0",
/// );
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("cookie", "theme=dark; __Host-access=ey.J.x".parse()?);
/// assert_eq!(cookies.access_from(&headers), Some("ey.J.x"));
/// assert_eq!(cookies.refresh_from(&headers), None);
/// # Ok::<(), http::header::InvalidHeaderValue>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieConfig {
    access: Cow<'static, str>,
    refresh: Cow<'static, str>,
    /// `None`: the lifetime of the authenticator's refresh tokens.
    max_age: Option<u64>,
}

impl Default for CookieConfig {
    fn default() -> Self {
        CookieConfig {
            access: Cow::Borrowed("__Host-access"),
            refresh: Cow::Borrowed("__Host-refresh"),
            max_age: None,
        }
    }
}

impl CookieConfig {
    /// The default names, with `Max-Age` the lifetime of `authenticator`'s
    /// refresh tokens.
    pub fn for_authenticator(authenticator: &Authenticator) -> Self {
        CookieConfig::default().max_age(authenticator.config().refresh_ttl_secs())
    }

    /// Names the access-token cookie (an RFC 9110 token; keep the `__Host-`
    /// prefix unless the site is served over plain HTTP).
    #[must_use]
    pub fn access_cookie(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.access = name.into();
        self
    }

    /// Names the refresh-token cookie (an RFC 9110 token).
    #[must_use]
    pub fn refresh_cookie(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.refresh = name.into();
        self
    }

    /// The cookies' `Max-Age` in seconds; normally the refresh-token lifetime.
    #[must_use]
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// The access cookie's name (what [`AuthLayer::cookie`](crate::AuthLayer::cookie) reads).
    pub fn access_name(&self) -> &str {
        &self.access
    }

    /// The refresh cookie's name.
    pub fn refresh_name(&self) -> &str {
        &self.refresh
    }

    /// The access cookie's name, cheaply owned (no copy for a `'static` name).
    pub(crate) fn access_key(&self) -> Cow<'static, str> {
        self.access.clone()
    }

    /// The refresh cookie's name, cheaply owned.
    pub(crate) fn refresh_key(&self) -> Cow<'static, str> {
        self.refresh.clone()
    }

    /// The `Max-Age` set cookies carry.
    pub fn max_age_secs(&self) -> u64 {
        self.max_age
            .unwrap_or_else(|| FlowConfig::default().refresh_ttl_secs())
    }

    /// This configuration, with the lifetime of `authenticator`'s refresh
    /// tokens unless one was set.
    pub(crate) fn resolved_for(mut self, authenticator: &Authenticator) -> Self {
        self.max_age
            .get_or_insert_with(|| authenticator.config().refresh_ttl_secs());
        self
    }

    /// `Set-Cookie` value storing `token` as the access cookie.
    pub fn set_access(&self, token: &str) -> HeaderValue {
        self.set(&self.access, token)
    }

    /// `Set-Cookie` value storing `token` as the refresh cookie.
    pub fn set_refresh(&self, token: &str) -> HeaderValue {
        self.set(&self.refresh, token)
    }

    /// `Set-Cookie` value deleting the access cookie (`Max-Age=0`).
    pub fn clear_access(&self) -> HeaderValue {
        clear(&self.access)
    }

    /// `Set-Cookie` value deleting the refresh cookie (`Max-Age=0`).
    pub fn clear_refresh(&self) -> HeaderValue {
        clear(&self.refresh)
    }

    /// The access token a request's cookies carry, borrowed from its headers.
    pub fn access_from<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        cookie_token(headers, &self.access).ok().flatten()
    }

    /// The refresh token a request's cookies carry, borrowed from its headers.
    pub fn refresh_from<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        cookie_token(headers, &self.refresh).ok().flatten()
    }

    /// Replaces the session cookies of a request: both are removed, then the
    /// given ones added, every other cookie kept. Several `Cookie` headers
    /// become one (RFC 6265 §5.4 asks for one).
    pub(crate) fn replace_in_request(
        &self,
        headers: &mut HeaderMap,
        access: Option<&str>,
        refresh: Option<&str>,
    ) {
        let mut joined = Vec::new();
        let mut push = |name: &[u8], value: &[u8]| {
            if !joined.is_empty() {
                joined.extend_from_slice(b"; ");
            }
            joined.extend_from_slice(name);
            joined.push(b'=');
            joined.extend_from_slice(value);
        };
        for (name, value) in cookie_pairs(headers) {
            if name != self.access.as_bytes() && name != self.refresh.as_bytes() {
                push(name, value);
            }
        }
        for (name, value) in [(&self.access, access), (&self.refresh, refresh)] {
            if let Some(value) = value.filter(|value| is_cookie_value(value)) {
                push(name.as_bytes(), value.as_bytes());
            }
        }
        headers.remove(COOKIE);
        // The pairs came from header values and the tokens were checked, so
        // the join is a valid value; should it not be, the request goes on
        // without cookies rather than with stale ones.
        if let Ok(value) = HeaderValue::from_bytes(&joined)
            && !joined.is_empty()
        {
            headers.insert(COOKIE, value);
        }
    }

    fn set(&self, name: &str, value: &str) -> HeaderValue {
        if !is_cookie_value(value) {
            // Not a token of ours: writing it would let it add attributes.
            tracing::error!(
                cookie = name,
                "refusing to set a cookie to a value with separators; clearing it instead"
            );
            return clear(name);
        }
        header(format!(
            "{name}={value}; {ATTRIBUTES}; Max-Age={}",
            self.max_age_secs()
        ))
    }
}

fn clear(name: &str) -> HeaderValue {
    header(format!("{name}=; {ATTRIBUTES}; Max-Age=0"))
}

/// The header value; a name with control characters (a configuration
/// mistake) gives an empty `Set-Cookie`, which browsers ignore.
fn header(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| {
        tracing::error!("a cookie name holds characters no header may carry");
        HeaderValue::from_static("")
    })
}

/// One or more RFC 6265 §4.1.1 `cookie-octet`s: no space, `"`, `,`, `;` or `\`.
fn is_cookie_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cookies: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for cookie in cookies {
            headers.append(COOKIE, HeaderValue::from_static(cookie));
        }
        headers
    }

    #[test]
    fn set_and_clear_carry_every_attribute() {
        let cookies = CookieConfig::default().max_age(1_209_600);
        assert_eq!(
            cookies.set_access("a.b.c"),
            "__Host-access=a.b.c; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=1209600"
        );
        assert_eq!(
            cookies.clear_refresh(),
            "__Host-refresh=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0"
        );
    }

    #[test]
    fn values_that_could_inject_attributes_are_not_set() {
        let cookies = CookieConfig::default();
        for value in ["a; Domain=evil.example", "a b", "a,b", "\"a\"", "a\\b", ""] {
            assert_eq!(
                cookies.set_refresh(value),
                cookies.clear_refresh(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn the_lifetime_follows_the_flows_unless_set() {
        assert_eq!(CookieConfig::default().max_age_secs(), 14 * 24 * 3600);
        assert_eq!(CookieConfig::default().max_age(60).max_age_secs(), 60);
    }

    #[test]
    fn session_cookies_are_replaced_and_others_kept() {
        let cookies = CookieConfig::default();
        let mut headers = request(&[
            "theme=dark; __Host-access=old",
            "__Host-refresh=r0; lang=en",
        ]);
        cookies.replace_in_request(&mut headers, Some("new.access"), Some("r1"));
        assert_eq!(headers.get_all(COOKIE).iter().count(), 1);
        assert_eq!(
            headers[COOKIE],
            "theme=dark; lang=en; __Host-access=new.access; __Host-refresh=r1"
        );
        assert_eq!(cookies.access_from(&headers), Some("new.access"));

        cookies.replace_in_request(&mut headers, None, None);
        assert_eq!(headers[COOKIE], "theme=dark; lang=en");

        let mut only_session = request(&["__Host-access=x; __Host-refresh=y"]);
        cookies.replace_in_request(&mut only_session, None, None);
        assert!(only_session.get(COOKIE).is_none());
    }

    #[test]
    fn custom_names() {
        let cookies = CookieConfig::default()
            .access_cookie("at")
            .refresh_cookie("rt");
        let headers = request(&["at=1; rt=2; __Host-access=3"]);
        assert_eq!(cookies.access_from(&headers), Some("1"));
        assert_eq!(cookies.refresh_from(&headers), Some("2"));
        assert_eq!(
            (cookies.access_name(), cookies.refresh_name()),
            ("at", "rt")
        );
    }
}
