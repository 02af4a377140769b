//! The harness: a recorder on port 0 with a fresh data directory, a test cloud gateway peer
//! that plays the cloud's side of the protocol, and a cookie-keeping HTTP client.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rekey_proto::gateway::{B64, B64Vec, Binding, CloudMessage, DeviceMessage, KeyCause};
use rekey_proto::{
    CloudBase, CloudSigningKey, DevicePublicKey, EphemeralSecret, Handshake, RecoveryKey, Serial,
    Side,
};
use rekey_recorder::agent::AgentStatus;
use rekey_recorder::{App, Application, Config};
use rekey_web::{ManualClock, random_array};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// How long any awaited condition may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A password that passes the policy.
pub const PASSWORD: &str = "kumo-to-sakana-7";

// ---------------------------------------------------------------- test cloud gateway peer

/// What the test cloud saw on its gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A `hello`.
    Hello {
        /// The serial the recorder announced.
        serial: Serial,
        /// The key epoch it holds.
        key_epoch: u32,
    },
    /// A valid `proof`.
    Proof,
    /// The connection closed before any proof arrived (after the challenge).
    ClosedWithoutProof,
    /// A `key_stored`.
    KeyStored(u32),
    /// A `heartbeat`.
    Heartbeat {
        /// Its `last_used_seq`.
        last_used_seq: u32,
    },
    /// A `disabled`.
    Disabled,
    /// A `release` of the binding of this key epoch.
    Release(u32),
    /// The connection closed after the welcome.
    Closed,
}

/// What the test cloud does; tests change it between connections.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// The binding sent in `welcome`.
    pub binding: Binding,
    /// `heartbeat_secs` of `welcome`.
    pub heartbeat_secs: u32,
    /// The live recovery key, delivered when the recorder's epoch differs.
    pub recovery_key: Option<(u32, RecoveryKey)>,
    /// Why that key was made, sent with it.
    pub key_cause: KeyCause,
    /// How far the cloud's clock is from the real one (seconds).
    pub clock_offset: i64,
}

#[derive(Debug)]
enum Command {
    Kick,
    Send(CloudMessage),
}

/// A real WebSocket server on 127.0.0.1:0 that plays the cloud's side of §3/§9.
#[derive(Debug)]
pub struct TestCloud {
    /// Its base URL (`http://127.0.0.1:PORT`).
    pub base: CloudBase,
    /// The key it signs its challenges with.
    pub key: CloudSigningKey,
    /// What it does.
    pub behaviour: Arc<Mutex<Behaviour>>,
    seen: mpsc::UnboundedReceiver<Seen>,
    current: Arc<Mutex<Option<mpsc::UnboundedSender<Command>>>>,
    device_key: Arc<Mutex<Option<DevicePublicKey>>>,
    task: JoinHandle<()>,
}

impl Drop for TestCloud {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A valid register code (11 symbols plus the check symbol).
pub fn register_code() -> String {
    rekey_proto::RegisterCode::from_random([1, 2, 3, 4, 5, 6, 7]).compact()
}

impl TestCloud {
    /// A cloud signing with a random key, unbound binding, 1 s heartbeats, no recovery key.
    pub async fn start() -> Self {
        Self::start_with_key(CloudSigningKey::from_seed(random_array())).await
    }

    /// A cloud signing with `key`.
    pub async fn start_with_key(key: CloudSigningKey) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind test cloud");
        let addr = listener.local_addr().expect("local addr");
        let behaviour = Arc::new(Mutex::new(Behaviour {
            binding: Binding::Unbound {
                register_code: register_code(),
            },
            heartbeat_secs: 1,
            recovery_key: None,
            key_cause: KeyCause::Unknown,
            clock_offset: 0,
        }));
        let (seen_tx, seen) = mpsc::unbounded_channel();
        let current = Arc::new(Mutex::new(None));
        let device_key = Arc::new(Mutex::new(None));
        let task = tokio::spawn(serve(
            listener,
            key.clone(),
            behaviour.clone(),
            seen_tx,
            current.clone(),
            device_key.clone(),
        ));
        Self {
            base: CloudBase::parse(&format!("http://{addr}")).expect("base"),
            key,
            behaviour,
            seen,
            current,
            device_key,
            task,
        }
    }

