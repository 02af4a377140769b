//! A connection's first two phases: the handshake up to a verified proof, and the welcome of a
//! recorder that proved its key (enrolment, binding, key) before it goes [`super::live`].

use rekey_proto::gateway::{
    B64, B64Vec, Binding, CloudMessage, DeviceMessage, GATEWAY_PROTOCOL, KeyCause,
};
use rekey_proto::{
    DevicePublicKey, EphemeralSecret, Handshake, RecoveryKey, RegisterCode, Serial, SessionKey,
    Side,
};
use rekey_web::random_array;
use tokio::time::Instant;
use tungstenite::protocol::frame::coding::CloseCode;

use super::admission::{AddressKey, Ticket};
use super::hub::Link;
use super::live::Live;
use super::socket::{Incoming, Socket};
use super::{RefusalReason, SLOW_DOWN, refuse, send};
use crate::metrics::Handshake as Outcome;
use crate::state::AppState;
use crate::store::devices::{EnrolError, StoredKey};
use crate::store::presence::GatewayDevice;
use crate::store::throttle::Limit;

/// How long a handshake may have been in progress and still count as shed under load, not as
/// a failure, when a newer one pushes it out (a recorder answers within a round trip).
const SHED_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

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

/// The next JSON message, answering pings; `None` when the peer closed.
pub(super) async fn receive(socket: &mut Socket) -> anyhow::Result<Option<DeviceMessage>> {
    loop {
        match socket.read_now().await? {
            Some(Incoming::Text(text)) => return Ok(Some(serde_json::from_slice(&text)?)),
            Some(Incoming::Binary) => anyhow::bail!("binary frame"),
            Some(Incoming::Closed) => return Ok(None),
            None => socket.readable().await?,
        }
    }
}

/// Runs a connection from the upgrade: handshake, welcome, then the live phase in a task of its
/// own.
pub(super) async fn run(
    state: AppState,
    mut socket: Socket,
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
        Ok(proven) => welcome(state, socket, address, proven).await,
        Err(failed) => {
            // A handshake pushed out young was shed under load (a fleet reconnecting at once),
            // not held by a misbehaving client: it does not count against its address.
            let began = deadline - state.config.gateway.handshake_timeout;
            let shed = matches!(failed, Failed::PushedOut) && began.elapsed() < SHED_GRACE;
            if !shed {
                state.hub.admission.record_failure(address, state.now());
            }
            state.metrics.handshake(match failed {
                Failed::Closed | Failed::Broken(_) => Outcome::Closed,
                Failed::TimedOut => Outcome::TimedOut,
                Failed::PushedOut => Outcome::Shed,
                Failed::Refused(_) => Outcome::Refused,
            });
            match failed {
                Failed::Closed => Ok(()),
                Failed::TimedOut => {
                    tracing::info!(%address, "gateway: handshake timed out");
                    Err(refuse(&mut socket, RefusalReason::ProtocolViolation).await)
                }
                Failed::PushedOut => Err(refuse(&mut socket, RefusalReason::RateLimited).await),
                Failed::Refused(reason) => Err(refuse(&mut socket, reason).await),
                Failed::Broken(e) => Err(e),
            }
        }
    }
}

