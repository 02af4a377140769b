//! Shared helpers: hex, dates and a typical recorder context.

use rekey_proto::{Challenge, Email, RecoveryKey, Serial, VerifyContext};
use time::Date;
use time::macros::format_description;

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex<const N: usize>(s: &str) -> [u8; N] {
    assert_eq!(s.len(), 2 * N, "hex of {N} bytes expected: {s}");
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex digit");
    }
    out
}

pub fn date(s: &str) -> Date {
    Date::parse(s, format_description!("[year]-[month]-[day]")).expect("YYYY-MM-DD")
}

pub fn serial(s: &str) -> Serial {
    Serial::parse(s).expect("valid serial")
}

pub fn key(byte: u8) -> RecoveryKey {
    RecoveryKey::from_bytes([byte; 32])
}

pub fn challenge(nonce_byte: u8, expires_at: i64, email: &str) -> Challenge {
    Challenge {
        nonce: [nonce_byte; 16],
        expires_at,
        email: Email::parse(email).expect("valid e-mail"),
    }
}

/// A recorder on `today` at noon UTC that has used codes up to `last_used_seq`.
pub fn ctx<'a>(
    serial: &'a Serial,
    key: &'a RecoveryKey,
    last_used_seq: u32,
    today: Date,
) -> VerifyContext<'a> {
    VerifyContext {
        serial,
        key,
        last_used_seq,
        today,
        now: rekey_proto::unix_day(today) * 86_400 + 43_200,
        challenge: None,
        earlier_challenges: &[],
    }
}
