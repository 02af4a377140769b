//! A welcomed recorder's connection: heartbeats answered from memory, pushes from the portal,
//! and the silence deadline. It runs in a task of its own whose state is [`Live`] plus the few
//! futures it waits on, so an idle connection costs what docs/performance.md lists; work that
//! needs the database (a push, a confirmed key, a raised sequence number) runs in a boxed
//! future that exists only while it runs.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rekey_proto::SessionKey;
use rekey_proto::gateway::{Binding, CloudMessage, DeviceMessage};
use tungstenite::protocol::frame::coding::CloseCode;

use super::hub::{Link, Woken};
use super::presence::DRIFT_STEP;
use super::session::{binding_of, deliver_key};
use super::socket::{Incoming, Socket};
use super::{RefusalReason, refuse, send, silence_limit};
use crate::state::AppState;

/// What a live connection keeps.
pub(super) struct Live {
    pub state: AppState,
    pub socket: Socket,
    pub link: Arc<Link>,
    pub session: SessionKey,
    pub device_id: i64,
    /// The recovery key epoch the recorder holds or was sent.
    pub sent_epoch: u32,
    /// The binding last sent.
    pub binding: Binding,
    /// The drift last written.
    pub written_drift: i64,
    /// The `last_used_seq` last written.
    pub written_seq: i64,
}

/// A recorder's message after the welcome, reduced to what handling it needs.
enum Message {
    Heartbeat { drift: i64, seq: i64 },
    KeyStored(u32),
    Disabled,
    Release(u32),
}

/// Why a live connection ended.
enum End {
    /// The peer closed, or turned the cloud off.
    Closed,
    /// A newer connection of the recorder took over, or the cloud is shutting down.
    Replaced,
}

/// What woke an idle connection.
enum Event {
    Woken(Woken),
    Readable(std::io::Result<()>),
}

/// An idle connection waiting for its socket or its link: a hand-written future, so that what
/// a connection keeps while idle is [`Live`] and nothing else (no timer, no buffer, no waiter
/// list entry).
struct Idle<'a>(&'a Live);

impl Future for Idle<'_> {
    type Output = Event;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Event> {
        if let Poll::Ready(woken) = self.0.link.poll_woken(cx) {
            return Poll::Ready(Event::Woken(woken));
        }
        self.0.socket.poll_readable(cx).map(Event::Readable)
    }
}

impl Live {
    /// Serves the connection until it ends, then records the recorder offline (unless a newer
    /// connection of it took over).
    pub async fn run(mut self) {
        let result = loop {
            // Everything but waiting runs in a boxed future that exists only while it runs.
            let step = match Idle(&self).await {
                Event::Woken(woken) => Box::pin(self.on_woken(woken)).await,
                Event::Readable(Ok(())) => Box::pin(self.on_readable()).await,
                Event::Readable(Err(e)) => Err(e.into()),
            };
            match step {
                Ok(None) => {}
                Ok(Some(end)) => break Ok(end),
                Err(e) => break Err(e),
            }
        };
        let serial = self.link.serial().clone();
        if let Err(e) = &result {
            tracing::info!(serial = %serial, error = format!("{e:#}"), "gateway connection ended");
        }
        if self.state.hub.unregister(&self.link) {
            self.state
                .presence
                .offline(self.device_id, self.link.last_heard());
            tracing::debug!(serial = %serial, "gateway: recorder offline");
        } else if matches!(result, Ok(End::Replaced)) {
            tracing::debug!(serial = %serial, "gateway: connection replaced");
        }
    }

    async fn on_woken(&mut self, woken: Woken) -> anyhow::Result<Option<End>> {
        if woken.replaced || woken.going_away {
            self.socket.close(CloseCode::Away).await;
            return Ok(Some(End::Replaced));
        }
        if woken.silent {
            self.socket.close(CloseCode::Away).await;
            let silence = silence_limit(self.state.config.heartbeat_secs);
            anyhow::bail!("nothing heard for {silence:?}");
        }
        if woken.refresh {
            self.refresh(false).await?;
        }
        Ok(None)
    }

    /// Handles every message that has arrived.
    async fn on_readable(&mut self) -> anyhow::Result<Option<End>> {
        loop {
            match self.socket.read_now().await? {
                None => return Ok(None),
                Some(Incoming::Text(text)) => {
                    if let Some(end) = self.on_message(&text).await? {
                        return Ok(Some(end));
                    }
                }
                Some(Incoming::Binary) => {
                    return Err(refuse(&mut self.socket, RefusalReason::ProtocolViolation).await);
                }
                Some(Incoming::Closed) => return Ok(Some(End::Closed)),
            }
        }
    }

