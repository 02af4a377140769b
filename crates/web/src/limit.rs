//! Attempt limits that hold under a parallel burst.
//!
//! An attempt is **reserved before** the expensive or secret check it guards (a password hash,
//! a code comparison, a mail sent): one atomic statement counts it and refuses it when the key
//! is locked, so fifty requests arriving together get at most `max` checks between them. What
//! happens after the check is the caller's choice: a success [clears](Outcome::Success) a
//! per-account key or [refunds](Outcome::Refund) its slot of a per-address key; a refusal that
//! checked nothing (a later key was locked, a cool-down) refunds every slot it took, so it costs
//! the user nothing.
//!
//! Each application implements [`AttemptStore`] on its own database; both use the statements of
//! [`sql`], which SQLite and PostgreSQL both accept, on a table of this shape:
//!
//! ```sql
//! CREATE TABLE throttle (
//!     throttle_key TEXT PRIMARY KEY,
//!     failures     BIGINT NOT NULL,  -- attempts counted in the current window
//!     window_start BIGINT NOT NULL,  -- Unix seconds
//!     locked_until BIGINT NOT NULL   -- Unix seconds; 0 when not locked
//! );
//! ```

use std::future::Future;

/// A limit: at most `max` attempts per `window_secs`; the attempt that reaches `max` locks the
/// key for `lock_secs` (or, when `lock_secs` is 0, until its window ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Attempts allowed in a window.
    pub max: i64,
    /// The window's length in seconds.
    pub window_secs: i64,
    /// How long the key stays locked once `max` is reached; 0: until the window ends.
    pub lock_secs: i64,
}

impl Limit {
    /// `max` attempts per `window_secs`, locked until the window ends once used up.
    pub const fn per_window(max: i64, window_secs: i64) -> Self {
        Self {
            max,
            window_secs,
            lock_secs: 0,
        }
    }
}

/// A refused attempt: nothing was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// Seconds until the key may try again (at least 1).
    pub retry_after: i64,
    /// Which of the keys passed to [`reserve`] refused (its index).
    pub key_index: usize,
}

/// What [`AttemptStore::reserve_one`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Counted: this is the key's `n`th attempt in its window.
    Counted(i64),
    /// Locked: nothing counted; seconds until the key may try again.
    Locked(i64),
}

/// The storage of attempt counters. Implementations run the statements of [`sql`].
pub trait AttemptStore: Sync {
    /// The storage error.
    type Error: Send;

    /// Counts one attempt for `key` unless it is locked, in one atomic statement.
    fn reserve_one(
        &self,
        key: &str,
        limit: Limit,
        now: i64,
    ) -> impl Future<Output = Result<Slot, Self::Error>> + Send;

