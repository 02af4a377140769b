//! The gateway's in-memory state: open recorder connections (so the portal can push to them)
//! and the admission of handshakes in progress. Nothing here must survive a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::admission::{AddressKey, Admission};

/// What the portal can ask of a connected recorder's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// The binding or the recovery key changed: send the current state.
    Refresh,
}

#[derive(Debug)]
struct Entry {
    connection: u64,
    tx: mpsc::UnboundedSender<Push>,
}

/// The open connections, by device row id, and the handshakes in progress.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    inner: Arc<Mutex<(u64, HashMap<i64, Entry>)>>,
    pub(super) admission: Admission,
}

impl Hub {
    pub(super) fn register(&self, device_id: i64) -> (u64, mpsc::UnboundedReceiver<Push>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0 += 1;
        let connection = g.0;
        // A newer connection replaces an older one; dropping the old sender ends its loop.
        g.1.insert(device_id, Entry { connection, tx });
        (connection, rx)
    }

    /// Forgets a connection; `true` if it was still the device's current one.
    pub(super) fn unregister(&self, device_id: i64, connection: u64) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if g.1
            .get(&device_id)
            .is_some_and(|e| e.connection == connection)
        {
            g.1.remove(&device_id);
            true
        } else {
            false
        }
    }

    /// Tells the device's connection, if one is open, to send its current state.
    pub fn push(&self, device_id: i64, push: Push) {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = g.1.get(&device_id) {
            let _ = e.tx.send(push);
        }
    }

    /// Gateway handshakes in progress (not yet proven): (from `ip`'s address, overall).
    pub fn handshakes_in_progress(&self, ip: std::net::IpAddr) -> (usize, usize) {
        self.admission.in_progress(AddressKey::of(ip))
    }
}
