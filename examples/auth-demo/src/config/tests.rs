//! Parsing the configuration from a map: defaults, every variable, and the
//! variable each mistake names.

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
    assert_eq!(config.issuer, "http://localhost:3000");
    assert_eq!(config.origin, "http://localhost:3000");
    assert_eq!(config.audience, "auth-demo");
    assert_eq!(config.max_failures, 5);
    assert!(config.oidc.is_none());
    assert!(config.trusted_hs256_secret.is_none());
    assert_eq!(config.max_staleness, None);
    assert_eq!(config.registrations_per_hour, 20);
    assert_eq!(config.step_up_max_age, Duration::from_secs(300));
    assert_eq!(config.refresh_reuse_interval, Duration::from_secs(10));
    assert_eq!(config.hash_queue, 64);
    assert_eq!(config.log_format, LogFormat::Text);
}

#[test]
fn the_limits_of_the_attack_surface_are_read_and_checked() {
    let config = parse(&[
        (REGISTRATIONS_PER_HOUR, "3"),
        (STEP_UP_MAX_AGE, "60"),
        (REFRESH_REUSE_INTERVAL, "0"),
        (HASH_QUEUE, "0"),
        (LOG_FORMAT, "json"),
    ])
    .unwrap();
    assert_eq!(config.registrations_per_hour, 3);
    assert_eq!(config.step_up_max_age, Duration::from_secs(60));
    assert_eq!(config.refresh_reuse_interval, Duration::ZERO);
    assert_eq!(config.hash_queue, 0);
    assert_eq!(config.log_format, LogFormat::Json);
    for (variable, bad) in [
        (REGISTRATIONS_PER_HOUR, "0"),
        (REGISTRATIONS_PER_HOUR, "lots"),
        (STEP_UP_MAX_AGE, "0"),
        (REFRESH_REUSE_INTERVAL, "-1"),
        (HASH_QUEUE, "2000000"),
        (LOG_FORMAT, "yaml"),
    ] {
        assert_eq!(
            variable_of(parse(&[(variable, bad)])),
            variable,
            "{variable}={bad}"
        );
    }
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
        (MAX_STALENESS, "30"),
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
    assert_eq!(config.max_staleness, Some(Duration::from_secs(30)));
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
        assert_eq!(
            variable_of(parse(&[(MAX_STALENESS, bad)])),
            MAX_STALENESS,
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
