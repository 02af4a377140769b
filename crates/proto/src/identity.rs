//! Device and cloud identity: the gateway handshake and the delivery of the recovery key.
//!
//! See `docs/protocol.md`, "Device identity" and "Recovery key delivery".
//!
//! Signatures are made and X25519 is computed by aws-lc (its x86-64 and Arm code is some two to
//! three times faster than ed25519-dalek's and x25519-dalek's portable field arithmetic, and a
//! reconnect storm is mostly this work); Ed25519 signatures are the same bytes either way
//! (RFC 8032 is deterministic). Keys are parsed and signatures verified by ed25519-dalek, whose
//! `verify_strict` rejects the malleable and small-order cases docs/protocol.md names.

use std::fmt;

use aws_lc_rs::agreement::{self, X25519};
use aws_lc_rs::signature::Ed25519KeyPair;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::transcript::Transcript;
use crate::{
    DOMAIN_CLOUD_AUTH, DOMAIN_DEVICE_AUTH, DOMAIN_KEY_DELIVERY, DOMAIN_SESSION, RecoveryKey, Serial,
};

/// Why a key, signature or sealed key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Not base64url of the right length, or not a valid curve point.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The cloud's signature does not verify under the pinned cloud key.
    #[error(
        "the server is not the configured cloud (its signature does not verify under the pinned key)"
    )]
    CloudSignature,
    /// The device's signature does not verify under its public key.
    #[error("the device's signature does not verify")]
    DeviceSignature,
    /// The key agreement produced a non-contributory (all-zero) secret.
    #[error("the key agreement failed")]
    KeyAgreement,
    /// The sealed recovery key does not open with this session's key.
    #[error("the recovery key message is not authentic")]
    Delivery,
}

/// Defines a signing key and its public key, printed as base64url.
macro_rules! ed25519_pair {
    ($(#[$sdoc:meta])* $secret:ident, $(#[$pdoc:meta])* $public:ident, $what:literal) => {
        $(#[$sdoc])*
        #[derive(Clone)]
        pub struct $secret {
            /// The seed and the public half.
            key: SigningKey,
            /// The same key in aws-lc, which signs.
            signer: Ed25519KeyPair,
        }

        $(#[$pdoc])*
        ///
        /// Kept decompressed: the point is checked once, when parsed, and every signature
        /// verified under it reuses it.
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $public(VerifyingKey);

        impl $secret {
            /// The key for a 32-byte seed from a cryptographically secure random source.
            pub fn from_seed(seed: [u8; 32]) -> Self {
                Self {
                    key: SigningKey::from_bytes(&seed),
                    signer: Ed25519KeyPair::from_seed_unchecked(&seed)
                        .expect("any 32 bytes are an Ed25519 seed"),
                }
            }

            /// The seed, for storing the key; never log it.
            pub fn expose_seed(&self) -> [u8; 32] {
                self.key.to_bytes()
            }

            /// The public half.
            pub fn public(&self) -> $public {
                $public(self.key.verifying_key())
            }

            fn sign(&self, message: &[u8]) -> [u8; 64] {
                self.signer
                    .sign(message)
                    .as_ref()
                    .try_into()
                    .expect("an Ed25519 signature is 64 bytes")
            }
        }

        impl fmt::Debug for $secret {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($secret), "(public {})"), self.public())
            }
        }

        impl $public {
            /// Parses the base64url form (43 characters) and checks it is a valid point.
            pub fn parse(input: &str) -> Result<Self, IdentityError> {
                let bytes: [u8; 32] = URL_SAFE_NO_PAD
                    .decode(input.trim())
                    .ok()
                    .and_then(|v| v.try_into().ok())
                    .ok_or(IdentityError::Malformed($what))?;
                Self::from_bytes(bytes)
            }

            /// Wraps 32 bytes after checking they are a valid point.
            pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, IdentityError> {
                VerifyingKey::from_bytes(&bytes)
                    .map(Self)
                    .map_err(|_| IdentityError::Malformed($what))
            }

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                self.0.as_bytes()
            }

            fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
                self.0
                    .verify_strict(message, &Signature::from_bytes(signature))
                    .is_ok()
            }
        }

        impl fmt::Display for $public {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&URL_SAFE_NO_PAD.encode(self.as_bytes()))
            }
        }

        impl fmt::Debug for $public {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($public), "({})"), self)
            }
        }

        impl serde::Serialize for $public {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $public {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

ed25519_pair!(
    /// The recorder's Ed25519 identity key, made on first start and kept in its data directory.
    DeviceSigningKey,
    /// The public half of a recorder's identity key, enrolled by the cloud on first contact.
    DevicePublicKey,
    "device public key"
);

ed25519_pair!(
    /// The cloud's Ed25519 signing key.
    CloudSigningKey,
    /// The cloud's public key, pinned in every recorder's configuration.
    CloudPublicKey,
    "cloud public key"
);

/// An X25519 key for one gateway session's key agreement; made fresh for every connection.
/// The secret lives in aws-lc's memory, which is wiped when the key is dropped.
pub struct EphemeralSecret(agreement::PrivateKey);

impl EphemeralSecret {
    /// Takes 32 bytes from a cryptographically secure random source (wiping them here).
    pub fn from_bytes(mut bytes: [u8; 32]) -> Self {
        let key = agreement::PrivateKey::from_private_key(&X25519, &bytes)
            .expect("any 32 bytes are an X25519 private key");
        bytes.zeroize();
        Self(key)
    }

    /// The public half, sent in the handshake.
    pub fn public(&self) -> [u8; 32] {
        self.0
            .compute_public_key()
            .expect("an X25519 private key has a public key")
            .as_ref()
            .try_into()
            .expect("an X25519 public key is 32 bytes")
    }
}

impl fmt::Debug for EphemeralSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EphemeralSecret([redacted])")
    }
}

