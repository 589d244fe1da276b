//! `auth keys`: key folders in the layout auth-core reads and writes
//! ([`KeySet::load_pem_dir`] / [`KeySet::save_pem_dir`]), the one `auth-demo`
//! uses through `AUTH_DEMO_KEY_DIR`.
//!
//! - `generate` starts a key set in a folder that holds none (missing, empty,
//!   or holding only other files such as the demo's `server.secret`); it
//!   refuses a folder that already holds keys, so that a signing key is never
//!   replaced by accident. `rotate` is the command that adds a new active key.
//! - `rotate` makes a new active key; the previous keys stay, public halves
//!   only, to verify the tokens they signed until they are retired.
//! - `retire` removes a key that no longer signs: tokens it signed stop
//!   verifying. The active key cannot be retired (rotate first).
//! - `list` shows each key: kid, algorithm, and whether it signs.

use std::io;
use std::path::{Path, PathBuf};

use auth_core::{Algorithm, KeyError, KeySet, SigningKey};
use clap::{Args, Subcommand};
use serde_json::json;

use super::{CliError, Report};

/// `auth keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Start a key set: one new active key in a folder that holds no keys.
    Generate(GenerateArgs),
    /// Make a new active key; the old ones keep verifying until retired.
    Rotate(RotateArgs),
    /// Remove a key that no longer signs: its tokens stop verifying.
    Retire(RetireArgs),
    /// List the keys of a folder.
    List(FolderArgs),
}

/// The key folder of a command.
#[derive(Debug, Args)]
pub struct FolderArgs {
    /// The key folder (one `<kid>.<alg>.pem` per key and an `active` file).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

/// `auth keys generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The signature algorithm: EdDSA, ES256, RS256 or HS256.
    #[arg(long, value_parser = parse_algorithm)]
    pub alg: Algorithm,
    /// The key folder; created (mode 0700) if missing.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

/// `auth keys rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The key folder.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// The new key's algorithm; the active key's by default.
    #[arg(long, value_parser = parse_algorithm)]
    pub alg: Option<Algorithm>,
}

/// `auth keys retire`.
#[derive(Debug, Args)]
pub struct RetireArgs {
    /// The key folder.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// The kid of the key to remove.
    #[arg(long)]
    pub kid: String,
}

/// An algorithm name as clap reads it (a bad one is a usage error).
pub(crate) fn parse_algorithm(text: &str) -> Result<Algorithm, String> {
    text.parse()
        .map_err(|_| "expected one of EdDSA, ES256, RS256, HS256".to_owned())
}

/// Runs `auth keys ...`.
pub(crate) fn run(command: &KeysCommand) -> Result<Report, CliError> {
    match command {
        KeysCommand::Generate(args) => generate(&args.dir, args.alg),
        KeysCommand::Rotate(args) => rotate(&args.dir, args.alg),
        KeysCommand::Retire(args) => retire(&args.dir, &args.kid),
        KeysCommand::List(args) => list(&args.dir),
    }
}

/// Starts a key set in `dir`, refusing a folder that already holds keys.
pub fn generate(dir: &Path, alg: Algorithm) -> Result<Report, CliError> {
    match KeySet::load_pem_dir(dir) {
        Ok(existing) => {
            return Err(CliError::KeysExist {
                dir: dir.to_owned(),
                active: existing
                    .signing_key()
                    .map_or_else(|| "none".to_owned(), |k| k.kid().to_owned()),
            });
        }
        // What the loader says of a missing folder, or one without key files.
        Err(KeyError::File { ref source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
        Err(other) => return Err(other.into()),
    }
    // The library's own start of a folder: the key is written, then claimed
    // as active atomically (another process starting on the folder at the
    // same time ends up with the same key).
    let keys = KeySet::load_or_generate_dir(dir, alg)?;
    let active = active_key(&keys)?;
    Ok(Report::new(
        format!(
            "generated {alg} key {} in {} (active)",
            active.kid(),
            dir.display()
        ),
        json!({
            "dir": dir.display().to_string(),
            "generated": key_json(active.kid(), alg, true),
            "keys": keys_json(&keys),
        }),
    ))
}

/// Adds a new active key to `dir` (of `alg`, or the active key's algorithm).
pub fn rotate(dir: &Path, alg: Option<Algorithm>) -> Result<Report, CliError> {
    let keys = KeySet::load_pem_dir(dir)?;
    let previous = keys.signing_key();
    let alg = match (alg, &previous) {
        (Some(alg), _) => alg,
        (None, Some(previous)) => previous.algorithm(),
        (None, None) => {
            return Err(CliError::Input(format!(
                "{} holds public keys only; give --alg for the new active key",
                dir.display()
            )));
        }
    };
    let key = SigningKey::generate(alg)?;
    let kid = key.kid().to_owned();
    keys.rotate(key);
    keys.save_pem_dir(dir)?;
    let retired_hint = previous
        .as_ref()
        .map(|p| format!("; {} now only verifies", p.kid()))
        .unwrap_or_default();
    Ok(Report::new(
        format!(
            "new active {alg} key {kid} in {}{retired_hint}",
            dir.display()
        ),
        json!({
            "dir": dir.display().to_string(),
            "active": key_json(&kid, alg, true),
            "previous": previous.map(|p| p.kid().to_owned()),
            "keys": keys_json(&keys),
        }),
    ))
}

/// Removes the key `kid` from `dir`; the active key is refused.
pub fn retire(dir: &Path, kid: &str) -> Result<Report, CliError> {
    let keys = KeySet::load_pem_dir(dir)?;
    keys.retire(kid).map_err(|source| CliError::Retire {
        kid: kid.to_owned(),
        source,
    })?;
    keys.save_pem_dir(dir)?;
    Ok(Report::new(
        format!(
            "retired {kid} from {}: tokens it signed no longer verify",
            dir.display()
        ),
        json!({
            "dir": dir.display().to_string(),
            "retired": kid,
            "keys": keys_json(&keys),
        }),
    ))
}

/// The keys of `dir`.
pub fn list(dir: &Path) -> Result<Report, CliError> {
    let keys = KeySet::load_pem_dir(dir)?;
    let active = keys.signing_key().map(|k| k.kid().to_owned());
    let mut text = format!("{}:\n", dir.display());
    for key in keys.verifying_keys() {
        let role = if active.as_deref() == Some(key.kid()) {
            "active (signs and verifies)"
        } else {
            "verifies only"
        };
        text.push_str(&format!("  {:<6} {}  {role}\n", key.algorithm(), key.kid()));
    }
    Ok(Report::new(
        text,
        json!({ "dir": dir.display().to_string(), "keys": keys_json(&keys) }),
    ))
}

fn active_key(keys: &KeySet) -> Result<SigningKey, CliError> {
    keys.signing_key()
        .ok_or(CliError::Key(KeyError::NoSigningKey))
}

fn key_json(kid: &str, alg: Algorithm, active: bool) -> serde_json::Value {
    json!({ "kid": kid, "alg": alg.as_str(), "active": active })
}

/// Every key of a set: kid, algorithm, whether it is the active one.
fn keys_json(keys: &KeySet) -> serde_json::Value {
    let active = keys.signing_key().map(|k| k.kid().to_owned());
    keys.verifying_keys()
        .iter()
        .map(|k| key_json(k.kid(), k.algorithm(), active.as_deref() == Some(k.kid())))
        .collect()
}
