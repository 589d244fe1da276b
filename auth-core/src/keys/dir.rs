//! Key folders: one PEM file per key, and a marker naming the active key.
//!
//! The layout of a folder:
//!
//! - `<kid>.<alg>.pem`, one file per key: a PKCS#8 `PRIVATE KEY` (or, for
//!   HS256, an `HMAC SECRET KEY`) for the active key, a `PUBLIC KEY` for keys
//!   that only verify (an HS256 key that only verifies is still its secret).
//!   Files holding secrets are written with mode 0600 on unix.
//! - `active`: the kid of the signing key, on one line. Without it, a folder's
//!   only private key is the active one.
//!
//! Every file is written to a temporary name (starting with `.`, which the
//! loader ignores) and renamed into place, so a reader never sees half a file.
//! Several processes may share a folder: [`KeySet::load_or_generate_dir`]
//! claims the `active` marker atomically, so instances started together on an
//! empty folder all end up signing with the same key.

use std::fs;
use std::io;
use std::path::Path;
use std::time::Duration;

use zeroize::Zeroizing;

use super::KeyError;
use super::files::{
    create_folder, file_error, read_small, remove_if_present, sync_folder, write_atomically,
    write_temp,
};
use super::pem::{HMAC_SECRET_LABEL, PemKey, encode, read_key};
use super::set::Keys;
use super::{Algorithm, KeySet, SigningKey, VerifyingKey};

/// The file naming the active key.
const MARKER: &str = "active";
const EXTENSION: &str = "pem";
/// The longest kid that is saved as a file name.
const MAX_KID_LEN: usize = 128;
/// How often [`KeySet::load_or_generate_dir`] looks again at a folder that
/// another process is initializing, and how long it waits in between.
const SETTLE_ATTEMPTS: u32 = 40;
const SETTLE_PAUSE: Duration = Duration::from_millis(25);

/// Checks that `kid` is safe to use as (part of) a file name: 1 to 128
/// characters of `A-Z a-z 0-9 - _ .`, not starting with a dot. Kids from a
/// JWKS or a token can never name a path outside the folder.
pub(crate) fn check_kid_file_name(kid: &str) -> Result<(), KeyError> {
    let safe = !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && !kid.starts_with('.')
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if safe {
        Ok(())
    } else {
        Err(KeyError::InvalidKey(
            "a kid saved as a file name must be 1 to 128 characters of A-Z a-z 0-9 - _ . not starting with a dot",
        ))
    }
}

/// `<kid>.<alg>.pem` for a key.
fn file_name(kid: &str, alg: Algorithm) -> String {
    format!("{kid}.{alg}.{EXTENSION}")
}

/// The kid and algorithm of a key file name; `None` for files that are not
/// key files at all; an error for a `.pem` file named outside the layout.
fn parse_file_name(name: &str) -> Option<Result<(&str, Algorithm), &'static str>> {
    if name.starts_with('.') {
        return None;
    }
    let stem = name.strip_suffix(EXTENSION)?.strip_suffix('.')?;
    let Some((kid, alg)) = stem.rsplit_once('.') else {
        return Some(Err("a key file is named <kid>.<alg>.pem"));
    };
    let Some(alg) = Algorithm::from_header(alg) else {
        return Some(Err(
            "a key file's name does not end in a supported algorithm",
        ));
    };
    if check_kid_file_name(kid).is_err() {
        return Some(Err("a key file's kid is not a safe file name"));
    }
    Some(Ok((kid, alg)))
}

/// What a folder holds.
struct Contents {
    /// Keys with their private half (or HS256 secret), by kid.
    signing: Vec<SigningKey>,
    /// Keys that only verify, by kid.
    public: Vec<VerifyingKey>,
    /// The kid in the `active` marker.
    marker: Option<String>,
}

impl KeySet {
    /// Loads the keys of a folder written by [`KeySet::save_pem_dir`]: the key
    /// named by the `active` file (or the only private key) signs, every key
    /// verifies. A folder with public keys only gives a verify-only set.
    ///
    /// The layout: one `<kid>.<alg>.pem` file per key (`PRIVATE KEY`,
    /// `PUBLIC KEY`, or this crate's `HMAC SECRET KEY` for HS256) and an
    /// `active` file holding the signing key's kid. Files whose names start
    /// with a dot, and files not ending in `.pem`, are ignored.
    ///
    /// Errors name the file at fault: a missing or empty folder, a `.pem` file
    /// named outside the layout or not holding a key of its algorithm, two
    /// files with one kid, several private keys without an `active` marker.
    pub fn load_pem_dir(path: impl AsRef<Path>) -> Result<KeySet, KeyError> {
        let dir = path.as_ref();
        match read_folder(dir)? {
            Some(contents) => assemble(dir, contents),
            None => Err(file_error(
                dir,
                io::ErrorKind::NotFound,
                "no key files (<kid>.<alg>.pem) in this folder",
            )),
        }
    }

