//! This node's lease (PostgreSQL, where several nodes share the database; see
//! [`crate::store::nodes`]): renewed every half heartbeat period, for one period. Each renewal
//! also shows offline the recorders of nodes whose lease ran out, so a node that died has its
//! recorders shown offline within 1.5 heartbeat periods (the lease, then at most half a period
//! until another node looks).

use std::sync::Arc;
use std::time::Duration;

use rekey_web::Clock;
use tokio::sync::watch;

use super::Hub;
use crate::store::Store;
use crate::store::nodes::Reaped;

/// The lease's length and how often it is renewed, for a heartbeat of `heartbeat_secs`.
pub fn timing(heartbeat_secs: u32) -> (i64, Duration) {
    let lease = i64::from(heartbeat_secs.max(2));
    (
        lease,
        Duration::from_secs((lease / 2).max(1).unsigned_abs()),
    )
}

/// Takes the lease and shows offline the recorders of nodes that died; then keeps doing so until
/// `stop` turns true.
pub async fn start(
    store: Store,
    hub: Hub,
    clock: Arc<dyn Clock>,
    heartbeat_secs: u32,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let (lease, every) = timing(heartbeat_secs);
    renew(&store, clock.as_ref(), lease).await?;
    tokio::spawn(run(store, hub, clock, lease, every, stop));
    Ok(())
}

/// Renews the lease; `false` if this node had lost it.
async fn renew(store: &Store, clock: &dyn Clock, lease: i64) -> anyhow::Result<bool> {
    let now = clock.now();
    let held = store.renew_lease(now, now + lease).await?;
    let reaped = store.reap_nodes(now).await?;
    if reaped != Reaped::default() {
        tracing::info!(
            recorders = reaped.devices,
            mail = reaped.mail,
            "nodes whose lease ran out: their recorders are shown offline, their mail claims released"
        );
    }
    Ok(held)
}

async fn run(
    store: Store,
    hub: Hub,
    clock: Arc<dyn Clock>,
    lease: i64,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            r = stop.changed() => {
                if r.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
        match renew(&store, clock.as_ref(), lease).await {
            Ok(true) => {}
            Ok(false) => {
                // Another node found the lease run out (this node could not renew it in time)
                // and showed its recorders offline: they connect again, and are shown online
                // wherever they land.
                tracing::warn!(
                    "this node's lease had run out; its recorders are told to reconnect"
                );
                hub.reconnect_all();
            }
            Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot renew this node's lease"),
        }
    }
}
