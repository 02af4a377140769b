//! What a fleet counts: gauges of open and welcomed connections, totals, and errors by kind.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use rekey_proto::gateway::RefusalReason;

/// Why a connection attempt failed or a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The TCP connection was refused (nothing listens).
    ConnectRefused,
    /// The TCP connection failed otherwise (binding the source, no route, reset).
    Connect,
    /// TCP, the WebSocket upgrade or the handshake took longer than the handshake timeout.
    Timeout,
    /// The WebSocket upgrade failed.
    Upgrade,
    /// The server closed the connection before the welcome (CONNACK).
    ClosedEarly,
    /// The cloud refused: too many new serials from the address, or a dropped handshake.
    RefusedRateLimited,
    /// The cloud refused: the serial is enrolled with another key.
    RefusedKeyMismatch,
    /// The cloud refused for another reason.
    RefusedOther,
    /// The challenge's signature does not verify under the configured cloud key.
    NotConfiguredCloud,
    /// The server sent something the protocol does not allow there.
    Protocol,
    /// A delivered recovery key did not open with the session key.
    KeyDelivery,
    /// The broker refused the CONNECT (a non-zero CONNACK return code).
    ConnackRefused,
    /// The connection closed after the welcome.
    Lost,
    /// Nothing arrived for three heartbeat periods after the welcome.
    Silence,
}

impl ErrorKind {
    /// Every kind, in the order of [`ErrorKind::index`].
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::ConnectRefused,
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Upgrade,
        ErrorKind::ClosedEarly,
        ErrorKind::RefusedRateLimited,
        ErrorKind::RefusedKeyMismatch,
        ErrorKind::RefusedOther,
        ErrorKind::NotConfiguredCloud,
        ErrorKind::Protocol,
        ErrorKind::KeyDelivery,
        ErrorKind::ConnackRefused,
        ErrorKind::Lost,
        ErrorKind::Silence,
    ];

    /// A short name for status lines and JSON.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connect_refused",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Upgrade => "upgrade",
            ErrorKind::ClosedEarly => "closed_early",
            ErrorKind::RefusedRateLimited => "refused_rate_limited",
            ErrorKind::RefusedKeyMismatch => "refused_key_mismatch",
            ErrorKind::RefusedOther => "refused_other",
            ErrorKind::NotConfiguredCloud => "not_configured_cloud",
            ErrorKind::Protocol => "protocol",
            ErrorKind::KeyDelivery => "key_delivery",
            ErrorKind::ConnackRefused => "connack_refused",
            ErrorKind::Lost => "lost",
            ErrorKind::Silence => "silence",
        }
    }

    fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|k| *k == self)
            .expect("every kind is listed")
    }

    /// The kind of a refusal by the cloud.
    pub fn refused(reason: RefusalReason) -> Self {
        match reason {
            RefusalReason::RateLimited => ErrorKind::RefusedRateLimited,
            RefusalReason::KeyMismatch => ErrorKind::RefusedKeyMismatch,
            _ => ErrorKind::RefusedOther,
        }
    }
}

/// Counters shared by every client of a fleet.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections open now (TCP connected, welcomed or not).
    pub open: AtomicU64,
    /// Connections welcomed (CONNACKed) and not ended: the devices online.
    pub online: AtomicU64,
    /// Online connections that got at least one heartbeat answer.
    pub acked: AtomicU64,
    /// Connection attempts (handshakes started).
    pub attempts: AtomicU64,
    /// Attempts after a client's first.
    pub reconnects: AtomicU64,
    /// Welcomes (CONNACKs) received.
    pub welcomes: AtomicU64,
    /// Heartbeats (PINGREQs) sent.
    pub heartbeats: AtomicU64,
    /// Heartbeat answers (PINGRESPs) received.
    pub acks: AtomicU64,
    errors: [AtomicU64; ErrorKind::ALL.len()],
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// See [`Stats::open`].
    pub open: u64,
    /// See [`Stats::online`].
    pub online: u64,
    /// See [`Stats::acked`].
    pub acked: u64,
    /// See [`Stats::attempts`].
    pub attempts: u64,
    /// See [`Stats::reconnects`].
    pub reconnects: u64,
    /// See [`Stats::welcomes`].
    pub welcomes: u64,
    /// See [`Stats::heartbeats`].
    pub heartbeats: u64,
    /// See [`Stats::acks`].
    pub acks: u64,
    /// Errors by kind, in the order of [`ErrorKind::ALL`].
    pub errors: [u64; ErrorKind::ALL.len()],
}

impl Stats {
    /// Counts one error of `kind`.
    pub fn error(&self, kind: ErrorKind) {
        self.errors[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Snapshot {
            open: get(&self.open),
            online: get(&self.online),
            acked: get(&self.acked),
            attempts: get(&self.attempts),
            reconnects: get(&self.reconnects),
            welcomes: get(&self.welcomes),
            heartbeats: get(&self.heartbeats),
            acks: get(&self.acks),
            errors: std::array::from_fn(|i| get(&self.errors[i])),
        }
    }
}

impl Snapshot {
    /// The count of errors of `kind`.
    pub fn errors_of(&self, kind: ErrorKind) -> u64 {
        self.errors[kind.index()]
    }

    /// `kind count, …` for the non-zero kinds, or `none`.
    pub fn errors_text(&self) -> String {
        let mut out = String::new();
        for kind in ErrorKind::ALL {
            let n = self.errors_of(kind);
            if n > 0 {
                if !out.is_empty() {
                    out.push_str(", ");
                }
                let _ = write!(out, "{} {n}", kind.name());
            }
        }
        if out.is_empty() {
            out.push_str("none");
        }
        out
    }

    /// The status line: this snapshot against `previous`, taken `secs` earlier.
    pub fn status_line(&self, previous: &Snapshot, secs: f64, fleet: u64) -> String {
        let rate = (self.attempts - previous.attempts) as f64 / secs.max(1e-3);
        format!(
            "open {}/{fleet} | online {} | welcomed {} | handshakes {} ({rate:.0}/s) | \
             reconnects {} | heartbeats {} | errors: {}",
            self.open,
            self.online,
            self.welcomes,
            self.attempts,
            self.reconnects,
            self.heartbeats,
            self.errors_text()
        )
    }
}
