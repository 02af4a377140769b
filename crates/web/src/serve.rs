//! Serving an application to the internet: HTTP/1.1 with a deadline for every phase a slow or
//! idle client could stretch, and caps on connections, so that a few thousand half-open
//! connections cannot take the server away from everyone else.
//!
//! - **Headers:** a request's head must arrive within [`ServeLimits::header_read`] of the
//!   accept (a connection that sends nothing is closed then); the clock also runs while a
//!   kept-alive connection waits for its next request, so it is the idle keep-alive timeout
//!   too. The HTTP layer starts on a connection (and takes its buffers) only once its first
//!   bytes arrived.
//! - **Body:** a request's body must arrive within [`ServeLimits::body_read`].
//! - **Connections:** at most [`ServeLimits::max_connections`] at once (beyond that the server
//!   stops accepting until one closes), and at most [`ServeLimits::max_connections_per_address`]
//!   from one peer address (beyond that a new connection is closed at once). Trusted reverse
//!   proxies are exempt from the per-address cap: every client behind them shares their address.
//!
//! Upgraded connections (the device gateway's WebSockets) leave these limits once upgraded;
//! their own protocol bounds them.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::client::TrustedProxies;

/// Deadlines and caps of [`serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Time for a request's head to arrive, and for an idle kept-alive connection to send its
    /// next request.
    pub header_read: Duration,
    /// Time for a request's body to arrive.
    pub body_read: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Connections open at once from one peer address (trusted proxies exempt).
    pub max_connections_per_address: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            max_connections: default_max_connections(),
            max_connections_per_address: 256,
        }
    }
}

/// What the process may open, less room for the database, mail and log files: three quarters of
/// the open-file limit when it can be read, else 768 (a quarter of the common soft limit 1024
/// left free).
fn default_max_connections() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse::<usize>().ok()
        })
        .map_or(768, |soft| (soft / 4 * 3).max(64))
}

/// Counts open connections per peer address.
#[derive(Debug, Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One counted connection; uncounted when dropped.
struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn take(table: &Arc<PerAddress>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut map = table.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            table: table.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish
/// (upgraded connections are closed by the application). Requests carry the peer address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    trusted: TrustedProxies,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router.layer(RequestBodyTimeoutLayer::new(limits.body_read));
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = Arc::new(PerAddress::default());
    // Dropping `stop` tells every connection to finish; each holds a clone of `open_tx`, so
    // `open_rx` ends when the last one closed.
    let (stop, stopping) = watch::channel(());
    let (open_tx, mut open_rx) = mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: the listener is fine, the moment
                    // is not. Back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = if trusted.contains(peer.ip()) {
            None
        } else {
            match PerAddress::take(&per_address, peer.ip(), limits.max_connections_per_address) {
                Some(s) => Some(s),
                None => {
                    tracing::debug!(%peer, "too many connections from this address");
                    drop(stream);
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |req: Request<Incoming>| {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req
        });
        let mut stopping = stopping.clone();
        let open = open_tx.clone();
        tokio::spawn(async move {
            let _held = (permit, slot, open);
            // Hyper takes 16 KiB of buffers for a connection when it starts on it. Started only
            // once the request's first bytes are there, a connection does not hold them while it
            // waits for its client: a fleet reconnecting at once brings thousands.
            let accepted = tokio::time::Instant::now();
            let first_bytes = tokio::select! {
                r = tokio::time::timeout(limits.header_read, stream.readable()) => r,
                _ = stopping.changed() => return,
            };
            if !matches!(first_bytes, Ok(Ok(()))) {
                tracing::debug!(%peer, "connection closed: no request within the header timeout");
                return;
            }
            // The head's deadline counts from the accept (at least a second once bytes came);
            // hyper applies the same to a kept-alive connection's later requests.
            let head = limits
                .header_read
                .saturating_sub(accepted.elapsed())
                .max(Duration::from_secs(1));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(head);
            let conn = builder
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, %peer, "connection ended");
                    }
                    return;
                }
                _ = stopping.changed() => conn.as_mut().graceful_shutdown(),
            }
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    drop(stop);
    drop(open_tx);
    // Wait until every connection task is done.
    let _ = open_rx.recv().await;
    Ok(())
}

/// The TCP connection of a request that [`serve`] upgraded (a WebSocket, say), with the bytes
/// the client sent after the request that the HTTP layer had already read. Taking the bare
/// socket frees everything the HTTP layer held for the connection, so that a long-lived
/// upgraded connection costs only what its protocol keeps.
///
/// # Errors
///
/// The upgrade failed (the client went away), or the request was not served by [`serve`].
pub async fn upgraded_tcp(
    on_upgrade: hyper::upgrade::OnUpgrade,
) -> std::io::Result<(tokio::net::TcpStream, hyper::body::Bytes)> {
    let upgraded = on_upgrade.await.map_err(std::io::Error::other)?;
    match upgraded.downcast::<TokioIo<tokio::net::TcpStream>>() {
        Ok(parts) => Ok((parts.io.into_inner(), parts.read_buf)),
        Err(_) => Err(std::io::Error::other(
            "the upgraded connection is not a TCP stream served by rekey_web::serve",
        )),
    }
}
