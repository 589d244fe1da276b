//! The app's configuration: every `AUTH_DEMO_*` variable of the contract
//! (the README's "Configuration" table), with its default.
//!
//! Parsing is a pure function of a name → value map, so it is tested without
//! touching the process environment. An empty value counts as unset (what
//! `VAR=` in a shell or a compose file usually means). Every error names the
//! variable at fault and never repeats a secret (a store URL may hold a
//! password, so it is not echoed either).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use auth_core::Algorithm;

use super::Error;
use super::origin::origin_of;

/// `AUTH_DEMO_ADDR`.
pub const ADDR: &str = "AUTH_DEMO_ADDR";
/// `AUTH_DEMO_STORE`.
pub const STORE: &str = "AUTH_DEMO_STORE";
/// `AUTH_DEMO_ALG`.
pub const ALG: &str = "AUTH_DEMO_ALG";
/// `AUTH_DEMO_KEY_DIR`.
pub const KEY_DIR: &str = "AUTH_DEMO_KEY_DIR";
/// `AUTH_DEMO_ACCESS_TTL`.
pub const ACCESS_TTL: &str = "AUTH_DEMO_ACCESS_TTL";
/// `AUTH_DEMO_REFRESH_TTL`.
pub const REFRESH_TTL: &str = "AUTH_DEMO_REFRESH_TTL";
/// `AUTH_DEMO_ISSUER`.
pub const ISSUER: &str = "AUTH_DEMO_ISSUER";
/// `AUTH_DEMO_AUDIENCE`.
pub const AUDIENCE: &str = "AUTH_DEMO_AUDIENCE";
/// `AUTH_DEMO_LOGIN_MAX_FAILURES`.
pub const LOGIN_MAX_FAILURES: &str = "AUTH_DEMO_LOGIN_MAX_FAILURES";
/// `AUTH_DEMO_OIDC_ISSUER`.
pub const OIDC_ISSUER: &str = "AUTH_DEMO_OIDC_ISSUER";
/// `AUTH_DEMO_OIDC_CLIENT_ID`.
pub const OIDC_CLIENT_ID: &str = "AUTH_DEMO_OIDC_CLIENT_ID";
/// `AUTH_DEMO_OIDC_CLIENT_SECRET`.
pub const OIDC_CLIENT_SECRET: &str = "AUTH_DEMO_OIDC_CLIENT_SECRET";
/// `AUTH_DEMO_TRUSTED_HS256_SECRET`.
pub const TRUSTED_HS256_SECRET: &str = "AUTH_DEMO_TRUSTED_HS256_SECRET";
/// `AUTH_DEMO_REGISTRATIONS_PER_HOUR`.
pub const REGISTRATIONS_PER_HOUR: &str = "AUTH_DEMO_REGISTRATIONS_PER_HOUR";
/// `AUTH_DEMO_STEP_UP_MAX_AGE`.
pub const STEP_UP_MAX_AGE: &str = "AUTH_DEMO_STEP_UP_MAX_AGE";
/// `AUTH_DEMO_REFRESH_REUSE_INTERVAL`.
pub const REFRESH_REUSE_INTERVAL: &str = "AUTH_DEMO_REFRESH_REUSE_INTERVAL";
/// `AUTH_DEMO_HASH_QUEUE`.
pub const HASH_QUEUE: &str = "AUTH_DEMO_HASH_QUEUE";
/// `AUTH_DEMO_LOG_FORMAT`: `text` (the default) or `json`.
pub const LOG_FORMAT: &str = "AUTH_DEMO_LOG_FORMAT";

/// `AUTH_DEMO_MAX_STALENESS`: this app's extension of the contract. With a
/// shared store, how many seconds the local revocation view may go without
/// hearing from the store before bearer and cookie tokens are refused (503,
/// fail closed). Unset: never refused for staleness, so protected routes keep
/// answering from the local view through a store outage, as the contract says.
pub const MAX_STALENESS: &str = "AUTH_DEMO_MAX_STALENESS";

/// Every variable the app reads (besides `RUST_LOG`).
pub const VARIABLES: [&str; 19] = [
    ADDR,
    STORE,
    ALG,
    KEY_DIR,
    ACCESS_TTL,
    REFRESH_TTL,
    ISSUER,
    AUDIENCE,
    LOGIN_MAX_FAILURES,
    OIDC_ISSUER,
    OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET,
    TRUSTED_HS256_SECRET,
    MAX_STALENESS,
    REGISTRATIONS_PER_HOUR,
    STEP_UP_MAX_AGE,
    REFRESH_REUSE_INTERVAL,
    HASH_QUEUE,
    LOG_FORMAT,
];

/// The longest lifetime accepted, ten years: far beyond any sensible token
/// lifetime, and small enough that no timestamp arithmetic can overflow.
const MAX_TTL_SECS: u64 = 10 * 365 * 24 * 3600;

