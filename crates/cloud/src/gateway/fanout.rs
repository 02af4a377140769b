//! Pushes across nodes. A change made through one node that a connected recorder must hear of
//! (a binding, a removal) is announced: the node's own [`Hub`] is told at once and, on
//! PostgreSQL, every other node hears of it through `NOTIFY` on [`CHANNEL`] and tells its own
//! hub, which wakes the recorder if it is connected there. A node's listener that lost its
//! connection tells every recorder connected to it to refresh once it is back (notifications
//! sent meanwhile are lost); a recorder that reconnects reads its state at the handshake anyway.
//! On SQLite there is one node, and the hub is all there is.

use std::time::Duration;

use rekey_proto::Serial;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::{Hub, Push};
use crate::db::Backend;
use crate::state::AppState;

/// The PostgreSQL notification channel; a payload is `NODE SERIAL`.
pub const CHANNEL: &str = "rekey_push";

/// How long a listener waits before it connects again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Tells the recorder `serial`, wherever it is connected, to send its current state. Call it
/// after the change was committed.
pub async fn announce(state: &AppState, serial: &Serial) {
    state.hub.push(serial, Push::Refresh);
    if state.store.db.backend == Backend::Postgres {
        let payload = format!("{} {}", state.store.node_id(), serial.as_str());
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&state.store.db.pool)
            .await
        {
            // The change is stored; a recorder on another node learns it when it reconnects.
            tracing::warn!(serial = %serial, error = %e, "cannot announce a change to the other nodes");
        }
    }
}

/// Hears other nodes' announcements (PostgreSQL at `url`) and tells `hub`, until `stop` turns
/// true.
pub async fn listen(url: String, hub: Hub, node_id: String, mut stop: watch::Receiver<bool>) {
    let mut first = true;
    loop {
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            Err(e) = hear(&url, &hub, &node_id, first) => {
                tracing::warn!(error = %e, "cross-node announcements: listener failed; connecting again");
            }
            r = stop.changed() => {
                if r.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
        first = false;
        tokio::time::sleep(RETRY).await;
    }
}

/// Connects, listens and hands every other node's announcement to `hub` until the connection
/// fails. After a failure (not `first`), every connection here is told to refresh: what was
/// announced meanwhile is lost.
async fn hear(
    url: &str,
    hub: &Hub,
    node_id: &str,
    first: bool,
) -> Result<std::convert::Infallible, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    if !first {
        hub.refresh_all();
    }
    loop {
        match listener.try_recv().await? {
            Some(n) => {
                let Some((node, serial)) = n.payload().split_once(' ') else {
                    continue;
                };
                if node == node_id {
                    continue;
                }
                if let Ok(serial) = Serial::parse(serial) {
                    hub.push(&serial, Push::Refresh);
                }
            }
            // The connection was lost and is made again by the next call.
            None => hub.refresh_all(),
        }
    }
}
