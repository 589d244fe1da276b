//! Security events: one `tracing` event per decision of the flows.
//!
//! Each has a stable name in the field `event` (what a log pipeline filters
//! on) and the same field names throughout: `user` (the user id, where known),
//! `client_ip` (where known), and a few of its own (`reason`, `method`, `sid`,
//! `key_id`). They are emitted under the target `auth::security`, never hold
//! a password, token, code or secret, and never a username a client typed
//! (a password typed into the wrong field must not end up in a log).
//!
//! | event | level | fields |
//! |---|---|---|
//! | `user.registered` | info | `user` |
//! | `login.succeeded` | info | `user`, `method` (`pwd`, `mfa`, `hwk` for a passkey sign-in, `fed`, …) |
//! | `login.failed` | info | `reason` (the account is not named: an unknown name may be a mistyped password) |
//! | `login.throttled` | warn | `step` (`login`, `mfa`, `register`, `passkey`, `passkey_challenge`) |
//! | `mfa.failed` | info | `user`, `reason` |
//! | `refresh.reused` | warn | `user`, `sid` |
//! | `logout` | info | `user`, `sid` |
//! | `logout_all` | info | `user` |
//! | `api_key.created` / `api_key.deleted` | info | `user`, `key_id` |
//! | `totp.enrolled` | info | `user` |
//! | `passkey.registered` / `passkey.deleted` | info | `user`, `passkey` (its credential id) |
//! | `passkey.clone_suspected` | warn | `user`, `passkey`: a signature counter that did not increase |

/// The target every security event is emitted under.
pub const TARGET: &str = "auth::security";

/// Emits one security event: `security_event!(info, "login.succeeded",
/// client, user = %id, method = "pwd")`.
macro_rules! security_event {
    ($level:ident, $name:literal, $client:expr $(, $($field:tt)+)?) => {
        tracing::$level!(
            target: "auth::security",
            event = $name,
            client_ip = $client.ip().map(tracing::field::display),
            $($($field)+,)?
            "{}",
            $name
        )
    };
}

pub(crate) use security_event;
