//! The cloud agent: a WebSocket client of the cloud's gateway (`docs/protocol.md` §3, §4, §9).
//!
//! It says `hello`, checks the cloud's `challenge` signature under the PINNED cloud key before
//! sending anything else (otherwise it closes and reports "not the configured cloud"), proves its
//! device key, then keeps the connection: it stores delivered recovery keys before confirming
//! them, records the binding and the clock drift, and sends heartbeats. When the connection ends
//! it reconnects with exponential back-off and jitter. [`Cloud`] starts and stops it and shares
//! its [`AgentStatus`] with the web UI through a `watch` channel.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rekey_proto::gateway::{
    B64, Binding, CloudMessage, DeviceMessage, GATEWAY_PROTOCOL, RefusalReason, ReleaseOutcome,
};
use rekey_proto::reconnect::Backoff;
use rekey_proto::{EphemeralSecret, Handshake, RegisterCode, SessionKey, Side};
use rekey_web::random_array;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::audit::Event;
use crate::config::Config;
use crate::store::{Identity, Store};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The link to the cloud as the cloud page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// The admin has not enabled the cloud (or disabled it).
    Disabled,
    /// Connecting or in the handshake.
    Connecting,
    /// Welcomed by the cloud; heartbeats flow.
    Online,
    /// The last attempt failed or the connection ended; waiting to retry.
    Offline,
}

impl Connection {
    /// The catalog key of this state's name.
    pub fn message_key(self) -> &'static str {
        match self {
            Connection::Disabled => "rec-cloud-status-disabled",
            Connection::Connecting => "rec-cloud-status-connecting",
            Connection::Online => "rec-cloud-status-online",
            Connection::Offline => "rec-cloud-status-offline",
        }
    }
}

/// Why the link to the cloud is not up; shown to the admin in words from the catalogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// The cloud could not be reached (DNS, TCP, TLS or WebSocket upgrade failed or timed out).
    #[error("the cloud could not be reached")]
    Unreachable,
    /// The server's signature does not verify under the pinned cloud key.
    #[error("the server is not the configured cloud")]
    NotConfiguredCloud,
    /// The cloud refused the recorder.
    #[error("the cloud refused the connection: {0:?}")]
    Refused(RefusalReason),
    /// The connection closed or went silent.
    #[error("the connection to the cloud was lost")]
    ConnectionLost,
    /// The cloud sent something the protocol does not allow here.
    #[error("the cloud broke the protocol")]
    Protocol,
    /// A delivered recovery key did not open with the session key.
    #[error("a recovery key from the cloud was not authentic")]
    KeyDelivery,
    /// The recorder could not write its state.
    #[error("the recorder could not save its state")]
    Storage,
}

impl AgentError {
    /// The catalog key of the message shown for this error.
    pub fn message_key(self) -> &'static str {
        match self {
            AgentError::Unreachable => "rec-cloud-error-unreachable",
            AgentError::NotConfiguredCloud => "rec-cloud-error-not-configured-cloud",
            AgentError::Refused(r) => match r {
                RefusalReason::UnsupportedProtocol => {
                    "rec-cloud-error-refused-unsupported-protocol"
                }
                RefusalReason::ProtocolViolation => "rec-cloud-error-refused-protocol-violation",
                RefusalReason::KeyMismatch => "rec-cloud-error-refused-key-mismatch",
                RefusalReason::BadSignature => "rec-cloud-error-refused-bad-signature",
                RefusalReason::RateLimited => "rec-cloud-error-refused-rate-limited",
            },
            AgentError::ConnectionLost => "rec-cloud-error-connection-lost",
            AgentError::Protocol => "rec-cloud-error-protocol",
            AgentError::KeyDelivery => "rec-cloud-error-key-delivery",
            AgentError::Storage => "rec-cloud-error-storage",
        }
    }
}

/// What the agent reports to the web UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStatus {
    /// The state of the link.
    pub connection: Connection,
    /// Why the last connection failed or ended, until the next welcome.
    pub last_error: Option<AgentError>,
    /// `recorder_time − cloud_time` in seconds, from the last challenge or heartbeat_ack.
    pub drift_secs: Option<i64>,
    /// How many times the cloud welcomed the recorder since start (tests wait on it).
    pub welcomes: u64,
}

impl Default for AgentStatus {
    fn default() -> Self {
        Self {
            connection: Connection::Disabled,
            last_error: None,
            drift_secs: None,
            welcomes: 0,
        }
    }
}