/// The whole configuration of one instance.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Listen address.
    pub addr: SocketAddr,
    /// Where flow state and users live.
    pub store: StoreConfig,
    /// Access-token signing algorithm.
    pub alg: Algorithm,
    /// Folder of PEM signing keys; `None`: a fresh key per start.
    pub key_dir: Option<PathBuf>,
    /// Access-token lifetime.
    pub access_ttl: Duration,
    /// Refresh-token lifetime.
    pub refresh_ttl: Duration,
    /// `iss` of issued tokens.
    pub issuer: String,
    /// The origin of [`Config::issuer`] (`scheme://host[:port]`): the only
    /// origin allowed to POST forms and to call `/auth/refresh` from a browser.
    pub origin: String,
    /// `aud` of issued tokens.
    pub audience: String,
    /// Failed logins per account (and per client address) before throttling.
    pub max_failures: u32,
    /// The external OpenID Connect provider, when configured.
    pub oidc: Option<OidcConfig>,
    /// Shared secret of another service whose HS256 tokens are accepted.
    pub trusted_hs256_secret: Option<Secret>,
    /// With a shared store, how long the local revocation view may be out of
    /// touch with the store before tokens are refused; `None`: never.
    pub max_staleness: Option<Duration>,
    /// Registrations per client address per hour.
    pub registrations_per_hour: u32,
    /// How recent a login must be for sensitive account changes.
    pub step_up_max_age: Duration,
    /// How long a just-rotated refresh token may be presented again.
    pub refresh_reuse_interval: Duration,
    /// Password checks allowed to wait for the hashing pool.
    pub hash_queue: usize,
    /// How logs are written.
    pub log_format: LogFormat,
}

/// How the app writes its logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (`{"timestamp","level","event",...}`).
    Json,
}

/// Where the app keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// In this process; gone at exit.
    Memory,
    /// A `redis://` or `rediss://` URL.
    Redis(Secret),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(Secret),
}

/// The one external OpenID Connect provider (named `oidc` in URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OidcConfig {
    /// The provider's issuer URL (discovery starts there).
    pub issuer: String,
    /// This app's client id at the provider.
    pub client_id: String,
    /// This app's client secret at the provider.
    pub client_secret: Secret,
}

/// A configuration value that must not be printed: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Config {
    /// Reads the configuration from the process environment. A variable that
    /// is not valid UTF-8 is an error naming it.
    pub fn from_env() -> Result<Config, Error> {
        let mut vars = HashMap::new();
        for name in VARIABLES {
            match std::env::var(name) {
                Ok(value) => {
                    vars.insert(name.to_owned(), value);
                }
                Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(invalid(name, "the value is not valid UTF-8"));
                }
            }
        }
        Config::from_vars(&vars)
    }

    /// Parses the configuration from `vars` (name → value); names other than
    /// [`VARIABLES`] are ignored.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Config, Error> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let issuer = get(ISSUER).unwrap_or("http://localhost:3000").to_owned();
        let origin = origin_of(&issuer).ok_or_else(|| {
            invalid(
                ISSUER,
                "expected an http:// or https:// URL with a host, such as http://localhost:3000",
            )
        })?;
        Ok(Config {
            addr: parse_addr(get(ADDR))?,
            store: parse_store(get(STORE))?,
            alg: parse_alg(get(ALG))?,
            key_dir: get(KEY_DIR).map(PathBuf::from),
            access_ttl: parse_ttl(ACCESS_TTL, get(ACCESS_TTL), 900)?,
            refresh_ttl: parse_ttl(REFRESH_TTL, get(REFRESH_TTL), 14 * 24 * 3600)?,
            issuer,
            origin,
            audience: get(AUDIENCE).unwrap_or("auth-demo").to_owned(),
            max_failures: parse_max_failures(get(LOGIN_MAX_FAILURES))?,
            oidc: parse_oidc(
                get(OIDC_ISSUER),
                get(OIDC_CLIENT_ID),
                get(OIDC_CLIENT_SECRET),
            )?,
            trusted_hs256_secret: parse_trusted_secret(vars.get(TRUSTED_HS256_SECRET))?,
            max_staleness: get(MAX_STALENESS)
                .map(|value| parse_ttl(MAX_STALENESS, Some(value), 0))
                .transpose()?,
            registrations_per_hour: parse_count(
                REGISTRATIONS_PER_HOUR,
                get(REGISTRATIONS_PER_HOUR),
                20,
                1,
            )?,
            step_up_max_age: parse_ttl(STEP_UP_MAX_AGE, get(STEP_UP_MAX_AGE), 300)?,
            refresh_reuse_interval: Duration::from_secs(
                parse_count(REFRESH_REUSE_INTERVAL, get(REFRESH_REUSE_INTERVAL), 10, 0)?.into(),
            ),
            hash_queue: usize::try_from(parse_count(HASH_QUEUE, get(HASH_QUEUE), 64, 0)?)
                .unwrap_or(usize::MAX),
            log_format: parse_log_format(get(LOG_FORMAT))?,
        })
    }
}

