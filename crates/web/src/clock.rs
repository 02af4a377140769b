//! The clock seam: production code asks a [`Clock`]; tests move a [`ManualClock`].

use std::fmt;
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

#[cfg(test)]
mod tests {
    use super::*;

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
