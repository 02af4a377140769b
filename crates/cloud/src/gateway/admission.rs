//! Admission to the gateway handshake (docs/protocol.md §3, "Handshake limits").
//!
//! Everything before a verified proof is unauthenticated work. It is bounded here, in memory:
//!
//! - at most `handshakes_per_address` handshakes are in progress per client address and
//!   `handshakes_total` overall. A new connection past either cap does not wait and is not
//!   refused: it drops the *oldest* handshake in progress (of its address, or overall). A real
//!   recorder finishes its handshake within a round trip, so it is never the oldest for long;
//!   connections that hold a slot without finishing are the ones that go;
//! - failed handshakes (timeouts, bad signatures, protocol violations, unknown or other keys,
//!   dropped ones that had been in progress for two seconds or more) are counted per address
//!   and overall in a window; a younger one dropped was shed under load (a fleet reconnecting
//!   at once) and does not count. An address over its
//!   budget, or every address while the overall budget is spent, is *slowed*: the cloud waits
//!   before it signs a challenge for it. Nothing here refuses a handshake, so a recorder that
//!   proves its enrolled key is always welcomed, whatever else came from its address.
//!
//! A [`Guard`] holds a handshake's place and gives it back when dropped.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::config::GatewayLimits;

/// The length of a failure-counting window, seconds.
pub const FAILURE_WINDOW_SECS: i64 = 600;
/// Failed handshakes overall per window before every address is slowed.
pub const FAILURES_TOTAL: u32 = 10_000;
/// Addresses whose failures are remembered; past this, an address not yet remembered counts as
/// over its budget (it is slowed, never refused), so the table cannot be flooded to escape it.
pub const TRACKED_ADDRESSES: usize = 65_536;

pub use rekey_web::client::AddressKey;

/// Failures counted in a fixed window.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: i64,
    count: u32,
}

impl Window {
    fn current(&mut self, now: i64) -> &mut Self {
        if now >= self.start + FAILURE_WINDOW_SECS || now < self.start {
            *self = Self {
                start: now,
                count: 0,
            };
        }
        self
    }

    fn count_at(&self, now: i64) -> u32 {
        if now >= self.start + FAILURE_WINDOW_SECS || now < self.start {
            0
        } else {
            self.count
        }
    }
}

#[derive(Debug)]
struct Open {
    address: AddressKey,
    /// Dropping it tells the handshake that it was pushed out.
    _dropped: oneshot::Sender<()>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    /// Handshakes in progress, oldest first (ids only grow).
    open: BTreeMap<u64, Open>,
    by_address: HashMap<AddressKey, BTreeSet<u64>>,
    failures: HashMap<AddressKey, Window>,
    total_failures: Window,
}

impl Inner {
    fn remove(&mut self, id: u64) -> bool {
        let Some(open) = self.open.remove(&id) else {
            return false;
        };
        if let Some(ids) = self.by_address.get_mut(&open.address) {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_address.remove(&open.address);
            }
        }
        true
    }
}

/// The handshakes in progress and the failure counts (shared by every gateway connection).
#[derive(Debug, Clone, Default)]
pub struct Admission {
    inner: Arc<Mutex<Inner>>,
}

/// A handshake's place among those in progress: given back when dropped.
#[derive(Debug)]
pub struct Guard {
    admission: Admission,
    id: u64,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.admission.lock().remove(self.id);
    }
}

/// What [`Admission::admit`] gives a new connection.
#[derive(Debug)]
pub struct Ticket {
    /// Its place; drop it once the proof is verified or the handshake ends.
    pub guard: Guard,
    /// Resolves when a newer connection pushed this handshake out.
    pub dropped: oneshot::Receiver<()>,
}

impl Admission {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a new handshake from `address`, pushing out the oldest ones past the caps.
    pub fn admit(&self, address: AddressKey, limits: &GatewayLimits) -> Ticket {
        let mut g = self.lock();
        let per_address = limits.handshakes_per_address.max(1);
        let total = limits.handshakes_total.max(1);
        let mut pushed_out = 0usize;
        while let Some(&oldest) = g
            .by_address
            .get(&address)
            .filter(|ids| ids.len() >= per_address)
            .and_then(|ids| ids.first())
        {
            g.remove(oldest);
            pushed_out += 1;
        }
        while g.open.len() >= total {
            let Some((&oldest, _)) = g.open.first_key_value() else {
                break;
            };
            g.remove(oldest);
            pushed_out += 1;
        }
        g.next_id += 1;
        let id = g.next_id;
        let (tx, rx) = oneshot::channel();
        g.open.insert(
            id,
            Open {
                address,
                _dropped: tx,
            },
        );
        g.by_address.entry(address).or_default().insert(id);
        drop(g);
        if pushed_out > 0 {
            tracing::info!(%address, pushed_out, "gateway: handshake caps reached, the oldest handshakes were dropped");
        }
        Ticket {
            guard: Guard {
                admission: self.clone(),
                id,
            },
            dropped: rx,
        }
    }

    /// Counts a failed handshake from `address` at `now` (Unix seconds).
    pub fn record_failure(&self, address: AddressKey, now: i64) {
        let mut g = self.lock();
        g.total_failures.current(now).count += 1;
        if !g.failures.contains_key(&address) && g.failures.len() >= TRACKED_ADDRESSES {
            g.failures
                .retain(|_, w| now < w.start + FAILURE_WINDOW_SECS && now >= w.start);
            if g.failures.len() >= TRACKED_ADDRESSES {
                return;
            }
        }
        g.failures.entry(address).or_default().current(now).count += 1;
    }

    /// Whether handshakes from `address` are slowed at `now`: its failures reached
    /// `failures_per_address` in the window, the overall failures reached [`FAILURES_TOTAL`], or
    /// the address cannot be remembered because the table is full.
    pub fn slowed(&self, address: AddressKey, limits: &GatewayLimits, now: i64) -> bool {
        let g = self.lock();
        if g.total_failures.count_at(now) >= FAILURES_TOTAL {
            return true;
        }
        match g.failures.get(&address) {
            Some(w) => w.count_at(now) >= limits.failures_per_address,
            None => g.failures.len() >= TRACKED_ADDRESSES,
        }
    }

    /// Handshakes in progress: (from `address`, overall).
    pub fn in_progress(&self, address: AddressKey) -> (usize, usize) {
        let g = self.lock();
        (
            g.by_address.get(&address).map_or(0, BTreeSet::len),
            g.open.len(),
        )
    }
}
