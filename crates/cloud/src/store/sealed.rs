//! Sealing secrets at rest: queued mail, and the temporary passwords Retrieve keeps to show
//! again. A queued message's subject and body may hold an e-mail code or a temporary password,
//! so the database never holds them in plain text: they are encrypted with XChaCha20-Poly1305
//! under the **mail key**, a key derived from the master key with HKDF-SHA256 and its own
//! label, so that it is useful for nothing else. Each row has a fresh random nonce, and the
//! row's id and recipient are the associated data: a sealed message copied to another row, or a
//! row whose recipient was changed, does not open.
//!
//! Sealed form: `0x01 || nonce (24) || XChaCha20-Poly1305(u32(len(subject)) || subject || body)`;
//! associated data: `"rekey/cloud/mail-at-rest\0" || i64(id) || u32(len(to)) || to`.
//!
//! A temporary password shown by Retrieve on the PC portal is kept, for its validity only, so
//! that reloading the result page shows it again ([`super::retrieved`]). It is sealed the same
//! way under the **result key** (HKDF info `rekey/cloud/retrieved-key\0`): sealed form
//! `0x01 || nonce (24) || XChaCha20-Poly1305(password)`, associated data
//! `"rekey/cloud/retrieved-at-rest\0" || u32(len(id_hash)) || id_hash || i64(account) ||
//! i64(device)`, so that it opens only in its own row, for its own account and device.
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
/// The HKDF info that derives the result key from the master key.
const RESULT_KEY_LABEL: &[u8] = b"rekey/cloud/retrieved-key\0";
/// The first field of a kept temporary password's associated data.
const RESULT_AAD_LABEL: &[u8] = b"rekey/cloud/retrieved-at-rest\0";
/// Version byte of a sealed value.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not a sealed value of a known version.
    #[error("the sealed value is malformed")]
    Malformed,
    /// Another key (the master key changed), or the row was altered or its content moved.
    #[error("the sealed value does not open with this key")]
    Inauthentic,
}

/// A key derived from the master key for one use, sealing `0x01 || nonce || ciphertext`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct Sealer([u8; 32]);

impl Sealer {
    fn derive(master: &MasterKey, label: &[u8]) -> Self {
        let hk = Hkdf::<Sha256>::new(None, master.expose_secret());
        let mut okm = [0u8; 32];
        hk.expand(label, &mut okm)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self(okm)
    }

    fn seal(&self, aad: &[u8], plain: &[u8], nonce: [u8; NONCE_LEN]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        let ct = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad })
            .expect("a small value fits XChaCha20-Poly1305");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEALED_V1 {
            return Err(OpenError::Malformed);
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| OpenError::Malformed)?;
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        Ok(Zeroizing::new(
            cipher
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: &sealed[1 + NONCE_LEN..],
                        aad,
                    },
                )
                .map_err(|_| OpenError::Inauthentic)?,
        ))
    }
}

/// The key queued mail is sealed under; prints as `[redacted]`, wiped when dropped.
#[derive(Clone)]
pub struct MailKey(Sealer);

impl fmt::Debug for MailKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailKey([redacted])")
    }
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
        Self(Sealer::derive(master, MAIL_KEY_LABEL))
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
        self.0.seal(&aad(id, to), &plain, nonce)
    }

    /// Opens what [`MailKey::seal`] sealed for the same row and recipient.
    pub fn open(&self, id: i64, to: &str, sealed: &[u8]) -> Result<MailContent, OpenError> {
        let plain = self.0.open(&aad(id, to), sealed)?;
        let (len, rest) = plain.split_at_checked(4).ok_or(OpenError::Malformed)?;
        let len = u32::from_be_bytes(len.try_into().map_err(|_| OpenError::Malformed)?);
        let (subject, body) = rest
            .split_at_checked(len as usize)
            .ok_or(OpenError::Malformed)?;
        Ok(MailContent {
            subject: String::from_utf8(subject.to_vec()).map_err(|_| OpenError::Malformed)?,
            body: String::from_utf8(body.to_vec()).map_err(|_| OpenError::Malformed)?,
        })
    }
}

/// Where a kept temporary password belongs: its row (the hash of the result page's id), its
/// account and its device.
#[derive(Debug, Clone, Copy)]
pub struct ResultRow<'a> {
    /// The hash of the result page's id.
    pub id_hash: &'a str,
    /// The account it was shown to.
    pub account_id: i64,
    /// The device it is for.
    pub device_id: i64,
}

