//! Transparent refresh for pages: a [`RefreshLayer`] in front of an
//! [`AuthLayer`](crate::AuthLayer) reading the access cookie.
//!
//! A person who keeps a page open past the access token's lifetime comes back
//! with an expired access cookie and a valid refresh cookie. Before the
//! request reaches the `AuthLayer`, the refresh layer exchanges the refresh
//! cookie for new tokens, rewrites the request's `Cookie` header so the
//! `AuthLayer` sees the new access token, and sets both new cookies on the
//! response. Whatever it cannot refresh it passes on anonymous, with the dead
//! cookies deleted, so the page can send the person to its login form.

mod future;
mod layer;
mod service;

use std::borrow::Cow;

use auth_core::{Authenticator, Verifier};
use http::header::{AUTHORIZATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

pub use future::RefreshFuture;
pub use layer::RefreshLayer;
pub use service::RefreshService;

use crate::auth::source::cookie_token;
use crate::cookies::CookieConfig;

/// What every [`RefreshService`] of one layer shares.
pub(crate) struct Shared {
    authenticator: Authenticator,
    verifier: Verifier,
    cookies: CookieConfig,
}

/// What to do with a request, decided from its headers alone.
enum Plan<'h> {
    /// The access cookie verifies, or there is nothing to refresh with, or
    /// the request carries an `Authorization` header (not a page's).
    PassThrough,
    /// The access cookie is dead and there is no refresh cookie: remove it
    /// from the request and delete it on the client.
    DropDeadAccess,
    /// The access cookie is missing or dead: refresh with this token.
    Refresh(&'h str),
}

impl Shared {
    pub(crate) fn new(authenticator: Authenticator, cookies: CookieConfig) -> Self {
        Shared {
            verifier: authenticator.verifier(),
            cookies: cookies.resolved_for(&authenticator),
            authenticator,
        }
    }

    fn plan<'h>(&self, headers: &'h HeaderMap) -> Plan<'h> {
        // A script with a bearer token is not a page; its refresh cookie is
        // rotated by /refresh when it asks, never behind its back.
        if headers.contains_key(AUTHORIZATION) {
            return Plan::PassThrough;
        }
        let access_is_live = match cookie_token(headers, self.cookies.access_name()) {
            Ok(Some(token)) => Some(self.verifier.verify(token).is_ok()),
            Ok(None) => None,
            Err(_) => Some(false),
        };
        if access_is_live == Some(true) {
            return Plan::PassThrough;
        }
        match (self.cookies.refresh_from(headers), access_is_live) {
            (Some(refresh), _) => Plan::Refresh(refresh),
            (None, Some(false)) => Plan::DropDeadAccess,
            (None, _) => Plan::PassThrough,
        }
    }
}

/// `Set-Cookie` values to add to the inner service's response.
#[derive(Debug, Default)]
pub(crate) struct SetCookies {
    /// Cookie names with the values setting them.
    values: Vec<(Cow<'static, str>, HeaderValue)>,
}

impl SetCookies {
    fn push(&mut self, name: Cow<'static, str>, value: HeaderValue) {
        self.values.push((name, value));
    }

    /// Appends each value to `headers`, except for cookies the inner service
    /// set itself (a page that logs out or in knows better).
    fn apply(self, headers: &mut HeaderMap) {
        for (name, value) in self.values {
            let set_by_inner = headers.get_all(SET_COOKIE).iter().any(|existing| {
                existing
                    .as_bytes()
                    .strip_prefix(name.as_bytes())
                    .is_some_and(|rest| rest.trim_ascii_start().starts_with(b"="))
            });
            if !set_by_inner {
                headers.append(SET_COOKIE, value);
            }
        }
    }
}
