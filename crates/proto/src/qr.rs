//! The two QR payloads: the registration QR of the recorder's cloud page and the recovery QR of
//! its "Password recovery" screen. Both are https URLs on the cloud's public address, so that
//! any phone camera opens the cloud's mobile page directly.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::temporary_password::{CHALLENGE_NONCE_LEN, Challenge};
use crate::transcript::{Transcript, truncated_mac_eq};
use crate::{DOMAIN_RECOVERY_QR, Email, RecoveryKey, RegisterCode, Serial};

/// The QR payload version this implementation writes and reads.
pub const QR_VERSION: u32 = 1;
/// Path, below the cloud base URL, of the mobile "add device" page.
pub const REGISTRATION_PATH: &str = "/m/add";
/// Path, below the cloud base URL, of the mobile recovery page.
pub const RECOVERY_PATH: &str = "/m/recover";
/// Bytes of the recovery QR's MAC.
pub const RECOVERY_QR_MAC_LEN: usize = 16;

/// Characters left as they are in query values: RFC 3986 unreserved.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The cloud's public base URL, e.g. `https://cloud.example.com` or `https://example.com/rekey`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CloudBase(String);

/// Why a QR payload or base URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The base URL is not `http(s)://host[:port][/path]`.
    #[error("the cloud address must look like https://cloud.example.com")]
    BaseUrl,
    /// Not a URL of the expected page, or a field is missing, repeated or malformed.
    #[error("this QR code is not a Rekey {0} code")]
    NotOurs(&'static str),
    /// A version this implementation does not know.
    #[error("this QR code has version {0}, which this version does not know")]
    UnknownVersion(String),
    /// The recovery QR's MAC does not verify: forged, altered, or for a rotated key.
    #[error("this QR code was not made by the recorder, or it was altered")]
    Forged,
    /// The recovery QR's challenge has expired.
    #[error("this QR code has expired; make a new one on the recorder")]
    Expired {
        /// When it expired (Unix seconds, recorder's clock).
        expired_at: i64,
    },
}

impl CloudBase {
    /// Parses a base URL; a trailing slash is dropped.
    pub fn parse(input: &str) -> Result<Self, QrError> {
        let s = input.trim().trim_end_matches('/');
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or(QrError::BaseUrl)?;
        let host = rest.split('/').next().unwrap_or("");
        let ok = !host.is_empty()
            && !s.contains(['?', '#', ' ', '@'])
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
        if !ok {
            return Err(QrError::BaseUrl);
        }
        Ok(Self(s.to_string()))
    }

    /// The base URL without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CloudBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The query of a URL whose path ends with `path`, as decoded `(name, value)` pairs.
fn query_of<'a>(
    url: &'a str,
    path: &str,
    what: &'static str,
) -> Result<Vec<(&'a str, String)>, QrError> {
    let (before, query) = url.trim().split_once('?').ok_or(QrError::NotOurs(what))?;
    let before = before.trim_end_matches('/');
    if !(before.starts_with("https://") || before.starts_with("http://")) || !before.ends_with(path)
    {
        return Err(QrError::NotOurs(what));
    }
    let query = query.split('#').next().unwrap_or("");
    let mut pairs = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        if pairs.iter().any(|(n, _)| *n == name) {
            return Err(QrError::NotOurs(what));
        }
        let value = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| QrError::NotOurs(what))?
            .into_owned();
        pairs.push((name, value));
    }
    match pairs.iter().find(|(n, _)| *n == "v") {
        Some((_, v)) if v == &QR_VERSION.to_string() => Ok(pairs),
        Some((_, v)) => Err(QrError::UnknownVersion(v.clone())),
        None => Err(QrError::NotOurs(what)),
    }
}

fn field<'a>(
    pairs: &'a [(&str, String)],
    name: &str,
    what: &'static str,
) -> Result<&'a str, QrError> {
    pairs
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
        .ok_or(QrError::NotOurs(what))
}

fn fixed_b64<const N: usize>(value: &str, what: &'static str) -> Result<[u8; N], QrError> {
    URL_SAFE_NO_PAD
        .decode(value)
        .ok()
        .and_then(|v| <[u8; N]>::try_from(v).ok())
        .ok_or(QrError::NotOurs(what))
}

/// The registration QR of the recorder's cloud page: `{base}/m/add?v=1&code=CODE`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RegistrationQr {
    /// The recorder's current register code.
    pub code: RegisterCode,
}