/// `hello`, `challenge`, `proof` (docs/protocol.md §3), up to a verified proof.
async fn handshake(
    state: &AppState,
    socket: &mut Socket,
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

/// Enrolment and `welcome` (step 4), then the live phase. A known recorder costs one database
/// read here; a write only when something changed (its register code, a key it confirmed).
async fn welcome(
    state: AppState,
    mut socket: Socket,
    address: AddressKey,
    proven: Proven,
) -> anyhow::Result<()> {
    let Proven {
        serial,
        device_key,
        key_epoch,
        session,
    } = proven;
    let now = state.now();
    let device_key = device_key.to_string();
    let pushes = state.hub.pushes();
    let mut device = match state.device_reader.read(&serial).await? {
        Some(d) if d.device_key != device_key => {
            tracing::warn!(serial = %serial, %address, "gateway: serial enrolled with another device key");
            state.hub.admission.record_failure(address, now);
            state.metrics.handshake(Outcome::Refused);
            return Err(refuse(&mut socket, RefusalReason::KeyMismatch).await);
        }
        Some(d) if d.newest_key.is_some() => d,
        known => match enrol(&state, &serial, &device_key, address, known.is_some()).await? {
            Some(d) => d,
            None => {
                state.metrics.handshake(Outcome::Refused);
                return Err(refuse(&mut socket, RefusalReason::RateLimited).await);
            }
        },
    };
    // Only a recorder that proved the enrolled key takes the serial's place in the hub (and
    // closes an older connection of it).
    let link = Link::new(serial.clone(), now, state.hub.ticks());
    if !state.hub.register(&link) {
        socket.close(CloseCode::Away).await;
        return Ok(());
    }
    link.set_device_id(device.id);
    // Handed over before `welcome`, so that a flush after the recorder was welcomed writes it.
    state.presence.online(device.id, now);
    let result = async {
        if state.hub.pushes() != pushes {
            // A binding or key may have changed between the read and the registration.
            device = state
                .store
                .gateway_device(&serial)
                .await?
                .ok_or_else(|| anyhow::anyhow!("an enrolled device vanished"))?;
        }
        let newest = device
            .newest_key
            .clone()
            .ok_or_else(|| anyhow::anyhow!("an enrolled device has no recovery key"))?;
        let binding = binding_of(&state, &serial, &device).await?;
        send(
            &mut socket,
            &CloudMessage::Welcome {
                binding: binding.clone(),
                heartbeat_secs: state.config.heartbeat_secs,
                key_epoch: newest.epoch,
            },
        )
        .await?;
        if key_epoch == newest.epoch && newest.confirmed_at.is_none() {
            // The recorder holds the newest key (its `key_stored` may have been lost).
            state
                .store
                .confirm_recovery_key(device.id, newest.epoch, state.now())
                .await?;
        }
        let mut sent_epoch = key_epoch;
        deliver_key(
            &state,
            &mut socket,
            &serial,
            &session,
            &newest,
            &mut sent_epoch,
        )
        .await?;
        anyhow::Ok((binding, sent_epoch))
    }
    .await;
    let (binding, sent_epoch) = match result {
        Ok(r) => r,
        Err(e) => {
            if state.hub.unregister(&link) {
                state.presence.offline(device.id, now);
            }
            return Err(e);
        }
    };
    tracing::debug!(serial = %serial, "gateway: recorder online");
    state.metrics.handshake(Outcome::Welcomed);
    let live = Live {
        state,
        socket,
        link,
        session,
        device_id: device.id,
        sent_epoch,
        binding,
        written_drift: device.drift_secs,
        written_seq: device.last_used_seq,
    };
    // The live phase runs in a task of its own, whose state is only what it keeps.
    tokio::spawn(live.run());
    Ok(())
}

/// Enrols a recorder seen for the first time (or whose first key is missing) and reads it back;
/// `None` when its address enrolled too many new serials.
async fn enrol(
    state: &AppState,
    serial: &Serial,
    device_key: &str,
    address: AddressKey,
    known: bool,
) -> anyhow::Result<Option<GatewayDevice>> {
    let now = state.now();
    if !known {
        let enrolments = Limit::per_window(state.config.gateway.enrolments_per_address, 3600);
        if state
            .store
            .take_slot(&format!("enrol-ip:{address}"), enrolments, now)
            .await?
            .is_some()
        {
            tracing::warn!(serial = %serial, %address, "gateway: too many new serials from one address");
            state.hub.admission.record_failure(address, now);
            return Ok(None);
        }
    }
    let device = match state.store.enrol_device(serial, device_key, now).await {
        Ok((device, new)) => {
            if new {
                tracing::info!(serial = %serial, "gateway: enrolled a new recorder");
            }
            device
        }
        Err(EnrolError::KeyMismatch) => {
            anyhow::bail!("serial {serial} was enrolled concurrently with another device key")
        }
        Err(EnrolError::Store(e)) => return Err(e.into()),
    };
    if state.store.newest_recovery_key(device.id).await?.is_none() {
        crate::service::devices::rotate_recovery_key(state, &device, KeyCause::Enrolled).await?;
    }
    state
        .store
        .gateway_device(serial)
        .await?
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("an enrolled device vanished"))
}

/// The register code an unbound recorder shows: derived from its serial and the epoch of its
/// newest recovery key under the cloud's lookup key, so it stays the same across reconnects and
/// changes with every binding (which rotates the key), and a former owner's code never comes
/// back.
pub(super) fn register_code(state: &AppState, serial: &Serial, epoch: u32) -> RegisterCode {
    let digest = state.store.lookup_digest(
        b"rekey/cloud/register-code-seed\0",
        &[serial.as_str().as_bytes(), &epoch.to_be_bytes()],
    );
    let mut random = [0u8; rekey_proto::REGISTER_CODE_RANDOM_BYTES];
    let n = random.len();
    random.copy_from_slice(&digest[..n]);
    RegisterCode::from_random(random)
}

/// The binding to tell the recorder; the register code's hash is written only when it changed.
pub(super) async fn binding_of(
    state: &AppState,
    serial: &Serial,
    device: &GatewayDevice,
) -> anyhow::Result<Binding> {
    if device.account_id.is_some() {
        return Ok(Binding::Bound);
    }
    let epoch = device.newest_key.as_ref().map_or(0, |k| k.epoch);
    let code = register_code(state, serial, epoch);
    let hash = crate::service::devices::register_code_hash(state, &code);
    if device.register_code_hash.as_deref() != Some(hash.as_str()) {
        state
            .store
            .set_register_code(device.id, Some(&hash))
            .await?;
    }
    Ok(Binding::Unbound {
        register_code: code.compact(),
    })
}

/// Sends the newest recovery key if the recorder does not hold it yet.
pub(super) async fn deliver_key(
    state: &AppState,
    socket: &mut Socket,
    serial: &Serial,
    session: &SessionKey,
    newest: &StoredKey,
    sent_epoch: &mut u32,
) -> anyhow::Result<()> {
    if newest.epoch == *sent_epoch {
        return Ok(());
    }
    let key: RecoveryKey = state
        .master_key
        .open(serial, newest.epoch, &newest.sealed)
        .map_err(|_| anyhow::anyhow!("a stored recovery key does not open under the master key"))?;
    let sealed = session.seal_recovery_key(serial, newest.epoch, &key);
    send(
        socket,
        &CloudMessage::RecoveryKey {
            epoch: newest.epoch,
            sealed: B64Vec(sealed),
            cause: newest.cause,
        },
    )
    .await?;
    *sent_epoch = newest.epoch;
    Ok(())
}
