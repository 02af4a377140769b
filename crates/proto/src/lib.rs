//! The Rekey recovery protocol, as specified in `docs/protocol.md`: device and cloud identity
//! (the gateway handshake and the sealed delivery of the recovery key), register codes, the
//! registration and recovery QR payloads, and temporary passwords with their typed verification
//! errors.
//!
//! This crate is pure: it performs no I/O, spawns nothing, reads no clock and draws no randomness.
//! Callers pass in the current time, the recorder's date and every random byte, which keeps the
//! protocol deterministic and lets `vectors/v1.json` pin it. It must never depend on a runtime,
//! a database, the network or the file system.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod email;
pub mod gateway;
mod identity;
mod keys;
mod qr;
pub mod reconnect;
mod register_code;
mod serial;
pub mod symbols;
mod temporary_password;
pub mod text;
mod transcript;

pub use email::{EMAIL_MAX_LEN, Email, EmailError};
pub use identity::{
    CloudPublicKey, CloudSigningKey, DevicePublicKey, DeviceSigningKey, EphemeralSecret, Handshake,
    IdentityError, SessionKey, Side,
};
pub use keys::{MasterKey, OpenError, RecoveryKey};
pub use qr::{
    CloudBase, QR_VERSION, QrError, RECOVERY_PATH, RECOVERY_QR_MAC_LEN, REGISTRATION_PATH,
    RecoveryQr, RegistrationQr,
};
pub use register_code::{
    REGISTER_CODE_LEN, REGISTER_CODE_RANDOM_BYTES, RegisterCode, RegisterCodeError,
};
pub use serial::{SERIAL_MAX_LEN, SERIAL_MIN_LEN, Serial, SerialError};
pub use temporary_password::{
    Accepted, CHALLENGE_NONCE_LEN, Challenge, CodeError, IssueError, MAX_WINDOW_DAYS,
    TEMPORARY_PASSWORD_LEN, TemporaryPassword, Validity, VerifyContext, unix_day,
};

/// Domain-separation labels: every MAC, signature, key derivation and associated data starts
/// with exactly one of these, so that no value made for one purpose verifies for another.
pub const DOMAIN_DEVICE_TAG: &[u8] = b"rekey/v1/device-tag\0";
/// See [`DOMAIN_DEVICE_TAG`].
pub const DOMAIN_RECOVERY_KEY_AT_REST: &[u8] = b"rekey/v1/recovery-key-at-rest\0";
/// See [`DOMAIN_DEVICE_TAG`].
pub const DOMAIN_CLOUD_AUTH: &[u8] = b"rekey/v1/cloud-auth\0";
/// See [`DOMAIN_DEVICE_TAG`].
pub const DOMAIN_DEVICE_AUTH: &[u8] = b"rekey/v1/device-auth\0";
/// See [`DOMAIN_DEVICE_TAG`].
pub const DOMAIN_SESSION: &[u8] = b"rekey/v1/session\0";
/// See [`DOMAIN_DEVICE_TAG`].
pub const DOMAIN_KEY_DELIVERY: &[u8] = b"rekey/v1/key-delivery\0";
/// See [`DOMAIN_DEVICE_TAG`].
pub const DOMAIN_RECOVERY_QR: &[u8] = b"rekey/v1/recovery-qr\0";
/// See [`DOMAIN_DEVICE_TAG`].
pub const DOMAIN_TP_DATE_WINDOW: &[u8] = b"rekey/v1/temporary-password/date-window\0";
/// See [`DOMAIN_DEVICE_TAG`].
pub const DOMAIN_TP_CHALLENGE: &[u8] = b"rekey/v1/temporary-password/challenge\0";
