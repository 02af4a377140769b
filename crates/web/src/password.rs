//! The password policy (NIST SP 800-63B style) and argon2id hashing, shared by cloud accounts
//! and recorder users.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::random_array;

/// Fewest characters a password has.
pub const MIN_CHARS: usize = 8;
/// Most characters a password has (long passphrases are welcome).
pub const MAX_CHARS: usize = 256;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

/// Why a new password is refused; each maps to a catalog message telling what to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("the password has fewer than {MIN_CHARS} characters")]
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    #[error("the password has more than {MAX_CHARS} characters")]
    TooLong,
    /// In the list of common passwords.
    #[error("the password is one of the most common passwords")]
    Common,
    /// The same as the user name or e-mail address.
    #[error("the password is the same as the user name or e-mail address")]
    SameAsIdentity,
    /// The confirmation differs.
    #[error("the two passwords differ")]
    Mismatch,
}

impl PasswordError {
    /// The message catalog key for this error.
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::TooShort => "password-too-short",
            Self::TooLong => "password-too-long",
            Self::Common => "password-common",
            Self::SameAsIdentity => "password-same-as-identity",
            Self::Mismatch => "password-mismatch",
        }
    }
}

/// Checks a new password and its confirmation against the policy. `identities` are the user
/// name, e-mail address and the like, which the password must not equal.
pub fn check_new(password: &str, confirm: &str, identities: &[&str]) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return Err(PasswordError::Common);
    }
    let same = identities.iter().any(|id| {
        let id = id.trim().to_lowercase();
        !id.is_empty() && (id == lower || id.split('@').next() == Some(lower.as_str()))
    });
    if same {
        return Err(PasswordError::SameAsIdentity);
    }
    if password != confirm {
        return Err(PasswordError::Mismatch);
    }
    Ok(())
}

fn argon2id() -> Argon2<'static> {
    // OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with argon2id and a fresh 16-byte salt, in PHC string form.
pub fn hash(password: &str) -> String {
    argon2id()
        .hash_password_with_salt(password.as_bytes(), &random_array::<16>())
        .expect("argon2id accepts any password with a 16-byte salt")
        .to_string()
}

/// Whether `password` matches a PHC hash made by [`hash`]; a malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    argon2id().verify_password(password.as_bytes(), phc).is_ok()
}

/// A hash of no password, for spending the same time when the account does not exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: LazyLock<String> = LazyLock::new(|| hash(&crate::random_token()));
    &DUMMY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_says_what_to_fix() {
        assert_eq!(
            check_new("short", "short", &[]),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_new("Password1", "Password1", &[]),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_new("iloveyou", "iloveyou", &[]),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_new("taro.yamada", "taro.yamada", &["Taro.Yamada@example.com"]),
            Err(PasswordError::SameAsIdentity)
        );
        assert_eq!(
            check_new("kumo-to-sakana-7", "kumo-to-sakana-8", &[]),
            Err(PasswordError::Mismatch)
        );
        let long = "長い合言葉でも大丈夫 ".repeat(10);
        assert_eq!(check_new(&long, &long, &["admin"]), Ok(()));
        assert_eq!(
            check_new(&"x".repeat(257), &"x".repeat(257), &[]),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash("kumo-to-sakana-7");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("kumo-to-sakana-7", &h));
        assert!(!verify("kumo-to-sakana-8", &h));
        assert!(!verify("kumo-to-sakana-7", "not a hash"));
        assert_ne!(hash("kumo-to-sakana-7"), h, "salted");
    }
}
