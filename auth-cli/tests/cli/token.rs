//! `auth token mint`, `inspect` and `verify`.

use super::{auth, auth_stdin, key_folder};

const ISS: &str = "https://id.example";
const AUD: &str = "api";

fn mint(dir: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "--json", "token", "mint", "--dir", dir, "--sub", "user-1", "--iss", ISS, "--aud", AUD,
    ];
    args.extend_from_slice(extra);
    auth(&args).json()
}

fn verify(token: &str, dir: &str, extra: &[&str]) -> super::Run {
    let mut args = vec![
        "token", "verify", token, "--dir", dir, "--iss", ISS, "--aud", AUD,
    ];
    args.extend_from_slice(extra);
    auth(&args)
}

#[test]
fn generate_jwks_mint_verify_round_trip_for_each_algorithm() {
    let tmp = tempfile::tempdir().unwrap();
    for alg in ["EdDSA", "ES256", "RS256", "HS256"] {
        let dir = key_folder(tmp.path(), alg, alg);
        let minted = mint(
            &dir,
            &[
                "--ttl",
                "10m",
                "--roles",
                "admin,ops",
                "--amr",
                "pwd,mfa",
                "--username",
                "alice",
            ],
        );
        let token = minted["token"].as_str().unwrap();
        let (header, claims) = (&minted["header"], &minted["claims"]);
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["alg"], alg);
        assert_eq!(claims["sub"], "user-1");
        assert_eq!(claims["iss"], ISS);
        assert_eq!(claims["aud"], AUD);
        assert_eq!(claims["roles"], serde_json::json!(["admin", "ops"]));
        assert_eq!(claims["amr"], serde_json::json!(["pwd", "mfa"]));
        assert_eq!(claims["preferred_username"], "alice");
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
        let iat = claims["iat"].as_i64().unwrap();
        assert_eq!(claims["exp"].as_i64().unwrap() - iat, 600);
        assert_eq!(claims["auth_time"].as_i64(), Some(iat));

        // The public keys verify it, as another service would (not for HS256).
        if alg != "HS256" {
            let jwks = auth(&["jwks", "--dir", &dir]);
            let set = serde_json::from_str(jwks.ok()).unwrap();
            let keys = auth_core::KeySet::from_jwks(&set).unwrap();
            let verifier = auth_core::Verifier::new(keys, auth_core::Validation::new(ISS, AUD));
            assert_eq!(verifier.verify(token).unwrap().sub, "user-1");
        }

        let out = verify(token, &dir, &[]);
        let text = out.ok();
        assert!(text.starts_with("valid: every check passed"), "{text}");
        for check in [
            "size",
            "format",
            "header",
            "key",
            "signature",
            "claims",
            "expiry",
            "not-before",
            "issuer",
            "audience",
        ] {
            assert!(
                text.lines()
                    .any(|l| l.trim_start().starts_with(&format!("ok      {check} "))),
                "{alg} {check}: {text}"
            );
        }
        let json = auth(&[
            "--json", "token", "verify", token, "--dir", &dir, "--iss", ISS, "--aud", AUD,
        ])
        .json();
        assert_eq!(json["valid"], true);
        assert_eq!(json["claims"]["sub"], "user-1");
    }
}

#[test]
fn each_failure_is_named_by_the_check_that_refused_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = key_folder(tmp.path(), "keys", "EdDSA");
    let other = key_folder(tmp.path(), "other", "EdDSA");
    let token = mint(&dir, &[])["token"].as_str().unwrap().to_owned();

    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'Q' } else { 'A' });
    let (head, _) = token.split_once('.').unwrap();
    let wrong_typ = {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header: serde_json::Value = serde_json::from_slice(&b64.decode(head).unwrap()).unwrap();
        let mut header = header.as_object().unwrap().clone();
        header.insert("typ".into(), "JWT".into());
        let new_head = b64.encode(serde_json::to_vec(&header).unwrap());
        token.replacen(head, &new_head, 1)
    };

    let cases: [(&str, &str, &[&str], &str); 6] = [
        (&forged, &dir, &[], "signature"),
        (&token, &other, &[], "key"),
        (&wrong_typ, &dir, &[], "header"),
        (&token, &dir, &["--iss", "https://other.example"], "issuer"),
        (&token, &dir, &["--aud", "other-api"], "audience"),
        ("a.b", &dir, &[], "format"),
    ];
    for (token, dir, overrides, check) in cases {
        let mut args = vec!["--json", "token", "verify", token, "--dir", dir];
        let iss = overrides
            .windows(2)
            .find(|w| w[0] == "--iss")
            .map_or(ISS, |w| w[1]);
        let aud = overrides
            .windows(2)
            .find(|w| w[0] == "--aud")
            .map_or(AUD, |w| w[1]);
        args.extend_from_slice(&["--iss", iss, "--aud", aud]);
        let out = auth(&args);
        let line = out.fails(1);
        assert!(
            line.contains(&format!("the {check} check")),
            "{check}: {line}"
        );
        let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(report["valid"], false);
        assert_eq!(report["failed_check"], check);
        let checks = report["checks"].as_array().unwrap();
        let at = checks.iter().position(|c| c["check"] == check).unwrap();
        assert!(
            checks[..at].iter().all(|c| c["outcome"] == "passed"),
            "{report}"
        );
        assert_eq!(checks[at]["outcome"], "failed");
        assert!(
            checks[at + 1..]
                .iter()
                .all(|c| c["outcome"] == "not_checked"),
            "{report}"
        );
    }

    // The text names the failing check too.
    let out = auth(&[
        "token", "verify", &token, "--dir", &dir, "--iss", ISS, "--aud", "x",
    ]);
    out.fails(1);
    assert!(out.stdout.contains("FAILED  audience"), "{out:?}");
    assert!(out.stdout.contains("(expected x)"), "{out:?}");
}

