//! `auth token verify`: the library's [`Verifier`] run on a token, with the
//! keys of a folder or of a JWK Set URL, and its outcome shown check by check.
//!
//! The verdict is the verifier's own: a token it accepts passes every check;
//! a token it refuses fails at the check its [`TokenRejection`] names, the
//! checks it makes before that one passed, and the ones after it were not
//! made. Nothing is checked here a second time. Revocation is not consulted:
//! the command has no revocation list.

use std::path::PathBuf;
use std::time::Duration;

use auth_core::remote::RemoteJwks;
use auth_core::token::DEFAULT_MAX_TOKEN_LEN;
use auth_core::{KeySet, TokenRejection, Validation, Verifier};
use clap::Args;
use serde_json::{Map, Value, json};

use super::inspect::{Decoded, decode};
use crate::input::token_argument;
use crate::{CliError, Report, timestamp};

/// `auth token verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The token, or `-` to read it from standard input.
    pub token: String,
    /// Where the verification keys come from.
    #[command(flatten)]
    pub keys: KeySource,
    /// The expected issuer (`iss`).
    #[arg(long)]
    pub iss: String,
    /// The expected audience (`aud`).
    #[arg(long)]
    pub aud: String,
    /// Clock-skew allowance for exp, nbf and iat, in seconds (at most 60).
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=60))]
    pub leeway: u64,
}

/// The verification keys: a key folder, or another issuer's JWK Set URL.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct KeySource {
    /// A key folder (its private keys are not needed, only read).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// A JWK Set URL: https, or plain http to a loopback address (for
    /// development, e.g. `http://127.0.0.1:3000/.well-known/jwks.json`).
    #[arg(long, value_name = "URL")]
    pub jwks_url: Option<String>,
}

/// The checks of the verifier, in the order it makes them: each rejection
/// names one of them (see [`check_of`]).
const CHECKS: [(&str, &str); 10] = [
    ("size", "at most 8 KiB"),
    ("format", "three base64url segments"),
    ("header", "supported alg, typ at+jwt, no crit"),
    ("key", "a verification key for the token's kid and alg"),
    ("signature", "the signature verifies under that key"),
    ("claims", "JSON with the registered claims"),
    ("expiry", "exp has not passed"),
    ("not-before", "nbf and iat are not in the future"),
    ("issuer", "iss is the expected issuer"),
    ("audience", "aud holds the expected audience"),
];

/// The check a rejection comes from.
fn check_of(rejection: TokenRejection) -> &'static str {
    match rejection {
        TokenRejection::Oversized => "size",
        TokenRejection::Malformed => "format",
        TokenRejection::MalformedHeader
        | TokenRejection::UnsupportedAlgorithm
        | TokenRejection::WrongType
        | TokenRejection::CriticalHeader => "header",
        TokenRejection::UnknownKey | TokenRejection::AlgorithmMismatch => "key",
        TokenRejection::BadSignature => "signature",
        TokenRejection::MalformedClaims => "claims",
        TokenRejection::Expired => "expiry",
        TokenRejection::NotYetValid => "not-before",
        TokenRejection::LifetimeTooLong => "lifetime",
        TokenRejection::WrongIssuer => "issuer",
        TokenRejection::WrongAudience => "audience",
        TokenRejection::Revoked | TokenRejection::RevocationsStale => "revocation",
        _ => "other",
    }
}

/// Runs `auth token verify`.
pub fn verify(args: &VerifyArgs) -> Result<Report, CliError> {
    let token = token_argument(&args.token)?;
    let validation = Validation::new(args.iss.as_str(), args.aud.as_str())
        .leeway(Duration::from_secs(args.leeway));
    let (outcome, source) = match (&args.keys.dir, &args.keys.jwks_url) {
        (Some(dir), _) => {
            let keys = KeySet::load_pem_dir(dir)?;
            (
                verify_with(keys, validation, &token),
                format!("key folder {}", dir.display()),
            )
        }
        (None, Some(url)) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(CliError::Runtime)?;
            let remote = runtime.block_on(RemoteJwks::fetch(url))?;
            // Inside the runtime: the remote set's refresher lives on it.
            let _entered = runtime.enter();
            (
                verify_with(remote.keys().clone(), validation, &token),
                format!("JWK Set {}", remote.uri()),
            )
        }
        (None, None) => {
            return Err(CliError::Input("give --dir or --jwks-url".into()));
        }
    };
    // For the details shown beside the checks only; the verdict is `outcome`.
    let decoded = decode(&token).ok();
    Ok(report(outcome, decoded.as_ref(), args, &source))
}

