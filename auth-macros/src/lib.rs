//! # auth-macros
//!
//! The procedural macros of the auth toolkit: [`macro@require_auth`] guards an
//! axum handler, [`derive@Claims`] plugs an application's own token claims in.
//!
//! Depend on `auth-middleware`, not on this crate: it re-exports both macros
//! (`use auth_middleware::{require_auth, Claims};`), and the code they write
//! names `::auth_middleware`.
//!
//! ```
//! use auth_middleware::{AuthUser, Claims, require_auth};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Claims, Serialize, Deserialize)]
//! struct MyClaims {
//!     tenant: String,
//!     #[claims(roles)]
//!     #[serde(default)]
//!     groups: Vec<String>,
//! }
//!
//! #[require_auth(roles = ["editor"])]
//! async fn edit(user: AuthUser<MyClaims>) -> String {
//!     format!("{} edits for {}", user.subject(), user.claims().tenant)
//! }
//! # let _: axum::Router = axum::Router::new().route("/edit", axum::routing::post(edit));
//! ```
//!
//! The macros never panic: every mistake is a compile error at the token that
//! is wrong, all of them reported at once, and the annotated item is still
//! emitted so the rest of the crate compiles as usual.
#![forbid(unsafe_code)]

mod claims;
mod errors;
mod require_auth;

use proc_macro::TokenStream;

/// Requires a verified token, and optionally MFA, a recent login, roles or
/// scopes, before an axum handler runs.
///
/// ```
/// use auth_middleware::{AuthUser, require_auth};
///
/// #[require_auth]
/// async fn me(user: AuthUser) -> String {
///     format!("hello {}", user.subject())
/// }
///
/// #[require_auth(roles = ["admin"])] // the handler needs no extractor of its own
/// async fn admin() -> &'static str {
///     "welcome"
/// }
/// # let _: axum::Router = axum::Router::new()
/// #     .route("/me", axum::routing::get(me))
/// #     .route("/admin", axum::routing::get(admin));
/// ```
///
/// # Arguments
///
/// Comma separated, all of them required together:
///
/// | argument | the request must carry a verified token, and | otherwise |
/// |---|---|---|
/// | *(none)* | nothing more | 401 |
/// | `mfa` | its `amr` claim holds `mfa` | 401 `insufficient_user_authentication` (RFC 9470 §3) |
/// | `max_age = 300` | its `auth_time` is at most 300 seconds ago | 401 `insufficient_user_authentication`, `max_age=300` (RFC 9470 §3) |
/// | `roles = ["a", "b"]` | every listed role | 403 `insufficient_scope` |
/// | `scopes = ["orders:read"]` | every listed scope | 403 `insufficient_scope`, `scope="…"` |
/// | `any(arg, …)` | at least one of the nested arguments | the refusal of the first |
/// | `all(arg, …)` | every nested argument | the first refusal |
///
/// A request with no verified token gets 401 with a `WWW-Authenticate`
/// challenge whatever the arguments. `any` and `all` nest, and inside `any`
/// each argument is one alternative (`roles = ["a", "b"]` there means "both
/// roles" as a single alternative):
///
/// ```
/// use auth_middleware::require_auth;
///
/// /// MFA, and either the `admin` role or the `billing:write` scope.
/// #[require_auth(mfa, any(roles = ["admin"], scopes = ["billing:write"]))]
/// async fn refund() -> &'static str {
///     "refunded"
/// }
/// # let _: axum::Router = axum::Router::new().route("/refund", axum::routing::post(refund));
/// ```
///
/// A sensitive change (a new API key, a new second factor) can ask for a
/// recent login, so a stolen access token alone cannot make it:
///
/// ```
/// use auth_middleware::{AuthUser, require_auth};
///
/// #[require_auth(max_age = 300)]
/// async fn create_key(user: AuthUser) -> String {
///     format!("a new key for {}", user.subject())
/// }
/// # let _: axum::Router = axum::Router::new().route("/keys", axum::routing::post(create_key));
/// ```
///
/// `mfa`, `max_age`, `roles` and `scopes` appear at most once in each list of
/// requirements (the top level, or one `all(...)`); `any(...)` may repeat.
/// Lists must not be empty, items must be non-empty string literals, and a
/// scope must be a valid RFC 6749 scope token (no spaces, `"` or `\`):
///
/// ```compile_fail
/// # use auth_middleware::require_auth;
/// #[require_auth(roles = "admin")] // error: expected a list in brackets: `roles = ["admin"]`
/// async fn admin() {}
/// ```
///
/// # What it writes
///
/// The handler keeps its attributes, visibility, generics, where clause,
/// return type and body as written. The macro adds a hidden policy type named
/// `__require_auth_<handler>` (with the handler's visibility) and puts a
/// [`Guard`] for it in front of the handler's parameters, so it runs before
/// every other extractor: a request without a token gets 401 even when its
/// JSON body would have been rejected with 422.
///
/// ```
/// use auth_middleware::{AuthUser, require_auth};
/// use axum::{Json, extract::State};
///
/// #[derive(Clone)]
/// struct AppState;
///
/// #[derive(serde::Deserialize)]
/// struct Payment {
///     cents: u64,
/// }
///
/// #[require_auth(mfa)]
/// pub async fn pay(State(_): State<AppState>, user: AuthUser, Json(payment): Json<Payment>) -> String {
///     format!("{} paid {}", user.subject(), payment.cents)
/// }
/// // `pay` now takes `Guard<__require_auth_pay>` first; routing is unchanged.
/// # let _: axum::Router = axum::Router::new().route("/pay", axum::routing::post(pay)).with_state(AppState);
/// ```
///
/// The guard rejects through the [`AuthLayer`] in front of the route, which
/// renders the 401 or 403; without a layer the guard answers 500, so a
/// forgotten layer is noticed at the first request.
///
/// # Where it can be used
///
/// On a free `async fn` with a body (generic or not, any visibility, up to
/// the arity axum allows minus one for the guard). Not on a sync `fn` or a
/// method taking `self`, which are compile errors:
///
/// ```compile_fail
/// # use auth_middleware::require_auth;
/// #[require_auth] // error: #[require_auth] handlers must be `async fn`
/// fn me() {}
/// ```
///
/// Nor on an associated function in an `impl` block: the policy type cannot
/// be declared inside one. Place `#[require_auth]` above other handler
/// attributes such as axum's `#[debug_handler]`, so they see the guard.
///
/// [`Guard`]: ../auth_middleware/policy/struct.Guard.html
/// [`AuthLayer`]: ../auth_middleware/struct.AuthLayer.html
#[proc_macro_attribute]
pub fn require_auth(attr: TokenStream, item: TokenStream) -> TokenStream {
    require_auth::expand_attribute(attr.into(), item.into()).into()
}

