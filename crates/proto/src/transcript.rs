//! The canonical byte strings that MACs, signatures and AEAD associated data are computed over.
//!
//! Every such string starts with a domain-separation label ending in a NUL byte, followed by
//! fields in a fixed order: fixed-size fields as raw bytes, integers big-endian, and
//! variable-length fields prefixed with their length as a big-endian `u16`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A canonical byte string under construction.
#[derive(Debug, Clone)]
pub(crate) struct Transcript(Vec<u8>);

impl Transcript {
    pub(crate) fn new(domain: &[u8]) -> Self {
        debug_assert_eq!(domain.last(), Some(&0));
        Self(domain.to_vec())
    }

    pub(crate) fn fixed(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }

    pub(crate) fn var(mut self, bytes: &[u8]) -> Self {
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(&bytes[..usize::from(len)]);
        self
    }

    pub(crate) fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }

    pub(crate) fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn i64(mut self, v: i64) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// HMAC-SHA256 of the transcript under `key`.
    pub(crate) fn hmac(&self, key: &[u8; 32]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .expect("HMAC accepts keys of any length");
        mac.update(&self.0);
        mac.finalize().into_bytes().into()
    }
}

/// Compares the first `expected.len()` bytes of a full MAC with a truncated one, in constant time.
pub(crate) fn truncated_mac_eq(full: &[u8; 32], expected: &[u8]) -> bool {
    expected.len() <= full.len() && bool::from(full[..expected.len()].ct_eq(expected))
}
