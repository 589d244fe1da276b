//! `auth token inspect`: a token's header and claims, decoded and NOT
//! verified. auth-core has no unverified decoder on purpose (a library
//! should not make trusting an unverified token easy), so the decoding for
//! a person to read lives here.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Args;
use serde_json::{Map, Value, json};

use crate::input::token_argument;
use crate::timestamp;
use crate::{CliError, Report};

/// The longest token decoded: well over the verifier's 8 KiB bound, so that
/// an over-long token can still be looked at.
const MAX_TOKEN_LEN: usize = 64 * 1024;

/// The claims that hold times (NumericDate).
const TIME_CLAIMS: [&str; 4] = ["iat", "nbf", "exp", "auth_time"];

/// `auth token inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The token, or `-` to read it from standard input.
    pub token: String,
}

/// A token's header and claims, decoded, not verified.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) header: Map<String, Value>,
    pub(crate) claims: Map<String, Value>,
    /// The signature's length in bytes.
    pub(crate) signature_len: usize,
}

/// Splits and decodes a compact JWS; the error names the part at fault.
pub(crate) fn decode(token: &str) -> Result<Decoded, CliError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(CliError::NotAJwt("longer than 64 KiB"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(CliError::NotAJwt(
            "expected three base64url segments separated by dots (truncated?)",
        ));
    };
    let header = json_object(header).ok_or(CliError::NotAJwt(
        "the header segment is not base64url-encoded JSON (truncated or garbled?)",
    ))?;
    let claims = json_object(claims).ok_or(CliError::NotAJwt(
        "the claims segment is not base64url-encoded JSON (truncated or garbled?)",
    ))?;
    let signature_len = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| CliError::NotAJwt("the signature segment is not base64url (truncated?)"))?
        .len();
    Ok(Decoded {
        header,
        claims,
        signature_len,
    })
}

fn json_object(segment: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Runs `auth token inspect`.
pub fn inspect(args: &InspectArgs) -> Result<Report, CliError> {
    let token = token_argument(&args.token)?;
    let decoded = decode(&token)?;
    Ok(describe(&decoded, timestamp::now()))
}

/// The time claims of `claims`, as `(name, seconds)`.
pub(crate) fn times(claims: &Map<String, Value>) -> Vec<(&'static str, i64)> {
    TIME_CLAIMS
        .iter()
        .filter_map(|&name| Some((name, claims.get(name)?.as_i64()?)))
        .collect()
}

fn describe(decoded: &Decoded, now: i64) -> Report {
    let pretty = |map: &Map<String, Value>| {
        serde_json::to_string_pretty(map)
            .unwrap_or_default()
            .lines()
            .map(|line| format!("  {line}\n"))
            .collect::<String>()
    };
    let mut text = String::from(
        "UNVERIFIED: decoded only; nothing below has been checked (use `auth token verify`)\n",
    );
    text.push_str("header:\n");
    text.push_str(&pretty(&decoded.header));
    text.push_str("claims:\n");
    text.push_str(&pretty(&decoded.claims));
    let times = times(&decoded.claims);
    let mut times_json = Map::new();
    if !times.is_empty() {
        text.push_str("times (UTC):\n");
    }
    for (name, secs) in &times {
        text.push_str(&format!(
            "  {name:<9} {}\n",
            timestamp::describe(*secs, now)
        ));
        times_json.insert((*name).to_owned(), json!(timestamp::rfc3339(*secs)));
    }
    if let Some((_, exp)) = times.iter().find(|(name, _)| *name == "exp")
        && *exp <= now
    {
        text.push_str("note: exp has passed\n");
    }
    text.push_str(&format!("signature: {} bytes\n", decoded.signature_len));
    Report::new(
        text,
        json!({
            "verified": false,
            "header": decoded.header,
            "claims": decoded.claims,
            "times": times_json,
            "signature_bytes": decoded.signature_len,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn a_token_decodes_and_says_it_is_unverified() {
        let token = format!(
            "{}.{}.{}",
            segment(r#"{"alg":"EdDSA","typ":"at+jwt","kid":"k1"}"#),
            segment(r#"{"sub":"u1","exp":1000,"iat":100}"#),
            URL_SAFE_NO_PAD.encode([7u8; 64])
        );
        let decoded = decode(&token).unwrap();
        assert_eq!(decoded.header["kid"], "k1");
        assert_eq!(decoded.signature_len, 64);
        let report = describe(&decoded, 2_000);
        assert!(report.text().starts_with("UNVERIFIED"));
        assert!(report.text().contains("note: exp has passed"));
        assert_eq!(report.json()["verified"], false);
        assert_eq!(report.json()["times"]["exp"], "1970-01-01T00:16:40Z");
    }

    #[test]
    fn damaged_tokens_name_the_part_at_fault() {
        let header = segment(r#"{"alg":"EdDSA"}"#);
        let claims = segment(r#"{"sub":"u1"}"#);
        let cases = [
            (String::new(), "three base64url segments"),
            (format!("{header}.{claims}"), "three base64url segments"),
            (
                format!("{header}.{claims}.AA.AA"),
                "three base64url segments",
            ),
            (format!("{}.{claims}.AA", &header[..5]), "header segment"),
            (
                format!("{header}.{}.AA", segment("[1,2]")),
                "claims segment",
            ),
            (format!("{header}.{claims}.A"), "signature segment"),
        ];
        for (token, fault) in cases {
            let error = decode(&token).unwrap_err().to_string();
            assert!(error.contains(fault), "{token}: {error}");
        }
    }
}