impl ResultRow<'_> {
    fn aad(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RESULT_AAD_LABEL.len() + 4 + self.id_hash.len() + 16);
        out.extend_from_slice(RESULT_AAD_LABEL);
        out.extend_from_slice(&(self.id_hash.len() as u32).to_be_bytes());
        out.extend_from_slice(self.id_hash.as_bytes());
        out.extend_from_slice(&self.account_id.to_be_bytes());
        out.extend_from_slice(&self.device_id.to_be_bytes());
        out
    }
}

/// The key the temporary passwords Retrieve keeps are sealed under; prints as `[redacted]`,
/// wiped when dropped.
#[derive(Clone)]
pub struct ResultKey(Sealer);

impl fmt::Debug for ResultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResultKey([redacted])")
    }
}

impl ResultKey {
    /// Derives the result key from the master key (HKDF-SHA256, info
    /// `rekey/cloud/retrieved-key\0`).
    pub fn derive(master: &MasterKey) -> Self {
        Self(Sealer::derive(master, RESULT_KEY_LABEL))
    }

    /// Seals `password` for `row`; `nonce` must be fresh random bytes.
    pub fn seal(&self, row: ResultRow<'_>, password: &str, nonce: [u8; NONCE_LEN]) -> Vec<u8> {
        self.0.seal(&row.aad(), password.as_bytes(), nonce)
    }

    /// Opens what [`ResultKey::seal`] sealed for the same row, account and device.
    pub fn open(&self, row: ResultRow<'_>, sealed: &[u8]) -> Result<Zeroizing<String>, OpenError> {
        let plain = self.0.open(&row.aad(), sealed)?;
        let text = std::str::from_utf8(&plain).map_err(|_| OpenError::Malformed)?;
        Ok(Zeroizing::new(text.to_string()))
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
            Err(OpenError::Inauthentic)
        );
        assert_eq!(
            key.open(42, "thief@example.com", &sealed),
            Err(OpenError::Inauthentic)
        );
        let other = MailKey::derive(&MasterKey::from_bytes([8; 32]));
        assert_eq!(
            other.open(42, "kate@example.com", &sealed),
            Err(OpenError::Inauthentic)
        );
        assert_eq!(
            key.open(42, "kate@example.com", &sealed[1..]),
            Err(OpenError::Malformed)
        );
        assert_eq!(
            key.open(42, "kate@example.com", &[]),
            Err(OpenError::Malformed)
        );
    }

    #[test]
    fn a_kept_password_opens_only_for_its_row_account_device_and_key() {
        let key = ResultKey::derive(&MasterKey::from_bytes([7; 32]));
        let row = ResultRow {
            id_hash: "ab12",
            account_id: 3,
            device_id: 9,
        };
        let sealed = key.seal(row, "ABCD-EFGH-JKLM-NPQR", [5; 24]);
        assert!(!sealed.windows(4).any(|w| w == b"ABCD"), "no plain text");
        assert_eq!(
            key.open(row, &sealed).unwrap().as_str(),
            "ABCD-EFGH-JKLM-NPQR"
        );
        for other in [
            ResultRow {
                id_hash: "ab13",
                ..row
            },
            ResultRow {
                account_id: 4,
                ..row
            },
            ResultRow {
                device_id: 8,
                ..row
            },
        ] {
            assert_eq!(key.open(other, &sealed), Err(OpenError::Inauthentic));
        }
        let mail = MailKey::derive(&MasterKey::from_bytes([7; 32]));
        assert_eq!(
            mail.0.open(&row.aad(), &sealed),
            Err(OpenError::Inauthentic),
            "the mail key does not open it"
        );
        assert_eq!(format!("{key:?}"), "ResultKey([redacted])");
    }

    #[test]
    fn the_mail_key_is_not_the_master_key() {
        let master = MasterKey::from_bytes([7; 32]);
        assert_ne!(&MailKey::derive(&master).0.0, master.expose_secret());
        assert_ne!(&ResultKey::derive(&master).0.0, master.expose_secret());
        assert_ne!(ResultKey::derive(&master).0.0, MailKey::derive(&master).0.0);
        assert_eq!(
            format!("{:?}", MailKey::derive(&master)),
            "MailKey([redacted])"
        );
    }
}
