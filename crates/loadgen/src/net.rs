//! TCP connections from a chosen loopback source address, counted while open.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};

use crate::stats::{ErrorKind, Stats};

/// Counts one open connection in [`Stats::open`] until dropped.
#[derive(Debug)]
pub struct OpenGauge(Arc<Stats>);

impl OpenGauge {
    /// Counts one more open connection.
    pub fn new(stats: &Arc<Stats>) -> Self {
        stats.open.fetch_add(1, Ordering::Relaxed);
        Self(stats.clone())
    }
}

impl Drop for OpenGauge {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Connects to `addr`, first binding the socket to `source` (port chosen by the system) when
/// given, so that per-address limits and ephemeral ports behave as with devices in the field.
pub async fn connect(addr: SocketAddr, source: Option<Ipv4Addr>) -> Result<TcpStream, ErrorKind> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|_| ErrorKind::Connect)?;
    if let Some(source) = source {
        socket
            .bind(SocketAddr::from((source, 0)))
            .map_err(|_| ErrorKind::Connect)?;
    }
    let stream = socket.connect(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::ConnectionRefused {
            ErrorKind::ConnectRefused
        } else {
            ErrorKind::Connect
        }
    })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// A client's heartbeat ticker: every `period`, the first after a uniformly random part of
/// one. A fleet whose devices connected at independent times beats evenly spread over the
/// period; starting every client's period at its welcome instead would give each server a
/// different stream (bursts where it completes handshakes fast, as Mosquitto does with 15,000
/// CONNECTs in about a second), so the two sides of a run would not see the same load.
pub fn heartbeat_ticker(period: Duration) -> tokio::time::Interval {
    let phase = period.mul_f64(f64::from(random_u32()) / (f64::from(u32::MAX) + 1.0));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker
}

/// A uniformly random `u32` for the back-off's jitter.
pub fn random_u32() -> u32 {
    getrandom::u32().expect("the operating system's random source is available")
}

/// `N` random bytes (nonces, ephemeral keys).
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("the operating system's random source is available");
    out
}
