//! Where a request carries its access token: the `Authorization` header or a cookie.
//!
//! Parsing borrows from the request's headers; nothing is allocated.

use std::borrow::Cow;

use auth_core::TokenRejection;
use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

use crate::response::error::{AuthError, InvalidRequest};

/// One place the layer looks for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// `Authorization: Bearer <token>` (RFC 6750 §2.1).
    Bearer,
    /// The cookie with this name.
    Cookie(Cow<'static, str>),
}

/// The token of the first source that has one, in order. A source with
/// malformed credentials stops the search with an error rather than falling
/// through to the next source.
pub(crate) fn find_token<'h>(
    sources: &[TokenSource],
    headers: &'h HeaderMap,
) -> Result<Option<&'h str>, AuthError> {
    for source in sources {
        let found = match source {
            TokenSource::Bearer => bearer_token(headers)?,
            TokenSource::Cookie(name) => cookie_token(headers, name)?,
        };
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The token of an `Authorization: Bearer` header.
///
/// The scheme is case-insensitive (RFC 9110 §11.1); another scheme (`Basic`, …)
/// is no bearer token at all. Several `Authorization` headers, or `Bearer`
/// with nothing after it, are a malformed request (RFC 6750 §3.1).
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::InvalidRequest(
            InvalidRequest::DuplicateAuthorization,
        ));
    }
    let mut parts = value.as_bytes().trim_ascii().splitn(2, |&b| b == b' ');
    let scheme = parts.next().unwrap_or_default();
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Ok(None);
    }
    let token = parts.next().unwrap_or_default().trim_ascii();
    if token.is_empty() {
        return Err(AuthError::InvalidRequest(InvalidRequest::EmptyBearer));
    }
    as_token(token).map(Some)
}

/// The value of the cookie `name`, from every `Cookie` header (HTTP/2 may send
/// several), split on `;` (RFC 6265 §5.4). Surrounding double quotes are
/// removed; an empty value counts as no cookie (that is what clearing one leaves).
pub(crate) fn cookie_token<'h>(
    headers: &'h HeaderMap,
    name: &str,
) -> Result<Option<&'h str>, AuthError> {
    for (cookie_name, value) in cookie_pairs(headers) {
        if cookie_name != name.as_bytes() {
            continue;
        }
        let value = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(value);
        if !value.is_empty() {
            return as_token(value).map(Some);
        }
    }
    Ok(None)
}

/// Every `name=value` pair of every `Cookie` header, in order, both sides
/// trimmed of spaces; pairs without `=` are skipped.
pub(crate) fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|header| header.as_bytes().split(|&b| b == b';'))
        .filter_map(|pair| {
            let mut parts = pair.splitn(2, |&b| b == b'=');
            match (parts.next(), parts.next()) {
                (Some(name), Some(value)) => Some((name.trim_ascii(), value.trim_ascii())),
                _ => None,
            }
        })
}