/// Which end of the gateway connection is computing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The recorder.
    Device,
    /// The cloud.
    Cloud,
}

/// Everything both sides of a gateway handshake have seen; both signatures cover all of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The recorder's serial number.
    pub serial: Serial,
    /// The recorder's identity key.
    pub device_key: DevicePublicKey,
    /// The recorder's fresh random nonce.
    pub device_nonce: [u8; 32],
    /// The recorder's ephemeral X25519 public key.
    pub device_ephemeral: [u8; 32],
    /// The cloud's identity key (the recorder fills in its pinned key).
    pub cloud_key: CloudPublicKey,
    /// The cloud's fresh random nonce.
    pub cloud_nonce: [u8; 32],
    /// The cloud's ephemeral X25519 public key.
    pub cloud_ephemeral: [u8; 32],
    /// The cloud's clock when it answered, Unix seconds.
    pub cloud_time: i64,
}

impl Handshake {
    fn transcript(&self, domain: &[u8]) -> Transcript {
        Transcript::new(domain)
            .var(self.serial.as_str().as_bytes())
            .fixed(self.device_key.as_bytes())
            .fixed(&self.device_nonce)
            .fixed(&self.device_ephemeral)
            .fixed(self.cloud_key.as_bytes())
            .fixed(&self.cloud_nonce)
            .fixed(&self.cloud_ephemeral)
            .i64(self.cloud_time)
    }

    /// The cloud's signature over the handshake.
    pub fn sign_as_cloud(&self, key: &CloudSigningKey) -> [u8; 64] {
        key.sign(self.transcript(DOMAIN_CLOUD_AUTH).bytes())
    }

    /// Checks the cloud's signature under `self.cloud_key` (which the recorder set to its pinned key).
    pub fn verify_cloud(&self, signature: &[u8; 64]) -> Result<(), IdentityError> {
        if self
            .cloud_key
            .verify(self.transcript(DOMAIN_CLOUD_AUTH).bytes(), signature)
        {
            Ok(())
        } else {
            Err(IdentityError::CloudSignature)
        }
    }

