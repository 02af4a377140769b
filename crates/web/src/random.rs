//! Secure randomness from the operating system.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `N` bytes from the operating system's secure random source.
///
/// # Panics
/// If the operating system cannot provide randomness, which leaves nothing safe to do.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("the operating system's random source is available");
    out
}

/// 64 random bits as 16 lowercase hexadecimal digits: ids for logs and operators (a request's,
/// a cloud node's), never secrets.
pub fn random_id() -> String {
    random_array::<8>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 256 random bits as base64url (43 characters): session tokens, CSRF tokens and the like.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_array::<32>())
}
