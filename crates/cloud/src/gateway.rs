//! The device gateway: recorders connect over WebSocket and authenticate as docs/protocol.md §3
//! says; the cloud enrols them, hands out register codes and recovery keys, and tracks presence
//! from heartbeats (§9). [`Hub`] lets the portal push a new binding to a connected recorder.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use rekey_proto::gateway::{
    B64, B64Vec, Binding, CloudMessage, DeviceMessage, GATEWAY_PROTOCOL, RefusalReason,
};
use rekey_proto::{EphemeralSecret, Handshake, RecoveryKey, RegisterCode, SessionKey, Side};
use rekey_web::random_array;
use tokio::sync::mpsc;

use crate::state::AppState;
use crate::store::devices::{Device, EnrolError};
use crate::store::throttle::Limit;

/// How long a recorder has for each handshake frame.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the portal can ask of a connected recorder's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// The binding or the recovery key changed: send the current state.
    Refresh,
}

#[derive(Debug)]
struct Entry {
    connection: u64,
    tx: mpsc::UnboundedSender<Push>,
}

/// The open connections, by device row id.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    inner: Arc<Mutex<(u64, HashMap<i64, Entry>)>>,
}

impl Hub {
    fn register(&self, device_id: i64) -> (u64, mpsc::UnboundedReceiver<Push>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0 += 1;
        let connection = g.0;
        // A newer connection replaces an older one; dropping the old sender ends its loop.
        g.1.insert(device_id, Entry { connection, tx });
        (connection, rx)
    }

    /// Forgets a connection; `true` if it was still the device's current one.
    fn unregister(&self, device_id: i64, connection: u64) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if g.1
            .get(&device_id)
            .is_some_and(|e| e.connection == connection)
        {
            g.1.remove(&device_id);
            true
        } else {
            false
        }
    }

    /// Tells the device's connection, if one is open, to send its current state.
    pub fn push(&self, device_id: i64, push: Push) {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = g.1.get(&device_id) {
            let _ = e.tx.send(push);
        }
    }
}

/// `GET /gateway/v1`: upgrades to a WebSocket.
pub async fn handler(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.max_message_size(16 * 1024)
        .on_upgrade(move |socket| async move {
            if let Err(e) = serve(state, socket, peer.ip()).await {
                tracing::info!(error = format!("{e:#}"), "gateway connection ended");
            }
        })
}

async fn send(socket: &mut WebSocket, message: &CloudMessage) -> anyhow::Result<()> {
    let text = serde_json::to_string(message)?;
    socket.send(Message::Text(text.into())).await?;
    Ok(())
}

async fn refuse(socket: &mut WebSocket, reason: RefusalReason) -> anyhow::Result<()> {
    send(socket, &CloudMessage::Refused { reason }).await?;
    let _ = socket.send(Message::Close(None)).await;
    anyhow::bail!("refused: {reason:?}")
}