    /// The device's signature over the handshake: its proof that it holds its identity key.
    pub fn sign_as_device(&self, key: &DeviceSigningKey) -> [u8; 64] {
        key.sign(self.transcript(DOMAIN_DEVICE_AUTH).bytes())
    }

    /// Checks the device's signature under `self.device_key`.
    pub fn verify_device(&self, signature: &[u8; 64]) -> Result<(), IdentityError> {
        if self
            .device_key
            .verify(self.transcript(DOMAIN_DEVICE_AUTH).bytes(), signature)
        {
            Ok(())
        } else {
            Err(IdentityError::DeviceSignature)
        }
    }

    /// The session key both sides derive: HKDF-SHA256 over the X25519 shared secret, salted with
    /// the hash of the handshake. `mine` is the ephemeral secret of `side`; the peer's public
    /// half is taken from the handshake.
    pub fn session_key(
        &self,
        side: Side,
        mine: &EphemeralSecret,
    ) -> Result<SessionKey, IdentityError> {
        let theirs = match side {
            Side::Device => self.cloud_ephemeral,
            Side::Cloud => self.device_ephemeral,
        };
        let salt = Sha256::digest(self.transcript(DOMAIN_SESSION).bytes());
        // aws-lc refuses a peer key of small order, whose shared secret would be all zeros
        // (RFC 7748 §6.1); the check below says the same in this crate's own words.
        agreement::agree(
            &mine.0,
            agreement::UnparsedPublicKey::new(&X25519, &theirs),
            IdentityError::KeyAgreement,
            |shared| {
                if bool::from(shared.ct_eq(&[0u8; 32])) {
                    return Err(IdentityError::KeyAgreement);
                }
                let hk = Hkdf::<Sha256>::new(Some(&salt), shared);
                let mut okm = [0u8; 32];
                hk.expand(DOMAIN_KEY_DELIVERY, &mut okm)
                    .expect("32 bytes is a valid HKDF-SHA256 output length");
                Ok(SessionKey(okm))
            },
        )
    }
}

/// The key one gateway session protects the recovery key with.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SessionKey([u8; 32]);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey([redacted])")
    }
}

fn delivery_nonce(epoch: u32) -> Nonce {
    let mut n = [0u8; 12];
    n[8..].copy_from_slice(&epoch.to_be_bytes());
    Nonce::from(n)
}

fn delivery_aad(serial: &Serial, epoch: u32) -> Transcript {
    Transcript::new(DOMAIN_KEY_DELIVERY)
        .var(serial.as_str().as_bytes())
        .u32(epoch)
}

impl SessionKey {
    /// Encrypts a recovery key for the recorder (cloud side): 48 bytes.
    pub fn seal_recovery_key(&self, serial: &Serial, epoch: u32, key: &RecoveryKey) -> Vec<u8> {
        let aad = delivery_aad(serial, epoch);
        ChaCha20Poly1305::new(&self.0.into())
            .encrypt(
                &delivery_nonce(epoch),
                Payload {
                    msg: key.expose_secret(),
                    aad: aad.bytes(),
                },
            )
            .expect("a 32-byte message fits ChaCha20-Poly1305")
    }

    /// Decrypts a recovery key sealed by [`SessionKey::seal_recovery_key`] (recorder side).
    pub fn open_recovery_key(
        &self,
        serial: &Serial,
        epoch: u32,
        sealed: &[u8],
    ) -> Result<RecoveryKey, IdentityError> {
        let aad = delivery_aad(serial, epoch);
        let mut plain = ChaCha20Poly1305::new(&self.0.into())
            .decrypt(
                &delivery_nonce(epoch),
                Payload {
                    msg: sealed,
                    aad: aad.bytes(),
                },
            )
            .map_err(|_| IdentityError::Delivery)?;
        let bytes: Result<[u8; 32], _> = plain.as_slice().try_into();
        plain.zeroize();
        bytes
            .map(RecoveryKey::from_bytes)
            .map_err(|_| IdentityError::Delivery)
    }
}
