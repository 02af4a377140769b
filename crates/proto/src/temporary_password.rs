//! Temporary passwords: the "security code" typed on the recorder's "Password recovery" screen.
//!
//! See `docs/protocol.md`, "Temporary password", for the layout and the rules below.

use std::fmt;

use time::Date;

use crate::symbols::{self, SymbolError};
use crate::transcript::{Transcript, truncated_mac_eq};
use crate::{DOMAIN_TP_CHALLENGE, DOMAIN_TP_DATE_WINDOW, Email, RecoveryKey, Serial};

/// Symbols in a temporary password (80 bits).
pub const TEMPORARY_PASSWORD_LEN: usize = 16;
/// Longest date window a code can carry, in days, both ends included.
pub const MAX_WINDOW_DAYS: u8 = 8;
/// Bytes of a recovery challenge's nonce.
pub const CHALLENGE_NONCE_LEN: usize = 16;

const SEQ_BITS: u32 = 11;
const SEQ_MODULUS: i64 = 1 << SEQ_BITS;
const DAY_BITS: u32 = 13;
const DAY_MODULUS: i64 = 1 << DAY_BITS;
const WINDOW_MAC_BYTES: usize = 6;
const CHALLENGE_MAC_BYTES: usize = 8;
/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// A recovery challenge made by the recorder's "Password recovery" screen.
///
/// The recorder keeps it while it is pending; the recovery QR carries it to the cloud.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Challenge {
    /// Fresh random bytes from the recorder.
    pub nonce: [u8; CHALLENGE_NONCE_LEN],
    /// When the challenge ends, in Unix seconds by the recorder's clock.
    pub expires_at: i64,
    /// Where the temporary password is to be sent.
    pub email: Email,
}

/// What a temporary password is valid for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Validity {
    /// Issued from the PC portal: valid on the recorder's local dates `from..=to`.
    DateWindow {
        /// First valid date.
        from: Date,
        /// Last valid date.
        to: Date,
    },
    /// Issued after the recovery QR was scanned: valid for the recorder's current challenge.
    Challenge,
}

/// A temporary password, shown as `XXXX-XXXX-XXXX-XXXX`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TemporaryPassword([u8; TEMPORARY_PASSWORD_LEN]);

/// Why the cloud cannot issue a temporary password with these parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// Sequence numbers start at 1.
    #[error("sequence numbers start at 1")]
    SequenceZero,
    /// The window ends before it starts.
    #[error("the last valid date is before the first")]
    WindowReversed,
    /// The window is longer than [`MAX_WINDOW_DAYS`].
    #[error("a temporary password is valid for at most {MAX_WINDOW_DAYS} days")]
    WindowTooLong,
}

/// Each way a typed temporary password can fail on the recorder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not 16 symbols of the alphabet.
    #[error("this is not a temporary password: {0}")]
    Malformed(#[from] SymbolError),
    /// The device tag is not this recorder's: the code was mistyped (most likely, for a code
    /// typed at random: 15 in 16 have another tag) or issued for another recorder. Its four bits
    /// cannot tell which.
    #[error(
        "this temporary password does not match this recorder: it was mistyped, or issued for another recorder"
    )]
    NotForThisDevice,
    /// The code does not verify: mistyped, or not issued by the cloud for this recorder.
    #[error("the temporary password is wrong; check it for typing mistakes")]
    Wrong,
    /// This code, or a code issued after it, was already used.
    #[error("this temporary password was already used (or a newer one was)")]
    AlreadyUsed,
    /// The window starts after the recorder's date.
    #[error(
        "this temporary password is valid from {valid_from} to {valid_to}; the recorder's date is {today}"
    )]
    NotYetValid {
        /// First valid date.
        valid_from: Date,
        /// Last valid date.
        valid_to: Date,
        /// The recorder's own date.
        today: Date,
    },
    /// The window ended before the recorder's date.
    #[error(
        "this temporary password was valid from {valid_from} to {valid_to}; the recorder's date is {today}"
    )]
    Expired {
        /// First valid date.
        valid_from: Date,
        /// Last valid date.
        valid_to: Date,
        /// The recorder's own date.
        today: Date,
    },
    /// The code belongs to the current challenge, which has expired.
    #[error("the recovery request expired; start a new one")]
    ChallengeExpired {
        /// When the challenge expired (Unix seconds, recorder's clock).
        expired_at: i64,
        /// The recorder's time (Unix seconds).
        now: i64,
    },
    /// The code belongs to a challenge that a newer one replaced.
    #[error("this temporary password belongs to an earlier recovery request; use the newest one")]
    ChallengeReplaced,
}