/// What a running agent needs.
#[derive(Debug)]
struct Context {
    config: Config,
    store: Store,
    identity: Identity,
    status: watch::Sender<AgentStatus>,
    /// Signalled when the admin released the recorder: a connected agent sends it at once.
    release: Notify,
}

impl Context {
    fn update(&self, f: impl FnOnce(&mut AgentStatus)) {
        self.status.send_modify(f);
    }
}

#[derive(Debug)]
struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Starts and stops the agent and holds its status.
#[derive(Debug)]
pub struct Cloud {
    ctx: Arc<Context>,
    running: Mutex<Option<Running>>,
}

impl Cloud {
    /// A stopped agent for this recorder.
    pub fn new(config: Config, store: Store, identity: Identity) -> Self {
        let (status, _) = watch::channel(AgentStatus::default());
        Self {
            ctx: Arc::new(Context {
                config,
                store,
                identity,
                status,
                release: Notify::new(),
            }),
            running: Mutex::new(None),
        }
    }

    /// A receiver of the agent's status.
    pub fn status(&self) -> watch::Receiver<AgentStatus> {
        self.ctx.status.subscribe()
    }

    /// The current status.
    pub fn current(&self) -> AgentStatus {
        self.ctx.status.borrow().clone()
    }

    /// Tells a connected agent that a release was recorded, so that it sends it now (an agent
    /// that is not connected sends it after its next welcome).
    pub fn release_requested(&self) {
        self.ctx.release.notify_one();
    }

    /// Starts the agent unless it runs already.
    pub async fn start(&self) {
        let mut running = self.running.lock().await;
        if running.as_ref().is_some_and(|r| !r.task.is_finished()) {
            return;
        }
        let (stop, stop_rx) = watch::channel(false);
        self.ctx.update(|s| {
            s.connection = Connection::Connecting;
            s.last_error = None;
        });
        let task = tokio::spawn(run(self.ctx.clone(), stop_rx));
        *running = Some(Running { stop, task });
    }

    /// Stops the agent: if connected it sends `disabled` and closes. Waits for it to end.
    pub async fn stop(&self) {
        let mut running = self.running.lock().await;
        if let Some(r) = running.take() {
            let _ = r.stop.send(true);
            let mut task = r.task;
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
        self.ctx.update(|s| {
            s.connection = Connection::Disabled;
            s.last_error = None;
            s.drift_secs = None;
        });
    }
}

impl Cloud {
    /// Ends the agent for a shutdown of the recorder: closes the connection without telling
    /// the cloud it was disabled.
    pub async fn shutdown(&self) {
        let mut running = self.running.lock().await;
        if let Some(r) = running.take() {
            drop(r.stop);
            let mut task = r.task;
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

/// The agent's loop: connect, run a session, wait the back-off, again; until stopped.
async fn run(ctx: Arc<Context>, mut stop: watch::Receiver<bool>) {
    let settings = ctx.config.agent;
    let backoff = Backoff {
        initial: settings.backoff_initial,
        max: settings.backoff_max,
        jitter_percent: settings.jitter_percent,
    };
    // Failed attempts in a row since the last welcome.
    let mut failures = 0u32;
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        ctx.update(|s| s.connection = Connection::Connecting);
        let mut welcomed = false;
        match session(&ctx, &mut stop, &mut welcomed).await {
            Ok(()) => return,
            Err(error) => {
                tracing::info!(%error, "cloud connection ended");
                ctx.update(|s| {
                    s.connection = Connection::Offline;
                    s.last_error = Some(error);
                });
            }
        }
        if welcomed {
            failures = 0;
        }
        let delay = backoff.delay(failures, u32::from_be_bytes(random_array()));
        failures = failures.saturating_add(1);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn send(ws: &mut Socket, msg: &DeviceMessage) -> Result<(), AgentError> {
    let text = serde_json::to_string(msg).map_err(|_| AgentError::Protocol)?;
    ws.send(Message::text(text))
        .await
        .map_err(|_| AgentError::ConnectionLost)
}

/// The next protocol message; `None` for a frame of an unknown type (to be ignored).
async fn recv(ws: &mut Socket) -> Result<Option<CloudMessage>, AgentError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                return Ok(serde_json::from_str::<CloudMessage>(text.as_str()).ok());
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            Some(Ok(Message::Binary(_))) => return Err(AgentError::Protocol),
            Some(Ok(Message::Close(_)) | Err(_)) | None => return Err(AgentError::ConnectionLost),
        }
    }
}

/// The next message of the handshake, which must be known; `refused` ends it.
async fn recv_handshake(ws: &mut Socket) -> Result<CloudMessage, AgentError> {
    match recv(ws).await? {
        Some(CloudMessage::Refused { reason }) => Err(AgentError::Refused(reason)),
        Some(m) => Ok(m),
        None => Err(AgentError::Protocol),
    }
}

/// What the handshake leaves for the rest of the session.
struct Established {
    session_key: SessionKey,
    heartbeat: Duration,
}

/// One connection. `Ok` only when stopped by the admin (after sending `disabled`).
async fn session(
    ctx: &Context,
    stop: &mut watch::Receiver<bool>,
    welcomed: &mut bool,
) -> Result<(), AgentError> {
    let url = ctx.config.gateway_url();
    let timeout = ctx.config.agent.handshake_timeout;
    let connect = tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url.as_str()));
    let mut ws = tokio::select! {
        r = connect => match r {
            Ok(Ok((ws, _))) => ws,
            _ => return Err(AgentError::Unreachable),
        },
        _ = stop.changed() => return Ok(()),
    };
    let established = tokio::select! {
        r = tokio::time::timeout(timeout, handshake(ctx, &mut ws)) => match r {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => {
                let _ = ws.close(None).await;
                return Err(e);
            }
            Err(_) => return Err(AgentError::ConnectionLost),
        },
        _ = stop.changed() => {
            let _ = ws.close(None).await;
            return Ok(());
        }
    };
    *welcomed = true;
    let result = connected(ctx, stop, &mut ws, &established).await;
    let _ = ws.close(None).await;
    result
}

