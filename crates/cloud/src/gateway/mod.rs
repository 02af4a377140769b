//! The device gateway: recorders connect over WebSocket and authenticate as docs/protocol.md §3
//! says; the cloud enrols them, hands out register codes and recovery keys, and tracks presence
//! from heartbeats (§9). [`Hub`] lets the portal push a new binding to a connected recorder.
//!
//! A connection has two phases. Until its proof verifies it is unauthenticated: it runs under
//! a whole-handshake deadline and holds a place counted by [`admission`] (per address and
//! overall), and its failure is counted against its address. After that it is a known (or
//! newly enrolled) recorder, and nothing another client did from its address refuses it.

mod admission;
mod hub;

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use rekey_proto::gateway::{
    B64, B64Vec, Binding, CloudMessage, DeviceMessage, GATEWAY_PROTOCOL, RefusalReason,
};
use rekey_proto::{
    DevicePublicKey, EphemeralSecret, Handshake, RecoveryKey, RegisterCode, Serial, SessionKey,
    Side,
};
use rekey_web::client::ClientIp;
use rekey_web::random_array;
use tokio::time::Instant;

pub use admission::AddressKey;
use admission::Ticket;
pub use hub::{Hub, Push};

use crate::state::AppState;
use crate::store::devices::{Device, EnrolError};
use crate::store::throttle::Limit;

/// The largest frame or message a recorder may send (its frames are a few hundred bytes).
const MAX_FRAME: usize = 16 * 1024;
/// How long an address over its failure budget waits before the cloud signs its challenge
/// (at most half the handshake timeout).
const SLOW_DOWN: Duration = Duration::from_secs(1);
/// How long sending a refusal may take before the connection is simply dropped.
const REFUSAL_SEND: Duration = Duration::from_secs(1);

/// `GET /gateway/v1`: admits the handshake (docs/protocol.md §3, "Handshake limits") and
/// upgrades to a WebSocket.
pub async fn handler(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ws: WebSocketUpgrade,
) -> Response {
    // The client behind a trusted proxy, else the peer (rekey_web::client).
    let address = AddressKey::of(client);
    let deadline = Instant::now() + state.config.gateway.handshake_timeout;
    let ticket = state.hub.admission.admit(address, &state.config.gateway);
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            if let Err(e) = serve(state, socket, address, ticket, deadline).await {
                tracing::info!(error = format!("{e:#}"), "gateway connection ended");
            }
        })
}

async fn send(socket: &mut WebSocket, message: &CloudMessage) -> anyhow::Result<()> {
    let text = serde_json::to_string(message)?;
    socket.send(Message::Text(text.into())).await?;
    Ok(())
}

