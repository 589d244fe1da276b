//! The app's own origin (RFC 6454), and the check that refuses cross-site form posts.
//!
//! `SameSite=Strict` cookies already keep a cross-site POST from being
//! authenticated; refusing any `Origin` but the app's own also stops login
//! CSRF (a foreign page logging the visitor into the attacker's account),
//! which no cookie attribute prevents.

use axum::extract::{Request, State};
use axum::http::header::{AsHeaderName, ORIGIN};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::pages::layout;

/// The origin `scheme://host[:port]` of an `http`/`https` URL, in the form
/// browsers send in `Origin`: scheme and host in lower case, the scheme's
/// default port left out. `None` for anything else (no host, user info, a
/// bad port, another scheme, the opaque origin `null`).
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rfind(':') {
        // A ':' inside an IPv6 literal is not a port separator.
        Some(i) if !authority.get(i..)?.contains(']') => {
            let port: u16 = authority.get(i + 1..)?.parse().ok()?;
            (authority.get(..i)?, Some(port))
        }
        _ => (authority, None),
    };
    let valid_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    if !valid_host {
        return None;
    }
    let host = host.to_ascii_lowercase();
    Some(match port {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// Whether a request may act on this app.
///
/// A current browser says where a request comes from in `Sec-Fetch-Site`:
/// only `same-origin` may act. Without it (an older browser, or no browser),
/// the `Origin` header decides: absent (not a browser form, e.g. curl) or
/// exactly `own`. An opaque `Origin: null` is accepted only beside
/// `Sec-Fetch-Site: same-origin`: a browser sends it on the app's own forms
/// under some referrer policies, and from sandboxed or foreign documents,
/// which `Sec-Fetch-Site` tells apart.
pub(crate) fn origin_allowed(headers: &HeaderMap, own: &str) -> bool {
    let fetch_site = match single(headers, SEC_FETCH_SITE) {
        Single::None => None,
        Single::One(value) => Some(value),
        Single::Many => return false,
    };
    if fetch_site.is_some_and(|site| site != b"same-origin") {
        return false;
    }
    match single(headers, ORIGIN) {
        Single::None => true,
        Single::One(b"null") => fetch_site.is_some(),
        Single::One(value) => std::str::from_utf8(value)
            .ok()
            .and_then(origin_of)
            .is_some_and(|origin| origin == own),
        Single::Many => false,
    }
}

/// The `Sec-Fetch-Site` request header (Fetch Metadata).
const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// How many values a header has: a header sent twice decides nothing.
enum Single<'a> {
    None,
    One(&'a [u8]),
    Many,
}

fn single<'a>(headers: &'a HeaderMap, name: impl AsHeaderName) -> Single<'a> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Single::None,
        (Some(value), None) => Single::One(value.as_bytes()),
        (Some(_), Some(_)) => Single::Many,
    }
}

/// Middleware for the pages: a state-changing request from another origin
/// gets 403 before any handler or cookie refresh runs.
pub(crate) async fn refuse_cross_site(
    State(own): State<std::sync::Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || origin_allowed(request.headers(), &own) {
        return next.run(request).await;
    }
    tracing::warn!(
        path = request.uri().path(),
        outcome = "cross_site_refused",
        "form post from another origin refused"
    );
    let body = layout(
        "Forbidden",
        "<p class=\"error\">This form can only be sent from this site's own pages.</p>\
         <p><a href=\"/\">Back to the start page</a></p>",
    );
    (StatusCode::FORBIDDEN, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origins_are_normalised_as_browsers_send_them() {
        let cases = [
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
            ("HTTPS://Id.Example:443/realms/x?y#z", "https://id.example"),
            ("http://id.example:80", "http://id.example"),
            ("https://id.example:8443", "https://id.example:8443"),
            ("http://[::1]:3000/x", "http://[::1]:3000"),
            ("http://[::1]", "http://[::1]"),
        ];
        for (url, origin) in cases {
            assert_eq!(origin_of(url).as_deref(), Some(origin), "{url}");
        }
        for bad in [
            "null",
            "auth-demo",
            "ftp://id.example",
            "http://",
            "http://user:pw@id.example",
            "http://id.example:99999",
            "http://id.example:",
            "http://id example",
            "http://id.example\"><script>",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_the_own_origin_or_none_is_allowed() {
        let own = "http://127.0.0.1:3000";
        let with = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(ORIGIN, HeaderValue::from_str(value).unwrap());
            }
            origin_allowed(&headers, own)
        };
        assert!(with(&[]));
        assert!(with(&["http://127.0.0.1:3000"]));
        assert!(!with(&["http://evil.example"]));
        assert!(!with(&["http://127.0.0.1:3001"]));
        assert!(!with(&["https://127.0.0.1:3000"]));
        assert!(!with(&["null"]));
        assert!(!with(&["http://127.0.0.1:3000", "http://127.0.0.1:3000"]));
    }

    #[test]
    fn fetch_metadata_decides_where_a_browser_sends_it() {
        let own = "http://localhost:3000";
        let with = |site: &str, origin: Option<&str>| {
            let mut headers = HeaderMap::new();
            headers.insert(SEC_FETCH_SITE, HeaderValue::from_str(site).unwrap());
            if let Some(origin) = origin {
                headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
            }
            origin_allowed(&headers, own)
        };
        assert!(with("same-origin", Some(own)));
        assert!(
            with("same-origin", Some("null")),
            "a strict referrer policy"
        );
        assert!(with("same-origin", None));
        assert!(
            !with("cross-site", Some("null")),
            "a sandboxed foreign frame"
        );
        assert!(!with("cross-site", Some("http://evil.example")));
        assert!(!with("same-site", Some("http://other.localhost:3000")));
        assert!(!with("none", None));
        assert!(!with("same-origin", Some("http://evil.example")));
        let mut twice = HeaderMap::new();
        twice.append(SEC_FETCH_SITE, HeaderValue::from_static("same-origin"));
        twice.append(SEC_FETCH_SITE, HeaderValue::from_static("cross-site"));
        assert!(!origin_allowed(&twice, own));
    }
}