/// hello → challenge (verified under the pinned key) → proof → welcome.
async fn handshake(ctx: &Context, ws: &mut Socket) -> Result<Established, AgentError> {
    let cloud = ctx
        .store
        .cloud_state()
        .await
        .map_err(|_| AgentError::Storage)?;
    let held_epoch = cloud.recovery_key.as_ref().map_or(0, |(e, _)| *e);
    let ephemeral = EphemeralSecret::from_bytes(random_array());
    let device_nonce: [u8; 32] = random_array();
    let serial = ctx.identity.serial.clone();
    send(
        ws,
        &DeviceMessage::Hello {
            protocol: GATEWAY_PROTOCOL,
            serial: serial.clone(),
            device_key: ctx.identity.key.public(),
            device_nonce: B64(device_nonce),
            device_ephemeral: B64(ephemeral.public()),
            key_epoch: held_epoch,
        },
    )
    .await?;
    let CloudMessage::Challenge {
        cloud_nonce,
        cloud_ephemeral,
        cloud_time,
        signature,
    } = recv_handshake(ws).await?
    else {
        return Err(AgentError::Protocol);
    };
    let hs = Handshake {
        serial,
        device_key: ctx.identity.key.public(),
        device_nonce,
        device_ephemeral: ephemeral.public(),
        cloud_key: ctx.config.cloud_key,
        cloud_nonce: cloud_nonce.0,
        cloud_ephemeral: cloud_ephemeral.0,
        cloud_time,
    };
    if hs.verify_cloud(&signature.0).is_err() {
        tracing::warn!("the gateway's signature does not verify under the pinned cloud key");
        return Err(AgentError::NotConfiguredCloud);
    }
    let now = ctx.config.clock.now();
    ctx.update(|s| s.drift_secs = Some(now - cloud_time));
    let session_key = hs
        .session_key(Side::Device, &ephemeral)
        .map_err(|_| AgentError::Protocol)?;
    drop(ephemeral);
    send(
        ws,
        &DeviceMessage::Proof {
            signature: B64(hs.sign_as_device(&ctx.identity.key)),
        },
    )
    .await?;
    let CloudMessage::Welcome {
        binding,
        heartbeat_secs,
        ..
    } = recv_handshake(ws).await?
    else {
        return Err(AgentError::Protocol);
    };
    apply_binding(ctx, &binding).await?;
    let secs = if heartbeat_secs == 0 {
        ctx.config.agent.heartbeat_secs
    } else {
        heartbeat_secs.min(3600)
    };
    ctx.update(|s| {
        s.connection = Connection::Online;
        s.last_error = None;
        s.welcomes += 1;
    });
    tracing::info!(serial = %hs.serial, "connected to the cloud");
    Ok(Established {
        session_key,
        heartbeat: Duration::from_secs(u64::from(secs)),
    })
}