/// The next JSON frame, skipping pings; `None` when the peer closed.
async fn receive(socket: &mut WebSocket) -> anyhow::Result<Option<DeviceMessage>> {
    loop {
        match socket.recv().await {
            None | Some(Ok(Message::Close(_))) => return Ok(None),
            Some(Ok(Message::Text(text))) => return Ok(Some(serde_json::from_str(text.as_str())?)),
            Some(Ok(Message::Binary(_))) => anyhow::bail!("binary frame"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

async fn receive_within(
    socket: &mut WebSocket,
    limit: Duration,
) -> anyhow::Result<Option<DeviceMessage>> {
    tokio::time::timeout(limit, receive(socket))
        .await
        .map_err(|_| anyhow::anyhow!("timed out"))?
}

/// Connections per client address per hour (a recorder backs off to one a minute).
const HANDSHAKES_PER_ADDRESS: Limit = Limit::per_window(600, 3600);
/// New serials enrolled per client address per hour.
const ENROLMENTS_PER_ADDRESS: Limit = Limit::per_window(20, 3600);

async fn serve(state: AppState, mut socket: WebSocket, ip: IpAddr) -> anyhow::Result<()> {
    let limited = |key: String, limit: Limit| {
        let state = state.clone();
        async move { state.store.take_slot(&key, limit, state.now()).await }
    };
    if limited(format!("gateway-ip:{ip}"), HANDSHAKES_PER_ADDRESS)
        .await?
        .is_some()
    {
        return refuse(&mut socket, RefusalReason::RateLimited).await;
    }
    // 1. hello
    let hello = match receive_within(&mut socket, HANDSHAKE_TIMEOUT).await {
        Ok(Some(m)) => m,
        Ok(None) => return Ok(()),
        Err(_) => return refuse(&mut socket, RefusalReason::ProtocolViolation).await,
    };
    let DeviceMessage::Hello {
        protocol,
        serial,
        device_key,
        device_nonce,
        device_ephemeral,
        key_epoch,
    } = hello
    else {
        return refuse(&mut socket, RefusalReason::ProtocolViolation).await;
    };
    if protocol != GATEWAY_PROTOCOL {
        return refuse(&mut socket, RefusalReason::UnsupportedProtocol).await;
    }
    // 2. challenge
    let ephemeral = EphemeralSecret::from_bytes(random_array::<32>());
    let handshake = Handshake {
        serial: serial.clone(),
        device_key,
        device_nonce: device_nonce.0,
        device_ephemeral: device_ephemeral.0,
        cloud_key: state.signing_key.public(),
        cloud_nonce: random_array::<32>(),
        cloud_ephemeral: ephemeral.public(),
        cloud_time: state.now(),
    };
    let signature = handshake.sign_as_cloud(&state.signing_key);
    send(
        &mut socket,
        &CloudMessage::Challenge {
            cloud_nonce: B64(handshake.cloud_nonce),
            cloud_ephemeral: B64(handshake.cloud_ephemeral),
            cloud_time: handshake.cloud_time,
            signature: B64(signature),
        },
    )
    .await?;
    // 3. proof
    let signature = match receive_within(&mut socket, HANDSHAKE_TIMEOUT).await {
        Ok(Some(DeviceMessage::Proof { signature })) => signature,
        Ok(None) => return Ok(()),
        _ => return refuse(&mut socket, RefusalReason::ProtocolViolation).await,
    };
    if handshake.verify_device(&signature.0).is_err() {
        tracing::warn!(serial = %serial, "gateway: device signature does not verify");
        return refuse(&mut socket, RefusalReason::BadSignature).await;
    }
    let Ok(session) = handshake.session_key(Side::Cloud, &ephemeral) else {
        return refuse(&mut socket, RefusalReason::ProtocolViolation).await;
    };
    drop(ephemeral);
    // 4. enrolment and welcome
    let now = state.now();
    if state.store.device_by_serial(&serial).await?.is_none()
        && limited(format!("enrol-ip:{ip}"), ENROLMENTS_PER_ADDRESS)
            .await?
            .is_some()
    {
        tracing::warn!(serial = %serial, %ip, "gateway: too many new serials from one address");
        return refuse(&mut socket, RefusalReason::RateLimited).await;
    }
    let device = match state
        .store
        .enrol_device(&serial, &device_key.to_string(), now)
        .await
    {
        Ok((device, new)) => {
            if new {
                tracing::info!(serial = %serial, "gateway: enrolled a new recorder");
            }
            device
        }
        Err(EnrolError::KeyMismatch) => {
            tracing::warn!(serial = %serial, "gateway: serial enrolled with another device key");
            return refuse(&mut socket, RefusalReason::KeyMismatch).await;
        }
        Err(EnrolError::Store(e)) => return Err(e.into()),
    };
    let newest = match state.store.newest_recovery_key(device.id).await? {
        Some(k) => k.epoch,
        None => crate::service::devices::rotate_recovery_key(&state, &device).await?,
    };
    let (connection, mut pushes) = state.hub.register(device.id);
    state.store.set_connected(device.id, true, now).await?;
    // Read again now that pushes reach this connection: a binding made since enrolment is seen.
    let device = state
        .store
        .device_by_serial(&serial)
        .await?
        .ok_or_else(|| anyhow::anyhow!("an enrolled device vanished"))?;
    let result = async {
        let binding = current_binding(&state, &device).await?;
        send(
            &mut socket,
            &CloudMessage::Welcome { binding: binding.clone(), heartbeat_secs: state.config.heartbeat_secs, key_epoch: newest },
        )
        .await?;
        if key_epoch == newest {
            // The recorder holds the newest key (its `key_stored` may have been lost).
            state.store.confirm_recovery_key(device.id, newest, state.now()).await?;
        }
        let mut sent_epoch = key_epoch;
        let mut last_binding = binding;
        sync_key(&state, &mut socket, &device, &session, &mut sent_epoch).await?;
        tracing::info!(serial = %serial, "gateway: recorder online");
        let silence = Duration::from_secs(3 * u64::from(state.config.heartbeat_secs));
        loop {
            tokio::select! {
                frame = tokio::time::timeout(silence, receive(&mut socket)) => {
                    let Ok(frame) = frame else { anyhow::bail!("no heartbeat for {silence:?}") };
                    match frame? {
                        None => return Ok(()),
                        Some(DeviceMessage::Heartbeat { recorder_time, last_used_seq }) => {
                            let now = state.now();
                            state.store.record_heartbeat(device.id, now, recorder_time - now, i64::from(last_used_seq)).await?;
                            send(&mut socket, &CloudMessage::HeartbeatAck { cloud_time: now }).await?;
                        }
                        Some(DeviceMessage::KeyStored { epoch }) => {
                            if state.store.confirm_recovery_key(device.id, epoch, state.now()).await? {
                                tracing::info!(serial = %serial, epoch, "gateway: recovery key confirmed");
                            }
                        }
                        Some(DeviceMessage::Disabled) => {
                            tracing::info!(serial = %serial, "gateway: cloud disabled on the recorder");
                            let _ = socket.send(Message::Close(None)).await;
                            return Ok(());
                        }
                        Some(_) => return refuse(&mut socket, RefusalReason::ProtocolViolation).await,
                    }
                }
                push = pushes.recv() => {
                    let Some(Push::Refresh) = push else {
                        // Replaced by a newer connection of the same recorder.
                        let _ = socket.send(Message::Close(None)).await;
                        return Ok(());
                    };
                    let Some(device) = state.store.device_by_serial(&serial).await? else { return Ok(()) };
                    let binding = current_binding(&state, &device).await?;
                    if binding != last_binding || matches!(binding, Binding::Unbound { .. }) {
                        send(&mut socket, &CloudMessage::Binding { binding: binding.clone() }).await?;
                        last_binding = binding;
                    }
                    sync_key(&state, &mut socket, &device, &session, &mut sent_epoch).await?;
                }
            }
        }
    }
    .await;
    if state.hub.unregister(device.id, connection) {
        state
            .store
            .set_connected(device.id, false, state.now())
            .await?;
        tracing::info!(serial = %serial, "gateway: recorder offline");
    }
    result
}

/// The binding to tell the recorder; an unbound recorder gets a fresh register code each time.
async fn current_binding(state: &AppState, device: &Device) -> anyhow::Result<Binding> {
    if device.account_id.is_some() {
        return Ok(Binding::Bound);
    }
    let code = RegisterCode::from_random(random_array());
    let hash = crate::service::devices::register_code_hash(state, &code);
    state
        .store
        .set_register_code(device.id, Some(&hash))
        .await?;
    Ok(Binding::Unbound {
        register_code: code.compact(),
    })
}

/// Sends the newest recovery key if the recorder does not hold it yet.
async fn sync_key(
    state: &AppState,
    socket: &mut WebSocket,
    device: &Device,
    session: &SessionKey,
    sent_epoch: &mut u32,
) -> anyhow::Result<()> {
    let Some(stored) = state.store.newest_recovery_key(device.id).await? else {
        return Ok(());
    };
    if stored.epoch == *sent_epoch {
        return Ok(());
    }
    let key: RecoveryKey = state
        .master_key
        .open(&device.serial, stored.epoch, &stored.sealed)
        .map_err(|_| anyhow::anyhow!("a stored recovery key does not open under the master key"))?;
    let sealed = session.seal_recovery_key(&device.serial, stored.epoch, &key);
    send(
        socket,
        &CloudMessage::RecoveryKey {
            epoch: stored.epoch,
            sealed: B64Vec(sealed),
        },
    )
    .await?;
    *sent_epoch = stored.epoch;
    Ok(())
}