    /// Writes every key of this set to `path` (created with mode 0700 if
    /// missing) and marks the active one; files of keys no longer in the set
    /// are removed, so a retired key stays retired after a restart. Other files
    /// are left alone. A kid that is not a safe file name is refused before
    /// anything is written.
    pub fn save_pem_dir(&self, path: impl AsRef<Path>) -> Result<(), KeyError> {
        let dir = path.as_ref();
        let keys = self.load();
        let mut files: Vec<(String, Zeroizing<String>, bool)> = Vec::new();
        if let Some(signing) = &keys.signing {
            check_kid_file_name(signing.kid())?;
            files.push((
                file_name(signing.kid(), signing.algorithm()),
                signing.to_pem(),
                true,
            ));
        }
        for key in &keys.verifying {
            if keys.signing.as_ref().is_some_and(|s| s.kid() == key.kid()) {
                continue;
            }
            check_kid_file_name(key.kid())?;
            files.push((
                file_name(key.kid(), key.algorithm()),
                verifying_pem(key)?,
                key.hmac_secret().is_some(),
            ));
        }
        create_folder(dir)?;
        for (name, text, secret) in &files {
            write_atomically(dir, name, text.as_bytes(), *secret)?;
        }
        match &keys.signing {
            Some(signing) => write_atomically(
                dir,
                MARKER,
                format!("{}\n", signing.kid()).as_bytes(),
                false,
            )?,
            None => remove_if_present(&dir.join(MARKER))?,
        }
        let listing_failed = |e| KeyError::File {
            path: dir.to_owned(),
            source: e,
        };
        for entry in fs::read_dir(dir).map_err(listing_failed)? {
            let entry = entry.map_err(listing_failed)?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_key_file = matches!(parse_file_name(name), Some(Ok(_)));
            if is_key_file && !files.iter().any(|(kept, _, _)| kept == name) {
                remove_if_present(&entry.path())?;
            }
        }
        sync_folder(dir)
    }

    /// Loads the keys of `path`; an empty or missing folder first gets a new
    /// `alg` key saved there, so that tokens survive a restart.
    ///
    /// Processes started together on one empty folder agree on one key: each
    /// tries to claim the `active` marker atomically and the losers adopt the
    /// winner's key. A folder whose signing key has another algorithm than
    /// `alg` is refused ([`KeyError::FolderAlgorithm`]), as is a folder with
    /// public keys only. This blocks on file I/O: call it at startup or from a
    /// blocking task.
    pub fn load_or_generate_dir(
        path: impl AsRef<Path>,
        alg: Algorithm,
    ) -> Result<KeySet, KeyError> {
        let dir = path.as_ref();
        let mut generated: Option<SigningKey> = None;
        for _ in 0..SETTLE_ATTEMPTS {
            let contents = read_folder(dir)?;
            let claim = match contents {
                Some(contents) if contents.marker.is_some() => {
                    if let Some(own) =
                        generated.take_if(|own| contents.marker.as_deref() != Some(own.kid()))
                    {
                        // Another process won the claim: our key never signed
                        // anything. Look again once it is gone.
                        remove_if_present(&dir.join(file_name(own.kid(), alg)))?;
                        continue;
                    }
                    let keys = assemble(dir, contents)?;
                    return match keys.signing_key().map(|k| k.algorithm()) {
                        Some(found) if found == alg => Ok(keys),
                        Some(found) => Err(KeyError::FolderAlgorithm {
                            expected: alg,
                            found,
                        }),
                        None => Err(file_error(
                            dir,
                            io::ErrorKind::InvalidData,
                            "no private key to sign with",
                        )),
                    };
                }
                Some(contents) => match contents.signing.as_slice() {
                    [] => {
                        return Err(file_error(
                            dir,
                            io::ErrorKind::InvalidData,
                            "public keys only; no private key to sign with",
                        ));
                    }
                    // One private key and no marker: put there by hand, or by
                    // another process about to claim it. Claiming it for that
                    // process is safe: it keeps its key when it sees the marker.
                    [only] => only.kid().to_owned(),
                    // Several processes are generating at once; one will claim soon.
                    _ => {
                        std::thread::sleep(SETTLE_PAUSE);
                        continue;
                    }
                },
                None => {
                    let key = match &generated {
                        Some(key) => key.clone(),
                        None => SigningKey::generate(alg)?,
                    };
                    create_folder(dir)?;
                    write_atomically(
                        dir,
                        &file_name(key.kid(), alg),
                        key.to_pem().as_bytes(),
                        true,
                    )?;
                    let kid = key.kid().to_owned();
                    generated = Some(key);
                    kid
                }
            };
            claim_marker(dir, &claim)?;
        }
        Err(file_error(
            dir,
            io::ErrorKind::WouldBlock,
            "several private keys and no active marker; write the kid of the signing key into `active`",
        ))
    }
}

