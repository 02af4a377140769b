//! A test recorder: a real WebSocket client that speaks the gateway protocol of
//! docs/protocol.md with its own device key, so the cloud's gateway can be tested alone. (The
//! real recorder process is tested against the real cloud in the end-to-end suite.)

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rekey_proto::gateway::{
    B64, Binding, CloudMessage, DeviceMessage, GATEWAY_PROTOCOL, RefusalReason,
};
use rekey_proto::{
    DeviceSigningKey, EphemeralSecret, Handshake, RecoveryKey, Serial, SessionKey, Side,
};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A connected, authenticated test recorder.
pub struct TestDevice {
    pub serial: Serial,
    pub binding: Binding,
    pub key_epoch: u32,
    pub recovery_key: Option<RecoveryKey>,
    socket: Socket,
    session: SessionKey,
}

/// How a connection attempt ended.
#[derive(Debug)]
pub enum Outcome {
    Welcomed(Box<TestDevice>),
    Refused(RefusalReason),
}

impl std::fmt::Debug for TestDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestDevice({})", self.serial)
    }
}

async fn recv(socket: &mut Socket) -> CloudMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a gateway frame within 10 s")
            .expect("connection open")
            .expect("frame");
        match frame {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("a cloud message"),
            Message::Close(_) => panic!("the cloud closed the connection"),
            _ => continue,
        }
    }
}

async fn send(socket: &mut Socket, m: &DeviceMessage) {
    socket
        .send(Message::Text(serde_json::to_string(m).unwrap().into()))
        .await
        .expect("send");
}

/// Connects as `serial` with `key`, proving with `proof_key` (normally the same key).
pub async fn connect_with(
    base: &str,
    serial: &str,
    key: &DeviceSigningKey,
    proof_key: &DeviceSigningKey,
    key_epoch: u32,
) -> Outcome {
    let url = format!(
        "{}{}",
        base.replacen("http", "ws", 1),
        rekey_proto::gateway::GATEWAY_PATH
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect to the gateway");
    let serial = Serial::parse(serial).expect("serial");
    let ephemeral = EphemeralSecret::from_bytes(rekey_web::random_array());
    let device_nonce = rekey_web::random_array::<32>();
    send(
        &mut socket,
        &DeviceMessage::Hello {
            protocol: GATEWAY_PROTOCOL,
            serial: serial.clone(),
            device_key: key.public(),
            device_nonce: B64(device_nonce),
            device_ephemeral: B64(ephemeral.public()),
            key_epoch,
        },
    )
    .await;
    let CloudMessage::Challenge {
        cloud_nonce,
        cloud_ephemeral,
        cloud_time,
        signature,
    } = recv(&mut socket).await
    else {
        panic!("challenge expected")
    };
    let handshake = Handshake {
        serial: serial.clone(),
        device_key: key.public(),
        device_nonce,
        device_ephemeral: ephemeral.public(),
        cloud_key: crate::cloud_public_key(),
        cloud_nonce: cloud_nonce.0,
        cloud_ephemeral: cloud_ephemeral.0,
        cloud_time,
    };
    handshake
        .verify_cloud(&signature.0)
        .expect("the cloud's signature verifies under the pinned key");
    send(
        &mut socket,
        &DeviceMessage::Proof {
            signature: B64(handshake.sign_as_device(proof_key)),
        },
    )
    .await;
    let session = handshake
        .session_key(Side::Device, &ephemeral)
        .expect("session key");
    match recv(&mut socket).await {
        CloudMessage::Welcome {
            binding,
            key_epoch: _,
            heartbeat_secs: _,
        } => Outcome::Welcomed(Box::new(TestDevice {
            serial,
            binding,
            key_epoch,
            recovery_key: None,
            socket,
            session,
        })),
        CloudMessage::Refused { reason } => Outcome::Refused(reason),
        other => panic!("welcome or refused expected, got {other:?}"),
    }
}

/// Connects and expects to be welcomed.
pub async fn connect(base: &str, serial: &str, key: &DeviceSigningKey) -> TestDevice {
    match connect_with(base, serial, key, key, 0).await {
        Outcome::Welcomed(d) => *d,
        Outcome::Refused(r) => panic!("refused: {r:?}"),
    }
}

impl TestDevice {
    /// The register code while unbound.
    pub fn register_code(&self) -> String {
        match &self.binding {
            Binding::Unbound { register_code } => register_code.clone(),
            Binding::Bound => panic!("bound: no register code"),
        }
    }

    /// Handles frames until `until` says stop: stores recovery keys (answering `key_stored`)
    /// and bindings as a recorder would.
    pub async fn process_until(
        &mut self,
        mut until: impl FnMut(&CloudMessage) -> bool,
    ) -> CloudMessage {
        loop {
            let m = recv(&mut self.socket).await;
            match &m {
                CloudMessage::RecoveryKey { epoch, sealed, .. } => {
                    let key = self
                        .session
                        .open_recovery_key(&self.serial, *epoch, &sealed.0)
                        .expect("key opens");
                    self.recovery_key = Some(key);
                    self.key_epoch = *epoch;
                    send(
                        &mut self.socket,
                        &DeviceMessage::KeyStored { epoch: *epoch },
                    )
                    .await;
                }
                CloudMessage::Binding { binding } => self.binding = binding.clone(),
                _ => {}
            }
            if until(&m) {
                return m;
            }
        }
    }

    /// Sends a heartbeat and waits for its answer.
    pub async fn heartbeat(&mut self, recorder_time: i64) -> i64 {
        send(
            &mut self.socket,
            &DeviceMessage::Heartbeat {
                recorder_time,
                last_used_seq: 0,
            },
        )
        .await;
        match self
            .process_until(|m| matches!(m, CloudMessage::HeartbeatAck { .. }))
            .await
        {
            CloudMessage::HeartbeatAck { cloud_time } => cloud_time,
            _ => unreachable!(),
        }
    }

    /// Sends `release` for the binding of `key_epoch` and returns the cloud's answer (the
    /// `binding` and key frames after it are left for [`Self::process_until`]).
    pub async fn release(&mut self, key_epoch: u32) -> rekey_proto::gateway::ReleaseOutcome {
        send(&mut self.socket, &DeviceMessage::Release { key_epoch }).await;
        match self
            .process_until(|m| matches!(m, CloudMessage::Released { .. }))
            .await
        {
            CloudMessage::Released {
                key_epoch: answered,
                outcome,
            } => {
                assert_eq!(answered, key_epoch, "the answer names the release");
                outcome
            }
            _ => unreachable!(),
        }
    }

    /// Says the cloud was disabled and closes.
    pub async fn disable(mut self) {
        send(&mut self.socket, &DeviceMessage::Disabled).await;
        let _ = self.socket.close(None).await;
    }

    /// Drops the connection without a word.
    pub async fn vanish(self) {
        drop(self.socket);
    }
}
