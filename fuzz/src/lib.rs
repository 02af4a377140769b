//! Fixtures shared by the fuzz targets in `fuzz_targets/`: the keys and serial of
//! `crates/proto/vectors/v1.json`, so that seeds taken from the vectors verify and reach the code
//! behind the MAC and signature checks.

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::sync::LazyLock;

use rekey_proto::{
    CloudBase, CloudPublicKey, CloudSigningKey, DevicePublicKey, DeviceSigningKey, EphemeralSecret,
    RecoveryKey, Serial,
};

/// Fuzz input as text, the way a form field, a scanned QR code or a WebSocket text frame arrives:
/// invalid UTF-8 is replaced rather than skipped, so that every input reaches the parser.
pub fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// 32 bytes from the hex of the vectors.
pub fn unhex32(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex digit");
    }
    out
}

/// The recovery key of the vectors (`00 01 … 1f`).
pub fn vector_key() -> RecoveryKey {
    RecoveryKey::from_bytes(unhex32(
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    ))
}

/// The serial of the vectors' recorder.
pub fn vector_serial() -> Serial {
    Serial::parse("RK0000000001").expect("valid serial")
}

/// The cloud base URL of the vectors.
pub fn vector_base() -> CloudBase {
    CloudBase::parse("https://cloud.example.com").expect("valid base")
}

/// The vectors' handshake parties, computed once: key generation and public halves are scalar
/// multiplications, which would otherwise dominate every execution of the handshake target.
#[derive(Debug)]
pub struct Parties {
    /// The recorder's identity key.
    pub device: DeviceSigningKey,
    /// Its public half.
    pub device_public: DevicePublicKey,
    /// The cloud's signing key.
    pub cloud: CloudSigningKey,
    /// Its public half, the recorder's pinned key.
    pub cloud_public: CloudPublicKey,
    /// The recorder's ephemeral secret.
    pub device_ephemeral: EphemeralSecret,
    /// Its public half.
    pub device_ephemeral_public: [u8; 32],
    /// The cloud's ephemeral secret.
    pub cloud_ephemeral: EphemeralSecret,
    /// Its public half.
    pub cloud_ephemeral_public: [u8; 32],
}

/// The vectors' handshake parties.
pub static PARTIES: LazyLock<Parties> = LazyLock::new(|| {
    let device = DeviceSigningKey::from_seed(unhex32(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    ));
    let cloud = CloudSigningKey::from_seed(unhex32(
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    ));
    let device_ephemeral = EphemeralSecret::from_bytes(unhex32(
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    ));
    let cloud_ephemeral = EphemeralSecret::from_bytes(unhex32(
        "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    ));
    Parties {
        device_public: device.public(),
        device,
        cloud_public: cloud.public(),
        cloud,
        device_ephemeral_public: device_ephemeral.public(),
        device_ephemeral,
        cloud_ephemeral_public: cloud_ephemeral.public(),
        cloud_ephemeral,
    }
});

/// Splits a QR target's input: `BASE\nURL` varies the cloud base URL the code is written under
/// (the vectors' base when `BASE` does not parse), a lone `URL` uses the vectors' base.
pub fn base_and_url(input: &str) -> (CloudBase, &str) {
    match input.split_once('\n') {
        Some((base, url)) => (
            CloudBase::parse(base).unwrap_or_else(|_| vector_base()),
            url,
        ),
        None => (vector_base(), input),
    }
}
