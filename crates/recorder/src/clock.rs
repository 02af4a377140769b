//! Time on the recorder: the [`Clock`] seam, the test-only clock file, and the recorder's local
//! date (Unix time at the configured UTC offset).

use std::path::PathBuf;

use rekey_web::{Clock, SystemClock};
use time::{Date, OffsetDateTime, UtcOffset};

/// A clock for end-to-end tests (the hidden `--test-clock-file` flag): the system clock moved
/// by what a file says, read on every call so a test can move a running recorder's date.
///
/// The file holds either an offset in seconds added to the system time (`-86400`, `+3600`,
/// `0`) or an absolute Unix time prefixed with `@` (`@1767225600`). A missing or unreadable
/// file means no offset. Never use it in production.
#[derive(Debug, Clone)]
pub struct FileClock {
    path: PathBuf,
}

impl FileClock {
    /// A clock reading `path` on every call.
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

/// What a clock file says, given the system time.
fn read_clock_file(content: &str, system_now: i64) -> i64 {
    let s = content.trim();
    if let Some(abs) = s.strip_prefix('@') {
        return abs.trim().parse().unwrap_or(system_now);
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    s.parse::<i64>()
        .map_or(system_now, |off| system_now.saturating_add(off))
}

impl Clock for FileClock {
    fn now(&self) -> i64 {
        let system = SystemClock.now();
        match std::fs::read_to_string(&self.path) {
            Ok(content) => read_clock_file(&content, system),
            Err(_) => system,
        }
    }
}

/// The recorder's local date-time of a Unix time at `offset`.
pub fn local_datetime(unix: i64, offset: UtcOffset) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset)
}

/// The recorder's local date ("today") of a Unix time at `offset`.
pub fn local_date(unix: i64, offset: UtcOffset) -> Date {
    local_datetime(unix, offset).date()
}

/// `YYYY-MM-DD HH:MM (UTC+09:00)`: a time as the recorder's screens show it.
pub fn format_local(unix: i64, offset: UtcOffset) -> String {
    let t = local_datetime(unix, offset);
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "{} {:02}:{:02} (UTC{sign}{:02}:{:02})",
        t.date(),
        t.hour(),
        t.minute(),
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// Parses a UTC offset such as `+09:00`, `-05:30`, `Z` or `UTC`.
pub fn parse_utc_offset(s: &str) -> Result<UtcOffset, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") {
        return Ok(UtcOffset::UTC);
    }
    let bad = || format!("{s:?} is not a UTC offset like +09:00");
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1i8, &s[1..]),
        Some(b'-') => (-1i8, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    if !(0..=23).contains(&h) || !(0..=59).contains(&m) {
        return Err(bad());
    }
    UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_file_holds_an_offset_or_an_absolute_time() {
        assert_eq!(read_clock_file("-86400\n", 1_000_000), 913_600);
        assert_eq!(read_clock_file("+60", 1_000), 1_060);
        assert_eq!(read_clock_file("@1767225600", 5), 1_767_225_600);
        assert_eq!(read_clock_file("garbage", 5), 5);
    }

    #[test]
    fn a_missing_clock_file_is_the_system_clock() {
        let c = FileClock::new(PathBuf::from("/nonexistent/rekey-clock"));
        assert!((c.now() - SystemClock.now()).abs() <= 1);
    }

    #[test]
    fn offsets_and_local_dates() {
        let jst = parse_utc_offset("+09:00").unwrap_or(UtcOffset::UTC);
        assert_eq!(jst.whole_hours(), 9);
        assert_eq!(
            parse_utc_offset("-05:30").map(|o| o.whole_minutes()),
            Ok(-330)
        );
        assert!(parse_utc_offset("9").is_err());
        // 2026-01-01T20:00:00Z is already 2 January in Japan.
        assert_eq!(local_date(1_767_297_600, jst).to_string(), "2026-01-02");
        assert_eq!(
            format_local(1_767_297_600, jst),
            "2026-01-02 05:00 (UTC+09:00)"
        );
    }
}
