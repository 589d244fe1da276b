//! The key set: one active signing key, any number of verification keys.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;

use super::KeyError;
use super::{Algorithm, SigningKey, VerifyingKey};

/// The keys of one issuer: the active signing key and every key that still verifies.
///
/// A `KeySet` is a shared handle: clones see the same keys, so a rotation made
/// through one handle reaches every issuer and verifier built from it at once,
/// without a restart and without a lock on the request path (reads are a single
/// atomic load).
///
/// ```
/// use auth_core::{Algorithm, KeySet, SigningKey};
///
/// let keys = KeySet::generate(Algorithm::EdDSA)?;
/// let old = keys.signing_key().unwrap().kid().to_owned();
/// keys.rotate(SigningKey::generate(Algorithm::EdDSA)?);
/// assert_ne!(keys.signing_key().unwrap().kid(), old);
/// assert!(keys.verifying_key(&old).is_some()); // still verifies until retired
/// keys.retire(&old)?;
/// assert!(keys.verifying_key(&old).is_none());
/// # Ok::<(), auth_core::keys::KeyError>(())
/// ```
#[derive(Clone)]
pub struct KeySet {
    state: Arc<ArcSwap<Keys>>,
    /// Told when a token names a key the set does not hold; a set fed from a
    /// remote JWK Set uses it to refresh in the background (never inline).
    on_unknown_key: Option<Arc<dyn UnknownKeyHook>>,
}

/// What a [`KeySet`] calls when a token names a key it does not hold. Called
/// on the request path: it must return at once and never block.
pub(crate) trait UnknownKeyHook: Send + Sync {
    /// A token named a key this set does not hold.
    fn unknown_key(&self);
}

#[cfg(feature = "remote-jwks")]
/// A [`KeySet`] that does not keep its keys alive: what a background task
/// holds, so that the task ends with the last handle.
pub(crate) struct WeakKeySet {
    state: std::sync::Weak<ArcSwap<Keys>>,
}

#[cfg(feature = "remote-jwks")]
impl WeakKeySet {
    /// Replaces every verification key at once, if the set still exists;
    /// `false` when every handle to it is gone. The same keys again leave the
    /// snapshot as it is: a new generation would make every verifier check
    /// its cached tokens afresh, and a refresh can be triggered from outside
    /// (a token naming an unknown key), at most every few seconds.
    pub(crate) fn replace_verifying(&self, verifying: Vec<VerifyingKey>) -> bool {
        let Some(state) = self.state.upgrade() else {
            return false;
        };
        if same_keys(&state.load().verifying, &verifying) {
            return true;
        }
        state.rcu(|keys| Keys::new(keys.signing.clone(), verifying.clone()));
        true
    }
}

#[cfg(feature = "remote-jwks")]
/// Whether two lists hold the same keys, in the same order.
fn same_keys(held: &[VerifyingKey], fetched: &[VerifyingKey]) -> bool {
    held.len() == fetched.len()
        && held.iter().zip(fetched).all(|(a, b)| {
            a.kid() == b.kid() && a.algorithm() == b.algorithm() && a.public().same_as(b.public())
        })
}

/// One consistent snapshot of a key set.
pub(crate) struct Keys {
    pub(crate) signing: Option<SigningKey>,
    pub(crate) verifying: Vec<VerifyingKey>,
    /// Unique to this snapshot among every key set of the process: a
    /// verdict reached with one snapshot is known to still hold while the
    /// set's generation is the same (see [`KeySet::generation`]).
    generation: u64,
}

