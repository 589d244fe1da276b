//! The app's configuration: every `AUTH_DEMO_*` variable of the contract
//! (spec/demo-api.md, "Configuration"), with its default.
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

/// Every variable the app reads (besides `RUST_LOG`).
pub const VARIABLES: [&str; 13] = [
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
        let issuer = get(ISSUER).unwrap_or("http://127.0.0.1:3000").to_owned();
        let origin = origin_of(&issuer).ok_or_else(|| {
            invalid(
                ISSUER,
                "expected an http:// or https:// URL with a host, such as http://127.0.0.1:3000",
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
                "is missing: an OpenID Connect provider needs AUTH_DEMO_OIDC_ISSUER, \
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
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, Error> {
        let vars = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_vars(&vars)
    }

    /// The variable an error names.
    fn variable_of(result: Result<Config, Error>) -> &'static str {
        match result {
            Err(Error::Config { variable, .. }) => variable,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_follow_the_contract() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.addr, "127.0.0.1:3000".parse::<SocketAddr>().unwrap());
        assert_eq!(config.store, StoreConfig::Memory);
        assert_eq!(config.alg, Algorithm::EdDSA);
        assert_eq!(config.key_dir, None);
        assert_eq!(config.access_ttl, Duration::from_secs(900));
        assert_eq!(config.refresh_ttl, Duration::from_secs(1_209_600));
        assert_eq!(config.issuer, "http://127.0.0.1:3000");
        assert_eq!(config.origin, "http://127.0.0.1:3000");
        assert_eq!(config.audience, "auth-demo");
        assert_eq!(config.max_failures, 5);
        assert!(config.oidc.is_none());
        assert!(config.trusted_hs256_secret.is_none());
    }

    #[test]
    fn every_variable_is_read() {
        let secret = "s".repeat(32);
        let config = parse(&[
            (ADDR, "0.0.0.0:0"),
            (STORE, "memory"),
            (ALG, "RS256"),
            (KEY_DIR, "/var/lib/keys"),
            (ACCESS_TTL, "60"),
            (REFRESH_TTL, "3600"),
            (ISSUER, "https://ID.example:443/tenant"),
            (AUDIENCE, "api"),
            (LOGIN_MAX_FAILURES, "3"),
            (OIDC_ISSUER, "https://accounts.example"),
            (OIDC_CLIENT_ID, "client"),
            (OIDC_CLIENT_SECRET, "shh"),
            (TRUSTED_HS256_SECRET, &secret),
        ])
        .unwrap();
        assert_eq!(config.addr.port(), 0);
        assert_eq!(config.alg, Algorithm::RS256);
        assert_eq!(config.key_dir, Some(PathBuf::from("/var/lib/keys")));
        assert_eq!(config.access_ttl, Duration::from_secs(60));
        assert_eq!(config.refresh_ttl, Duration::from_secs(3600));
        assert_eq!(config.issuer, "https://ID.example:443/tenant");
        assert_eq!(config.origin, "https://id.example");
        assert_eq!(config.audience, "api");
        assert_eq!(config.max_failures, 3);
        let oidc = config.oidc.unwrap();
        assert_eq!(oidc.client_id, "client");
        assert_eq!(oidc.client_secret.expose(), "shh");
        assert_eq!(config.trusted_hs256_secret.unwrap().expose(), secret);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config = parse(&[
            (ALG, ""),
            (ACCESS_TTL, " "),
            (KEY_DIR, ""),
            (OIDC_CLIENT_ID, ""),
        ])
        .unwrap();
        assert_eq!(config.alg, Algorithm::EdDSA);
        assert_eq!(config.access_ttl, Duration::from_secs(900));
        assert_eq!(config.key_dir, None);
        assert!(config.oidc.is_none());
    }

    #[test]
    fn every_algorithm_parses_and_others_name_the_variable() {
        for alg in Algorithm::ALL {
            assert_eq!(parse(&[(ALG, alg.as_str())]).unwrap().alg, alg);
        }
        for bad in ["none", "eddsa", "HS512", "ES256K"] {
            assert_eq!(variable_of(parse(&[(ALG, bad)])), ALG, "{bad}");
        }
        // Surrounding blanks (a stray space in an env file) are not part of the name.
        assert_eq!(parse(&[(ALG, " RS256 ")]).unwrap().alg, Algorithm::RS256);
    }

    #[test]
    fn ttls_and_failures_must_be_positive_whole_numbers() {
        for bad in ["abc", "-1", "0", "1.5", "15m", "999999999999"] {
            assert_eq!(
                variable_of(parse(&[(ACCESS_TTL, bad)])),
                ACCESS_TTL,
                "{bad}"
            );
            assert_eq!(
                variable_of(parse(&[(REFRESH_TTL, bad)])),
                REFRESH_TTL,
                "{bad}"
            );
            assert_eq!(
                variable_of(parse(&[(LOGIN_MAX_FAILURES, bad)])),
                LOGIN_MAX_FAILURES,
                "{bad}"
            );
        }
    }

    #[test]
    fn addresses_must_be_socket_addresses() {
        assert_eq!(parse(&[(ADDR, "[::1]:8080")]).unwrap().addr.port(), 8080);
        for bad in [
            "localhost",
            "127.0.0.1",
            "127.0.0.1:99999",
            "http://127.0.0.1:3000",
        ] {
            assert_eq!(variable_of(parse(&[(ADDR, bad)])), ADDR, "{bad}");
        }
    }

    #[test]
    fn stores_are_recognised_by_scheme_and_urls_are_never_echoed() {
        let redis = parse(&[(STORE, "redis://:hunter2@cache:6379/0")]).unwrap();
        assert!(matches!(redis.store, StoreConfig::Redis(_)));
        assert!(!format!("{redis:?}").contains("hunter2"));
        let pg = parse(&[(STORE, "postgresql://app:hunter2@db/auth")]).unwrap();
        assert!(matches!(pg.store, StoreConfig::Postgres(_)));
        assert!(!format!("{pg:?}").contains("hunter2"));
        let error = parse(&[(STORE, "mysql://root:hunter2@db")]).unwrap_err();
        assert!(error.to_string().starts_with(STORE), "{error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn the_issuer_must_be_a_url_with_an_origin() {
        for bad in [
            "auth-demo",
            "ftp://files.example",
            "http://",
            "https:///path",
        ] {
            assert_eq!(variable_of(parse(&[(ISSUER, bad)])), ISSUER, "{bad}");
        }
        let config = parse(&[(ISSUER, "http://localhost:8080/")]).unwrap();
        assert_eq!(config.origin, "http://localhost:8080");
    }

    #[test]
    fn a_partial_oidc_provider_names_the_missing_variable() {
        let cases = [
            (vec![(OIDC_ISSUER, "https://op.example")], OIDC_CLIENT_ID),
            (
                vec![(OIDC_CLIENT_ID, "c"), (OIDC_CLIENT_SECRET, "s")],
                OIDC_ISSUER,
            ),
            (
                vec![(OIDC_ISSUER, "https://op.example"), (OIDC_CLIENT_ID, "c")],
                OIDC_CLIENT_SECRET,
            ),
        ];
        for (pairs, missing) in cases {
            assert_eq!(variable_of(parse(&pairs)), missing);
        }
        let bad_url = [
            (OIDC_ISSUER, "op.example"),
            (OIDC_CLIENT_ID, "c"),
            (OIDC_CLIENT_SECRET, "s"),
        ];
        assert_eq!(variable_of(parse(&bad_url)), OIDC_ISSUER);
    }

    #[test]
    fn secrets_are_checked_and_hidden() {
        assert_eq!(
            variable_of(parse(&[(TRUSTED_HS256_SECRET, "too short")])),
            TRUSTED_HS256_SECRET
        );
        let secret = "correct horse battery staple, 32+";
        let config = parse(&[
            (TRUSTED_HS256_SECRET, secret),
            (OIDC_ISSUER, "https://op.example"),
            (OIDC_CLIENT_ID, "c"),
            (OIDC_CLIENT_SECRET, "client-secret-value"),
        ])
        .unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(!debug.contains("client-secret-value"), "{debug}");
    }
}
