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

/// Runs argon2id off the async threads, at most as many at once as the machine has cores: each
/// run holds 19 MiB, so a burst of logins cannot take the memory or starve other work. A request
/// that waits too long for its turn is answered "busy" (503 with Retry-After), not queued
/// without bound.
#[derive(Debug, Clone)]
pub struct Hasher {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
}

/// Why a password could not be hashed or checked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot was taken for longer than the wait allows; try again in a moment.
    #[error("password hashing is busy")]
    Busy,
    /// The hashing task failed.
    #[error("password hashing failed")]
    Failed,
}

impl Hasher {
    /// At most `concurrency` hashes at once; a request waits at most `wait` for its turn.
    pub fn new(concurrency: usize, wait: std::time::Duration) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
            wait,
        }
    }

    /// One hash per core, waiting up to 10 seconds for a turn.
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self::new(cores, std::time::Duration::from_secs(10))
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Failed)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| HashError::Failed)
    }

    /// [`hash`] in turn.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash(&password)).await
    }

    /// [`verify`] in turn.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, HashError> {
        self.run(move || verify(&password, &phc)).await
    }
}

#[cfg(test)]
mod hasher_tests {
    use super::*;

    #[tokio::test]
    async fn a_full_hasher_answers_busy_instead_of_queueing_without_bound() {
        let hasher = Hasher::new(1, std::time::Duration::from_millis(100));
        let held = hasher.permits.clone().try_acquire_owned().unwrap();
        let busy = hasher.verify("pw".into(), dummy_hash().into()).await;
        assert_eq!(busy, Err(HashError::Busy));
        drop(held);
        let phc = hasher.hash("correct horse".into()).await.unwrap();
        assert_eq!(hasher.verify("correct horse".into(), phc).await, Ok(true));
    }
}
