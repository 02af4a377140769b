//! The messages of the device gateway: JSON text frames over a WebSocket, one message per frame,
//! tagged by `"type"`. Binary values are base64url without padding. See `docs/protocol.md`,
//! "Gateway messages".

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{DevicePublicKey, Serial};

/// The gateway protocol version a recorder announces in its `hello`.
pub const GATEWAY_PROTOCOL: u32 = 1;
/// The WebSocket path of the gateway below the cloud base URL.
pub const GATEWAY_PATH: &str = "/gateway/v1";

/// Fixed-size bytes carried as base64url without padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct B64<const N: usize>(pub [u8; N]);

impl<const N: usize> Serialize for B64<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl<'de, const N: usize> Deserialize<'de> for B64<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let v = URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .map_err(serde::de::Error::custom)?;
        let a: [u8; N] = v
            .try_into()
            .map_err(|_| serde::de::Error::custom(format!("expected {N} bytes")))?;
        Ok(Self(a))
    }
}

/// Variable-length bytes carried as base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct B64Vec(pub Vec<u8>);

impl Serialize for B64Vec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for B64Vec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

/// A message from the recorder to the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "a message lives on the stack only while its frame is handled; `hello` carries the \
              recorder's key decompressed (checked once, reused to verify the proof), and \
              boxing it would allocate on every handshake"
)]
pub enum DeviceMessage {
    /// First frame of a connection.
    Hello {
        /// [`GATEWAY_PROTOCOL`].
        protocol: u32,
        /// The recorder's serial number.
        serial: Serial,
        /// The recorder's identity key.
        device_key: DevicePublicKey,
        /// Fresh random nonce.
        device_nonce: B64<32>,
        /// Fresh X25519 public key.
        device_ephemeral: B64<32>,
        /// Epoch of the recovery key the recorder holds, 0 if none.
        key_epoch: u32,
    },
    /// Second frame: the device's signature over the handshake.
    Proof {
        /// Ed25519 signature (64 bytes).
        signature: B64<64>,
    },
    /// Periodic sign of life.
    Heartbeat {
        /// The recorder's clock, Unix seconds.
        recorder_time: i64,
        /// The recorder's last used temporary-password sequence number.
        last_used_seq: u32,
    },
    /// The recorder stored the recovery key of this epoch.
    KeyStored {
        /// The epoch received.
        epoch: u32,
    },
    /// The admin disabled the cloud on the recorder; the connection closes after this frame.
    Disabled,
    /// The recorder's admin released it from its account (docs/protocol.md §9, "Release").
    /// Sent after every welcome until the cloud answers `released` for this epoch.
    Release {
        /// The epoch of the recovery key of the binding being released: the cloud unbinds
        /// only while that binding is the current one, so a late or repeated frame never
        /// unbinds a later binding.
        key_epoch: u32,
    },
}

/// Whether the device is bound to an account, as the cloud tells the recorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Binding {
    /// Not bound: the register code an account can bind it with.
    Unbound {
        /// Canonical register code (12 symbols, no separators).
        register_code: String,
    },
    /// Bound to an account (which one is not said).
    Bound,
}

/// A message from the cloud to the recorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CloudMessage {
    /// Answer to `hello`.
    Challenge {
        /// Fresh random nonce.
        cloud_nonce: B64<32>,
        /// Fresh X25519 public key.
        cloud_ephemeral: B64<32>,
        /// The cloud's clock, Unix seconds.
        cloud_time: i64,
        /// Ed25519 signature by the cloud key over the handshake (64 bytes).
        signature: B64<64>,
    },
    /// The device is authenticated; sent after a valid `proof` and again whenever the binding changes.
    Welcome {
        /// Current binding.
        binding: Binding,
        /// Seconds between heartbeats the cloud expects.
        heartbeat_secs: u32,
        /// The recovery key epoch the cloud holds for this device.
        key_epoch: u32,
    },
    /// A recovery key, sealed with the session key (48 bytes).
    RecoveryKey {
        /// Rotation counter, starting at 1.
        epoch: u32,
        /// ChaCha20-Poly1305 ciphertext and tag.
        sealed: B64Vec,
        /// Why the cloud made this key, for the recorder's audit log (absent from a cloud that
        /// does not say: [`KeyCause::Unknown`]).
        #[serde(default)]
        cause: KeyCause,
    },
    /// The binding changed (bound by an account, or removed from it).
    Binding {
        /// New binding.
        binding: Binding,
    },
    /// Answer to `heartbeat`.
    HeartbeatAck {
        /// The cloud's clock, Unix seconds.
        cloud_time: i64,
    },
    /// Answer to `release`; a `binding` frame (and, if the key was rotated, a `recovery_key`)
    /// follows.
    Released {
        /// The `key_epoch` of the `release` answered.
        key_epoch: u32,
        /// What became of it.
        outcome: ReleaseOutcome,
    },
    /// The cloud refuses the connection; it closes after this frame.
    Refused {
        /// Stable reason code (`docs/protocol.md`).
        reason: RefusalReason,
    },
}

/// Why the cloud made a recovery key (docs/protocol.md §9). Every change of the device's
/// account rotates its key, so the cause of the newest key tells the recorder what happened to
/// its registration while it was connected or offline. Informational only: the recorder logs it
/// and decides nothing on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyCause {
    /// The recorder's first key, made when it enrolled.
    Enrolled,
    /// An account registered the recorder (register code or registration QR).
    Bound,
    /// The recorder's admin released it from its account.
    Released,
    /// Its account handed it over to another account, which accepted it.
    Transferred,
    /// Its account was deleted, which released it.
    AccountDeleted,
    /// Not said: a key made before causes were kept, or a cause this version does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

impl KeyCause {
    /// The wire name (also what the recorder's audit log stores as the entry's detail).
    pub fn as_str(self) -> &'static str {
        match self {
            KeyCause::Enrolled => "enrolled",
            KeyCause::Bound => "bound",
            KeyCause::Released => "released",
            KeyCause::Transferred => "transferred",
            KeyCause::AccountDeleted => "account_deleted",
            KeyCause::Unknown => "unknown",
        }
    }

    /// The cause of a wire name; an unknown name is [`KeyCause::Unknown`].
    pub fn parse(s: &str) -> Self {
        [
            KeyCause::Enrolled,
            KeyCause::Bound,
            KeyCause::Released,
            KeyCause::Transferred,
            KeyCause::AccountDeleted,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
        .unwrap_or(KeyCause::Unknown)
    }
}

/// What the cloud did with a `release`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseOutcome {
    /// The binding of that epoch was the current one: the device was unbound from its
    /// account, the recovery key rotated and the account notified.
    Released,
    /// That binding is no longer the current one (its account removed the device, or the
    /// device was bound again since): nothing changed.
    NotBound,
}

/// Why the cloud refused a recorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// A protocol version the cloud does not speak.
    UnsupportedProtocol,
    /// The frame was not the expected message.
    ProtocolViolation,
    /// The serial number is enrolled with another device key.
    KeyMismatch,
    /// The device's signature does not verify.
    BadSignature,
    /// Too many connections from this device or address.
    RateLimited,
}
