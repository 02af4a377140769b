//! Presence, written when it changes and in batches (docs/protocol.md §9).
//!
//! A heartbeat writes nothing. A connection that opens or closes, or whose recorder's clock
//! drifted by [`DRIFT_STEP`] seconds or more from what was last written, hands a
//! [`PresenceRow`] to one writer task. The writer merges the rows of the same device and writes
//! them together, in one transaction, [`BATCH_DELAY`] after the first one arrived; so a
//! reconnect storm of thousands of recorders costs a handful of transactions, and a closed
//! connection shows offline within a second. `last_seen_at` of a connected recorder is kept in
//! memory ([`super::hub::Link`]) and written at most once per [`LAST_SEEN_PERIOD`] per device,
//! also in batches. A write that fails is retried with the rows kept, never dropped.
//!
//! What a restart must keep is written when it changes (online/offline, drift, and the
//! `last_used_seq` the connection raises at once); what is lost in a crash is at most
//! [`LAST_SEEN_PERIOD`] of `last_seen_at` of recorders that were online.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::hub::Hub;
use crate::store::Store;
use crate::store::presence::PresenceRow;

/// How long the first change waits for others to join its batch.
pub const BATCH_DELAY: Duration = Duration::from_millis(200);
/// How often a connected recorder's `last_seen_at` is written at most, seconds.
pub const LAST_SEEN_PERIOD: i64 = 300;
/// How often the writer looks for `last_seen_at` values that are due.
const LAST_SEEN_SCAN: Duration = Duration::from_secs(30);
/// A clock drift written is rewritten once the recorder's drift moved this many seconds.
pub const DRIFT_STEP: i64 = 2;
/// How often the writer logs how many recorders are connected (when any came or went): one
/// line a minute instead of one per connection.
const SUMMARY: Duration = Duration::from_secs(60);
/// How often silent connections are looked for (a late close costs at most this).
const SILENCE_SWEEP: Duration = Duration::from_secs(1);
/// How long to wait before retrying a failed write.
const RETRY: Duration = Duration::from_secs(1);

enum Message {
    Row(PresenceRow),
    /// Write what is pending now and say when done.
    Flush(oneshot::Sender<()>),
}

/// The handle connections give their presence changes to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Presence {
    tx: mpsc::UnboundedSender<Message>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Row(r) => f.debug_tuple("Row").field(r).finish(),
            Self::Flush(_) => f.write_str("Flush"),
        }
    }
}

impl Presence {
    /// Starts the writer task for `store`; it also writes the due `last_seen_at` of `hub`'s
    /// connections, and once a second tells those silent for longer than `silence` to close.
    /// It ends when every handle is dropped, after writing what is pending.
    pub fn start(store: Store, hub: Hub, silence: Duration) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(store, hub, silence, rx));
        Self { tx }
    }

    /// The device's connection opened at `at`.
    pub fn online(&self, device_id: i64, at: i64) {
        self.send(PresenceRow {
            device_id,
            connected: Some(true),
            last_seen_at: Some(at),
            drift_secs: None,
        });
    }

    /// The device's connection closed; it was last heard at `last_seen`.
    pub fn offline(&self, device_id: i64, last_seen: i64) {
        self.send(PresenceRow {
            device_id,
            connected: Some(false),
            last_seen_at: Some(last_seen),
            drift_secs: None,
        });
    }

    /// The recorder's clock drift changed.
    pub fn drift(&self, device_id: i64, drift_secs: i64) {
        self.send(PresenceRow {
            device_id,
            drift_secs: Some(drift_secs),
            ..PresenceRow::default()
        });
    }

    fn send(&self, row: PresenceRow) {
        // Fails only once the writer ended (the cloud is stopping); the next start resets
        // presence anyway.
        let _ = self.tx.send(Message::Row(row));
    }

    /// Writes every change handed over so far; returns once written (or the writer is gone).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

