//! CSRF tokens (synchronizer pattern): a random token kept with the session (or, before login,
//! in a cookie of its own) that every state-changing form must echo in a hidden field.

use subtle::ConstantTimeEq;

use crate::random_token;

/// The form field name that carries the token.
pub const CSRF_FIELD: &str = "csrf";

/// A CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl std::fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfToken([redacted])")
    }
}

impl CsrfToken {
    /// A fresh random token.
    pub fn generate() -> Self {
        Self(random_token())
    }

    /// A token read back from storage or a cookie.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The token, to put in a form or store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a submitted form value matches, compared in constant time; empty never matches.
    pub fn matches(&self, submitted: &str) -> bool {
        !self.0.is_empty() && bool::from(self.0.as_bytes().ct_eq(submitted.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_token_matches() {
        let t = CsrfToken::generate();
        assert!(t.matches(t.as_str()));
        assert!(!t.matches(""));
        assert!(!t.matches(CsrfToken::generate().as_str()));
        assert!(!CsrfToken::from_stored(String::new()).matches(""));
    }
}