/// Sends `refused` (giving up after [`REFUSAL_SEND`]) and closes.
async fn refuse(socket: &mut WebSocket, reason: RefusalReason) -> anyhow::Result<()> {
    let _ = tokio::time::timeout(REFUSAL_SEND, async {
        send(socket, &CloudMessage::Refused { reason }).await?;
        socket.send(Message::Close(None)).await?;
        anyhow::Ok(())
    })
    .await;
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

/// Why a handshake ended before a verified proof.
#[derive(Debug)]
enum Failed {
    /// The peer closed the connection.
    Closed,
    /// The whole-handshake deadline passed.
    TimedOut,
    /// A newer handshake took its place (the caps were reached).
    PushedOut,
    /// The peer broke the protocol or its signature did not verify.
    Refused(RefusalReason),
    /// Sending failed.
    Broken(anyhow::Error),
}

/// A handshake whose proof verified.
struct Proven {
    serial: Serial,
    device_key: DevicePublicKey,
    key_epoch: u32,
    session: SessionKey,
}

async fn serve(
    state: AppState,
    mut socket: WebSocket,
    address: AddressKey,
    ticket: Ticket,
    deadline: Instant,
) -> anyhow::Result<()> {
    let Ticket { guard, mut dropped } = ticket;
    let proven = tokio::select! {
        biased;
        _ = &mut dropped => Err(Failed::PushedOut),
        r = tokio::time::timeout_at(deadline, handshake(&state, &mut socket, address)) => {
            r.unwrap_or(Err(Failed::TimedOut))
        }
    };
    // Proven or not, the handshake no longer counts as in progress.
    drop(guard);
    match proven {
        Ok(proven) => connected(state, socket, address, proven).await,
        Err(failed) => {
            state.hub.admission.record_failure(address, state.now());
            match failed {
                Failed::Closed => Ok(()),
                Failed::TimedOut => {
                    tracing::info!(%address, "gateway: handshake timed out");
                    refuse(&mut socket, RefusalReason::ProtocolViolation).await
                }
                Failed::PushedOut => refuse(&mut socket, RefusalReason::RateLimited).await,
                Failed::Refused(reason) => refuse(&mut socket, reason).await,
                Failed::Broken(e) => Err(e),
            }
        }
    }
}

/// `hello`, `challenge`, `proof` (docs/protocol.md §3), up to a verified proof.
async fn handshake(
    state: &AppState,
    socket: &mut WebSocket,
    address: AddressKey,
) -> Result<Proven, Failed> {
    // 1. hello
    let hello = match receive(socket).await {
        Ok(Some(m)) => m,
        Ok(None) => return Err(Failed::Closed),
        Err(_) => return Err(Failed::Refused(RefusalReason::ProtocolViolation)),
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
        return Err(Failed::Refused(RefusalReason::ProtocolViolation));
    };
    if protocol != GATEWAY_PROTOCOL {
        return Err(Failed::Refused(RefusalReason::UnsupportedProtocol));
    }
    let limits = &state.config.gateway;
    if state.hub.admission.slowed(address, limits, state.now()) {
        // Many failures came from this address: its unauthenticated work waits (and so costs
        // the cloud at most one signature per place per second), but is still answered.
        tokio::time::sleep(SLOW_DOWN.min(limits.handshake_timeout / 2)).await;
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
        socket,
        &CloudMessage::Challenge {
            cloud_nonce: B64(handshake.cloud_nonce),
            cloud_ephemeral: B64(handshake.cloud_ephemeral),
            cloud_time: handshake.cloud_time,
            signature: B64(signature),
        },
    )
    .await
    .map_err(Failed::Broken)?;
    // 3. proof
    let signature = match receive(socket).await {
        Ok(Some(DeviceMessage::Proof { signature })) => signature,
        Ok(None) => return Err(Failed::Closed),
        _ => return Err(Failed::Refused(RefusalReason::ProtocolViolation)),
    };
    if handshake.verify_device(&signature.0).is_err() {
        tracing::warn!(serial = %serial, %address, "gateway: device signature does not verify");
        return Err(Failed::Refused(RefusalReason::BadSignature));
    }
    let Ok(session) = handshake.session_key(Side::Cloud, &ephemeral) else {
        return Err(Failed::Refused(RefusalReason::ProtocolViolation));
    };
    Ok(Proven {
        serial,
        device_key,
        key_epoch,
        session,
    })
}

/// Enrolment, `welcome`, and the connection of a recorder that proved its key.
async fn connected(
    state: AppState,
    mut socket: WebSocket,
    address: AddressKey,
    proven: Proven,
) -> anyhow::Result<()> {
    let Proven {
        serial,
        device_key,
        key_epoch,
        session,
    } = proven;
    // 4. enrolment and welcome
    let now = state.now();
    let enrolments = Limit::per_window(state.config.gateway.enrolments_per_address, 3600);
    if state.store.device_by_serial(&serial).await?.is_none()
        && state
            .store
            .take_slot(&format!("enrol-ip:{address}"), enrolments, now)
            .await?
            .is_some()
    {
        tracing::warn!(serial = %serial, %address, "gateway: too many new serials from one address");
        state.hub.admission.record_failure(address, now);
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
            tracing::warn!(serial = %serial, %address, "gateway: serial enrolled with another device key");
            state.hub.admission.record_failure(address, now);
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