async fn apply_binding(ctx: &Context, binding: &Binding) -> Result<(), AgentError> {
    let (code, bound) = match binding {
        Binding::Unbound { register_code } => {
            let code = RegisterCode::parse(register_code).map_err(|_| AgentError::Protocol)?;
            (Some(code.compact()), false)
        }
        Binding::Bound => (None, true),
    };
    ctx.store
        .set_binding(code.as_deref(), bound)
        .await
        .map_err(|_| AgentError::Storage)
}

/// Sends the pending release, if any (docs/protocol.md §9, "Release"); the cloud answers
/// `released`, and a repeated one changes nothing there.
async fn send_release(ctx: &Context, ws: &mut Socket) -> Result<(), AgentError> {
    let cloud = ctx
        .store
        .cloud_state()
        .await
        .map_err(|_| AgentError::Storage)?;
    if let Some(key_epoch) = cloud.release_pending() {
        tracing::info!(key_epoch, "sending the release from the cloud account");
        send(ws, &DeviceMessage::Release { key_epoch }).await?;
    }
    Ok(())
}

/// After the welcome: heartbeats out; recovery keys, bindings and acks in.
async fn connected(
    ctx: &Context,
    stop: &mut watch::Receiver<bool>,
    ws: &mut Socket,
    est: &Established,
) -> Result<(), AgentError> {
    let mut ticker = tokio::time::interval_at(Instant::now() + est.heartbeat, est.heartbeat);
    // The cloud answers every heartbeat: two periods without a frame mean the connection is
    // dead (a cloud that vanished without closing it).
    let silence = est.heartbeat * 2;
    let mut deadline = Instant::now() + silence;
    // A release recorded while offline (or before a restart) goes first.
    send_release(ctx, ws).await?;
    loop {
        tokio::select! {
            () = ctx.release.notified() => send_release(ctx, ws).await?,
            r = stop.changed() => {
                // Only the admin's "disable" says so to the cloud; a shutdown just closes.
                if r.is_ok() && *stop.borrow() {
                    let _ = send(ws, &DeviceMessage::Disabled).await;
                }
                return Ok(());
            }
            _ = ticker.tick() => {
                let last_used_seq = ctx
                    .store
                    .cloud_state()
                    .await
                    .map_err(|_| AgentError::Storage)?
                    .last_used_seq;
                send(ws, &DeviceMessage::Heartbeat {
                    recorder_time: ctx.config.clock.now(),
                    last_used_seq,
                }).await?;
            }
            r = tokio::time::timeout_at(deadline, recv(ws)) => {
                let Ok(msg) = r else { return Err(AgentError::ConnectionLost) };
                deadline = Instant::now() + silence;
                match msg? {
                    Some(CloudMessage::RecoveryKey { epoch, sealed, cause }) => {
                        let key = est
                            .session_key
                            .open_recovery_key(&ctx.identity.serial, epoch, &sealed.0)
                            .map_err(|_| AgentError::KeyDelivery)?;
                        let entry = Event::of_new_key(cause)
                            .map(|e| e.entry(ctx.config.clock.now()).detail(&epoch.to_string()));
                        ctx.store
                            .store_recovery_key(epoch, &key, entry.as_ref())
                            .await
                            .map_err(|_| AgentError::Storage)?;
                        tracing::info!(epoch, cause = cause.as_str(), "stored a new recovery key");
                        send(ws, &DeviceMessage::KeyStored { epoch }).await?;
                    }
                    Some(CloudMessage::Binding { binding } | CloudMessage::Welcome { binding, .. }) => {
                        apply_binding(ctx, &binding).await?;
                    }
                    Some(CloudMessage::Released { key_epoch, outcome }) => {
                        let detail = match outcome {
                            ReleaseOutcome::Released => "released",
                            ReleaseOutcome::NotBound => "not-bound",
                        };
                        let entry = Event::CloudReleased
                            .entry(ctx.config.clock.now())
                            .detail(detail);
                        let answered = ctx
                            .store
                            .release_answered(key_epoch, &entry)
                            .await
                            .map_err(|_| AgentError::Storage)?;
                        if answered {
                            tracing::info!(key_epoch, outcome = detail, "the cloud answered the release");
                        }
                    }
                    Some(CloudMessage::HeartbeatAck { cloud_time }) => {
                        let now = ctx.config.clock.now();
                        ctx.update(|s| s.drift_secs = Some(now - cloud_time));
                    }
                    Some(CloudMessage::Refused { reason }) => return Err(AgentError::Refused(reason)),
                    Some(CloudMessage::Challenge { .. }) => return Err(AgentError::Protocol),
                    None => tracing::debug!("ignored a gateway frame of an unknown type"),
                }
            }
        }
    }
}
