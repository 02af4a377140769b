//! Deterministic identities of simulated recorders and the source addresses they connect from.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use anyhow::{Context, bail};
use rekey_proto::symbols::ALPHABET;
use rekey_proto::{DeviceSigningKey, Serial};
use sha2::{Digest, Sha256};

/// Symbols after the `LG` prefix of a simulated serial: 10 × 5 bits covers any index below 2⁵⁰.
const SERIAL_SYMBOLS: usize = 10;

/// The 32-byte Ed25519 seed of device `index` of the fleet `seed`: SHA-256(seed ‖ index), both
/// as 8 big-endian bytes.
pub fn device_seed(seed: u64, index: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(index.to_be_bytes());
    h.finalize().into()
}

/// The identity key of device `index` of the fleet `seed`.
pub fn device_key(seed: u64, index: u64) -> DeviceSigningKey {
    DeviceSigningKey::from_seed(device_seed(seed, index))
}

/// The serial of device `index`: `LG` and the index in the serial alphabet (Crockford base32,
/// most significant symbol first), e.g. `LG000000000Z` for 31. The seed does not enter it: two
/// fleets with different seeds would be the same devices with other keys.
pub fn serial(index: u64) -> Serial {
    let mut text = String::with_capacity(2 + SERIAL_SYMBOLS);
    text.push_str("LG");
    for i in (0..SERIAL_SYMBOLS).rev() {
        let v = (index >> (5 * i)) & 31;
        text.push(char::from(ALPHABET[v as usize]));
    }
    Serial::parse(&text).expect("LG and ten base32 symbols make a valid serial")
}

/// The MQTT client identifier of device `index`.
pub fn mqtt_client_id(index: u64) -> String {
    format!("lg-{index}")
}

/// Which local address each device binds its socket to before connecting: `per` devices per
/// address, from `first` upward (host parts 0 and 255 are skipped), or the system's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sources {
    /// Let the system pick the source address.
    System,
    /// `per` devices per address from `first` upward.
    Spread {
        /// The first source address.
        first: Ipv4Addr,
        /// Devices per address.
        per: u32,
    },
}

impl Sources {
    /// The source address of device `index`; `None` for the system's choice.
    ///
    /// # Errors
    /// When the address would leave the loopback network 127.0.0.0/8.
    pub fn address(&self, index: u64) -> anyhow::Result<Option<Ipv4Addr>> {
        let Sources::Spread { first, per } = *self else {
            return Ok(None);
        };
        let slot = index / u64::from(per.max(1));
        let base = u32::from(first);
        // Usable host parts per /24 are 1..=254: count positions in that space.
        let start = u64::from(base & 0xff).clamp(1, 254) - 1;
        let position = start + slot;
        let block = u64::from(base >> 8) + position / 254;
        let host = position % 254 + 1;
        let address = block
            .checked_mul(256)
            .and_then(|b| b.checked_add(host))
            .and_then(|a| u32::try_from(a).ok())
            .map(Ipv4Addr::from);
        match address {
            Some(a) if a.is_loopback() => Ok(Some(a)),
            _ => bail!("device {index} would need a source address beyond 127.255.255.254"),
        }
    }
}

impl FromStr for Sources {
    type Err = anyhow::Error;

    /// `off`, or `FIRST/PER` (e.g. `127.1.0.1/64`).
    fn from_str(s: &str) -> anyhow::Result<Self> {
        if s == "off" || s == "system" {
            return Ok(Sources::System);
        }
        let (first, per) = s
            .split_once('/')
            .context("--sources is `off` or FIRST/PER, e.g. 127.1.0.1/64")?;
        let first: Ipv4Addr = first.parse().context("--sources: not an IPv4 address")?;
        let per: u32 = per.parse().context("--sources: PER is not a number")?;
        if !first.is_loopback() {
            bail!("--sources: {first} is not a loopback address (127.0.0.0/8)");
        }
        if per == 0 {
            bail!("--sources: at least one device per address");
        }
        Ok(Sources::Spread { first, per })
    }
}

impl fmt::Display for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sources::System => f.write_str("off"),
            Sources::Spread { first, per } => write!(f, "{first}/{per}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_deterministic_distinct_and_valid() {
        assert_eq!(serial(0).as_str(), "LG0000000000");
        assert_eq!(serial(31).as_str(), "LG000000000Z");
        assert_eq!(serial(32).as_str(), "LG0000000010");
        assert_eq!(serial(14_999), serial(14_999));
        assert_ne!(serial(1), serial(2));
        for i in [0, 1, 1_000, 19_999, (1 << 50) - 1] {
            let s = serial(i);
            assert_eq!(Serial::parse(s.as_str()).unwrap(), s);
        }
    }

    #[test]
    fn keys_are_deterministic_per_seed_and_index() {
        assert_eq!(device_seed(7, 3), device_seed(7, 3));
        assert_ne!(device_seed(7, 3), device_seed(7, 4));
        assert_ne!(device_seed(7, 3), device_seed(8, 3));
        assert_eq!(device_key(1, 5).public(), device_key(1, 5).public());
        assert_ne!(device_key(1, 5).public(), device_key(1, 6).public());
        // SHA-256 of 16 zero bytes.
        assert_eq!(
            device_seed(0, 0)[..4],
            [0x37, 0x47, 0x08, 0xff],
            "the derivation is SHA-256(seed_be ‖ index_be)"
        );
    }

    #[test]
    fn sources_spread_devices_over_loopback_addresses() {
        let s: Sources = "127.1.0.1/64".parse().unwrap();
        assert_eq!(s.address(0).unwrap(), Some(Ipv4Addr::new(127, 1, 0, 1)));
        assert_eq!(s.address(63).unwrap(), Some(Ipv4Addr::new(127, 1, 0, 1)));
        assert_eq!(s.address(64).unwrap(), Some(Ipv4Addr::new(127, 1, 0, 2)));
        // The 254th address is .254; the next skips .255 and .0.
        assert_eq!(
            s.address(253 * 64).unwrap(),
            Some(Ipv4Addr::new(127, 1, 0, 254))
        );
        assert_eq!(
            s.address(254 * 64).unwrap(),
            Some(Ipv4Addr::new(127, 1, 1, 1))
        );
        assert_eq!(s.to_string(), "127.1.0.1/64");
        assert_eq!("off".parse::<Sources>().unwrap().address(9).unwrap(), None);
        assert!("10.0.0.1/64".parse::<Sources>().is_err());
        assert!("127.1.0.1/0".parse::<Sources>().is_err());
        let last: Sources = "127.255.255.254/1".parse().unwrap();
        assert!(last.address(1).is_err());
    }
}
