//! The gateway's limits on unauthenticated work (docs/protocol.md §3, "Handshake limits"): what
//! others do from a recorder's address never keeps a recorder that proves its key offline, and
//! a handshake that never proves is closed by its deadline. Also the welcome's device read,
//! shared by the recorders welcomed at the same moment.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rekey_proto::gateway::{
    B64, CloudMessage, DeviceMessage, GATEWAY_PROTOCOL, KeyCause, RefusalReason,
};
use rekey_proto::{DeviceSigningKey, EphemeralSecret, Serial};
use rekey_web::Clock;
use sqlx::Row;
use tokio_tungstenite::tungstenite::Message;

use crate::device::{self, Outcome, TestDevice};
use crate::support::{Backend, TestApp, eventually, spawn_app_with};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn key(n: u16) -> DeviceSigningKey {
    let mut seed = [0x5a; 32];
    seed[..2].copy_from_slice(&n.to_be_bytes());
    DeviceSigningKey::from_seed(seed)
}

/// A WebSocket to the gateway, nothing sent.
async fn open(app: &TestApp) -> Socket {
    open_from(app, LOOPBACK).await
}

/// A WebSocket to the gateway from the loopback address `from`, nothing sent.
async fn open_from(app: &TestApp, from: IpAddr) -> Socket {
    let url = format!(
        "{}{}",
        app.base.replacen("http", "ws", 1),
        rekey_proto::gateway::GATEWAY_PATH
    );
    let server: std::net::SocketAddr = app
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("the cloud's address");
    let tcp = tokio::net::TcpSocket::new_v4().expect("socket");
    tcp.bind((from, 0).into()).expect("bind");
    let stream = tcp.connect(server).await.expect("connect");
    tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
        .expect("the gateway upgrades")
        .0
}

/// A handshake that sends `hello` as `serial` with `key`, receives the challenge, and stops.
async fn hello_only(app: &TestApp, serial: &str, key: &DeviceSigningKey) -> Socket {
    hello_only_from(app, LOOPBACK, serial, key).await
}

/// [`hello_only`] from the loopback address `from`.
async fn hello_only_from(
    app: &TestApp,
    from: IpAddr,
    serial: &str,
    key: &DeviceSigningKey,
) -> Socket {
    let mut socket = open_from(app, from).await;
    let hello = DeviceMessage::Hello {
        protocol: GATEWAY_PROTOCOL,
        serial: Serial::parse(serial).expect("serial"),
        device_key: key.public(),
        device_nonce: B64(rekey_web::random_array()),
        device_ephemeral: B64(EphemeralSecret::from_bytes(rekey_web::random_array()).public()),
        key_epoch: 0,
    };
    socket
        .send(Message::Text(serde_json::to_string(&hello).unwrap().into()))
        .await
        .expect("send hello");
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a challenge within 10 s")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = frame {
            let m: CloudMessage = serde_json::from_str(t.as_str()).expect("a cloud message");
            assert!(
                matches!(m, CloudMessage::Challenge { .. }),
                "challenge expected: {m:?}"
            );
            return socket;
        }
    }
}