    /// Gives one counted attempt back (and lifts a lock that attempt started).
    fn refund_one(
        &self,
        key: &str,
        limit: Limit,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Forgets every attempt of `key`.
    fn clear(&self, key: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// What a success does to a key's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Forget the key's attempts (the account proved itself: its failures no longer count).
    Success,
    /// Give back this attempt only (a per-address key: others behind the address keep theirs).
    Refund,
    /// Keep the attempt counted (the limit counts every attempt, not only failures).
    Keep,
}

/// One key to reserve: its name, its limit and what a success does to it.
#[derive(Debug, Clone)]
pub struct Key {
    /// The key.
    pub name: String,
    /// Its limit.
    pub limit: Limit,
    /// What a success does.
    pub on_success: Outcome,
}

impl Key {
    /// A key whose attempts are forgotten on success.
    pub fn cleared_on_success(name: impl Into<String>, limit: Limit) -> Self {
        Self {
            name: name.into(),
            limit,
            on_success: Outcome::Success,
        }
    }

    /// A key whose attempt is given back on success.
    pub fn refunded_on_success(name: impl Into<String>, limit: Limit) -> Self {
        Self {
            name: name.into(),
            limit,
            on_success: Outcome::Refund,
        }
    }

    /// A key that counts every attempt, successful or not.
    pub fn counting_every_attempt(name: impl Into<String>, limit: Limit) -> Self {
        Self {
            name: name.into(),
            limit,
            on_success: Outcome::Keep,
        }
    }
}

/// Attempts reserved on every key of one request; settle them with [`Reserved::succeeded`],
/// [`Reserved::failed`] or [`Reserved::refund`].
#[derive(Debug)]
#[must_use = "a reservation is settled as a success, a failure or a refund"]
pub struct Reserved {
    keys: Vec<Key>,
    counts: Vec<i64>,
}

/// Reserves one attempt on each of `keys`, in order. If one is locked, the attempts already
/// taken are given back and the refusal says which key and for how long.
pub async fn reserve<S: AttemptStore>(
    store: &S,
    keys: Vec<Key>,
    now: i64,
) -> Result<Result<Reserved, Refused>, S::Error> {
    let mut counts = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        match store.reserve_one(&key.name, key.limit, now).await? {
            Slot::Counted(n) => counts.push(n),
            Slot::Locked(wait) => {
                for taken in &keys[..i] {
                    store.refund_one(&taken.name, taken.limit).await?;
                }
                return Ok(Err(Refused {
                    retry_after: wait.max(1),
                    key_index: i,
                }));
            }
        }
    }
    Ok(Ok(Reserved { keys, counts }))
}

impl Reserved {
    /// Whether this attempt used up a key's last slot (a failure now leaves it locked).
    pub fn reached_limit(&self) -> bool {
        self.keys
            .iter()
            .zip(&self.counts)
            .any(|(k, n)| *n >= k.limit.max)
    }

    /// The check passed: each key is cleared, refunded or kept as it asked.
    pub async fn succeeded<S: AttemptStore>(self, store: &S) -> Result<(), S::Error> {
        for key in &self.keys {
            match key.on_success {
                Outcome::Success => store.clear(&key.name).await?,
                Outcome::Refund => store.refund_one(&key.name, key.limit).await?,
                Outcome::Keep => {}
            }
        }
        Ok(())
    }

    /// The check failed: the attempts stay counted.
    pub fn failed(self) {}

    /// Nothing was checked after all (e.g. a cool-down refused first): every attempt is given
    /// back.
    pub async fn refund<S: AttemptStore>(self, store: &S) -> Result<(), S::Error> {
        for key in &self.keys {
            store.refund_one(&key.name, key.limit).await?;
        }
        Ok(())
    }
}

/// The statements both applications run on their `throttle` table (`$N` placeholders, which
/// SQLite and PostgreSQL both accept; each placeholder first appears in numeric order).
pub mod sql {
    /// Counts an attempt unless the key is locked. Binds: `$1` key, `$2` now, `$3` max,
    /// `$4` window seconds, `$5` lock seconds. Returns a row (`failures`) when counted, none when
    /// locked. A window that ended, or a lock that ran out, starts over at 1.
    pub const RESERVE: &str = "\
INSERT INTO throttle (throttle_key, failures, window_start, locked_until)
VALUES ($1, 1, $2, CASE WHEN $3 <= 1 THEN (CASE WHEN $5 = 0 THEN $2 + $4 ELSE $2 + $5 END) ELSE 0 END)
ON CONFLICT (throttle_key) DO UPDATE SET
  failures = CASE
    WHEN throttle.window_start + $4 <= $2 OR (throttle.locked_until <> 0 AND throttle.locked_until <= $2) THEN 1
    ELSE throttle.failures + 1 END,
  window_start = CASE
    WHEN throttle.window_start + $4 <= $2 OR (throttle.locked_until <> 0 AND throttle.locked_until <= $2) THEN $2
    ELSE throttle.window_start END,
  locked_until = CASE
    WHEN throttle.window_start + $4 <= $2 OR (throttle.locked_until <> 0 AND throttle.locked_until <= $2)
      THEN (CASE WHEN $3 <= 1 THEN (CASE WHEN $5 = 0 THEN $2 + $4 ELSE $2 + $5 END) ELSE 0 END)
    WHEN throttle.failures + 1 >= $3
      THEN (CASE WHEN $5 = 0 THEN throttle.window_start + $4 ELSE $2 + $5 END)
    ELSE 0 END
WHERE throttle.locked_until <= $2
RETURNING failures";