/// Merges `row` into the pending rows: a later value of a field replaces an earlier one.
fn merge(pending: &mut HashMap<i64, PresenceRow>, row: PresenceRow) {
    let entry = pending.entry(row.device_id).or_insert(PresenceRow {
        device_id: row.device_id,
        ..PresenceRow::default()
    });
    entry.connected = row.connected.or(entry.connected);
    entry.last_seen_at = row.last_seen_at.or(entry.last_seen_at);
    entry.drift_secs = row.drift_secs.or(entry.drift_secs);
}

async fn run(store: Store, hub: Hub, silence: Duration, mut rx: mpsc::UnboundedReceiver<Message>) {
    let mut pending: HashMap<i64, PresenceRow> = HashMap::new();
    let mut due: Option<Instant> = None;
    let mut scan = tokio::time::interval(LAST_SEEN_SCAN);
    scan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sweep = tokio::time::interval(SILENCE_SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut summary = tokio::time::interval(SUMMARY);
    summary.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Connections opened and closed since the last summary line.
    let (mut opened, mut closed) = (0u64, 0u64);
    loop {
        tokio::select! {
            _ = sweep.tick() => hub.close_silent(silence),
            _ = summary.tick() => {
                if opened + closed > 0 {
                    tracing::info!(
                        connected = hub.connections(),
                        opened,
                        closed,
                        "gateway: recorders connected (connections opened and closed in the last minute)"
                    );
                    (opened, closed) = (0, 0);
                }
            }
            message = rx.recv() => match message {
                Some(Message::Row(row)) => {
                    match row.connected {
                        Some(true) => opened += 1,
                        Some(false) => closed += 1,
                        None => {}
                    }
                    merge(&mut pending, row);
                    due.get_or_insert_with(|| Instant::now() + BATCH_DELAY);
                }
                Some(Message::Flush(done)) => {
                    // Take whatever else is queued, then write.
                    while let Ok(Message::Row(row)) = rx.try_recv() {
                        merge(&mut pending, row);
                    }
                    write(&store, &mut pending).await;
                    due = (!pending.is_empty()).then(|| Instant::now() + RETRY);
                    let _ = done.send(());
                }
                None => {
                    write(&store, &mut pending).await;
                    return;
                }
            },
            () = sleep_until(due) => {
                write(&store, &mut pending).await;
                due = (!pending.is_empty()).then(|| Instant::now() + RETRY);
            }
            _ = scan.tick() => {
                let seen = hub.due_last_seen(LAST_SEEN_PERIOD);
                if !seen.is_empty() {
                    for s in seen {
                        merge(&mut pending, PresenceRow {
                            device_id: s.device_id,
                            last_seen_at: Some(s.at),
                            ..PresenceRow::default()
                        });
                    }
                    due.get_or_insert_with(|| Instant::now() + BATCH_DELAY);
                }
            }
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Writes the pending rows; on failure they stay pending (merged with later ones).
async fn write(store: &Store, pending: &mut HashMap<i64, PresenceRow>) {
    if pending.is_empty() {
        return;
    }
    let rows: Vec<PresenceRow> = pending.values().copied().collect();
    match store.write_presence(&rows).await {
        Ok(()) => {
            pending.clear();
            if pending.capacity() > 1024 {
                // After a storm, give the memory back.
                *pending = HashMap::new();
            }
        }
        Err(e) => {
            tracing::warn!(
                error = format!("{:#}", anyhow::Error::from(e)),
                rows = rows.len(),
                "gateway: writing presence failed; retrying"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_changes_of_a_device_replace_earlier_ones_field_by_field() {
        let mut pending = HashMap::new();
        merge(
            &mut pending,
            PresenceRow {
                device_id: 1,
                connected: Some(false),
                last_seen_at: Some(10),
                drift_secs: None,
            },
        );
        merge(
            &mut pending,
            PresenceRow {
                device_id: 1,
                drift_secs: Some(-3),
                ..PresenceRow::default()
            },
        );
        merge(
            &mut pending,
            PresenceRow {
                device_id: 1,
                connected: Some(true),
                last_seen_at: Some(12),
                drift_secs: None,
            },
        );
        assert_eq!(
            pending[&1],
            PresenceRow {
                device_id: 1,
                connected: Some(true),
                last_seen_at: Some(12),
                drift_secs: Some(-3),
            }
        );
    }
}