impl Keys {
    /// A snapshot of new contents, with a generation of its own.
    pub(crate) fn new(signing: Option<SigningKey>, verifying: Vec<VerifyingKey>) -> Self {
        static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);
        Keys {
            signing,
            verifying,
            generation: NEXT_GENERATION.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// This snapshot's generation.
    #[inline]
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The key a token names by `kid`. A token without a `kid` is matched to
    /// the one key whose algorithm is the token's `alg`, if exactly one is
    /// (a peer signing HS256 with a shared secret rarely sends a `kid`); the
    /// algorithm is still the key's own, so this cannot confuse algorithms.
    #[inline]
    pub(crate) fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&VerifyingKey> {
        match kid {
            Some(kid) => self.verifying.iter().find(|k| k.kid() == kid),
            None => {
                let mut candidates = self.verifying.iter().filter(|k| k.algorithm() == alg);
                match (candidates.next(), candidates.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        }
    }
}

impl KeySet {
    /// A set whose only key is a new key for `alg`.
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        Ok(Self::new(SigningKey::generate(alg)?))
    }

    /// A set that signs with `key` (and verifies its signatures).
    pub fn new(key: SigningKey) -> Self {
        let verifying = vec![key.verifying_key().clone()];
        Self::from_keys(Keys::new(Some(key), verifying))
    }

    /// A set that only verifies: for services that accept tokens another service signs.
    pub fn verify_only(keys: impl IntoIterator<Item = VerifyingKey>) -> Result<Self, KeyError> {
        let set = Self::from_keys(Keys::new(None, Vec::new()));
        for key in keys {
            set.add_verifying_key(key)?;
        }
        Ok(set)
    }

    pub(crate) fn from_keys(keys: Keys) -> Self {
        KeySet {
            state: Arc::new(ArcSwap::from_pointee(keys)),
            on_unknown_key: None,
        }
    }

    #[cfg(feature = "remote-jwks")]
    /// The same keys, with `hook` told of every unknown key.
    pub(crate) fn with_unknown_key_hook(mut self, hook: Arc<dyn UnknownKeyHook>) -> Self {
        self.on_unknown_key = Some(hook);
        self
    }

    #[cfg(feature = "remote-jwks")]
    /// A handle that does not keep the keys alive.
    pub(crate) fn downgrade(&self) -> WeakKeySet {
        WeakKeySet {
            state: Arc::downgrade(&self.state),
        }
    }

    /// Tells the hook, if any, that a token named a key this set lacks.
    #[inline]
    pub(crate) fn note_unknown_key(&self) {
        if let Some(hook) = &self.on_unknown_key {
            hook.unknown_key();
        }
    }

    /// The current snapshot; the request path holds it only for one verification.
    #[inline]
    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<Keys>> {
        self.state.load()
    }

    /// The generation of the current snapshot: it changes with every change
    /// of the keys (a rotation, an added or retired key, a refreshed remote
    /// set), and only then. One atomic load.
    #[inline]
    pub(crate) fn generation(&self) -> u64 {
        self.state.load().generation()
    }

    /// The active signing key; `None` for a [`KeySet::verify_only`] set.
    pub fn signing_key(&self) -> Option<SigningKey> {
        self.state.load().signing.clone()
    }

    /// The verification key named `kid`.
    pub fn verifying_key(&self, kid: &str) -> Option<VerifyingKey> {
        self.state
            .load()
            .verifying
            .iter()
            .find(|k| k.kid() == kid)
            .cloned()
    }

    /// Every key that currently verifies, the active one included.
    pub fn verifying_keys(&self) -> Vec<VerifyingKey> {
        self.state.load().verifying.clone()
    }

    /// Makes `key` the active signing key. The previous key keeps verifying the
    /// tokens it signed until [`KeySet::retire`] removes it.
    pub fn rotate(&self, key: SigningKey) {
        self.state.rcu(|keys| {
            let mut verifying: Vec<VerifyingKey> = keys
                .verifying
                .iter()
                .filter(|k| k.kid() != key.kid())
                .cloned()
                .collect();
            verifying.push(key.verifying_key().clone());
            Keys::new(Some(key.clone()), verifying)
        });
    }

    /// Adds a key that verifies but never signs (e.g. another instance's new key).
    pub fn add_verifying_key(&self, key: VerifyingKey) -> Result<(), KeyError> {
        let mut clash = false;
        self.state.rcu(|keys| {
            clash = keys.verifying.iter().any(|k| k.kid() == key.kid());
            let mut verifying = keys.verifying.clone();
            if !clash {
                verifying.push(key.clone());
            }
            Keys::new(keys.signing.clone(), verifying)
        });
        if clash {
            return Err(KeyError::DuplicateKid);
        }
        Ok(())
    }

    /// Removes the key named `kid`: tokens it signed stop verifying at once.
    /// The active signing key cannot be retired; rotate first.
    pub fn retire(&self, kid: &str) -> Result<(), KeyError> {
        let keys = self.state.load();
        if keys.signing.as_ref().is_some_and(|k| k.kid() == kid) {
            return Err(KeyError::RetireActiveKey);
        }
        if !keys.verifying.iter().any(|k| k.kid() == kid) {
            return Err(KeyError::UnknownKid);
        }
        drop(keys);
        self.state.rcu(|keys| {
            let verifying = keys
                .verifying
                .iter()
                .filter(|k| k.kid() != kid)
                .cloned()
                .collect();
            Keys::new(keys.signing.clone(), verifying)
        });
        Ok(())
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.state.load();
        f.debug_struct("KeySet")
            .field("signing", &keys.signing.as_ref().map(SigningKey::kid))
            .field("verifying", &keys.verifying)
            .finish()
    }
}

#[cfg(all(test, feature = "remote-jwks"))]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_with_the_same_keys_keeps_the_generation() -> Result<(), KeyError> {
        let keys = KeySet::verify_only([SigningKey::generate(Algorithm::EdDSA)?
            .verifying_key()
            .clone()])?;
        let weak = keys.downgrade();
        let before = keys.generation();
        assert!(weak.replace_verifying(keys.verifying_keys()));
        assert_eq!(
            keys.generation(),
            before,
            "the same keys: the same snapshot"
        );

        let other = SigningKey::generate(Algorithm::EdDSA)?
            .verifying_key()
            .clone();
        assert!(weak.replace_verifying(vec![other]));
        assert_ne!(keys.generation(), before, "other keys: a new generation");
        Ok(())
    }
}