impl RegistrationQr {
    /// The URL the QR code encodes.
    pub fn to_url(&self, base: &CloudBase) -> String {
        format!(
            "{base}{REGISTRATION_PATH}?v={QR_VERSION}&code={}",
            self.code.compact()
        )
    }

    /// Reads a scanned registration QR.
    pub fn parse(url: &str) -> Result<Self, QrError> {
        const WHAT: &str = "registration";
        let pairs = query_of(url, REGISTRATION_PATH, WHAT)?;
        let code = RegisterCode::parse(field(&pairs, "code", WHAT)?)
            .map_err(|_| QrError::NotOurs(WHAT))?;
        Ok(Self { code })
    }
}

/// The recovery QR of the recorder's "Password recovery" screen:
/// `{base}/m/recover?v=1&s=SERIAL&n=NONCE&x=EXPIRES&e=EMAIL&t=MAC`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecoveryQr {
    /// The recorder's serial number.
    pub serial: Serial,
    /// The pending challenge: nonce, expiry and delivery address.
    pub challenge: Challenge,
    /// HMAC-SHA256 under the recovery key, truncated to 16 bytes.
    pub mac: [u8; RECOVERY_QR_MAC_LEN],
}

fn recovery_qr_mac(key: &RecoveryKey, serial: &Serial, c: &Challenge) -> [u8; 32] {
    Transcript::new(DOMAIN_RECOVERY_QR)
        .var(serial.as_str().as_bytes())
        .fixed(&c.nonce)
        .i64(c.expires_at)
        .var(c.email.as_str().as_bytes())
        .hmac(key.expose_secret())
}

impl RecoveryQr {
    /// Makes the QR payload for a challenge (recorder side).
    pub fn new(key: &RecoveryKey, serial: Serial, challenge: Challenge) -> Self {
        let full = recovery_qr_mac(key, &serial, &challenge);
        let mut mac = [0u8; RECOVERY_QR_MAC_LEN];
        mac.copy_from_slice(&full[..RECOVERY_QR_MAC_LEN]);
        Self {
            serial,
            challenge,
            mac,
        }
    }

    /// The URL the QR code encodes.
    pub fn to_url(&self, base: &CloudBase) -> String {
        format!(
            "{base}{RECOVERY_PATH}?v={QR_VERSION}&s={}&n={}&x={}&e={}&t={}",
            self.serial,
            URL_SAFE_NO_PAD.encode(self.challenge.nonce),
            self.challenge.expires_at,
            utf8_percent_encode(self.challenge.email.as_str(), QUERY_VALUE),
            URL_SAFE_NO_PAD.encode(self.mac),
        )
    }

    /// Reads a scanned recovery QR without checking it: the cloud needs the serial number to find
    /// the key that [`RecoveryQr::verify`] checks it with.
    pub fn parse(url: &str) -> Result<Self, QrError> {
        const WHAT: &str = "password recovery";
        let pairs = query_of(url, RECOVERY_PATH, WHAT)?;
        let serial =
            Serial::parse(field(&pairs, "s", WHAT)?).map_err(|_| QrError::NotOurs(WHAT))?;
        let nonce = fixed_b64::<CHALLENGE_NONCE_LEN>(field(&pairs, "n", WHAT)?, WHAT)?;
        let expires_at = field(&pairs, "x", WHAT)?
            .parse::<i64>()
            .map_err(|_| QrError::NotOurs(WHAT))?;
        let email = Email::parse(field(&pairs, "e", WHAT)?).map_err(|_| QrError::NotOurs(WHAT))?;
        let mac = fixed_b64::<RECOVERY_QR_MAC_LEN>(field(&pairs, "t", WHAT)?, WHAT)?;
        Ok(Self {
            serial,
            challenge: Challenge {
                nonce,
                expires_at,
                email,
            },
            mac,
        })
    }

    /// Checks the MAC (in constant time) and then the expiry against `now` (Unix seconds).
    pub fn verify(&self, key: &RecoveryKey, now: i64) -> Result<(), QrError> {
        let full = recovery_qr_mac(key, &self.serial, &self.challenge);
        if !truncated_mac_eq(&full, &self.mac) {
            return Err(QrError::Forged);
        }
        if now > self.challenge.expires_at {
            return Err(QrError::Expired {
                expired_at: self.challenge.expires_at,
            });
        }
        Ok(())
    }
}