/// Reads until the cloud closes `socket`; the refusal it sent, if any. Panics if the socket is
/// still open after `limit`.
async fn closed_within(socket: &mut Socket, limit: Duration) -> Option<RefusalReason> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut reason = None;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => panic!("the cloud did not close the connection within {limit:?}"),
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return reason,
            Ok(Some(Ok(Message::Text(t)))) => {
                if let Ok(CloudMessage::Refused { reason: r }) = serde_json::from_str(t.as_str()) {
                    reason = Some(r);
                }
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Whether the database says the recorder is online, once the presence changes handed over so
/// far are written.
async fn is_online(app: &TestApp, serial: &str) -> bool {
    app.state.presence.flush().await;
    app.state
        .store
        .device_by_serial(&serial.parse().unwrap())
        .await
        .unwrap()
        .is_some_and(|d| d.connected)
}

async fn online_count(app: &TestApp) -> i64 {
    app.state.presence.flush().await;
    sqlx::query("SELECT COUNT(*) AS n FROM devices WHERE connected <> 0")
        .fetch_one(&app.state.store.db.pool)
        .await
        .expect("count")
        .try_get("n")
        .expect("n")
}

/// Issue 7, attack 5: more than the old 600-an-hour quota of bare, never-finishing and
/// bad-signature connections from the recorder's address, then the recorder connects, before
/// and after a cloud restart.
pub async fn a_flood_from_its_address_does_not_keep_a_recorder_offline(backend: Backend) {
    const CAP: usize = 64;
    let Some(app) = spawn_app_with(backend, |c| c.gateway.handshakes_per_address = CAP).await
    else {
        return;
    };
    let serial = "NVRVICTIM1";
    let real = key(1);
    device::connect(&app.base, serial, &real)
        .await
        .vanish()
        .await;
    eventually(10, "the recorder went offline", || async {
        !is_online(&app, serial).await
    })
    .await;

    // 450 bare connections: upgraded, then dropped without a word.
    for _ in 0..9 {
        let batch: Vec<Socket> = futures_util::future::join_all((0..50).map(|_| open(&app))).await;
        drop(batch);
    }
    // 100 proofs for the recorder's serial and key that do not verify (signed by another key).
    let impostor = key(2);
    for _ in 0..2 {
        let outcomes = futures_util::future::join_all(
            (0..50).map(|_| device::connect_with(&app.base, serial, &real, &impostor, 0)),
        )
        .await;
        for outcome in outcomes {
            assert!(
                matches!(outcome, Outcome::Refused(RefusalReason::BadSignature)),
                "{outcome:?}"
            );
        }
    }
    // 100 handshakes for its serial that never send a proof, all held open: more than the cap
    // of handshakes in progress for one address.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.extend(
            futures_util::future::join_all((0..25).map(|_| hello_only(&app, serial, &real))).await,
        );
    }
    assert!(app.state.hub.handshakes_in_progress(LOOPBACK).0 <= CAP);

    // 650 connections in all: today's code refused the next one from this address for an hour.
    let rec = device::connect(&app.base, serial, &real).await;
    assert!(is_online(&app, serial).await, "the recorder is online");
    // The handshakes it pushed out were told so; the cap held throughout.
    assert_eq!(
        closed_within(&mut held[0], Duration::from_secs(10)).await,
        Some(RefusalReason::RateLimited)
    );
    assert!(app.state.hub.handshakes_in_progress(LOOPBACK).0 <= CAP);
    rec.vanish().await;
    drop(held);

    // After a restart (the quota used to be kept in the database), it connects at once.
    let app = app.restart().await;
    let rec = device::connect(&app.base, serial, &real).await;
    assert!(is_online(&app, serial).await, "online after the restart");
    drop(rec);
}

/// Issue 7, part 6: 1,000 enrolled recorders behind one address reconnect after a cloud
/// restart, with the default limits, and all come online. (They reconnect 50 at a time, as
/// their back-off jitter spreads them; the test build's unoptimised signatures on two shared
/// cores are far slower than a release build's.)
pub async fn a_thousand_recorders_behind_one_address_come_online_after_a_restart(backend: Backend) {
    const N: u16 = 1000;
    const IN_FLIGHT: usize = 50;
    // The SQLite and PostgreSQL runs take turns: each keeps both cores busy for a while.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(app) = spawn_app_with(backend, |c| c.heartbeat_secs = 120).await else {
        return;
    };
    let serial = |i: u16| format!("FLEET{i:04}");
    // Enrolled through the store (the gateway enrols 20 new serials per address an hour), each
    // with a recovery key it holds.
    let started = Instant::now();
    let state = app.state.clone();
    let now = app.clock.now();
    let epochs: Vec<u32> = futures_util::stream::iter(0..N)
        .map(|i| {
            let state = state.clone();
            async move {
                let (device, _) = state
                    .store
                    .enrol_device(
                        &serial(i).parse().unwrap(),
                        &key(1000 + i).public().to_string(),
                        now,
                    )
                    .await
                    .expect("enrol");
                rekey_cloud::service::devices::rotate_recovery_key(
                    &state,
                    &device,
                    KeyCause::Enrolled,
                )
                .await
                .expect("a recovery key")
            }
        })
        .buffered(8)
        .collect()
        .await;
    eprintln!("enrolled {N} recorders in {:?}", started.elapsed());

    let app = app.restart().await;
    assert_eq!(online_count(&app).await, 0, "a restart resets presence");
    let started = Instant::now();
    let in_flight = std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let reconnect = (0..N).map(|i| {
        let base = app.base.clone();
        let epoch = epochs[usize::from(i)];
        let in_flight = in_flight.clone();
        tokio::spawn(async move {
            let _permit = in_flight.acquire_owned().await.expect("semaphore");
            let k = key(1000 + i);
            match device::connect_with(&base, &serial(i), &k, &k, epoch).await {
                Outcome::Welcomed(d) => d,
                Outcome::Refused(r) => panic!("{} refused: {r:?}", serial(i)),
            }
        })
    });
    let recorders: Vec<TestDevice> = futures_util::future::join_all(reconnect)
        .await
        .into_iter()
        .map(|r| *r.expect("welcomed"))
        .collect();
    eventually(60, "all 1,000 recorders online", || async {
        online_count(&app).await == i64::from(N)
    })
    .await;
    eprintln!(
        "{N} recorders behind one address online {:?} after the restart",
        started.elapsed()
    );
    drop(recorders);
}