    /// Handles one message; `Some` when it ends the connection.
    async fn on_message(&mut self, text: &[u8]) -> anyhow::Result<Option<End>> {
        let now = self.state.now();
        // Only what is needed is kept across the awaits below, not the parsed message.
        let message = match serde_json::from_slice::<DeviceMessage>(text) {
            Ok(DeviceMessage::Heartbeat {
                recorder_time,
                last_used_seq,
            }) => Message::Heartbeat {
                drift: recorder_time.saturating_sub(now),
                seq: i64::from(last_used_seq),
            },
            Ok(DeviceMessage::KeyStored { epoch }) => Message::KeyStored(epoch),
            Ok(DeviceMessage::Disabled) => Message::Disabled,
            Ok(DeviceMessage::Release { key_epoch }) => Message::Release(key_epoch),
            _ => {
                return Err(refuse(&mut self.socket, RefusalReason::ProtocolViolation).await);
            }
        };
        self.link.heard(now, self.state.hub.ticks());
        match message {
            Message::Heartbeat { drift, seq } => {
                if (drift - self.written_drift).abs() >= DRIFT_STEP {
                    self.state.presence.drift(self.device_id, drift);
                    self.written_drift = drift;
                }
                if seq > self.written_seq {
                    // Rare (a temporary password was used) and needed by the next code issued.
                    self.state
                        .store
                        .raise_last_used_seq(self.device_id, seq)
                        .await?;
                    self.written_seq = seq;
                }
                send(
                    &mut self.socket,
                    &CloudMessage::HeartbeatAck { cloud_time: now },
                )
                .await?;
            }
            Message::KeyStored(epoch) => {
                let confirm = self
                    .state
                    .store
                    .confirm_recovery_key(self.device_id, epoch, now);
                if Box::pin(confirm).await? {
                    tracing::info!(serial = %self.link.serial(), epoch, "gateway: recovery key confirmed");
                }
            }
            Message::Release(key_epoch) => {
                let release = crate::service::release::release_from_recorder(
                    &self.state,
                    self.device_id,
                    self.link.serial(),
                    key_epoch,
                );
                let outcome = Box::pin(release).await?;
                send(
                    &mut self.socket,
                    &CloudMessage::Released { key_epoch, outcome },
                )
                .await?;
                // The recorder kept its own view of the binding while its release was
                // pending: it is told the current one (and the key rotated for the release).
                Box::pin(self.refresh(true)).await?;
            }
            Message::Disabled => {
                tracing::info!(serial = %self.link.serial(), "gateway: cloud disabled on the recorder");
                self.socket.close(CloseCode::Normal).await;
                return Ok(Some(End::Closed));
            }
        }
        Ok(None)
    }

    /// A push: sends the binding if it changed (an unbound recorder is always told, so it shows
    /// its code again; after a `release` it is told in any case) and the newest key if the
    /// recorder lacks it.
    async fn refresh(&mut self, force: bool) -> anyhow::Result<()> {
        let serial = self.link.serial().clone();
        let Some(device) = self.state.store.gateway_device(&serial).await? else {
            anyhow::bail!("the device was deleted");
        };
        let binding = binding_of(&self.state, &serial, &device).await?;
        if force || binding != self.binding || matches!(binding, Binding::Unbound { .. }) {
            send(
                &mut self.socket,
                &CloudMessage::Binding {
                    binding: binding.clone(),
                },
            )
            .await?;
            self.binding = binding;
        }
        if let Some(newest) = &device.newest_key {
            deliver_key(
                &self.state,
                &mut self.socket,
                &serial,
                &self.session,
                newest,
                &mut self.sent_epoch,
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn future_size<F: Future>(_: fn(Live) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// The live task's state is what every idle connection keeps (docs/performance.md): the
    /// [`Live`] fields plus the futures `serve` waits on. Work that needs more (the database)
    /// is boxed while it runs.
    #[test]
    fn a_live_connection_keeps_under_four_hundred_bytes() {
        let live = std::mem::size_of::<Live>();
        let task = future_size(Live::run);
        eprintln!("Live: {live} bytes; the live task's future: {task} bytes");
        assert!(live <= 192, "Live grew to {live} bytes");
        assert!(task <= 384, "the live task's future grew to {task} bytes");
    }
}
