//! The gateway's in-memory state: open recorder connections (so the portal can push to them and
//! presence can be flushed from them) and the admission of handshakes in progress. Nothing here
//! must survive a restart.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rekey_proto::Serial;
use std::task::{Context, Poll, Waker};

use tokio::time::Instant;

use super::admission::{AddressKey, Admission};

/// What the portal can ask of a connected recorder's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// The binding or the recovery key changed: send the current state.
    Refresh,
}

/// [`Link::flags`]: the binding or key changed.
const REFRESH: u8 = 1;
/// [`Link::flags`]: a newer connection of the same recorder took over.
const REPLACED: u8 = 2;
/// [`Link::flags`]: the cloud is shutting down.
const GOING_AWAY: u8 = 4;
/// [`Link::flags`]: nothing was heard for longer than the silence limit.
const SILENT: u8 = 8;

/// One open recorder connection as the rest of the cloud sees it: how to wake it, and what it
/// heard last. Its task holds one `Arc`, the hub the other.
#[derive(Debug)]
pub struct Link {
    serial: Serial,
    /// The device row, once read (0 before).
    device_id: AtomicI64,
    /// [`REFRESH`], [`REPLACED`], [`GOING_AWAY`], [`SILENT`], set before `waker` is woken.
    flags: AtomicU8,
    /// The connection's task, while it waits.
    waker: Mutex<Option<Waker>>,
    /// When a frame last arrived, Unix seconds (the cloud's clock, for `last_seen_at`).
    last_seen: AtomicI64,
    /// When a frame last arrived, milliseconds of the hub's monotonic clock (for silence).
    heard_at: AtomicU64,
    /// The `last_seen_at` last written for this connection, Unix seconds.
    flushed: AtomicI64,
}

/// What woke a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Woken {
    /// Send the current binding and key.
    pub refresh: bool,
    /// Close: a newer connection of the recorder took over.
    pub replaced: bool,
    /// Close: the cloud is shutting down (the recorder reconnects after its back-off).
    pub going_away: bool,
    /// Close: nothing was heard for longer than the silence limit.
    pub silent: bool,
}

impl Link {
    /// A link for a recorder that just proved its key, heard at `now` (Unix seconds) and
    /// `ticks` ([`Hub::ticks`]).
    pub fn new(serial: Serial, now: i64, ticks: u64) -> Arc<Self> {
        Arc::new(Self {
            serial,
            device_id: AtomicI64::new(0),
            flags: AtomicU8::new(0),
            waker: Mutex::new(None),
            last_seen: AtomicI64::new(now),
            heard_at: AtomicU64::new(ticks),
            flushed: AtomicI64::new(now),
        })
    }

    /// The recorder's serial.
    pub fn serial(&self) -> &Serial {
        &self.serial
    }

    /// Records the device row once it is known.
    pub fn set_device_id(&self, id: i64) {
        self.device_id.store(id, Ordering::Relaxed);
    }

    /// Records that a frame arrived at `now` (Unix seconds) and `ticks` ([`Hub::ticks`]).
    pub fn heard(&self, now: i64, ticks: u64) {
        self.last_seen.store(now, Ordering::Relaxed);
        self.heard_at.store(ticks, Ordering::Relaxed);
    }

    /// When a frame last arrived, Unix seconds.
    pub fn last_heard(&self) -> i64 {
        self.last_seen.load(Ordering::Relaxed)
    }

    fn take_flags(&self) -> Option<Woken> {
        let flags = self.flags.swap(0, Ordering::AcqRel);
        (flags != 0).then_some(Woken {
            refresh: flags & REFRESH != 0,
            replaced: flags & REPLACED != 0,
            going_away: flags & GOING_AWAY != 0,
            silent: flags & SILENT != 0,
        })
    }

