//! How a recorder comes back after its gateway connection ends (docs/protocol.md §9): exponential
//! back-off with jitter wide enough that a fleet dropped at once (a cloud restart) does not come
//! back in lockstep. Pure: the caller passes the random draw.

use std::time::Duration;

/// A reconnection policy: `initial` doubling per failed attempt up to `max`, each delay moved
/// uniformly at random by up to `jitter_percent` either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay before the first attempt after a connection ends.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// How far, in percent of the delay, the jitter moves it either way (at most 100).
    pub jitter_percent: u32,
}

impl Backoff {
    /// The protocol's default: 1 s doubling to 60 s, ±50 %. A fleet dropped at once spreads its
    /// first attempts uniformly over 0.5–1.5 s, its second ones over 1–3 s.
    pub const RECORDER: Self = Self {
        initial: Duration::from_secs(1),
        max: Duration::from_secs(60),
        jitter_percent: 50,
    };

    /// The delay before the attempt that follows `failures` failed ones in a row (0 right after
    /// a connection that was welcomed ends), for a uniformly random `random`.
    #[must_use]
    pub fn delay(&self, failures: u32, random: u32) -> Duration {
        let base = self
            .initial
            .checked_mul(1u32 << failures.min(31))
            .unwrap_or(self.max)
            .min(self.max);
        jittered(base, self.jitter_percent, random)
    }
}

/// `d` moved by up to `percent` (at most 100) either way, by the uniformly random `random`.
#[must_use]
pub fn jittered(d: Duration, percent: u32, random: u32) -> Duration {
    let percent = u64::from(percent.min(100));
    // A factor in [100 − p, 100 + p] percent, in millionths.
    let low = (100 - percent) * 10_000;
    let span = 2 * percent * 10_000 + 1;
    let factor = low + u64::from(random) % span;
    let nanos = d.as_nanos().saturating_mul(u128::from(factor)) / 1_000_000;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_and_stay_within_the_jitter() {
        let b = Backoff::RECORDER;
        for (failures, base_ms) in [
            (0, 1_000),
            (1, 2_000),
            (2, 4_000),
            (6, 60_000),
            (40, 60_000),
        ] {
            for random in [0, 1, 12_345, u32::MAX / 2, u32::MAX] {
                let d = b.delay(failures, random).as_millis();
                assert!(
                    d >= base_ms / 2 && d <= base_ms * 3 / 2,
                    "{failures} failures, {random}: {d} ms"
                );
            }
        }
    }

    #[test]
    fn the_draw_spreads_the_delay_over_the_whole_window() {
        let b = Backoff::RECORDER;
        assert_eq!(b.delay(0, 0), Duration::from_millis(500));
        assert_eq!(b.delay(0, 1_000_000), Duration::from_millis(1_500));
        assert_eq!(
            jittered(Duration::from_secs(3), 0, 777),
            Duration::from_secs(3)
        );
    }
}
