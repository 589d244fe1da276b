//! Usernames compared as people read them: RFC 8265 `UsernameCaseMapped`.

use precis_profiles::UsernameCaseMapped;
use precis_profiles::precis_core::profile::Profile as _;

use super::FlowError;

/// The longest username accepted, in characters (after the profile).
pub const MAX_USERNAME_CHARS: usize = 64;

/// The form a username is stored and looked up in: the RFC 8265
/// `UsernameCaseMapped` profile (full-width characters mapped to their
/// usual width, lower case, NFC), so `Alice`, `alice` and `Ａｌｉｃｅ` are one
/// account. What the profile refuses — empty names, spaces, control,
/// zero-width and bidirectional-control characters — is
/// [`FlowError::InvalidUsername`], and so is a name over
/// [`MAX_USERNAME_CHARS`].
///
/// ```
/// use auth_core::flow::canonical_username;
///
/// assert_eq!(canonical_username("Alice")?, "alice");
/// assert_eq!(canonical_username("Ａｌｉｃｅ")?, "alice");
/// assert!(canonical_username("alice\u{200b}").is_err());
/// assert!(canonical_username("\u{202e}Alice").is_err());
/// assert!(canonical_username("ada lovelace").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn canonical(username: &str) -> Result<String, FlowError> {
    // Bound the work before the profile runs over the input.
    if username.len() > MAX_USERNAME_CHARS * 4 {
        return Err(FlowError::InvalidUsername);
    }
    let canonical = UsernameCaseMapped::new()
        .enforce(username)
        .map_err(|_| FlowError::InvalidUsername)?;
    if canonical.chars().count() > MAX_USERNAME_CHARS {
        return Err(FlowError::InvalidUsername);
    }
    Ok(canonical.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_account_however_it_is_typed() {
        for name in ["Alice", "alice", "ALICE", "Ａｌｉｃｅ", "ａｌｉｃｅ"] {
            assert_eq!(canonical(name).unwrap(), "alice", "{name:?}");
        }
        // NFC: a decomposed é is the precomposed one.
        assert_eq!(
            canonical("Jose\u{301}").unwrap(),
            canonical("José").unwrap()
        );
        assert_eq!(canonical("Σοφία").unwrap(), "σοφία");
    }

    #[test]
    fn what_the_profile_refuses_is_an_invalid_username() {
        for name in [
            "",
            " ",
            "ada lovelace",
            "alice\u{200b}",
            "\u{202e}Alice",
            "al\u{0}ice",
            "al\nice",
            "\u{feff}alice",
        ] {
            assert!(
                matches!(canonical(name), Err(FlowError::InvalidUsername)),
                "{name:?} must be refused"
            );
        }
        assert!(canonical(&"a".repeat(MAX_USERNAME_CHARS)).is_ok());
        assert!(canonical(&"a".repeat(MAX_USERNAME_CHARS + 1)).is_err());
        assert!(canonical(&"a".repeat(100_000)).is_err());
    }
}
