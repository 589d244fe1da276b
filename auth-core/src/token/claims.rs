//! The claims of an RFC 9068 access token, with room for an application's own.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// An application's own claims, carried beside the registered ones.
///
/// Derive it with `#[derive(Claims)]` (from `auth-middleware`); mark the field
/// that holds the user's roles with `#[claims(roles)]` when it is not the
/// standard `roles` claim. `()` is the "no extra claims" choice and costs nothing
/// to verify.
pub trait Claims: Serialize + for<'de> Deserialize<'de> + Send + Sync + 'static {
    /// The roles these claims carry, when the application keeps them in a field
    /// of its own; `None` uses the registered `roles` claim.
    fn roles(&self) -> Option<&[String]> {
        None
    }

    /// A value to use without parsing the claims again; only `()` has one, so
    /// tokens without extra claims are parsed exactly once.
    #[doc(hidden)]
    fn without_parsing() -> Option<Self> {
        None
    }
}

impl Claims for () {
    fn without_parsing() -> Option<Self> {
        Some(())
    }
}

/// The `aud` claim: one audience or several (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience string.
    One(String),
    /// A list of audiences.
    Many(Vec<String>),
}

/// Read straight from the string or the array: `#[serde(untagged)]` would
/// buffer the value first (an allocation and a copy on every verification).
impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Audience;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Audience, E> {
                Ok(Audience::One(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Audience, E> {
                Ok(Audience::One(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut many = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                while let Some(one) = seq.next_element::<String>()? {
                    many.push(one);
                }
                Ok(Audience::Many(many))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Audience {
    /// Whether `audience` is among these.
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// The verified claims of an access token (RFC 9068 §2.2), plus the
/// application's own claims `C`.
///
/// Everything here has been checked: signature, `iss`, `aud`, `exp`, `nbf`,
/// and revocation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(bound(deserialize = "C: Default"))]
#[non_exhaustive]
pub struct AccessClaims<C = ()> {
    /// The issuer.
    pub iss: String,
    /// The subject: the stable user id.
    pub sub: String,
    /// The audience(s).
    pub aud: Audience,
    /// Expiry, seconds since the epoch.
    #[serde(deserialize_with = "numeric_date")]
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    #[serde(deserialize_with = "numeric_date")]
    pub iat: i64,
    /// Not before, seconds since the epoch.
    #[serde(default, deserialize_with = "opt_numeric_date")]
    pub nbf: Option<i64>,
    /// The unique token id.
    pub jti: String,
    /// The session (refresh-token family) this token belongs to.
    #[serde(default)]
    pub sid: Option<String>,
    /// Authentication methods (RFC 8176), e.g. `["pwd", "otp", "mfa"]`.
    #[serde(default)]
    pub amr: Vec<String>,
    /// When the user authenticated, seconds since the epoch.
    #[serde(default, deserialize_with = "opt_numeric_date")]
    pub auth_time: Option<i64>,
    /// Authentication context class.
    #[serde(default)]
    pub acr: Option<String>,
    /// The user's roles (RFC 9068 §7.2.1.1 / RFC 7643).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Space-separated scopes.
    #[serde(default)]
    pub scope: Option<String>,
    /// The OAuth client the token was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The user's login name (OpenID Connect's `preferred_username`), when
    /// the issuer writes it: what an app can show without asking a store.
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// How far the verifier that accepted the token trusts it (not a claim).
    #[serde(skip)]
    pub trust: Trust,
    /// The application's own claims.
    #[serde(skip)]
    pub extra: C,
}

/// How far a verifier trusts the tokens it accepts.
///
/// A token from another service may be good evidence of *who* the caller is
/// and still not be trusted to say what the caller may do here: a verifier
/// made [`identity_only`](crate::Verifier::identity_only) accepts such
/// tokens with [`Trust::IdentityOnly`], and their roles, scopes and
/// authentication methods count for nothing (they are emptied, and every
/// policy check on them fails).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Trust {
    /// Everything the token says is believed.
    #[default]
    Full,
    /// Only `sub` (who the caller is) is believed.
    IdentityOnly,
}

impl AccessClaims<()> {
    /// Attaches the application's own claims, parsed separately.
    pub(crate) fn with_extra<C>(self, extra: C) -> AccessClaims<C> {
        AccessClaims {
            iss: self.iss,
            sub: self.sub,
            aud: self.aud,
            exp: self.exp,
            iat: self.iat,
            nbf: self.nbf,
            jti: self.jti,
            sid: self.sid,
            amr: self.amr,
            auth_time: self.auth_time,
            acr: self.acr,
            roles: self.roles,
            scope: self.scope,
            client_id: self.client_id,
            preferred_username: self.preferred_username,
            trust: self.trust,
            extra,
        }
    }
}

impl<C> AccessClaims<C> {
    /// The heap held by the registered claims, each allocation counted with
    /// its overhead: what the verified-token cache accounts for them.
    pub(crate) fn registered_heap_size(&self) -> usize {
        use super::cache::ALLOCATION_OVERHEAD;
        let string = |s: &String| {
            if s.capacity() == 0 {
                0
            } else {
                s.capacity() + ALLOCATION_OVERHEAD
            }
        };
        let optional = |s: &Option<String>| s.as_ref().map_or(0, string);
        let strings = |list: &Vec<String>| {
            let items: usize = list.iter().map(string).sum();
            let spine = list.capacity() * std::mem::size_of::<String>();
            items
                + if spine == 0 {
                    0
                } else {
                    spine + ALLOCATION_OVERHEAD
                }
        };
        let aud = match &self.aud {
            Audience::One(one) => string(one),
            Audience::Many(many) => strings(many),
        };
        string(&self.iss)
            + string(&self.sub)
            + string(&self.jti)
            + aud
            + optional(&self.sid)
            + optional(&self.acr)
            + optional(&self.scope)
            + optional(&self.client_id)
            + optional(&self.preferred_username)
            + strings(&self.amr)
            + strings(&self.roles)
    }
}

impl<C: Claims> AccessClaims<C> {
    /// The subject (user id).
    pub fn subject(&self) -> &str {
        &self.sub
    }

    /// The roles: the application's roles field when `C` names one, else
    /// `roles`; none for a token trusted for identity only.
    pub fn roles(&self) -> &[String] {
        match self.trust {
            Trust::Full => self.extra.roles().unwrap_or(&self.roles),
            Trust::IdentityOnly => &[],
        }
    }

    /// Whether the user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles().iter().any(|r| r == role)
    }

    /// The scopes granted, from the space-separated `scope` claim.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .unwrap_or_default()
            .split_ascii_whitespace()
    }

    /// Whether `scope` was granted (never, for a token trusted for identity only).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.trust == Trust::Full && self.scopes().any(|s| s == scope)
    }

    /// Whether the authentication method `method` (RFC 8176) was used (never
    /// known, for a token trusted for identity only).
    pub fn has_amr(&self, method: &str) -> bool {
        self.trust == Trust::Full && self.amr.iter().any(|m| m == method)
    }

    /// When the user last authenticated, as far as this token can be
    /// believed (`None` for a token trusted for identity only).
    pub fn authenticated_at(&self) -> Option<i64> {
        match self.trust {
            Trust::Full => self.auth_time,
            Trust::IdentityOnly => None,
        }
    }

    /// Whether the user passed multi-factor authentication (`amr` holds `mfa`).
    pub fn is_mfa(&self) -> bool {
        self.has_amr("mfa")
    }
}

/// A NumericDate (RFC 7519 §2): seconds, possibly fractional; fractions are
/// truncated, values out of range are refused.
fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct Visitor;
    impl de::Visitor<'_> for Visitor {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a NumericDate")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom("NumericDate out of range"))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            if v.is_finite() && v.abs() < 9.0e15 {
                #[allow(clippy::cast_possible_truncation)]
                Ok(v.trunc() as i64)
            } else {
                Err(E::custom("NumericDate out of range"))
            }
        }
    }
    d.deserialize_any(Visitor)
}

fn opt_numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    numeric_date(d).map(Some)
}

/// The claims as they are written into a token.
#[derive(Serialize)]
pub(crate) struct OutgoingClaims<'a, C> {
    pub(crate) iss: &'a str,
    pub(crate) sub: &'a str,
    pub(crate) aud: &'a str,
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    pub(crate) nbf: i64,
    pub(crate) jti: &'a str,
    pub(crate) sid: &'a str,
    pub(crate) amr: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) acr: Option<&'a str>,
    pub(crate) roles: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) preferred_username: Option<&'a str>,
    #[serde(flatten)]
    pub(crate) extra: &'a C,
}
