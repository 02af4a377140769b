//! The recorder's serial number.

use std::fmt;

use sha2::{Digest, Sha256};

/// Fewest characters a serial number has.
pub const SERIAL_MIN_LEN: usize = 6;
/// Most characters a serial number has.
pub const SERIAL_MAX_LEN: usize = 32;

/// A recorder's serial number: 6 to 32 ASCII letters and digits, stored in upper case.
///
/// A serial number is public (it is printed on the recorder's label and carried in QR codes);
/// nothing secret is ever derived from it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);

/// Why a string is not a serial number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    /// Shorter than [`SERIAL_MIN_LEN`] or longer than [`SERIAL_MAX_LEN`].
    #[error("a serial number has {SERIAL_MIN_LEN} to {SERIAL_MAX_LEN} characters")]
    Length,
    /// Something other than an ASCII letter or digit.
    #[error("a serial number has only letters A-Z and digits 0-9")]
    Character,
}

impl Serial {
    /// Parses a serial number, folding letters to upper case.
    pub fn parse(input: &str) -> Result<Self, SerialError> {
        let s = input.trim();
        if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SerialError::Character);
        }
        if !(SERIAL_MIN_LEN..=SERIAL_MAX_LEN).contains(&s.len()) {
            return Err(SerialError::Length);
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    /// The serial number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 4-bit device tag carried in temporary passwords (`docs/protocol.md`, "Device tag").
    pub fn device_tag(&self) -> u8 {
        let mut h = Sha256::new();
        h.update(crate::DOMAIN_DEVICE_TAG);
        h.update(self.0.as_bytes());
        h.finalize()[0] >> 4
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.0)
    }
}

impl std::str::FromStr for Serial {
    type Err = SerialError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Serial {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Serial {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_rejects_junk() {
        assert_eq!(Serial::parse(" rk12ab34 ").unwrap().as_str(), "RK12AB34");
        assert_eq!(Serial::parse("RK12"), Err(SerialError::Length));
        assert_eq!(Serial::parse("RK12-AB34"), Err(SerialError::Character));
        assert_eq!(Serial::parse(&"A".repeat(33)), Err(SerialError::Length));
    }
}
