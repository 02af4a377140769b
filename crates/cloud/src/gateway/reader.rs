//! The welcome's one database read, shared by the connections that need it at the same moment.
//!
//! A recorder that proved its key needs its device row, newest recovery key and register code's
//! hash ([`crate::store::presence::GatewayDevice`]). One reader task reads them: it takes the
//! first request, with every other one already waiting (up to
//! [`MAX_SERIALS_PER_READ`]), and reads them all in one statement. A single connection is read
//! at once, alone; in a reconnect storm the requests that arrive while one read runs go
//! together in the next, so a fleet coming back costs a few hundred statements instead of one
//! per recorder (and, on SQLite, as few hand-offs to the database connection's thread). No
//! request waits for a timer.

use std::sync::Arc;

use rekey_proto::Serial;
use tokio::sync::{mpsc, oneshot};

use crate::store::presence::{GatewayDevice, MAX_SERIALS_PER_READ};
use crate::store::{Store, StoreError};

type Reply = oneshot::Sender<Result<Option<GatewayDevice>, Arc<StoreError>>>;

/// The handle connections read their device through. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DeviceReader {
    tx: mpsc::UnboundedSender<(Serial, Reply)>,
}

impl DeviceReader {
    /// Starts the reader task for `store`; it ends when every handle is dropped.
    pub fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(store, rx));
        Self { tx }
    }

    /// The device enrolled under `serial`, read together with whatever other serials are
    /// waiting.
    pub async fn read(&self, serial: &Serial) -> anyhow::Result<Option<GatewayDevice>> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((serial.clone(), reply))
            .map_err(|_| anyhow::anyhow!("the gateway's device reader has stopped"))?;
        let read = answer
            .await
            .map_err(|_| anyhow::anyhow!("the gateway's device reader has stopped"))?;
        Ok(read?)
    }
}

async fn run(store: Store, mut rx: mpsc::UnboundedReceiver<(Serial, Reply)>) {
    let mut batch: Vec<(Serial, Reply)> = Vec::with_capacity(MAX_SERIALS_PER_READ);
    let mut serials: Vec<Serial> = Vec::with_capacity(MAX_SERIALS_PER_READ);
    while rx.recv_many(&mut batch, MAX_SERIALS_PER_READ).await > 0 {
        // A connection that went away while waiting needs no read.
        batch.retain(|(_, reply)| !reply.is_closed());
        serials.extend(batch.iter().map(|(serial, _)| serial.clone()));
        tracing::trace!(devices = serials.len(), "gateway: reading devices");
        match store.gateway_devices(&serials).await {
            Ok(found) => {
                for (serial, reply) in batch.drain(..) {
                    // Two connections of one recorder may wait in the same batch.
                    let device = found
                        .iter()
                        .find(|(s, _)| s == serial.as_str())
                        .map(|(_, device)| device.clone());
                    let _ = reply.send(Ok(device));
                }
            }
            Err(e) => {
                let e = Arc::new(e);
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
        serials.clear();
    }
}