/// Implements `auth_middleware::Claims` for a struct holding an application's
/// own token claims.
///
/// Mark the field that holds the user's roles with `#[claims(roles)]`; role
/// checks (`#[require_auth(roles = [...])]`, `AuthUser::has_role`) then read it
/// instead of the registered `roles` claim. Without such a field the
/// registered claim is used. The field must deref to `[String]`, e.g. a
/// `Vec<String>` (add `#[serde(default)]` if tokens may lack it).
///
/// ```
/// use auth_middleware::Claims;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Claims, Serialize, Deserialize)]
/// struct MyClaims {
///     tenant: String,
///     #[claims(roles)]
///     groups: Vec<String>,
/// }
///
/// let claims = MyClaims { tenant: "acme".into(), groups: vec!["editor".into()] };
/// assert_eq!(Claims::roles(&claims), Some(&["editor".to_owned()][..]));
/// ```
///
/// `Serialize` and `Deserialize` are needed too (the claims travel in the
/// token as JSON, flattened beside the registered ones), and so are `Send`,
/// `Sync` and `'static`. Generic structs keep their parameters and where
/// clauses.
///
/// Only structs with named fields can derive it, with at most one
/// `#[claims(roles)]` field, and `roles` is the only key:
///
/// ```compile_fail
/// # use auth_middleware::Claims;
/// # use serde::{Deserialize, Serialize};
/// #[derive(Claims, Serialize, Deserialize)]
/// struct MyClaims {
///     #[claims(role)] // error: unknown claims attribute `role`; expected `roles`
///     groups: Vec<String>,
/// }
/// ```
#[proc_macro_derive(Claims, attributes(claims))]
pub fn derive_claims(input: TokenStream) -> TokenStream {
    claims::expand_derive(input.into()).into()
}
