//! `auth token mint`: an access token signed with a key folder's active key,
//! exactly as [`TokenIssuer::issue`] makes one (RFC 9068: `typ: at+jwt`,
//! `iss`, `sub`, `aud`, `exp`, `iat`, `nbf`, `jti`, `sid`, `auth_time`, and
//! the optional `amr`, `roles`, `scope`, `preferred_username`). For
//! development: whoever holds the folder can mint any user's token.

use std::path::PathBuf;
use std::time::Duration;

use auth_core::{KeySet, TokenIssuer, TokenRequest};
use clap::Args;
use serde_json::json;

use super::inspect::decode;
use crate::duration::parse_ttl;
use crate::{CliError, Report};

/// `auth token mint`.
#[derive(Debug, Args)]
pub struct MintArgs {
    /// The key folder whose active key signs.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// The subject: the user id.
    #[arg(long)]
    pub sub: String,
    /// The audience (`aud`), e.g. `auth-demo`.
    #[arg(long)]
    pub aud: String,
    /// The issuer (`iss`), e.g. `http://localhost:3000`.
    #[arg(long)]
    pub iss: String,
    /// The lifetime: seconds, or with a unit (90s, 15m, 2h); at most 1d.
    #[arg(long, default_value = "15m", value_parser = parse_ttl)]
    pub ttl: Duration,
    /// Roles, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub roles: Vec<String>,
    /// Authentication methods (RFC 8176), comma-separated, e.g. `pwd,mfa`.
    #[arg(long, value_delimiter = ',')]
    pub amr: Vec<String>,
    /// Scopes, comma-separated (written space-separated into `scope`).
    #[arg(long, value_delimiter = ',')]
    pub scope: Vec<String>,
    /// The user's login name (`preferred_username`).
    #[arg(long)]
    pub username: Option<String>,
}

/// Runs `auth token mint`.
pub fn mint(args: &MintArgs) -> Result<Report, CliError> {
    let keys = KeySet::load_pem_dir(&args.dir)?;
    let issuer = TokenIssuer::new(keys, args.iss.as_str(), args.aud.as_str()).access_ttl(args.ttl);
    let mut request = TokenRequest::new(args.sub.as_str())
        .roles(args.roles.iter().map(String::as_str))
        .amr(args.amr.iter().map(String::as_str))
        .scopes(&args.scope);
    if let Some(name) = &args.username {
        request = request.preferred_username(name.as_str());
    }
    let issued = issuer.issue(&request)?;
    // Decoded back from the token itself, so the JSON shows what was signed.
    let decoded = decode(&issued.access_token)?;
    Ok(Report::new(
        issued.access_token.clone(),
        json!({
            "token": issued.access_token,
            "header": decoded.header,
            "claims": decoded.claims,
            "expires_in": issued.expires_in,
        }),
    ))
}