#[test]
fn an_expired_token_fails_the_expiry_check() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = key_folder(tmp.path(), "keys", "EdDSA");
    let token = mint(&dir, &["--ttl", "1"])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let out = verify(&token, &dir, &["--leeway", "0"]);
    let line = out.fails(1);
    assert!(line.contains("the expiry check (expired)"), "{line}");
    // Within the default leeway it still passes.
    verify(&token, &dir, &[]).ok();
}

#[test]
fn inspect_decodes_without_verifying_and_reads_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = key_folder(tmp.path(), "keys", "ES256");
    let minted = mint(&dir, &["--roles", "admin"]);
    let token = minted["token"].as_str().unwrap();

    let text = auth(&["token", "inspect", token]).ok().to_owned();
    assert!(text.starts_with("UNVERIFIED"), "{text}");
    assert!(text.contains("\"typ\": \"at+jwt\""), "{text}");
    assert!(text.contains("\"sub\": \"user-1\""), "{text}");
    assert!(text.contains("exp       20"), "{text}");
    assert!(
        text.contains("(in 15m 0s)") || text.contains("(in 14m"),
        "{text}"
    );

    let json = auth_stdin(&["--json", "token", "inspect", "-"], &format!("{token}\n")).json();
    assert_eq!(json["verified"], false);
    assert_eq!(json["claims"], minted["claims"]);
    assert_eq!(json["header"], minted["header"]);
    assert!(json["times"]["iat"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn truncated_and_garbled_tokens_fail_on_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = key_folder(tmp.path(), "keys", "EdDSA");
    let token = mint(&dir, &[])["token"].as_str().unwrap().to_owned();
    let half = &token[..token.len() / 2];
    let garbled = token.replacen('.', ".%%", 1);
    for bad in [half, garbled.as_str(), "", "not a token", "a.b.c"] {
        let line = auth(&["token", "inspect", bad]).fails(1).to_owned();
        assert!(line.starts_with("error: not a JWT: "), "{line}");
        assert!(
            !line.contains(&token[..20]),
            "no token in the message: {line}"
        );
    }
    // Verify: the format (or header) check names it, exit 1.
    let out = verify(half, &dir, &[]);
    assert!(out.fails(1).contains("verification failed"), "{out:?}");
    // From an empty standard input too.
    auth_stdin(&["token", "inspect", "-"], "").fails(1);
}

#[test]
fn mint_prints_the_token_alone_and_refuses_a_verify_only_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = key_folder(tmp.path(), "keys", "EdDSA");
    let out = auth(&[
        "token", "mint", "--dir", &dir, "--sub", "u", "--iss", ISS, "--aud", AUD,
    ]);
    let token = out.ok().trim_end();
    assert_eq!(token.split('.').count(), 3);
    assert!(!token.contains(char::is_whitespace));

    // Public keys only: nothing to sign with.
    let public = tmp.path().join("public");
    std::fs::create_dir(&public).unwrap();
    let keys = auth_core::KeySet::load_pem_dir(&dir).unwrap();
    let verify_only = auth_core::KeySet::verify_only(keys.verifying_keys()).unwrap();
    verify_only.save_pem_dir(&public).unwrap();
    let public = public.to_str().unwrap();
    let line = auth(&[
        "token", "mint", "--dir", public, "--sub", "u", "--iss", ISS, "--aud", AUD,
    ])
    .fails(1)
    .to_owned();
    assert!(line.contains("no signing key"), "{line}");
    // ...but it verifies.
    verify(token, public, &[]).ok();
}