fn invalid(variable: &'static str, reason: impl Into<String>) -> Error {
    Error::Config {
        variable,
        reason: reason.into(),
    }
}

fn parse_addr(value: Option<&str>) -> Result<SocketAddr, Error> {
    value.unwrap_or("127.0.0.1:3000").parse().map_err(|_| {
        invalid(
            ADDR,
            "expected an IP address and port, such as 127.0.0.1:3000 or [::1]:0",
        )
    })
}

fn parse_store(value: Option<&str>) -> Result<StoreConfig, Error> {
    let Some(value) = value else {
        return Ok(StoreConfig::Memory);
    };
    let scheme = value
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    match (value, scheme.as_deref()) {
        ("memory", _) => Ok(StoreConfig::Memory),
        (_, Some("redis" | "rediss")) => Ok(StoreConfig::Redis(Secret(value.to_owned()))),
        (_, Some("postgres" | "postgresql")) => Ok(StoreConfig::Postgres(Secret(value.to_owned()))),
        _ => Err(invalid(
            STORE,
            "expected `memory`, a redis:// URL or a postgres:// URL",
        )),
    }
}

fn parse_alg(value: Option<&str>) -> Result<Algorithm, Error> {
    let Some(value) = value else {
        return Ok(Algorithm::EdDSA);
    };
    value.parse().map_err(|_| {
        invalid(
            ALG,
            "unknown algorithm; expected EdDSA, ES256, RS256 or HS256 (names are case-sensitive)",
        )
    })
}

fn parse_ttl(variable: &'static str, value: Option<&str>, default: u64) -> Result<Duration, Error> {
    let Some(value) = value else {
        return Ok(Duration::from_secs(default));
    };
    match value.parse::<u64>() {
        Ok(secs @ 1..=MAX_TTL_SECS) => Ok(Duration::from_secs(secs)),
        _ => Err(invalid(
            variable,
            format!("expected a whole number of seconds from 1 to {MAX_TTL_SECS}"),
        )),
    }
}

/// A whole number of at least `min` (up to a million), `default` when unset.
fn parse_count(
    variable: &'static str,
    value: Option<&str>,
    default: u32,
    min: u32,
) -> Result<u32, Error> {
    const MAX: u32 = 1_000_000;
    let Some(value) = value else {
        return Ok(default);
    };
    match value.parse::<u32>() {
        Ok(count) if (min..=MAX).contains(&count) => Ok(count),
        _ => Err(invalid(
            variable,
            format!("expected a whole number from {min} to {MAX}"),
        )),
    }
}

fn parse_log_format(value: Option<&str>) -> Result<LogFormat, Error> {
    match value {
        None | Some("text") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        Some(_) => Err(invalid(LOG_FORMAT, "expected `text` or `json`")),
    }
}

fn parse_max_failures(value: Option<&str>) -> Result<u32, Error> {
    let Some(value) = value else {
        return Ok(5);
    };
    match value.parse::<u32>() {
        Ok(failures @ 1..) => Ok(failures),
        _ => Err(invalid(
            LOGIN_MAX_FAILURES,
            "expected a whole number of failed attempts, at least 1",
        )),
    }
}

/// All three OIDC variables, or none: a provider configured by halves would
/// start an app whose login button fails.
fn parse_oidc(
    issuer: Option<&str>,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> Result<Option<OidcConfig>, Error> {
    match (issuer, client_id, client_secret) {
        (None, None, None) => Ok(None),
        (Some(issuer), Some(client_id), Some(client_secret)) => {
            if origin_of(issuer).is_none() {
                return Err(invalid(
                    OIDC_ISSUER,
                    "expected the provider's http:// or https:// issuer URL",
                ));
            }
            Ok(Some(OidcConfig {
                issuer: issuer.to_owned(),
                client_id: client_id.to_owned(),
                client_secret: Secret(client_secret.to_owned()),
            }))
        }
        _ => {
            let missing = [
                (OIDC_ISSUER, issuer),
                (OIDC_CLIENT_ID, client_id),
                (OIDC_CLIENT_SECRET, client_secret),
            ]
            .into_iter()
            .find_map(|(name, value)| value.is_none().then_some(name))
            .unwrap_or(OIDC_ISSUER);
            Err(invalid(
                missing,
                "not set, but an OpenID Connect provider needs AUTH_DEMO_OIDC_ISSUER, \
                 AUTH_DEMO_OIDC_CLIENT_ID and AUTH_DEMO_OIDC_CLIENT_SECRET together",
            ))
        }
    }
}

/// The secret is used byte for byte (not trimmed): it must equal the peer's.
fn parse_trusted_secret(value: Option<&String>) -> Result<Option<Secret>, Error> {
    match value {
        None => Ok(None),
        Some(value) if value.is_empty() => Ok(None),
        Some(value) if value.len() < 32 => Err(invalid(
            TRUSTED_HS256_SECRET,
            "an HS256 secret needs at least 32 bytes",
        )),
        Some(value) => Ok(Some(Secret(value.clone()))),
    }
}

#[cfg(test)]
mod tests;