/// The recorder's side of a verification: its identity, key, state and clock.
#[derive(Debug, Clone, Copy)]
pub struct VerifyContext<'a> {
    /// The recorder's serial number.
    pub serial: &'a Serial,
    /// The recovery key the recorder holds.
    pub key: &'a RecoveryKey,
    /// Sequence number of the last accepted code, 0 if none was accepted yet.
    pub last_used_seq: u32,
    /// The recorder's local date.
    pub today: Date,
    /// The recorder's time, Unix seconds.
    pub now: i64,
    /// The pending challenge of the "Password recovery" screen, if any.
    pub challenge: Option<&'a Challenge>,
    /// Earlier challenges that were replaced or used, newest first (a few are enough).
    pub earlier_challenges: &'a [Challenge],
}

/// A code the recorder accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// Its sequence number: the recorder stores it as its new `last_used_seq`.
    pub seq: u32,
    /// What it was valid for.
    pub validity: Validity,
}

/// The Unix day number of a date.
pub fn unix_day(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

fn date_from_unix_day(day: i64) -> Option<Date> {
    i32::try_from(day + UNIX_EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|j| Date::from_julian_day(j).ok())
}

/// The value congruent to `low` modulo `modulus` in `[floor, floor + modulus)`.
fn unwrap_mod(low: i64, modulus: i64, floor: i64) -> i64 {
    floor + (low - floor).rem_euclid(modulus)
}

/// The full sequence number a code's low bits stand for, given the last one used.
fn full_seq(low: i64, last_used: u32) -> i64 {
    let floor = (i64::from(last_used) - (SEQ_MODULUS / 2 - 1)).max(1);
    unwrap_mod(low, SEQ_MODULUS, floor)
}

fn window_mac(key: &RecoveryKey, serial: &Serial, seq: u32, from_day: i64, span: u8) -> [u8; 32] {
    Transcript::new(DOMAIN_TP_DATE_WINDOW)
        .var(serial.as_str().as_bytes())
        .u32(seq)
        .i64(from_day)
        .u8(span)
        .hmac(key.expose_secret())
}

fn challenge_mac(key: &RecoveryKey, serial: &Serial, seq: u32, c: &Challenge) -> [u8; 32] {
    Transcript::new(DOMAIN_TP_CHALLENGE)
        .var(serial.as_str().as_bytes())
        .u32(seq)
        .fixed(&c.nonce)
        .i64(c.expires_at)
        .var(c.email.as_str().as_bytes())
        .hmac(key.expose_secret())
}

fn mac_bits(mac: &[u8; 32], bytes: usize) -> u128 {
    mac[..bytes]
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
}

/// The fields of a parsed code, before verification.
struct Fields {
    challenge: bool,
    tag: u8,
    seq_low: i64,
    from_day_low: i64,
    span: u8,
    mac: Vec<u8>,
}

impl TemporaryPassword {
    fn header(challenge: bool, serial: &Serial, seq: u32) -> u128 {
        (u128::from(challenge) << 4 | u128::from(serial.device_tag())) << SEQ_BITS
            | u128::from(seq) & ((1 << SEQ_BITS) - 1)
    }

    fn from_value(value: u128) -> Self {
        let mut s = [0u8; TEMPORARY_PASSWORD_LEN];
        s.copy_from_slice(&symbols::pack(value, TEMPORARY_PASSWORD_LEN));
        Self(s)
    }

    /// Issues a date-window code (PC portal): valid on the recorder's dates `from..=to`.
    pub fn issue_date_window(
        key: &RecoveryKey,
        serial: &Serial,
        seq: u32,
        from: Date,
        to: Date,
    ) -> Result<Self, IssueError> {
        if seq == 0 {
            return Err(IssueError::SequenceZero);
        }
        let days = unix_day(to) - unix_day(from) + 1;
        if days < 1 {
            return Err(IssueError::WindowReversed);
        }
        if days > i64::from(MAX_WINDOW_DAYS) {
            return Err(IssueError::WindowTooLong);
        }
        let span = (days - 1) as u8;
        let from_day = unix_day(from);
        let mac = window_mac(key, serial, seq, from_day, span);
        let value = (((Self::header(false, serial, seq) << DAY_BITS
            | from_day.rem_euclid(DAY_MODULUS) as u128)
            << 3
            | u128::from(span))
            << (8 * WINDOW_MAC_BYTES))
            | mac_bits(&mac, WINDOW_MAC_BYTES);
        Ok(Self::from_value(value))
    }

    /// Issues a challenge code (phone path) for the challenge carried by a verified recovery QR.
    pub fn issue_challenge(
        key: &RecoveryKey,
        serial: &Serial,
        seq: u32,
        challenge: &Challenge,
    ) -> Result<Self, IssueError> {
        if seq == 0 {
            return Err(IssueError::SequenceZero);
        }
        let mac = challenge_mac(key, serial, seq, challenge);
        let value = Self::header(true, serial, seq) << (8 * CHALLENGE_MAC_BYTES)
            | mac_bits(&mac, CHALLENGE_MAC_BYTES);
        Ok(Self::from_value(value))
    }

    /// Reads a typed code: case-insensitive, spaces and hyphens ignored.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = symbols::parse(input, TEMPORARY_PASSWORD_LEN)?;
        let mut out = [0u8; TEMPORARY_PASSWORD_LEN];
        out.copy_from_slice(&s);
        Ok(Self(out))
    }

    /// The canonical form without separators.
    pub fn compact(&self) -> String {
        symbols::to_compact(&self.0)
    }

    fn fields(&self) -> Fields {
        let v = symbols::unpack(&self.0);
        let challenge = v >> 79 & 1 == 1;
        let tag = (v >> 75 & 0xf) as u8;
        let seq_low = (v >> 64 & ((1 << SEQ_BITS) - 1)) as i64;
        let (from_day_low, span, mac_bytes) = if challenge {
            (0, 0, CHALLENGE_MAC_BYTES)
        } else {
            (
                (v >> 51 & 0x1fff) as i64,
                (v >> 48 & 0x7) as u8,
                WINDOW_MAC_BYTES,
            )
        };
        let mac_value = v & ((1u128 << (8 * mac_bytes)) - 1);
        let mac = mac_value.to_be_bytes()[16 - mac_bytes..].to_vec();
        Fields {
            challenge,
            tag,
            seq_low,
            from_day_low,
            span,
            mac,
        }
    }

    /// Checks the code on the recorder, offline, in the order of `docs/protocol.md`.
    pub fn verify(&self, ctx: &VerifyContext<'_>) -> Result<Accepted, CodeError> {
        let f = self.fields();
        if f.tag != ctx.serial.device_tag() {
            return Err(CodeError::NotForThisDevice);
        }
        let seq =
            u32::try_from(full_seq(f.seq_low, ctx.last_used_seq)).map_err(|_| CodeError::Wrong)?;
        let used = seq <= ctx.last_used_seq;
        if f.challenge {
            let matches = |c: &Challenge| {
                truncated_mac_eq(&challenge_mac(ctx.key, ctx.serial, seq, c), &f.mac)
            };
            if let Some(current) = ctx.challenge.filter(|c| matches(c)) {
                if used {
                    return Err(CodeError::AlreadyUsed);
                }
                if ctx.now > current.expires_at {
                    return Err(CodeError::ChallengeExpired {
                        expired_at: current.expires_at,
                        now: ctx.now,
                    });
                }
                return Ok(Accepted {
                    seq,
                    validity: Validity::Challenge,
                });
            }
            if ctx.earlier_challenges.iter().any(matches) {
                return Err(if used {
                    CodeError::AlreadyUsed
                } else {
                    CodeError::ChallengeReplaced
                });
            }
            return Err(CodeError::Wrong);
        }
        let today_day = unix_day(ctx.today);
        let from_day = unwrap_mod(f.from_day_low, DAY_MODULUS, today_day - DAY_MODULUS / 2);
        let mac = window_mac(ctx.key, ctx.serial, seq, from_day, f.span);
        if !truncated_mac_eq(&mac, &f.mac) {
            return Err(CodeError::Wrong);
        }
        if used {
            return Err(CodeError::AlreadyUsed);
        }
        let to_day = from_day + i64::from(f.span);
        let (Some(valid_from), Some(valid_to)) =
            (date_from_unix_day(from_day), date_from_unix_day(to_day))
        else {
            return Err(CodeError::Wrong);
        };
        if today_day < from_day {
            return Err(CodeError::NotYetValid {
                valid_from,
                valid_to,
                today: ctx.today,
            });
        }
        if today_day > to_day {
            return Err(CodeError::Expired {
                valid_from,
                valid_to,
                today: ctx.today,
            });
        }
        Ok(Accepted {
            seq,
            validity: Validity::DateWindow {
                from: valid_from,
                to: valid_to,
            },
        })
    }
}

/// Displays the grouped form, `XXXX-XXXX-XXXX-XXXX`.
impl fmt::Display for TemporaryPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        symbols::write_grouped(f, &self.0)
    }
}

/// Never shows the code itself: it is a secret until used.
impl fmt::Debug for TemporaryPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TemporaryPassword([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwrap_mod_picks_the_value_in_range() {
        assert_eq!(unwrap_mod(5, 2048, 1), 5);
        assert_eq!(unwrap_mod(5, 2048, 3000), 4101);
        assert_eq!(full_seq(1500, 0), 1500);
        assert_eq!(full_seq(0, 2047), 2048);
        assert_eq!(full_seq(2047, 2048), 2047);
        // Three codes issued past the last used one, and one far behind it.
        assert_eq!(full_seq(3, 4096), 4099);
        assert_eq!(full_seq(100, 4096), 4196);
    }
}
