//! Route policies: what a request must prove, checked by the [`Guard`] extractor.
//!
//! `#[require_auth(...)]` writes these for you; by hand it looks like this:
//!
//! ```
//! use auth_middleware::policy::{Guard, Policy, Requirement};
//!
//! /// Admins, or anyone holding `billing:write`, after MFA.
//! struct BillingAdmin;
//!
//! impl Policy for BillingAdmin {
//!     const REQUIREMENT: Requirement = Requirement::All(&[
//!         Requirement::Mfa,
//!         Requirement::Any(&[Requirement::Role("admin"), Requirement::Scope("billing:write")]),
//!     ]);
//! }
//!
//! async fn refund(_: Guard<BillingAdmin>) -> &'static str {
//!     "refunded"
//! }
//! # let _ = axum::Router::<()>::new().route("/refund", axum::routing::post(refund));
//! ```

use std::fmt;
use std::marker::PhantomData;

use axum_core::extract::FromRequestParts;
use axum_core::response::Response;
use http::request::Parts;

use crate::extract::context::{AuthContext, Principal};
use crate::response::error::AuthError;

/// A requirement tree, const-constructible so a macro can build it with no
/// allocation.
///
/// Every requirement needs a verified token first: without one the answer is
/// 401, whatever the tree says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Any valid token.
    Authenticated,
    /// Multi-factor authentication: `amr` contains `mfa`. Otherwise 401
    /// `insufficient_user_authentication` (RFC 9470 §3).
    Mfa,
    /// Recent authentication: the token's `auth_time` is at most this many
    /// seconds ago. Otherwise 401 `insufficient_user_authentication` with
    /// `max_age` (RFC 9470 §3); an API key, or a token without `auth_time`,
    /// never meets it.
    RecentAuth(u64),
    /// The role is present. Otherwise 403 `insufficient_scope` (RFC 6750);
    /// the challenge does not name the role.
    Role(&'static str),
    /// The scope was granted. Otherwise 403 `insufficient_scope`, with
    /// `scope="…"` in the challenge.
    Scope(&'static str),
    /// Every one of these (an empty list is always met).
    All(&'static [Requirement]),
    /// At least one of these (an empty list is never met). When none is met,
    /// the refusal is that of the first one, so the client learns one way in.
    Any(&'static [Requirement]),
}

impl Requirement {
    /// Checks the tree against verified claims.
    pub(crate) fn evaluate(&self, principal: &dyn Principal) -> Result<(), AuthError> {
        match *self {
            Requirement::Authenticated => Ok(()),
            Requirement::Mfa if principal.is_mfa() => Ok(()),
            Requirement::Mfa => Err(AuthError::InsufficientUserAuthentication),
            Requirement::RecentAuth(max_age) => {
                let now = auth_core_now();
                let recent = principal.authenticated_at().is_some_and(|at| {
                    let age = now.saturating_sub(at);
                    // A moment slightly ahead (clock skew) is recent too.
                    u64::try_from(age.max(0)).is_ok_and(|age| age <= max_age)
                });
                if recent {
                    Ok(())
                } else {
                    Err(AuthError::StaleAuthentication { max_age })
                }
            }
            Requirement::Role(role) if principal.has_role(role) => Ok(()),
            Requirement::Role(role) => Err(AuthError::MissingRole(role.into())),
            Requirement::Scope(scope) if principal.has_scope(scope) => Ok(()),
            Requirement::Scope(scope) => Err(AuthError::MissingScope(scope.into())),
            Requirement::All(all) => all.iter().try_for_each(|r| r.evaluate(principal)),
            Requirement::Any(any) => {
                let mut first_failure = None;
                for requirement in any {
                    match requirement.evaluate(principal) {
                        Ok(()) => return Ok(()),
                        Err(error) => {
                            first_failure.get_or_insert(error);
                        }
                    }
                }
                Err(first_failure.unwrap_or(AuthError::Forbidden))
            }
        }
    }
}

/// A named [`Requirement`], so that a [`Guard`] can carry it in its type.
///
/// ```
/// use auth_middleware::policy::{Policy, Requirement};
///
/// struct Editors;
/// impl Policy for Editors {
///     const REQUIREMENT: Requirement = Requirement::Role("editor");
/// }
/// ```
pub trait Policy: Send + Sync + 'static {
    /// What a request must meet.
    const REQUIREMENT: Requirement;
}

/// An axum extractor that enforces the policy `P`, rejecting with 401 (no
/// verified token) or 403 (policy failure) through the layer's configured
/// [`RenderRejection`](crate::RenderRejection).
///
/// Put it first among a handler's arguments (`#[require_auth]` does) so that it
/// runs before any body extractor: a request without a token then gets 401,
/// never a 422 about its body. Without an [`AuthLayer`](crate::AuthLayer) in
/// front of the route it answers 500, so a forgotten layer cannot go unnoticed.
///
/// ```
/// use auth_middleware::policy::{Guard, Policy, Requirement};
///
/// struct MfaOnly;
/// impl Policy for MfaOnly {
///     const REQUIREMENT: Requirement = Requirement::All(&[Requirement::Authenticated, Requirement::Mfa]);
/// }
///
/// async fn billing(_: Guard<MfaOnly>) -> &'static str {
///     "ok"
/// }
/// # let _ = axum::Router::<()>::new().route("/billing", axum::routing::get(billing));
/// ```
pub struct Guard<P: Policy>(PhantomData<fn() -> P>);

impl<P: Policy> Clone for Guard<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Policy> Copy for Guard<P> {}

impl<P: Policy> fmt::Debug for Guard<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Guard").field(&P::REQUIREMENT).finish()
    }
}

