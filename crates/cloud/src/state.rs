//! The application state every handler shares.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rekey_proto::{CloudSigningKey, MasterKey};
use rekey_web::Clock;
use tokio::sync::Notify;

use crate::config::Config;
use crate::gateway::{DeviceReader, Hub, Presence};
use crate::store::Store;

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Inner {
    /// The configuration.
    pub config: Config,
    /// Storage.
    pub store: Store,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Wakes the mail worker after mail was queued.
    pub mail_wake: Arc<Notify>,
    /// Open gateway connections.
    pub hub: Hub,
    /// Writes the gateway's presence changes in batches.
    pub presence: Presence,
    /// Reads the devices of recorders being welcomed, many in one statement.
    pub device_reader: DeviceReader,
    /// Signs gateway handshakes.
    pub signing_key: CloudSigningKey,
    /// Seals recovery keys at rest.
    pub master_key: MasterKey,
    /// Whether mail goes to the outbox directory (and the outbox page exists).
    pub outbox: bool,
    /// Runs argon2id, bounded to the cores.
    pub hasher: rekey_web::password::Hasher,
    /// Set once a shutdown began: `/readyz` says so, and nothing new should start.
    pub draining: AtomicBool,
    /// What `/metrics` shows (the store counts refused attempts into the same).
    pub metrics: crate::metrics::Metrics,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// Whether a shutdown began.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Now, as Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Closes every gateway connection (the recorders reconnect after their back-off) and
    /// writes the presence changes pending.
    pub async fn close_gateway(&self) {
        self.hub.close_all();
        self.presence.flush().await;
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
