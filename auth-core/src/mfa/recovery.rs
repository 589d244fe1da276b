//! Recovery codes: single-use codes that stand in for the second factor when
//! the authenticator is lost.

use zeroize::Zeroizing;

use super::MfaError;
use crate::ServerSecret;
use crate::store::SecretHash;

/// How many codes a user gets.
const COUNT: usize = 10;
/// Characters per code: 10 × 5 bits = 50 bits of randomness each.
const LEN: usize = 10;
/// Crockford's base32 in lower case: digits and letters without `i`, `l`,
/// `o`, `u`, so no two characters look alike.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// The domain label of recovery-code hashes in [`SecretHash::of`].
const HASH_DOMAIN: &str = "recovery-code";

/// Generating and recognising recovery codes. Storing them and using each one
/// once is the store's job ([`UserStore::set_recovery_codes`] and the atomic
/// [`UserStore::consume_recovery_code`]).
///
/// [`UserStore::set_recovery_codes`]: crate::store::UserStore::set_recovery_codes
/// [`UserStore::consume_recovery_code`]: crate::store::UserStore::consume_recovery_code
///
/// ```
/// use auth_core::mfa::RecoveryCodes;
///
/// let (shown, stored) = RecoveryCodes::generate()?;
/// assert_eq!(shown.len(), 10);
/// // What the user types later, however they type it:
/// let typed = shown[0].to_uppercase().replace('-', " ");
/// assert_eq!(RecoveryCodes::hash(&typed), Some(stored[0]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RecoveryCodes;

impl RecoveryCodes {
    /// Ten new codes, formatted `xxxxx-xxxxx`, and their hashes in the same
    /// order. Show the codes once and store only the hashes.
    pub fn generate() -> Result<(Vec<String>, Vec<SecretHash>), MfaError> {
        let mut codes: Vec<String> = Vec::with_capacity(COUNT);
        while codes.len() < COUNT {
            let code = random_code()?;
            // A repeat is all but impossible at 50 bits; it would still make
            // the user's ten codes nine, so draw again.
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        let hashes = codes
            .iter()
            .map(|code| {
                let canonical = Zeroizing::new(code.replace('-', ""));
                SecretHash::of(HASH_DOMAIN, canonical.as_bytes())
            })
            .collect();
        Ok((codes, hashes))
    }

    /// The hash of what a user typed, or `None` when the input cannot be
    /// a recovery code. Spaces and dashes are ignored and case does not
    /// matter; `o`, `i` and `l` read as `0`, `1` and `1`, the characters they
    /// are mistaken for.
    pub fn hash(input: &str) -> Option<SecretHash> {
        let normalized = normalize(input)?;
        Some(SecretHash::of(HASH_DOMAIN, normalized.as_bytes()))
    }

    /// What a store keeps for one code of user `user_id`: its
    /// [`hash`](Self::hash) under an HMAC keyed with `server`. A code has 50
    /// bits of randomness, few enough that an unkeyed hash could be searched
    /// through; a leaked store without the server secret cannot be.
    pub fn keyed(server: &ServerSecret, user_id: &str, hash: &SecretHash) -> SecretHash {
        SecretHash(server.mac(KEYED_PURPOSE, &[user_id.as_bytes(), &hash.0]))
    }
}

/// The purpose label of keyed recovery-code hashes under the server secret.
const KEYED_PURPOSE: &str = "recovery-code";

fn random_code() -> Result<String, MfaError> {
    let mut bytes = Zeroizing::new([0u8; LEN]);
    crate::random::fill(bytes.as_mut())?;
    let mut code = String::with_capacity(LEN + 1);
    for (i, byte) in bytes.iter().enumerate() {
        if i == LEN / 2 {
            code.push('-');
        }
        // 32 divides 256, so the low five bits are uniform.
        let index = usize::from(byte & 0x1f);
        code.push(ALPHABET.get(index).map_or('0', |&c| char::from(c)));
    }
    Ok(code)
}

/// The canonical form that is hashed: ten characters of [`ALPHABET`].
fn normalize(input: &str) -> Option<Zeroizing<String>> {
    // Anything much longer than a code with some spacing is not one; refusing
    // it early bounds the work done on hostile input.
    if input.len() > 4 * LEN {
        return None;
    }
    let mut out = Zeroizing::new(String::with_capacity(LEN));
    for c in input.chars() {
        let c = match c.to_ascii_lowercase() {
            ' ' | '-' => continue,
            'o' => '0',
            'i' | 'l' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == LEN).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_unique() {
        let (codes, hashes) = RecoveryCodes::generate().unwrap();
        assert_eq!(codes.len(), 10);
        assert_eq!(hashes.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(code.as_bytes()[5], b'-');
            assert!(
                code.bytes()
                    .filter(|&b| b != b'-')
                    .all(|b| ALPHABET.contains(&b)),
                "{code}"
            );
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert_eq!(RecoveryCodes::hash(code), Some(*hash));
        }
    }

    #[test]
    fn typing_variants_hash_alike() {
        let reference = RecoveryCodes::hash("abcde-fghjk");
        assert!(reference.is_some());
        for typed in [
            "abcdefghjk",
            "ABCDE FGHJK",
            " abcde - fghjk ",
            "AbCdE-fGhJk",
        ] {
            assert_eq!(RecoveryCodes::hash(typed), reference, "{typed:?}");
        }
        assert_eq!(
            RecoveryCodes::hash("0o1il-22222"),
            RecoveryCodes::hash("00111-22222")
        );
        assert_ne!(RecoveryCodes::hash("abcde-fghjm"), reference);
    }

    #[test]
    fn non_codes_hash_to_nothing() {
        for input in [
            "",
            "abcde",
            "abcde-fghjkm",
            "abcde-fghju",
            "abcde_fghjk",
            "abcdé-fghjk",
            "ａbcde-fghjk",
            &"a".repeat(1_000),
            &"-".repeat(1_000),
        ] {
            assert_eq!(RecoveryCodes::hash(input), None, "{input:?}");
        }
    }

    #[test]
    fn hashes_are_of_their_own_domain() {
        let code = "abcde-fghjk";
        assert_ne!(
            RecoveryCodes::hash(code),
            Some(SecretHash::of("refresh-token", b"abcdefghjk"))
        );
        assert_eq!(
            RecoveryCodes::hash(code),
            Some(SecretHash::of("recovery-code", b"abcdefghjk"))
        );
    }
}