impl<P: Policy, S: Send + Sync> FromRequestParts<S> for Guard<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let context = AuthContext::of(parts)?;
        match context.check(&P::REQUIREMENT) {
            Ok(()) => Ok(Guard(PhantomData)),
            Err(error) => Err(context.reject(error)),
        }
    }
}

/// Seconds since the Unix epoch, as the verifier reads the clock.
fn auth_core_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Claims {
        roles: &'static [&'static str],
        scopes: &'static [&'static str],
        mfa: bool,
        auth_time: Option<i64>,
    }

    impl Principal for Claims {
        fn subject(&self) -> &str {
            "user"
        }
        fn has_role(&self, role: &str) -> bool {
            self.roles.contains(&role)
        }
        fn has_scope(&self, scope: &str) -> bool {
            self.scopes.contains(&scope)
        }
        fn is_mfa(&self) -> bool {
            self.mfa
        }
        fn authenticated_at(&self) -> Option<i64> {
            self.auth_time
        }
    }

    const PLAIN: Claims = Claims {
        roles: &["user"],
        scopes: &["read"],
        mfa: false,
        auth_time: None,
    };

    #[test]
    fn recent_authentication_is_bounded_by_max_age() {
        let now = auth_core_now();
        let at = |auth_time| Claims { auth_time, ..PLAIN };
        let recent = Requirement::RecentAuth(300);
        assert_eq!(recent.evaluate(&at(Some(now - 10))), Ok(()));
        assert_eq!(recent.evaluate(&at(Some(now + 5))), Ok(()), "skew ahead");
        assert_eq!(
            recent.evaluate(&at(Some(now - 3600))),
            Err(AuthError::StaleAuthentication { max_age: 300 })
        );
        assert_eq!(
            recent.evaluate(&at(None)),
            Err(AuthError::StaleAuthentication { max_age: 300 }),
            "no auth_time, no recent authentication"
        );
        let both = Requirement::All(&[Requirement::Mfa, Requirement::RecentAuth(60)]);
        let fresh_mfa = Claims {
            mfa: true,
            ..at(Some(now))
        };
        assert_eq!(both.evaluate(&fresh_mfa), Ok(()));
    }

    #[test]
    fn leaves() {
        assert_eq!(Requirement::Authenticated.evaluate(&PLAIN), Ok(()));
        assert_eq!(Requirement::Role("user").evaluate(&PLAIN), Ok(()));
        assert_eq!(Requirement::Scope("read").evaluate(&PLAIN), Ok(()));
        assert_eq!(
            Requirement::Mfa.evaluate(&PLAIN),
            Err(AuthError::InsufficientUserAuthentication)
        );
        assert_eq!(
            Requirement::Role("admin").evaluate(&PLAIN),
            Err(AuthError::MissingRole("admin".into()))
        );
        assert_eq!(
            Requirement::Scope("write").evaluate(&PLAIN),
            Err(AuthError::MissingScope("write".into()))
        );
        let mfa = Claims { mfa: true, ..PLAIN };
        assert_eq!(Requirement::Mfa.evaluate(&mfa), Ok(()));
    }

    #[test]
    fn all_fails_with_its_first_failure() {
        let all = Requirement::All(&[
            Requirement::Authenticated,
            Requirement::Role("user"),
            Requirement::Scope("write"),
            Requirement::Mfa,
        ]);
        assert_eq!(
            all.evaluate(&PLAIN),
            Err(AuthError::MissingScope("write".into()))
        );
        assert_eq!(Requirement::All(&[]).evaluate(&PLAIN), Ok(()));
    }

    #[test]
    fn any_passes_with_one_and_fails_with_the_first_failure() {
        let any = Requirement::Any(&[Requirement::Mfa, Requirement::Role("admin")]);
        assert_eq!(
            any.evaluate(&PLAIN),
            Err(AuthError::InsufficientUserAuthentication)
        );
        let admin = Claims {
            roles: &["admin"],
            ..PLAIN
        };
        assert_eq!(any.evaluate(&admin), Ok(()));
        assert_eq!(
            Requirement::Any(&[]).evaluate(&PLAIN),
            Err(AuthError::Forbidden)
        );
    }

    #[test]
    fn nesting() {
        const TREE: Requirement = Requirement::All(&[
            Requirement::Authenticated,
            Requirement::Any(&[
                Requirement::All(&[Requirement::Role("admin"), Requirement::Mfa]),
                Requirement::Scope("billing:write"),
            ]),
        ]);
        assert_eq!(
            TREE.evaluate(&PLAIN),
            Err(AuthError::MissingRole("admin".into()))
        );
        let scoped = Claims {
            scopes: &["billing:write"],
            ..PLAIN
        };
        assert_eq!(TREE.evaluate(&scoped), Ok(()));
        let admin_without_mfa = Claims {
            roles: &["admin"],
            ..PLAIN
        };
        assert_eq!(
            TREE.evaluate(&admin_without_mfa),
            Err(AuthError::InsufficientUserAuthentication)
        );
    }
}
