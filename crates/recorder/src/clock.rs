//! Time on the recorder: the [`Clock`] seam and the test-only clock file. Local dates and the
//! times the screens show come from the configured IANA zone ([`rekey_web::TimeZone`]).

use std::path::PathBuf;

use rekey_web::{Clock, SystemClock};

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
}