/// The library's verdict: nothing cached, nothing revoked.
fn verify_with(keys: KeySet, validation: Validation, token: &str) -> Result<(), TokenRejection> {
    Verifier::new(keys, validation)
        .without_cache()
        .verify(token)
        .map(|_| ())
}

/// How one check went.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    NotChecked,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "ok",
            Outcome::Failed => "FAILED",
            Outcome::NotChecked => "-",
        }
    }

    fn json(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::NotChecked => "not_checked",
        }
    }
}

fn report(
    outcome: Result<(), TokenRejection>,
    decoded: Option<&Decoded>,
    args: &VerifyArgs,
    source: &str,
) -> Report {
    let failed = outcome
        .err()
        .map(|rejection| (check_of(rejection), rejection));
    let failed_at =
        failed.and_then(|(check, _)| CHECKS.iter().position(|(name, _)| *name == check));
    let mut rows: Vec<(&str, Outcome, String)> = CHECKS
        .iter()
        .enumerate()
        .map(|(at, (name, rule))| {
            let state = match (failed, failed_at) {
                (None, _) => Outcome::Passed,
                (Some(_), Some(f)) if at < f => Outcome::Passed,
                (Some(_), Some(f)) if at == f => Outcome::Failed,
                _ => Outcome::NotChecked,
            };
            (*name, state, detail(name, rule, decoded, args))
        })
        .collect();
    if let (Some((check, _)), None) = (failed, failed_at) {
        // A check this list does not know (a future rejection): say so.
        rows.push((check, Outcome::Failed, String::new()));
    }

    let mut text = match failed {
        None => format!("valid: every check passed (keys: {source})\n"),
        Some((check, rejection)) => {
            format!("INVALID: failed at the {check} check: {rejection} (keys: {source})\n")
        }
    };
    for (name, state, detail) in &rows {
        let detail = if *state == Outcome::NotChecked {
            "not checked"
        } else {
            detail.as_str()
        };
        text.push_str(&format!("  {:<7} {name:<11} {detail}\n", state.label()));
    }
    let claims = match (failed, decoded) {
        (None, Some(decoded)) => Value::Object(decoded.claims.clone()),
        _ => Value::Null,
    };
    if let Value::Object(claims) = &claims {
        text.push_str(&format!("subject: {}\n", string_claim(claims, "sub")));
    }
    let json = json!({
        "valid": failed.is_none(),
        "failed_check": failed.map(|(check, _)| check),
        "reason": failed.map(|(_, rejection)| rejection.as_str()),
        "keys": source,
        "checks": rows.iter().map(|(name, state, _)| json!({"check": name, "outcome": state.json()})).collect::<Vec<_>>(),
        "claims": claims,
    });
    let report = Report::new(text, json);
    match failed {
        None => report,
        Some((check, rejection)) => report.failed(CliError::VerificationFailed {
            check,
            reason: rejection.as_str().to_owned(),
        }),
    }
}

/// What a check looked at, from the decoded (and, up to the failing check,
/// verified) token.
fn detail(name: &str, rule: &str, decoded: Option<&Decoded>, args: &VerifyArgs) -> String {
    let Some(decoded) = decoded else {
        return rule.to_owned();
    };
    let (header, claims) = (&decoded.header, &decoded.claims);
    let now = timestamp::now();
    match name {
        "size" => format!("{rule} ({DEFAULT_MAX_TOKEN_LEN} bytes)"),
        "header" => format!(
            "alg {}, typ {}",
            string_claim(header, "alg"),
            string_claim(header, "typ")
        ),
        "key" => format!("kid {}", string_claim(header, "kid")),
        "expiry" => match claims.get("exp").and_then(Value::as_i64) {
            Some(exp) => format!("exp {}", timestamp::describe(exp, now)),
            None => rule.to_owned(),
        },
        "issuer" => format!(
            "iss {} (expected {})",
            string_claim(claims, "iss"),
            args.iss
        ),
        "audience" => format!(
            "aud {} (expected {})",
            claims
                .get("aud")
                .map_or_else(|| "-".to_owned(), Value::to_string),
            args.aud
        ),
        _ => rule.to_owned(),
    }
}

fn string_claim(map: &Map<String, Value>, name: &str) -> String {
    match map.get(name) {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_a_rejection_names_is_listed_in_order() {
        use TokenRejection as R;
        let order = [
            R::Oversized,
            R::Malformed,
            R::MalformedHeader,
            R::UnknownKey,
            R::BadSignature,
            R::MalformedClaims,
            R::Expired,
            R::NotYetValid,
            R::WrongIssuer,
            R::WrongAudience,
        ];
        let names: Vec<&str> = order.into_iter().map(check_of).collect();
        let listed: Vec<&str> = CHECKS.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, listed);
    }
}