    /// The lock's end of a key. Binds: `$1` key. Returns `locked_until`.
    pub const LOCKED_UNTIL: &str = "SELECT locked_until FROM throttle WHERE throttle_key = $1";

    /// Gives one attempt back and lifts the lock when the count drops below the limit. Binds:
    /// `$1` key, `$2` max.
    pub const REFUND: &str = "\
UPDATE throttle SET
  failures = failures - 1,
  locked_until = CASE WHEN failures - 1 < $2 THEN 0 ELSE locked_until END
WHERE throttle_key = $1 AND failures > 0";

    /// Forgets a key. Binds: `$1` key.
    pub const CLEAR: &str = "DELETE FROM throttle WHERE throttle_key = $1";
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    /// The statements' meaning, in memory: what the SQL must do (the apps' suites run the SQL).
    #[derive(Default)]
    struct Memory(Mutex<HashMap<String, (i64, i64, i64)>>);

    impl AttemptStore for Memory {
        type Error = ();

        async fn reserve_one(&self, key: &str, l: Limit, now: i64) -> Result<Slot, ()> {
            let mut m = self.0.lock().unwrap();
            let lock_end = |start: i64| {
                if l.lock_secs == 0 {
                    start + l.window_secs
                } else {
                    now + l.lock_secs
                }
            };
            let e = m.entry(key.to_owned()).or_insert((0, now, 0));
            if e.2 > now {
                return Ok(Slot::Locked(e.2 - now));
            }
            if e.1 + l.window_secs <= now || e.2 != 0 {
                *e = (0, now, 0);
            }
            e.0 += 1;
            if e.0 >= l.max {
                e.2 = lock_end(e.1);
            }
            Ok(Slot::Counted(e.0))
        }

        async fn refund_one(&self, key: &str, l: Limit) -> Result<(), ()> {
            if let Some(e) = self.0.lock().unwrap().get_mut(key).filter(|e| e.0 > 0) {
                e.0 -= 1;
                if e.0 < l.max {
                    e.2 = 0;
                }
            }
            Ok(())
        }

        async fn clear(&self, key: &str) -> Result<(), ()> {
            self.0.lock().unwrap().remove(key);
            Ok(())
        }
    }

    fn block<F: Future>(f: F) -> F::Output {
        // The in-memory store never waits: one poll finishes every future here.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the in-memory store does not wait"),
        }
    }

    const FIVE: Limit = Limit::per_window(5, 900);

    #[test]
    fn a_later_locked_key_gives_the_earlier_slots_back() {
        let store = Memory::default();
        let lock_b = Limit::per_window(1, 900);
        let r = block(reserve(
            &store,
            vec![Key::refunded_on_success("b", lock_b)],
            0,
        ))
        .unwrap();
        r.unwrap().failed();
        let keys = vec![
            Key::cleared_on_success("a", FIVE),
            Key::refunded_on_success("b", lock_b),
        ];
        let refused = block(reserve(&store, keys, 1)).unwrap().unwrap_err();
        assert_eq!(refused.key_index, 1);
        assert_eq!(refused.retry_after, 899);
        assert_eq!(store.0.lock().unwrap()["a"].0, 0, "a's slot was given back");
    }

    #[test]
    fn success_clears_or_refunds() {
        let store = Memory::default();
        for _ in 0..3 {
            let keys = vec![
                Key::cleared_on_success("acct", FIVE),
                Key::refunded_on_success("addr", FIVE),
            ];
            block(reserve(&store, keys, 0)).unwrap().unwrap().failed();
        }
        let keys = vec![
            Key::cleared_on_success("acct", FIVE),
            Key::refunded_on_success("addr", FIVE),
        ];
        let r = block(reserve(&store, keys, 0)).unwrap().unwrap();
        block(r.succeeded(&store)).unwrap();
        let m = store.0.lock().unwrap();
        assert!(!m.contains_key("acct"));
        assert_eq!(m["addr"].0, 3);
    }
}