/// The text saved for a key that only verifies.
fn verifying_pem(key: &VerifyingKey) -> Result<Zeroizing<String>, KeyError> {
    if let Some(secret) = key.hmac_secret() {
        return Ok(encode(HMAC_SECRET_LABEL, secret));
    }
    key.to_public_pem()
        .map(Zeroizing::new)
        .ok_or(KeyError::InvalidKey("the key has no public encoding"))
}

/// Reads every key file and the marker; `None` when the folder is missing or
/// holds no key file.
fn read_folder(dir: &Path) -> Result<Option<Contents>, KeyError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(KeyError::File {
                path: dir.to_owned(),
                source: e,
            });
        }
    };
    let mut contents = Contents {
        signing: Vec::new(),
        public: Vec::new(),
        marker: None,
    };
    for entry in entries {
        let entry = entry.map_err(|e| KeyError::File {
            path: dir.to_owned(),
            source: e,
        })?;
        let path = entry.path();
        let name = entry.file_name();
        let Some((kid, alg)) = name
            .to_str()
            .and_then(parse_file_name)
            .transpose()
            .map_err(|reason| file_error(&path, io::ErrorKind::InvalidInput, reason))?
        else {
            continue;
        };
        // A file removed since the listing belongs to a process that lost a claim.
        let Some(text) = read_small(&path)? else {
            continue;
        };
        match read_key(alg, &text, Some(kid))
            .map_err(|e| file_error(&path, io::ErrorKind::InvalidData, e))?
        {
            PemKey::Signing(key) => contents.signing.push(key),
            PemKey::Verifying(key) => contents.public.push(key),
        }
    }
    if contents.signing.is_empty() && contents.public.is_empty() {
        return Ok(None);
    }
    let marker_path = dir.join(MARKER);
    if let Some(text) = read_small(&marker_path)? {
        let kid = text.trim();
        check_kid_file_name(kid)
            .map_err(|e| file_error(&marker_path, io::ErrorKind::InvalidData, e))?;
        contents.marker = Some(kid.to_owned());
    }
    contents.signing.sort_by(|a, b| a.kid().cmp(b.kid()));
    contents.public.sort_by(|a, b| a.kid().cmp(b.kid()));
    Ok(Some(contents))
}

/// The key set a folder's contents describe.
fn assemble(dir: &Path, contents: Contents) -> Result<KeySet, KeyError> {
    let Contents {
        signing,
        public,
        marker,
    } = contents;
    let active = match (&marker, signing.as_slice()) {
        (Some(kid), _) => Some(
            signing
                .iter()
                .find(|k| k.kid() == kid)
                .cloned()
                .ok_or_else(|| {
                    file_error(
                        &dir.join(MARKER),
                        io::ErrorKind::InvalidData,
                        "names no private key in this folder",
                    )
                })?,
        ),
        (None, []) => None,
        (None, [only]) => Some(only.clone()),
        (None, _) => {
            return Err(file_error(
                dir,
                io::ErrorKind::InvalidData,
                "several private keys and no active marker; write the kid of the signing key into `active`",
            ));
        }
    };
    let mut verifying: Vec<VerifyingKey> = Vec::with_capacity(signing.len() + public.len());
    for key in signing
        .iter()
        .map(|k| k.verifying_key().clone())
        .chain(public)
    {
        if verifying.iter().any(|k| k.kid() == key.kid()) {
            return Err(KeyError::DuplicateKid);
        }
        verifying.push(key);
    }
    Ok(KeySet::from_keys(Keys::new(active, verifying)))
}

/// Makes `kid` the active key unless another process already did; either way
/// the marker exists afterwards. The marker is complete before it appears,
/// because it is hard-linked from a finished temporary file.
fn claim_marker(dir: &Path, kid: &str) -> Result<(), KeyError> {
    let temp = write_temp(dir, format!("{kid}\n").as_bytes(), false)?;
    let marker = dir.join(MARKER);
    let linked = fs::hard_link(&temp, &marker);
    remove_if_present(&temp)?;
    match linked {
        Ok(()) => sync_folder(dir),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(KeyError::File {
            path: marker,
            source: e,
        }),
    }
}

#[cfg(test)]
#[path = "dir_tests.rs"]
mod tests;