    /// Changes the behaviour for the next frames and connections.
    pub fn set(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.behaviour.lock().expect("behaviour"));
    }

    /// Closes the current connection from the cloud's side.
    pub fn kick(&self) {
        if let Some(tx) = self.current.lock().expect("current").as_ref() {
            let _ = tx.send(Command::Kick);
        }
    }

    /// Sends a frame on the current connection.
    pub fn send(&self, msg: CloudMessage) {
        if let Some(tx) = self.current.lock().expect("current").as_ref() {
            let _ = tx.send(Command::Send(msg));
        }
    }

    /// The device key the recorder presented.
    pub fn device_key(&self) -> Option<DevicePublicKey> {
        *self.device_key.lock().expect("device key")
    }

    /// Waits until the gateway sees something matching `want`; returns it. Panics at the deadline.
    pub async fn expect(&mut self, what: &str, want: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            match tokio::time::timeout_at(deadline, self.seen.recv()).await {
                Ok(Some(s)) if want(&s) => return s,
                Ok(Some(_)) => {}
                Ok(None) => panic!("test cloud stopped while waiting for {what}"),
                Err(_) => panic!("the test cloud never saw {what}"),
            }
        }
    }

    /// Everything seen so far that was not consumed.
    pub fn drain(&mut self) -> Vec<Seen> {
        let mut out = Vec::new();
        while let Ok(s) = self.seen.try_recv() {
            out.push(s);
        }
        out
    }
}

async fn serve(
    listener: TcpListener,
    key: CloudSigningKey,
    behaviour: Arc<Mutex<Behaviour>>,
    seen: mpsc::UnboundedSender<Seen>,
    current: Arc<Mutex<Option<mpsc::UnboundedSender<Command>>>>,
    device_key: Arc<Mutex<Option<DevicePublicKey>>>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
            continue;
        };
        let (tx, rx) = mpsc::unbounded_channel();
        *current.lock().expect("current") = Some(tx);
        tokio::spawn(connection(
            ws,
            key.clone(),
            behaviour.clone(),
            seen.clone(),
            rx,
            device_key.clone(),
        ));
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn send(ws: &mut Ws, msg: &CloudMessage) -> bool {
    let text = serde_json::to_string(msg).expect("serialize");
    ws.send(Message::text(text)).await.is_ok()
}

async fn recv(ws: &mut Ws) -> Option<DeviceMessage> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(t)) => return serde_json::from_str(t.as_str()).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

fn cloud_now(b: &Arc<Mutex<Behaviour>>) -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() + b.lock().expect("behaviour").clock_offset
}

