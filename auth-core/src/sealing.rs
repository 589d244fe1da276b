//! [`ServerSecret`]: the key the flows keep apart from the store.
//!
//! What the store holds must not be enough to act as a user. Passwords are
//! argon2id hashes; the rest of a user's secrets are protected with this key,
//! which lives beside the signing keys (in the key folder), not in the store:
//!
//! - TOTP secrets are sealed (AES-256-GCM, bound to the user's id);
//! - recovery codes are stored as keyed hashes (HMAC-SHA256);
//! - refresh tokens carry their family and generation under a MAC, so a
//!   retired token is recognised as reuse without being stored.
//!
//! Each use derives its own subkey from the secret, so no two uses ever
//! share a key.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::keys::KeyError;

/// The file a key folder keeps the server secret in.
pub const SERVER_SECRET_FILE: &str = "server.secret";
/// The PEM label of that file.
const PEM_LABEL: &str = "AUTH SERVER SECRET";
/// Bytes of key material.
const LEN: usize = 32;

/// The server's own secret key (256 bits), for what the flows protect beyond
/// the store's reach: sealing TOTP secrets, keyed hashes of recovery codes,
/// the MAC of refresh tokens.
///
/// Instances that share a store must share this secret (as they share the
/// signing keys): keep it in the key folder with
/// [`load_or_generate_dir`](Self::load_or_generate_dir). Losing it makes
/// enrolled TOTP secrets, recovery codes and refresh tokens unusable; users
/// then log in with their password again and re-enrol.
///
/// `Debug` never prints the key.
///
/// ```
/// use auth_core::ServerSecret;
///
/// let dir = tempfile::tempdir()?;
/// let first = ServerSecret::load_or_generate_dir(dir.path())?;
/// let again = ServerSecret::load_or_generate_dir(dir.path())?;
/// assert_eq!(first, again);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ServerSecret {
    key: Zeroizing<[u8; LEN]>,
}

impl PartialEq for ServerSecret {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.key[..], &other.key[..]).into()
    }
}

impl Eq for ServerSecret {}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(..)")
    }
}

impl ServerSecret {
    /// A fresh random secret.
    pub fn generate() -> Result<Self, KeyError> {
        let mut key = Zeroizing::new([0u8; LEN]);
        crate::random::fill(key.as_mut_slice())?;
        Ok(ServerSecret { key })
    }

    /// A secret from at least 32 bytes of key material (more is condensed
    /// with HMAC-SHA256).
    pub fn from_bytes(material: &[u8]) -> Result<Self, KeyError> {
        if material.len() < LEN {
            return Err(KeyError::InvalidKey(
                "a server secret needs at least 32 bytes",
            ));
        }
        let mut key = Zeroizing::new([0u8; LEN]);
        if material.len() == LEN {
            key.copy_from_slice(material);
        } else {
            let condensed = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, b"auth-core"), material);
            key.copy_from_slice(condensed.as_ref());
        }
        Ok(ServerSecret { key })
    }

    /// The secret kept in `dir/server.secret`, generated there first if the
    /// file does not exist (the folder is created, mode 0700, if missing; the
    /// file is written with mode 0600). Several processes starting together
    /// on one folder end up with the same secret: the file is created once,
    /// atomically, and the losers read the winner's.
    pub fn load_or_generate_dir(dir: impl AsRef<Path>) -> Result<Self, KeyError> {
        let dir = dir.as_ref();
        let path = dir.join(SERVER_SECRET_FILE);
        if let Some(secret) = read(&path)? {
            return Ok(secret);
        }
        crate::keys::files::create_folder(dir)?;
        let secret = ServerSecret::generate()?;
        let text = Zeroizing::new(pem::encode(&pem::Pem::new(PEM_LABEL, secret.key.to_vec())));
        let temp = crate::keys::files::write_temp(dir, text.as_bytes(), true)?;
        // A hard link fails if the name exists: whoever links first wins,
        // and nobody ever sees a half-written file.
        let linked = fs::hard_link(&temp, &path);
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => {
                crate::keys::files::sync_folder(dir)?;
                Ok(secret)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                read(&path)?.ok_or_else(|| file_error(&path, io::ErrorKind::NotFound))
            }
            Err(source) => Err(KeyError::File { path, source }),
        }
    }

    /// HMAC-SHA256 under this secret's subkey for `purpose`, over `parts`
    /// (each length-prefixed, so no two lists of parts collide).
    pub(crate) fn mac(&self, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &*self.subkey(purpose));
        let mut context = hmac::Context::with_key(&key);
        for part in parts {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(context.sign().as_ref());
        out
    }

    /// Seals `plaintext` under this secret's subkey for `purpose`, bound to `aad`.
    pub(crate) fn seal(
        &self,
        purpose: &str,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        seal(&self.subkey(purpose), aad, plaintext)
    }

    /// Opens what [`seal`](Self::seal) made with the same `purpose` and `aad`.
    pub(crate) fn open(
        &self,
        purpose: &str,
        aad: &[u8],
        sealed: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        open(&self.subkey(purpose), aad, sealed)
    }

    fn subkey(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        derive_key(&*self.key, purpose)
    }
}

