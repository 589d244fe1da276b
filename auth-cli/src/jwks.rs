//! `auth jwks`: the public JWK Set of a key folder, as
//! `/.well-known/jwks.json` serves it ([`KeySet::jwks`]). Only public
//! members are written; HS256 keys are shared secrets and are never
//! published, so a folder of HS256 keys gives an empty set.

use std::path::{Path, PathBuf};

use auth_core::KeySet;
use clap::Args;

use super::{CliError, Report};

/// `auth jwks`.
#[derive(Debug, Args)]
pub struct JwksArgs {
    /// The key folder.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

/// Runs `auth jwks`.
pub(crate) fn run(args: &JwksArgs) -> Result<Report, CliError> {
    public_jwks(&args.dir)
}

/// The public JWK Set of `dir`; the text and the JSON are the same document.
pub fn public_jwks(dir: &Path) -> Result<Report, CliError> {
    let keys = KeySet::load_pem_dir(dir)?;
    let set = serde_json::to_value(keys.jwks())
        .map_err(|_| CliError::Input("the JWK Set could not be serialized".into()))?;
    let text = serde_json::to_string_pretty(&set).unwrap_or_default();
    Ok(Report::new(text, set))
}