    /// Ready with the reasons once the connection was woken; a wake that came while nobody
    /// waited is kept for the next poll.
    pub fn poll_woken(&self, cx: &mut Context<'_>) -> Poll<Woken> {
        if let Some(woken) = self.take_flags() {
            return Poll::Ready(woken);
        }
        {
            let mut waker = self.waker.lock().unwrap_or_else(|p| p.into_inner());
            match waker.as_ref() {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *waker = Some(cx.waker().clone()),
            }
        }
        // A wake between the first look and the registration is seen here.
        match self.take_flags() {
            Some(woken) => Poll::Ready(woken),
            None => Poll::Pending,
        }
    }

    /// Waits until the connection is woken, and says why.
    #[cfg(test)]
    pub async fn woken(&self) -> Woken {
        std::future::poll_fn(|cx| self.poll_woken(cx)).await
    }

    fn wake_with(&self, flag: u8) {
        self.flags.fetch_or(flag, Ordering::AcqRel);
        let waker = self.waker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A link in the hub's set, found by its serial.
#[derive(Debug)]
struct Entry(Arc<Link>);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.0.serial == other.0.serial
    }
}
impl Eq for Entry {}
impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.serial.as_str().hash(state);
    }
}
impl Borrow<str> for Entry {
    fn borrow(&self) -> &str {
        self.0.serial.as_str()
    }
}

/// The open connections, by serial, and the handshakes in progress.
#[derive(Debug, Clone)]
pub struct Hub {
    links: Arc<Mutex<Links>>,
    pub(super) admission: Admission,
    /// The origin of [`Hub::ticks`].
    started: Instant,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            links: Arc::default(),
            admission: Admission::default(),
            started: Instant::now(),
        }
    }
}

#[derive(Debug, Default)]
struct Links {
    set: HashSet<Entry>,
    /// Pushes made so far, to any recorder.
    pushes: u64,
    /// Set by [`Hub::close_all`]: no connection is registered any more.
    closing: bool,
}

/// A device whose `last_seen_at` is due to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// The device row.
    pub device_id: i64,
    /// When it was last heard, Unix seconds.
    pub at: i64,
}

