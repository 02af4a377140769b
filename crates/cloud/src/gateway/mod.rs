//! The device gateway: recorders connect over WebSocket and authenticate as docs/protocol.md §3
//! says; the cloud enrols them, hands out register codes and recovery keys, and tracks presence
//! from their frames (§9). [`Hub`] lets the portal push a new binding to a connected recorder.
//!
//! A connection has three phases, each in the task that suits its size:
//!
//! 1. **Handshake** ([`session::handshake`]): until its proof verifies the connection is
//!    unauthenticated. It runs under a whole-handshake deadline and holds a place counted by
//!    [`admission`] (per address and overall), and its failure is counted against its address.
//! 2. **Welcome** ([`session::welcome`]): one database read (device, newest key, register code
//!    hash) for a known recorder, shared with the others being welcomed at the same moment
//!    ([`reader`]), enrolment for a new one, then `welcome` and the key.
//! 3. **Live** ([`live`]): a small task of its own holding only the socket, the session key and
//!    a few numbers; heartbeats are answered from memory and presence changes go to
//!    [`presence`], so an idle connection costs about a kilobyte and a heartbeat no database
//!    write. docs/performance.md accounts for every byte.
//!
//! The WebSocket is the bare TCP stream taken from the HTTP layer after the upgrade
//! ([`socket`]), so nothing of the HTTP connection stays behind.

mod admission;
pub mod fanout;
mod hub;
pub mod lease;
mod live;
pub mod presence;
mod reader;
mod session;
mod socket;

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rekey_proto::gateway::{CloudMessage, RefusalReason};
use rekey_web::client::ClientIp;
use tokio::time::Instant;
use tungstenite::protocol::frame::coding::CloseCode;

pub use admission::AddressKey;
pub use fanout::announce;
pub use hub::{Hub, Push};
pub use presence::Presence;
pub use reader::DeviceReader;
use socket::Socket;

use crate::state::AppState;

/// How long an address over its failure budget waits before the cloud signs its challenge
/// (at most half the handshake timeout).
const SLOW_DOWN: Duration = Duration::from_secs(1);
/// How long sending a refusal may take before the connection is simply dropped.
const REFUSAL_SEND: Duration = Duration::from_secs(1);

/// How long a connection may stay silent before it is closed as dead: one heartbeat period
/// plus a quarter of one (at least a second) for a late one. With the default 20 s heartbeat a
/// half-open connection is closed 25 s after its last frame, and shown offline within 1.5
/// periods of it (docs/protocol.md §9).
pub fn silence_limit(heartbeat_secs: u32) -> Duration {
    let period = Duration::from_secs(u64::from(heartbeat_secs.max(1)));
    period + (period / 4).max(Duration::from_secs(1))
}

/// `GET /gateway/v1`: admits the handshake (docs/protocol.md §3, "Handshake limits") and
/// upgrades to a WebSocket.
pub async fn handler(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    mut request: Request,
) -> Response {
    let Some(accept) = socket::accept_key(request.headers()) else {
        return (
            StatusCode::UPGRADE_REQUIRED,
            [
                (header::UPGRADE, "websocket"),
                (header::SEC_WEBSOCKET_VERSION, "13"),
            ],
            "This is the recorders' WebSocket gateway.\n",
        )
            .into_response();
    };
    let Some(on_upgrade) = request
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
    else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // The client behind a trusted proxy, else the peer (rekey_web::client).
    let address = AddressKey::of(client);
    let deadline = Instant::now() + state.config.gateway.handshake_timeout;
    let ticket = state.hub.admission.admit(address, &state.config.gateway);
    tokio::spawn(async move {
        let (stream, early) = match rekey_web::serve::upgraded_tcp(on_upgrade).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, %address, "gateway: upgrade failed");
                return;
            }
        };
        // `serve` set TCP_NODELAY when it accepted the connection.
        let socket = Socket::new(stream, &early);
        // `early` shares the HTTP layer's 8 KiB read buffer: freed now, not after the
        // handshake, so that a storm's thousands of handshakes in progress do not hold one each.
        drop(early);
        if let Err(e) = session::run(state, socket, address, ticket, deadline).await {
            tracing::info!(error = format!("{e:#}"), "gateway connection ended");
        }
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    response
}

async fn send(socket: &mut Socket, message: &CloudMessage) -> anyhow::Result<()> {
    let text = serde_json::to_vec(message)?;
    socket.send_text(&text).await?;
    Ok(())
}

/// Sends `refused` (giving up after [`REFUSAL_SEND`]) and closes; the connection's end.
async fn refuse(socket: &mut Socket, reason: RefusalReason) -> anyhow::Error {
    let _ = tokio::time::timeout(REFUSAL_SEND, async {
        send(socket, &CloudMessage::Refused { reason }).await?;
        socket.close(CloseCode::Policy).await;
        anyhow::Ok(())
    })
    .await;
    anyhow::anyhow!("refused: {reason:?}")
}
