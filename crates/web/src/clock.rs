//! The clock seam: production code asks a [`Clock`]; tests move a [`ManualClock`] in process,
//! and end-to-end tests move a running program's clock through a [`FileClock`].

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// Where the time comes from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, as Unix seconds.
    fn now(&self) -> i64;

    /// Now, as a UTC date-time.
    fn now_utc(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.now()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// A clock that stands still until moved; clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `unix_seconds`.
    pub fn new(unix_seconds: i64) -> Self {
        Self(Arc::new(AtomicI64::new(unix_seconds)))
    }

    /// Moves the clock by `seconds` (negative moves it back).
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, unix_seconds: i64) {
        self.0.store(unix_seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A clock for end-to-end tests (the hidden `--test-clock-file` flag of the cloud and of the
/// recorder): the system clock moved by what a file says, read on every call so that a test can
/// move a running program's time.
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

    /// The clock a program runs on: the system clock, or, when the test-only flag names a file,
    /// a [`FileClock`] reading it, with a warning in the log (such a program's time is whatever
    /// the file says).
    pub fn or_system(test_clock_file: Option<PathBuf>) -> Arc<dyn Clock> {
        match test_clock_file {
            Some(path) => {
                tracing::warn!(
                    file = %path.display(),
                    "TEST ONLY: the clock is moved by a file (--test-clock-file); never use this in production"
                );
                Arc::new(Self::new(path))
            }
            None => Arc::new(SystemClock),
        }
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

    #[test]
    fn a_file_clock_follows_its_file() {
        let dir = std::env::temp_dir().join(format!("rekey-clock-{}", crate::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("clock");
        let c = FileClock::or_system(Some(path.clone()));
        std::fs::write(&path, "@1767225600").unwrap();
        assert_eq!(c.now(), 1_767_225_600);
        std::fs::write(&path, "+86400").unwrap();
        assert!((c.now() - SystemClock.now() - 86_400).abs() <= 1);
        std::fs::remove_dir_all(&dir).unwrap();
        let system = FileClock::or_system(None);
        assert!((system.now() - SystemClock.now()).abs() <= 1);
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1_000);
        let shared = c.clone();
        c.advance(60);
        assert_eq!(shared.now(), 1_060);
        shared.set(5);
        assert_eq!(c.now(), 5);
    }
}