impl Hub {
    /// Milliseconds since the hub was made, on the monotonic clock.
    pub fn ticks(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Tells every connection silent for longer than `limit` to close. One pass over the
    /// connections replaces a timer per connection.
    pub(super) fn close_silent(&self, limit: Duration) {
        let limit = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        let now = self.ticks();
        for Entry(link) in self.lock().set.iter() {
            if now.saturating_sub(link.heard_at.load(Ordering::Relaxed)) > limit {
                link.wake_with(SILENT);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Links> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `link` the recorder's current connection; an older one is told to close. `false`
    /// (and nothing registered) once the cloud is shutting down.
    pub(super) fn register(&self, link: &Arc<Link>) -> bool {
        let mut links = self.lock();
        if links.closing {
            return false;
        }
        if let Some(Entry(old)) = links.set.replace(Entry(link.clone())) {
            old.wake_with(REPLACED);
        }
        true
    }

    /// Tells every open connection to close (the cloud is shutting down) and registers no new
    /// ones.
    pub fn close_all(&self) {
        let mut links = self.lock();
        links.closing = true;
        for Entry(link) in links.set.drain() {
            link.wake_with(GOING_AWAY);
        }
    }

    /// Tells every open connection to close, so that its recorder connects again (and its
    /// presence is written anew); new ones are still taken.
    pub fn reconnect_all(&self) {
        let links = self.lock();
        for Entry(link) in links.set.iter() {
            link.wake_with(GOING_AWAY);
        }
    }

    /// Forgets a connection; `true` if it was still the recorder's current one.
    pub(super) fn unregister(&self, link: &Arc<Link>) -> bool {
        let mut links = self.lock();
        if links
            .set
            .get(link.serial.as_str())
            .is_some_and(|Entry(current)| Arc::ptr_eq(current, link))
        {
            links.set.remove(link.serial.as_str());
            true
        } else {
            false
        }
    }

    /// Tells the recorder's connection, if one is open here, to send its current state.
    pub fn push(&self, serial: &Serial, push: Push) {
        let Push::Refresh = push;
        let mut links = self.lock();
        links.pushes += 1;
        if let Some(Entry(link)) = links.set.get(serial.as_str()) {
            link.wake_with(REFRESH);
        }
    }

    /// Tells every open connection to send its current state (announcements may have been
    /// missed).
    pub fn refresh_all(&self) {
        let mut links = self.lock();
        links.pushes += 1;
        for Entry(link) in links.set.iter() {
            link.wake_with(REFRESH);
        }
    }

    /// How many pushes were made so far (to any recorder). A connection that read the
    /// database before it registered compares this before and after, and reads again if a push
    /// could have come in between.
    pub(super) fn pushes(&self) -> u64 {
        self.lock().pushes
    }

    /// Open connections.
    pub fn connections(&self) -> usize {
        self.lock().set.len()
    }

    /// The connections last heard at least `period` seconds after their `last_seen_at` was
    /// last written; each is counted as written.
    pub(super) fn due_last_seen(&self, period: i64) -> Vec<Seen> {
        let links = self.lock();
        let mut due = Vec::new();
        for Entry(link) in links.set.iter() {
            let device_id = link.device_id.load(Ordering::Relaxed);
            let at = link.last_seen.load(Ordering::Relaxed);
            if device_id != 0 && at - link.flushed.load(Ordering::Relaxed) >= period {
                link.flushed.store(at, Ordering::Relaxed);
                due.push(Seen { device_id, at });
            }
        }
        due
    }

    /// Gateway handshakes in progress (not yet proven): (from `ip`'s address, overall).
    pub fn handshakes_in_progress(&self, ip: std::net::IpAddr) -> (usize, usize) {
        self.admission.in_progress(AddressKey::of(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serial(s: &str) -> Serial {
        Serial::parse(s).unwrap()
    }

    #[tokio::test]
    async fn a_push_wakes_the_current_connection_and_a_newer_one_replaces_it() {
        let hub = Hub::default();
        let first = Link::new(serial("RKHUB000001"), 0, 0);
        assert!(hub.register(&first));
        hub.push(&serial("RKHUB000001"), Push::Refresh);
        hub.push(&serial("RKHUB000002"), Push::Refresh);
        assert_eq!(
            first.woken().await,
            Woken {
                refresh: true,
                ..Woken::default()
            }
        );
        let second = Link::new(serial("RKHUB000001"), 0, 0);
        assert!(hub.register(&second));
        assert!(first.woken().await.replaced);
        assert!(!hub.unregister(&first), "no longer the current one");
        assert_eq!(hub.connections(), 1);
        hub.close_all();
        assert!(second.woken().await.going_away);
        assert!(!hub.register(&Link::new(serial("RKHUB000004"), 0, 0)));
        assert_eq!(hub.connections(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn silent_connections_are_told_to_close() {
        let hub = Hub::default();
        let quiet = Link::new(serial("RKHUB000005"), 0, hub.ticks());
        let chatty = Link::new(serial("RKHUB000006"), 0, hub.ticks());
        assert!(hub.register(&quiet) && hub.register(&chatty));
        tokio::time::advance(Duration::from_secs(20)).await;
        chatty.heard(20, hub.ticks());
        tokio::time::advance(Duration::from_secs(6)).await;
        hub.close_silent(Duration::from_secs(25));
        assert!(quiet.woken().await.silent);
        assert_eq!(chatty.flags.load(Ordering::Relaxed), 0, "heard 6 s ago");
    }

    #[test]
    fn last_seen_is_due_once_per_period() {
        let hub = Hub::default();
        let link = Link::new(serial("RKHUB000003"), 1_000, 0);
        assert!(hub.register(&link));
        link.heard(1_200, 0);
        assert!(
            hub.due_last_seen(300).is_empty(),
            "no device row yet, and not due"
        );
        link.set_device_id(7);
        link.heard(1_300, 0);
        assert_eq!(
            hub.due_last_seen(300),
            vec![Seen {
                device_id: 7,
                at: 1_300
            }]
        );
        link.heard(1_400, 0);
        assert!(hub.due_last_seen(300).is_empty(), "written 100 s ago");
    }
}
