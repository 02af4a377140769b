//! A simulated recorder on the cloud's device gateway (docs/protocol.md §3, §9), doing what the
//! recorder's agent does: `hello`, the cloud's `challenge` verified under the pinned cloud key,
//! `proof`, `welcome`; recovery keys opened with the session key and confirmed (`key_stored`),
//! their epoch sent in the next `hello`; a heartbeat every `heartbeat_secs` of the welcome (the
//! first after a random part of it, [`crate::net::heartbeat_ticker`]).

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use rekey_proto::gateway::{B64, CloudMessage, DeviceMessage, GATEWAY_PATH, GATEWAY_PROTOCOL};
use rekey_proto::{
    CloudPublicKey, DeviceSigningKey, EphemeralSecret, Handshake, Serial, SessionKey, Side,
};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::identity;
use crate::net::{self, OpenGauge};
use crate::stats::{ErrorKind, Stats};

/// The heartbeat interval when the welcome says 0 (the recorder's default).
const DEFAULT_HEARTBEAT_SECS: u32 = 20;
/// The largest frame the cloud sends is a few hundred bytes.
const MAX_FRAME: usize = 16 * 1024;

/// Where the fleet connects and which cloud key it pins.
#[derive(Debug, Clone)]
pub struct GatewayTarget {
    /// `ws://HOST:PORT/gateway/v1`.
    pub url: String,
    /// The resolved address of HOST:PORT.
    pub addr: SocketAddr,
    /// The pinned cloud key.
    pub cloud_key: CloudPublicKey,
    /// TCP, the upgrade and the handshake together must finish within this.
    pub handshake_timeout: Duration,
}