/// Part 5: the whole handshake has one deadline. A connection that never says `hello` and one
/// that never sends its proof are closed by it; neither is refused anything afterwards.
pub async fn a_handshake_that_never_proves_is_closed_by_its_deadline(backend: Backend) {
    let deadline = Duration::from_millis(800);
    let Some(app) = spawn_app_with(backend, |c| c.gateway.handshake_timeout = deadline).await
    else {
        return;
    };
    let started = Instant::now();
    let mut silent = open(&app).await;
    let mut unproven = hello_only(&app, "NVRSLOW01", &key(3)).await;
    assert_eq!(app.state.hub.handshakes_in_progress(LOOPBACK), (2, 2));
    // Closed by the deadline (the old per-frame timeouts took 10 s per frame).
    assert_eq!(
        closed_within(&mut silent, Duration::from_secs(5)).await,
        Some(RefusalReason::ProtocolViolation)
    );
    assert_eq!(
        closed_within(&mut unproven, Duration::from_secs(5)).await,
        Some(RefusalReason::ProtocolViolation)
    );
    assert!(started.elapsed() >= deadline, "not before the deadline");
    assert_eq!(
        app.state.hub.handshakes_in_progress(LOOPBACK),
        (0, 0),
        "their places are given back"
    );
    // A recorder that proves its key within the deadline connects.
    let rec = device::connect(&app.base, "NVRSLOW01", &key(3)).await;
    assert!(is_online(&app, "NVRSLOW01").await);
    assert_eq!(app.state.hub.handshakes_in_progress(LOOPBACK), (0, 0));
    drop(rec);
}

/// The caps on handshakes in progress count per address and overall, and a newer handshake
/// pushes out the oldest: held handshakes from elsewhere do not keep a recorder out either.
pub async fn handshakes_in_progress_are_capped_per_address_and_overall(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| {
        c.gateway.handshakes_per_address = 4;
        c.gateway.handshakes_total = 6;
    })
    .await
    else {
        return;
    };
    let elsewhere = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let third = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    let mut held = Vec::new();
    for i in 0..6 {
        held.push(hello_only_from(&app, elsewhere, &format!("HELD{i:04}"), &key(i)).await);
    }
    // One address holds at most its share; the oldest were told they were dropped.
    assert_eq!(app.state.hub.handshakes_in_progress(elsewhere), (4, 4));
    assert_eq!(
        closed_within(&mut held[0], Duration::from_secs(10)).await,
        Some(RefusalReason::RateLimited)
    );
    for i in 0..2 {
        held.push(hello_only_from(&app, third, &format!("MORE{i:04}"), &key(10 + i)).await);
    }
    assert_eq!(app.state.hub.handshakes_in_progress(third), (2, 6));
    // Overall cap reached: the recorder's handshake pushes out the oldest of all (and proves).
    let rec = device::connect(&app.base, "NVRCAPS01", &key(20)).await;
    assert!(is_online(&app, "NVRCAPS01").await);
    assert_eq!(
        closed_within(&mut held[2], Duration::from_secs(10)).await,
        Some(RefusalReason::RateLimited)
    );
    assert_eq!(app.state.hub.handshakes_in_progress(elsewhere), (3, 5));
    drop(rec);
}