/// Bytes that are not UTF-8 cannot be a JWT: an invalid token, not a bad request.
fn as_token(bytes: &[u8]) -> Result<&str, AuthError> {
    std::str::from_utf8(bytes).map_err(|_| AuthError::InvalidToken(TokenRejection::Malformed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static [u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    fn bearer(pairs: &[(&'static str, &'static [u8])]) -> Result<Option<String>, AuthError> {
        bearer_token(&headers(pairs)).map(|t| t.map(str::to_owned))
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for value in [
            &b"Bearer abc.def"[..],
            b"bearer abc.def",
            b"BEARER abc.def",
            b"bEaReR   abc.def  ",
        ] {
            assert_eq!(
                bearer(&[("authorization", value)]),
                Ok(Some("abc.def".into()))
            );
        }
    }

    #[test]
    fn other_schemes_and_no_header_are_no_token() {
        assert_eq!(bearer(&[]), Ok(None));
        assert_eq!(
            bearer(&[("authorization", b"Basic dXNlcjpwYXNz")]),
            Ok(None)
        );
        assert_eq!(bearer(&[("authorization", b"Bearerabc")]), Ok(None));
        assert_eq!(bearer(&[("authorization", b"")]), Ok(None));
    }

    #[test]
    fn empty_bearer_is_an_invalid_request() {
        for value in [&b"Bearer"[..], b"Bearer ", b"bearer    "] {
            assert_eq!(
                bearer(&[("authorization", value)]),
                Err(AuthError::InvalidRequest(InvalidRequest::EmptyBearer))
            );
        }
    }

    #[test]
    fn several_authorization_headers_are_an_invalid_request() {
        assert_eq!(
            bearer(&[
                ("authorization", b"Bearer a"),
                ("authorization", b"Bearer b")
            ]),
            Err(AuthError::InvalidRequest(
                InvalidRequest::DuplicateAuthorization
            ))
        );
        assert_eq!(
            bearer(&[
                ("authorization", b"Basic x"),
                ("authorization", b"Bearer b")
            ]),
            Err(AuthError::InvalidRequest(
                InvalidRequest::DuplicateAuthorization
            ))
        );
    }

    #[test]
    fn non_utf8_tokens_are_invalid_tokens() {
        assert_eq!(
            bearer(&[("authorization", b"Bearer \xff\xfe")]),
            Err(AuthError::InvalidToken(TokenRejection::Malformed))
        );
    }

    fn cookie(
        pairs: &[(&'static str, &'static [u8])],
        name: &str,
    ) -> Result<Option<String>, AuthError> {
        cookie_token(&headers(pairs), name).map(|t| t.map(str::to_owned))
    }

    #[test]
    fn cookies_are_found_among_others() {
        let pairs: &[(&str, &[u8])] =
            &[("cookie", b"theme=dark; __Host-access=tok.en.sig;lang=en")];
        assert_eq!(
            cookie(pairs, "__Host-access"),
            Ok(Some("tok.en.sig".into()))
        );
        assert_eq!(cookie(pairs, "lang"), Ok(Some("en".into())));
        assert_eq!(cookie(pairs, "access"), Ok(None), "names match exactly");
    }

    #[test]
    fn cookies_across_headers_quoted_and_empty() {
        let pairs: &[(&str, &[u8])] = &[("cookie", b"a=1"), ("cookie", b"b=\"quoted\"")];
        assert_eq!(cookie(pairs, "b"), Ok(Some("quoted".into())));
        assert_eq!(
            cookie(&[("cookie", b"a=; a=second")], "a"),
            Ok(Some("second".into()))
        );
        assert_eq!(cookie(&[("cookie", b"a=")], "a"), Ok(None));
        assert_eq!(cookie(&[("cookie", b"a; b")], "a"), Ok(None));
    }

    #[test]
    fn sources_are_tried_in_order() {
        let cookie_source = TokenSource::Cookie("c".into());
        let both: &[(&str, &[u8])] = &[
            ("authorization", b"Bearer from-header"),
            ("cookie", b"c=from-cookie"),
        ];
        let map = headers(both);
        assert_eq!(
            find_token(&[TokenSource::Bearer, cookie_source.clone()], &map),
            Ok(Some("from-header"))
        );
        assert_eq!(
            find_token(&[cookie_source.clone(), TokenSource::Bearer], &map),
            Ok(Some("from-cookie"))
        );

        let basic = headers(&[("authorization", b"Basic x"), ("cookie", b"c=from-cookie")]);
        assert_eq!(
            find_token(&[TokenSource::Bearer, cookie_source.clone()], &basic),
            Ok(Some("from-cookie")),
            "a non-Bearer Authorization header falls through"
        );

        let empty = headers(&[("authorization", b"Bearer"), ("cookie", b"c=from-cookie")]);
        assert_eq!(
            find_token(&[TokenSource::Bearer, cookie_source], &empty),
            Err(AuthError::InvalidRequest(InvalidRequest::EmptyBearer))
        );
    }
}
