//! Sealing queued mail at rest. A queued message's subject and body may hold an e-mail code or a
//! temporary password, so the database never holds them in plain text: they are encrypted with
//! XChaCha20-Poly1305 under the **mail key**, a key derived from the master key with HKDF-SHA256
//! and its own label, so that it is useful for nothing else. Each row has a fresh random nonce,
//! and the row's id and recipient are the associated data: a sealed message copied to another
//! row, or a row whose recipient was changed, does not open.
//!
//! Sealed form: `0x01 || nonce (24) || XChaCha20-Poly1305(u32(len(subject)) || subject || body)`;
//! associated data: `"rekey/cloud/mail-at-rest\0" || i64(id) || u32(len(to)) || to`.
//!
//! Why derived and not a setting of its own: the master key already must live outside the
//! database and its backups, and is backed up and guarded as the cloud's crown jewel; a second
//! key with the same requirements would add a secret to lose without protecting against anyone
//! the master key does not already protect against. The label keeps the two uses apart. Queued
//! mail lives minutes, so rotating the master key only strands mail queued at that moment: it
//! does not open, is not sent, and is retried (and goes out if the old key comes back).

use std::fmt;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rekey_proto::MasterKey;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The HKDF info that derives the mail key from the master key.
const MAIL_KEY_LABEL: &[u8] = b"rekey/cloud/mail-key\0";
/// The first field of a sealed message's associated data.
const MAIL_AAD_LABEL: &[u8] = b"rekey/cloud/mail-at-rest\0";
/// Version byte of a sealed message.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The key queued mail is sealed under; prints as `[redacted]`, wiped when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MailKey([u8; 32]);

impl fmt::Debug for MailKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailKey([redacted])")
    }
}

/// Why a sealed message could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MailOpenError {
    /// Not a sealed message of a known version.
    #[error("the sealed message is malformed")]
    Malformed,
    /// Another key (the master key changed), or the row was altered or its content moved.
    #[error("the sealed message does not open with this key")]
    Inauthentic,
}

/// A message's subject and body, opened.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MailContent {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

impl fmt::Debug for MailContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailContent([redacted])")
    }
}

fn aad(id: i64, to: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAIL_AAD_LABEL.len() + 8 + 4 + to.len());
    out.extend_from_slice(MAIL_AAD_LABEL);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&(to.len() as u32).to_be_bytes());
    out.extend_from_slice(to.as_bytes());
    out
}

impl MailKey {
    /// Derives the mail key from the master key (HKDF-SHA256, info `rekey/cloud/mail-key\0`).
    pub fn derive(master: &MasterKey) -> Self {
        let hk = Hkdf::<Sha256>::new(None, master.expose_secret());
        let mut okm = [0u8; 32];
        hk.expand(MAIL_KEY_LABEL, &mut okm)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self(okm)
    }

    /// Seals the content of row `id` to `to`; `nonce` must be fresh random bytes.
    pub fn seal(
        &self,
        id: i64,
        to: &str,
        content: &MailContent,
        nonce: [u8; NONCE_LEN],
    ) -> Vec<u8> {
        let subject = content.subject.as_bytes();
        let mut plain = Zeroizing::new(Vec::with_capacity(4 + subject.len() + content.body.len()));
        plain.extend_from_slice(&(subject.len() as u32).to_be_bytes());
        plain.extend_from_slice(subject);
        plain.extend_from_slice(content.body.as_bytes());
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        let aad = aad(id, to);
        let ct = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .expect("a mail fits XChaCha20-Poly1305");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Opens what [`MailKey::seal`] sealed for the same row and recipient.
    pub fn open(&self, id: i64, to: &str, sealed: &[u8]) -> Result<MailContent, MailOpenError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEALED_V1 {
            return Err(MailOpenError::Malformed);
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| MailOpenError::Malformed)?;
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        let aad = aad(id, to);
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: &sealed[1 + NONCE_LEN..],
                        aad: &aad,
                    },
                )
                .map_err(|_| MailOpenError::Inauthentic)?,
        );
        let (len, rest) = plain.split_at_checked(4).ok_or(MailOpenError::Malformed)?;
        let len = u32::from_be_bytes(len.try_into().map_err(|_| MailOpenError::Malformed)?);
        let (subject, body) = rest
            .split_at_checked(len as usize)
            .ok_or(MailOpenError::Malformed)?;
        Ok(MailContent {
            subject: String::from_utf8(subject.to_vec()).map_err(|_| MailOpenError::Malformed)?,
            body: String::from_utf8(body.to_vec()).map_err(|_| MailOpenError::Malformed)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> MailContent {
        MailContent {
            subject: "Your code: 123456".into(),
            body: "Enter 123456.\n".into(),
        }
    }

    #[test]
    fn sealed_mail_opens_only_for_its_row_recipient_and_key() {
        let key = MailKey::derive(&MasterKey::from_bytes([7; 32]));
        let sealed = key.seal(42, "kate@example.com", &content(), [3; 24]);
        assert_eq!(sealed.len(), 1 + 24 + 4 + 17 + 14 + 16);
        assert!(
            !sealed.windows(6).any(|w| w == b"123456"),
            "no plain text in the sealed form"
        );
        assert_eq!(key.open(42, "kate@example.com", &sealed), Ok(content()));
        assert_eq!(
            key.open(43, "kate@example.com", &sealed),
            Err(MailOpenError::Inauthentic)
        );
        assert_eq!(
            key.open(42, "thief@example.com", &sealed),
            Err(MailOpenError::Inauthentic)
        );
        let other = MailKey::derive(&MasterKey::from_bytes([8; 32]));
        assert_eq!(
            other.open(42, "kate@example.com", &sealed),
            Err(MailOpenError::Inauthentic)
        );
        assert_eq!(
            key.open(42, "kate@example.com", &sealed[1..]),
            Err(MailOpenError::Malformed)
        );
        assert_eq!(
            key.open(42, "kate@example.com", &[]),
            Err(MailOpenError::Malformed)
        );
    }

    #[test]
    fn the_mail_key_is_not_the_master_key() {
        let master = MasterKey::from_bytes([7; 32]);
        assert_ne!(&MailKey::derive(&master).0, master.expose_secret());
        assert_eq!(
            format!("{:?}", MailKey::derive(&master)),
            "MailKey([redacted])"
        );
    }
}