/// The limits are settings (flag or file, as every setting), with safe defaults.
#[test]
fn the_gateway_limits_are_settings() {
    use clap::Parser;
    use rekey_cloud::config::{Args, GatewayLimits};
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("UTF-8 path");
    let file = dir.path().join("cloud.toml");
    std::fs::write(
        &file,
        "gateway_handshakes_total = 64\ngateway_failures_per_address = 7\n",
    )
    .expect("write the file");
    let parse = |extra: &[&str]| {
        let mut args = vec!["rekey-cloud", "--dev", "--data-dir", data];
        args.extend_from_slice(extra);
        Args::try_parse_from(args).expect("arguments").into_config()
    };
    let defaults = parse(&[]).expect("defaults").gateway;
    assert_eq!(
        defaults,
        GatewayLimits {
            handshake_timeout: Duration::from_secs(10),
            handshakes_per_address: 1024,
            handshakes_total: 16_384,
            failures_per_address: 100,
            enrolments_per_address: 20,
        }
    );
    let set = parse(&[
        "--config",
        file.to_str().unwrap(),
        "--gateway-handshake-timeout-secs",
        "3",
        "--gateway-handshakes-per-address",
        "16",
        "--gateway-enrolments-per-address",
        "5",
    ])
    .expect("settings")
    .gateway;
    assert_eq!(
        set,
        GatewayLimits {
            handshake_timeout: Duration::from_secs(3),
            handshakes_per_address: 16,
            handshakes_total: 64,
            failures_per_address: 7,
            enrolments_per_address: 5,
        }
    );
    assert!(parse(&["--gateway-handshake-timeout-secs", "0"]).is_err());
    assert!(
        parse(&["--gateway-handshakes-per-address", "20000"]).is_err(),
        "more per address than overall"
    );
}

/// Recorders welcomed at the same moment are read together: each gets its own device, a serial
/// asked for twice gets it twice, an unknown serial none, and more readers than fit in one
/// statement are all answered.
pub async fn devices_read_together_each_get_their_own(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let store = &app.state.store;
    let mut enrolled = Vec::new();
    for n in 0..150u16 {
        let serial = Serial::parse(&format!("NVRREAD{n:03}")).expect("serial");
        let device_key = key(n).public().to_string();
        let (device, _) = store
            .enrol_device(&serial, &device_key, app.clock.now())
            .await
            .expect("enrolled");
        enrolled.push((serial, device_key, device.id));
    }
    let unknown = Serial::parse("NVRNOBODY1").expect("serial");

    // Direct: a padded statement with a duplicate and an unknown serial.
    let asked = [
        enrolled[3].0.clone(),
        unknown.clone(),
        enrolled[3].0.clone(),
        enrolled[7].0.clone(),
        enrolled[9].0.clone(),
    ];
    let mut found = store.gateway_devices(&asked).await.expect("read");
    found.sort_by_key(|(_, d)| d.id);
    let ids: Vec<i64> = found.iter().map(|(_, d)| d.id).collect();
    assert_eq!(ids, [enrolled[3].2, enrolled[7].2, enrolled[9].2]);
    for (serial, device) in &found {
        let (_, device_key, _) = enrolled
            .iter()
            .find(|(s, _, _)| s.as_str() == serial)
            .expect("an enrolled serial");
        assert_eq!(&device.device_key, device_key);
    }

    // Through the reader, all at once: every enrolled serial (one of them twice) and the
    // unknown one.
    let reader = &app.state.device_reader;
    let asked: Vec<&Serial> = enrolled
        .iter()
        .map(|(s, _, _)| s)
        .chain([&enrolled[42].0, &unknown])
        .collect();
    let reads = futures_util::future::join_all(asked.iter().map(|s| reader.read(s))).await;
    for (serial, read) in asked.iter().zip(reads) {
        let read = read.expect("read");
        match enrolled.iter().find(|(s, _, _)| s == *serial) {
            Some((_, device_key, id)) => {
                let device = read.unwrap_or_else(|| panic!("{serial} was enrolled"));
                assert_eq!((&device.device_key, device.id), (device_key, *id));
            }
            None => assert!(read.is_none(), "{serial} was never enrolled"),
        }
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::support::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                rekey_testkit::skip_unless_postgres! {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::$name(crate::support::Backend::Postgres).await;
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    devices_read_together_each_get_their_own,
    a_flood_from_its_address_does_not_keep_a_recorder_offline,
    a_thousand_recorders_behind_one_address_come_online_after_a_restart,
    a_handshake_that_never_proves_is_closed_by_its_deadline,
    handshakes_in_progress_are_capped_per_address_and_overall,
);
