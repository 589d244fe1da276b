//! `auth totp new` and `code`.

use super::{auth, auth_stdin};

/// RFC 6238 Appendix B's SHA-1 seed, `12345678901234567890`, in base32.
const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

#[test]
fn codes_match_rfc_6238() {
    // The RFC's 8-digit codes, cut to the 6 digits auth-core uses.
    for (at, code) in [
        ("59", "287082"),
        ("1111111109", "081804"),
        ("2000000000", "279037"),
    ] {
        let out = auth(&["totp", "code", RFC_SECRET, "--at", at]);
        assert_eq!(out.ok().trim_end(), code, "at {at}");
    }
    let json = auth(&[
        "--json",
        "totp",
        "code",
        &RFC_SECRET.to_lowercase(),
        "--at",
        "59",
    ])
    .json();
    assert_eq!(json["code"], "287082");
    assert_eq!(json["valid_for_secs"], 1);
    // From standard input, spaces and line breaks ignored.
    let out = auth_stdin(
        &["totp", "code", "-", "--at", "59"],
        "GEZD GNBV GY3T QOJQ\nGEZD GNBV GY3T QOJQ\n",
    );
    assert_eq!(out.ok().trim_end(), "287082");
}

#[test]
fn new_prints_the_secret_the_uri_and_a_qr_code_whose_codes_check() {
    let out = auth(&[
        "totp",
        "new",
        "--issuer",
        "Example Co",
        "--account",
        "alice@example.com",
    ]);
    let text = out.ok();
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("secret:"))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert!(text.contains(&format!(
        "otpauth://totp/Example%20Co:alice%40example.com?secret={secret}&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"
    )), "{text}");
    assert!(
        text.contains('█') && text.contains('▀'),
        "a QR code is drawn: {text}"
    );

    // The code the command prints for that secret is one auth-core accepts.
    let code = auth(&["totp", "code", &secret]).ok().trim_end().to_owned();
    let bytes = auth_core::mfa::TotpSecret::from_base32(&secret).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let checker = auth_core::mfa::Totp::issuer("Example Co");
    assert!(
        checker
            .check(bytes.as_bytes(), &code, i64::try_from(now).unwrap())
            .is_some()
    );

    let json = auth(&[
        "--json",
        "totp",
        "new",
        "--issuer",
        "Ex",
        "--account",
        "bob",
    ])
    .json();
    assert!(
        json["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Ex:bob?secret=")
    );
    assert_eq!(json["secret"].as_str().unwrap().len(), 32);
    let bare = auth(&[
        "totp",
        "new",
        "--issuer",
        "Ex",
        "--account",
        "bob",
        "--no-qr",
    ]);
    assert!(!bare.ok().contains('█'));
}

#[test]
fn bad_secrets_and_names_fail_on_one_line() {
    for bad in ["not base32!", "GEZDGNBV1"] {
        let line = auth(&["totp", "code", bad]).fails(1).to_owned();
        assert!(line.contains("not base32"), "{bad}: {line}");
    }
    let line = auth(&["totp", "code", ""]).fails(1).to_owned();
    assert!(line.contains("empty"), "{line}");
    // Valid base32, but 40 bits: shorter than RFC 4226's minimum.
    let line = auth(&["totp", "code", "JBSWY3DP"]).fails(1).to_owned();
    assert!(line.contains("shorter than 128 bits"), "{line}");
    let line = auth(&["totp", "new", "--issuer", "A:B", "--account", "bob"])
        .fails(1)
        .to_owned();
    assert!(line.contains("contains ':'"), "{line}");
}