async fn connection(
    mut ws: Ws,
    key: CloudSigningKey,
    behaviour: Arc<Mutex<Behaviour>>,
    seen: mpsc::UnboundedSender<Seen>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    device_key: Arc<Mutex<Option<DevicePublicKey>>>,
) {
    let Some(DeviceMessage::Hello {
        serial,
        device_key: dk,
        device_nonce,
        device_ephemeral,
        key_epoch,
        ..
    }) = recv(&mut ws).await
    else {
        return;
    };
    *device_key.lock().expect("device key") = Some(dk);
    let _ = seen.send(Seen::Hello {
        serial: serial.clone(),
        key_epoch,
    });
    let eph = EphemeralSecret::from_bytes(random_array());
    let hs = Handshake {
        serial: serial.clone(),
        device_key: dk,
        device_nonce: device_nonce.0,
        device_ephemeral: device_ephemeral.0,
        cloud_key: key.public(),
        cloud_nonce: random_array(),
        cloud_ephemeral: eph.public(),
        cloud_time: cloud_now(&behaviour),
    };
    let challenge = CloudMessage::Challenge {
        cloud_nonce: B64(hs.cloud_nonce),
        cloud_ephemeral: B64(hs.cloud_ephemeral),
        cloud_time: hs.cloud_time,
        signature: B64(hs.sign_as_cloud(&key)),
    };
    if !send(&mut ws, &challenge).await {
        return;
    }
    let Some(DeviceMessage::Proof { signature }) = recv(&mut ws).await else {
        let _ = seen.send(Seen::ClosedWithoutProof);
        return;
    };
    hs.verify_device(&signature.0)
        .expect("the recorder's proof verifies");
    let session = hs.session_key(Side::Cloud, &eph).expect("session key");
    let _ = seen.send(Seen::Proof);
    let b = behaviour.lock().expect("behaviour").clone();
    let live_epoch = b.recovery_key.as_ref().map_or(0, |(e, _)| *e);
    let welcome = CloudMessage::Welcome {
        binding: b.binding.clone(),
        heartbeat_secs: b.heartbeat_secs,
        key_epoch: live_epoch,
    };
    if !send(&mut ws, &welcome).await {
        return;
    }
    if let Some((epoch, rk)) = &b.recovery_key
        && *epoch != key_epoch
    {
        let sealed = session.seal_recovery_key(&serial, *epoch, rk);
        let msg = CloudMessage::RecoveryKey {
            epoch: *epoch,
            sealed: B64Vec(sealed),
            cause: b.key_cause,
        };
        if !send(&mut ws, &msg).await {
            return;
        }
    }
    loop {
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(Command::Send(m)) => { if !send(&mut ws, &m).await { break; } }
                Some(Command::Kick) | None => { let _ = ws.close(None).await; break; }
            },
            msg = recv(&mut ws) => match msg {
                Some(DeviceMessage::Heartbeat { last_used_seq, .. }) => {
                    let _ = seen.send(Seen::Heartbeat { last_used_seq });
                    let ack = CloudMessage::HeartbeatAck { cloud_time: cloud_now(&behaviour) };
                    if !send(&mut ws, &ack).await { break; }
                }
                Some(DeviceMessage::KeyStored { epoch }) => { let _ = seen.send(Seen::KeyStored(epoch)); }
                Some(DeviceMessage::Disabled) => { let _ = seen.send(Seen::Disabled); }
                Some(DeviceMessage::Release { key_epoch }) => { let _ = seen.send(Seen::Release(key_epoch)); }
                Some(_) => {}
                None => break,
            },
        }
    }
    let _ = seen.send(Seen::Closed);
}

// ---------------------------------------------------------------- the recorder

/// A running recorder.
pub struct TestRecorder {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The application state (agent status, store).
    pub app: Arc<App>,
    /// Its clock.
    pub clock: ManualClock,
    dir: Option<TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for TestRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestRecorder")
            .field("url", &self.url)
            .finish()
    }
}

/// A recorder with a fresh data directory, pinned to `cloud`'s key.
pub async fn spawn_recorder(cloud: &TestCloud) -> TestRecorder {
    spawn_recorder_with(cloud, |_| {}).await
}

/// A recorder with a fresh data directory whose test configuration `tweak` changed.
pub async fn spawn_recorder_with(
    cloud: &TestCloud,
    tweak: impl FnOnce(&mut Config),
) -> TestRecorder {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = ManualClock::new(time::OffsetDateTime::now_utc().unix_timestamp());
    spawn_recorder_in_with(dir, &cloud.base, cloud.key.public(), clock, tweak).await
}

/// A recorder on an existing data directory.
pub async fn spawn_recorder_in(
    dir: TempDir,
    base: &CloudBase,
    pinned: rekey_proto::CloudPublicKey,
    clock: ManualClock,
) -> TestRecorder {
    spawn_recorder_in_with(dir, base, pinned, clock, |_| {}).await
}