/// A 256-bit key derived from `material` for `purpose` (HMAC-SHA256 keyed
/// with the material, over the purpose label).
pub(crate) fn derive_key(material: &[u8], purpose: &str) -> Zeroizing<[u8; 32]> {
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, material),
        purpose.as_bytes(),
    );
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(tag.as_ref());
    key
}

/// AES-256-GCM under `key`: a random nonce, then the ciphertext and tag.
pub(crate) fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
    // A 32-byte key is always an AES-256 key.
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, key)
            .map_err(|_| KeyError::InvalidKey("not an AES-256 key"))?,
    );
    let mut nonce = [0u8; NONCE_LEN];
    crate::random::fill(&mut nonce)?;
    let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
    sealed.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut body,
    )
    .map_err(|_| KeyError::Signing)?;
    sealed.extend_from_slice(&body);
    Ok(sealed)
}

/// Opens what [`seal`] made; `None` for anything else (wrong key, other
/// `aad`, tampered or truncated).
pub(crate) fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let (nonce, body) = sealed.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut body = Zeroizing::new(body.to_vec());
    let plaintext_len = key
        .open_in_place(nonce, Aad::from(aad), &mut body)
        .ok()?
        .len();
    body.truncate(plaintext_len);
    Some(body)
}

fn read(path: &Path) -> Result<Option<ServerSecret>, KeyError> {
    let Some(text) = crate::keys::files::read_small(path)? else {
        return Ok(None);
    };
    let parsed = pem::parse(text.as_bytes())
        .ok()
        .filter(|pem| pem.tag() == PEM_LABEL)
        .ok_or_else(|| file_error(path, io::ErrorKind::InvalidData))?;
    let material = Zeroizing::new(parsed.into_contents());
    ServerSecret::from_bytes(&material).map(Some)
}

fn file_error(path: &Path, kind: io::ErrorKind) -> KeyError {
    KeyError::File {
        path: PathBuf::from(path),
        source: io::Error::new(
            kind,
            "not a server secret file (PEM \"AUTH SERVER SECRET\", 32 bytes)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_binding() {
        let secret = ServerSecret::generate().unwrap();
        let sealed = secret
            .seal("totp", b"user-1", b"twenty bytes secret!")
            .unwrap();
        assert_eq!(
            secret
                .open("totp", b"user-1", &sealed)
                .as_deref()
                .map(Vec::as_slice),
            Some(&b"twenty bytes secret!"[..])
        );
        assert!(
            secret.open("totp", b"user-2", &sealed).is_none(),
            "bound to the user"
        );
        assert!(
            secret.open("other", b"user-1", &sealed).is_none(),
            "bound to the purpose"
        );
        let other = ServerSecret::generate().unwrap();
        assert!(
            other.open("totp", b"user-1", &sealed).is_none(),
            "bound to the key"
        );
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(secret.open("totp", b"user-1", &tampered).is_none());
        assert!(secret.open("totp", b"user-1", &sealed[..5]).is_none());
        assert!(!sealed.windows(20).any(|w| w == b"twenty bytes secret!"));
    }

    #[test]
    fn macs_separate_purposes_and_parts() {
        let secret = ServerSecret::generate().unwrap();
        assert_eq!(
            secret.mac("a", &[b"x", b"y"]),
            secret.mac("a", &[b"x", b"y"])
        );
        assert_ne!(
            secret.mac("a", &[b"x", b"y"]),
            secret.mac("b", &[b"x", b"y"])
        );
        assert_ne!(secret.mac("a", &[b"xy"]), secret.mac("a", &[b"x", b"y"]));
        assert_ne!(
            secret.mac("a", &[b"x", b"y"]),
            ServerSecret::generate().unwrap().mac("a", &[b"x", b"y"])
        );
    }

    #[test]
    fn short_material_is_refused_and_debug_hides_the_key() {
        assert!(ServerSecret::from_bytes(&[7; 31]).is_err());
        let secret = ServerSecret::from_bytes(&[7; 32]).unwrap();
        assert_eq!(format!("{secret:?}"), "ServerSecret(..)");
        assert_eq!(
            ServerSecret::from_bytes(&[7; 40]).unwrap(),
            ServerSecret::from_bytes(&[7; 40]).unwrap()
        );
    }

    #[test]
    fn a_folder_keeps_one_secret_even_when_raced() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("keys");
        let secrets: Vec<ServerSecret> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| ServerSecret::load_or_generate_dir(&folder).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(secrets.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(
            ServerSecret::load_or_generate_dir(&folder).unwrap(),
            secrets[0]
        );
        std::fs::write(folder.join(SERVER_SECRET_FILE), "garbage").unwrap();
        assert!(
            ServerSecret::load_or_generate_dir(&folder).is_err(),
            "a damaged file is an error, never replaced"
        );
    }
}