impl GatewayTarget {
    /// Resolves `url`: a cloud base URL (`http://HOST:PORT`, `ws://HOST:PORT`) or the gateway's
    /// full `ws://` URL. TLS (`https://`, `wss://`) is not supported: the load generator
    /// measures the gateway, not a TLS stack.
    pub async fn resolve(
        url: &str,
        cloud_key: CloudPublicKey,
        handshake_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let rest = if let Some(r) = url
            .strip_prefix("ws://")
            .or_else(|| url.strip_prefix("http://"))
        {
            r
        } else {
            bail!("--url must start with ws:// or http:// (TLS is not supported): {url}");
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let path = if path.is_empty() || path == "/" {
            GATEWAY_PATH
        } else {
            path
        };
        let addr = tokio::net::lookup_host(authority)
            .await
            .with_context(|| format!("cannot resolve {authority}"))?
            .next()
            .with_context(|| format!("{authority} resolves to no address"))?;
        Ok(Self {
            url: format!("ws://{authority}{path}"),
            addr,
            cloud_key,
            handshake_timeout,
        })
    }
}

/// One simulated recorder: its identity and the recovery key epoch it holds.
#[derive(Debug)]
pub struct Recorder {
    /// Its serial.
    pub serial: Serial,
    key: DeviceSigningKey,
    /// The epoch of the recovery key it holds, 0 if none.
    pub key_epoch: u32,
}

impl Recorder {
    /// Device `index` of the fleet `seed`.
    pub fn new(seed: u64, index: u64) -> Self {
        Self {
            serial: identity::serial(index),
            key: identity::device_key(seed, index),
            key_epoch: 0,
        }
    }
}

/// A welcomed connection.
#[derive(Debug)]
pub struct Established {
    ws: WebSocketStream<TcpStream>,
    session_key: SessionKey,
    /// The heartbeat interval of the welcome.
    pub heartbeat: Duration,
    _open: OpenGauge,
}

/// The client's WebSocket settings: small buffers, so that many thousand connections fit in
/// one process.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

async fn send(ws: &mut WebSocketStream<TcpStream>, msg: &DeviceMessage) -> Result<(), ErrorKind> {
    let text = serde_json::to_string(msg).map_err(|_| ErrorKind::Protocol)?;
    ws.send(Message::text(text))
        .await
        .map_err(|_| ErrorKind::Lost)
}

/// What one frame from the cloud was.
enum Frame {
    /// A known message.
    Message(CloudMessage),
    /// A text frame of an unknown type, or a control frame: ignored.
    Ignored,
}

fn frame(
    item: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Result<Frame, ErrorKind> {
    match item {
        Some(Ok(Message::Text(text))) => Ok(serde_json::from_str::<CloudMessage>(text.as_str())
            .map_or(Frame::Ignored, Frame::Message)),
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Ok(Frame::Ignored),
        Some(Ok(Message::Binary(_))) => Err(ErrorKind::Protocol),
        Some(Ok(Message::Close(_)) | Err(_)) | None => Err(ErrorKind::Lost),
    }
}

/// The next known handshake message; `refused` ends the handshake.
async fn recv_handshake(ws: &mut WebSocketStream<TcpStream>) -> Result<CloudMessage, ErrorKind> {
    loop {
        match frame(ws.next().await) {
            Ok(Frame::Message(CloudMessage::Refused { reason })) => {
                return Err(ErrorKind::refused(reason));
            }
            Ok(Frame::Message(m)) => return Ok(m),
            Ok(Frame::Ignored) => {}
            Err(ErrorKind::Lost) => return Err(ErrorKind::ClosedEarly),
            Err(e) => return Err(e),
        }
    }
}

/// Connects (from `source`), upgrades and runs the handshake up to the welcome, all within the
/// target's handshake timeout.
pub async fn open(
    target: &GatewayTarget,
    recorder: &mut Recorder,
    source: Option<Ipv4Addr>,
    stats: &Arc<Stats>,
) -> Result<Established, ErrorKind> {
    tokio::time::timeout(target.handshake_timeout, async {
        let stream = net::connect(target.addr, source).await?;
        let open = OpenGauge::new(stats);
        let (mut ws, _) = tokio_tungstenite::client_async_with_config(
            target.url.as_str(),
            stream,
            Some(ws_config()),
        )
        .await
        .map_err(|_| ErrorKind::Upgrade)?;
        let (session_key, heartbeat) = handshake(&mut ws, target, recorder).await?;
        Ok(Established {
            ws,
            session_key,
            heartbeat,
            _open: open,
        })
    })
    .await
    .unwrap_or(Err(ErrorKind::Timeout))
}

/// hello → challenge (verified under the pinned key) → proof → welcome.
async fn handshake(
    ws: &mut WebSocketStream<TcpStream>,
    target: &GatewayTarget,
    recorder: &Recorder,
) -> Result<(SessionKey, Duration), ErrorKind> {
    let ephemeral = EphemeralSecret::from_bytes(net::random_array());
    let device_nonce: [u8; 32] = net::random_array();
    let device_key = recorder.key.public();
    let device_ephemeral = ephemeral.public();
    send(
        ws,
        &DeviceMessage::Hello {
            protocol: GATEWAY_PROTOCOL,
            serial: recorder.serial.clone(),
            device_key,
            device_nonce: B64(device_nonce),
            device_ephemeral: B64(device_ephemeral),
            key_epoch: recorder.key_epoch,
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
        return Err(ErrorKind::Protocol);
    };
    let hs = Handshake {
        serial: recorder.serial.clone(),
        device_key,
        device_nonce,
        device_ephemeral,
        cloud_key: target.cloud_key,
        cloud_nonce: cloud_nonce.0,
        cloud_ephemeral: cloud_ephemeral.0,
        cloud_time,
    };
    if hs.verify_cloud(&signature.0).is_err() {
        return Err(ErrorKind::NotConfiguredCloud);
    }
    let session_key = hs
        .session_key(Side::Device, &ephemeral)
        .map_err(|_| ErrorKind::Protocol)?;
    drop(ephemeral);
    send(
        ws,
        &DeviceMessage::Proof {
            signature: B64(hs.sign_as_device(&recorder.key)),
        },
    )
    .await?;
    let CloudMessage::Welcome { heartbeat_secs, .. } = recv_handshake(ws).await? else {
        return Err(ErrorKind::Protocol);
    };
    let secs = if heartbeat_secs == 0 {
        DEFAULT_HEARTBEAT_SECS
    } else {
        heartbeat_secs.min(3600)
    };
    Ok((session_key, Duration::from_secs(u64::from(secs))))
}

/// Sends one heartbeat.
async fn heartbeat(est: &mut Established, stats: &Stats) -> Result<(), ErrorKind> {
    send(
        &mut est.ws,
        &DeviceMessage::Heartbeat {
            recorder_time: unix_now(),
            last_used_seq: 0,
        },
    )
    .await?;
    stats.heartbeats.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Handles one message after the welcome; `true` for a heartbeat answer.
async fn handle(
    est: &mut Established,
    recorder: &mut Recorder,
    message: CloudMessage,
) -> Result<bool, ErrorKind> {
    match message {
        CloudMessage::RecoveryKey { epoch, sealed, .. } => {
            est.session_key
                .open_recovery_key(&recorder.serial, epoch, &sealed.0)
                .map_err(|_| ErrorKind::KeyDelivery)?;
            recorder.key_epoch = epoch;
            send(&mut est.ws, &DeviceMessage::KeyStored { epoch }).await?;
            Ok(false)
        }
        CloudMessage::HeartbeatAck { .. } => Ok(true),
        CloudMessage::Welcome { .. }
        | CloudMessage::Binding { .. }
        | CloudMessage::Released { .. } => Ok(false),
        CloudMessage::Refused { reason } => Err(ErrorKind::refused(reason)),
        CloudMessage::Challenge { .. } => Err(ErrorKind::Protocol),
    }
}

/// Keeps a welcomed connection: heartbeats out, recovery keys and acks in, until `stop`
/// resolves (`Ok`) or the connection is lost (three heartbeat periods without a frame count as
/// lost, as on the recorder). `acked` becomes true at the first heartbeat answer, which is
/// also counted in [`Stats::acked`] (the caller uncounts it).
pub async fn hold(
    est: &mut Established,
    recorder: &mut Recorder,
    stats: &Stats,
    acked: &mut bool,
    mut stop: Pin<&mut impl Future<Output = ()>>,
) -> Result<(), ErrorKind> {
    let period = est.heartbeat;
    let mut ticker = crate::net::heartbeat_ticker(period);
    let silence = period * 3;
    let mut deadline = Instant::now() + silence;
    loop {
        tokio::select! {
            () = &mut stop => return Ok(()),
            _ = ticker.tick() => heartbeat(est, stats).await?,
            item = tokio::time::timeout_at(deadline, est.ws.next()) => {
                let Ok(item) = item else { return Err(ErrorKind::Silence) };
                deadline = Instant::now() + silence;
                if let Frame::Message(m) = frame(item)?
                    && handle(est, recorder, m).await?
                {
                    stats.acks.fetch_add(1, Ordering::Relaxed);
                    if !*acked {
                        *acked = true;
                        stats.acked.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }
}

/// Sends a heartbeat and reads (answering recovery keys) until its answer; returns when the
/// heartbeat was sent. For probes that then go silent or close.
pub async fn heartbeat_round(
    est: &mut Established,
    recorder: &mut Recorder,
    stats: &Stats,
) -> Result<Instant, ErrorKind> {
    let sent = Instant::now();
    heartbeat(est, stats).await?;
    let deadline = sent + est.heartbeat * 3;
    loop {
        let item = tokio::time::timeout_at(deadline, est.ws.next())
            .await
            .map_err(|_| ErrorKind::Silence)?;
        if let Frame::Message(m) = frame(item)?
            && handle(est, recorder, m).await?
        {
            stats.acks.fetch_add(1, Ordering::Relaxed);
            return Ok(sent);
        }
    }
}