/// A recorder on an existing data directory whose test configuration `tweak` changed.
pub async fn spawn_recorder_in_with(
    dir: TempDir,
    base: &CloudBase,
    pinned: rekey_proto::CloudPublicKey,
    clock: ManualClock,
    tweak: impl FnOnce(&mut Config),
) -> TestRecorder {
    let mut config = Config::for_test(
        dir.path().to_path_buf(),
        base.clone(),
        pinned,
        Arc::new(clock.clone()),
    );
    tweak(&mut config);
    let application = Application::build(config).await.expect("build recorder");
    let url = format!("http://127.0.0.1:{}", application.port());
    let app = application.app();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(application.run_until(async {
        let _ = stopped.await;
    }));
    TestRecorder {
        url,
        app,
        clock,
        dir: Some(dir),
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestRecorder {
    /// Stops the recorder (as a shutdown, not a crash) and hands back its data directory.
    pub async fn stop(mut self) -> (TempDir, ManualClock) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(DEADLINE, t).await;
        }
        let dir = self.dir.take().expect("data dir");
        (dir, self.clock.clone())
    }

    /// Waits until the agent's status satisfies `want`.
    pub async fn wait_status(
        &self,
        what: &str,
        want: impl Fn(&AgentStatus) -> bool,
    ) -> AgentStatus {
        let mut rx = self.app.cloud.status();
        let r = tokio::time::timeout(DEADLINE, rx.wait_for(|s| want(s))).await;
        match r {
            Ok(Ok(s)) => s.clone(),
            _ => panic!(
                "the agent never reached: {what}; status {:?}",
                self.app.cloud.current()
            ),
        }
    }

    /// A browser for this recorder.
    pub fn browser(&self) -> Browser {
        Browser::following_redirects(&self.url)
    }
}

// ---------------------------------------------------------------- the browser

pub use rekey_testkit::{Browser, Page, decode_qr};

/// The recorder's own forms, for a test browser.
pub trait RecorderForms {
    /// Sets the admin password on first start.
    async fn activate(&self, password: &str, email: &str) -> Page;
    /// Logs in.
    async fn login(&self, user: &str, password: &str) -> Page;
}

impl RecorderForms for Browser {
    async fn activate(&self, password: &str, email: &str) -> Page {
        let fields = [
            ("password", password),
            ("confirm", password),
            ("email", email),
        ];
        self.submit("/activate", "/activate", &fields).await
    }

    async fn login(&self, user: &str, password: &str) -> Page {
        let fields = [("username", user), ("password", password)];
        self.submit("/login", "/login", &fields).await
    }
}

/// An activated recorder with the admin logged in, the cloud enabled and online.
pub async fn online_recorder(cloud: &mut TestCloud, email: &str) -> (TestRecorder, Browser) {
    online_recorder_with(cloud, email, |_| {}).await
}

/// [`online_recorder`] with a test configuration that `tweak` changed.
pub async fn online_recorder_with(
    cloud: &mut TestCloud,
    email: &str,
    tweak: impl FnOnce(&mut Config),
) -> (TestRecorder, Browser) {
    let rec = spawn_recorder_with(cloud, tweak).await;
    let b = rec.browser();
    b.activate(PASSWORD, email).await;
    let p = b.login("admin", PASSWORD).await;
    assert_eq!(p.path(), "/network/cloud", "logged in");
    enable_cloud(&b).await;
    rec.wait_status("online", |s| s.welcomes >= 1).await;
    (rec, b)
}

/// Ticks "Cloud enabled" and applies.
pub async fn enable_cloud(b: &Browser) -> Page {
    b.submit("/network/cloud", "/network/cloud", &[("enabled", "on")])
        .await
}

/// The event codes of the audit log's entries (`data-event`), newest first.
pub fn audit_events(audit: &Page) -> Vec<String> {
    audit.data_values("data-event")
}
