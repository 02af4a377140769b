//! The cloud as the internet reaches it: client addresses behind trusted and untrusted proxies,
//! slow and idle clients, and the configuration a production cloud refuses to start without.
//! These do not depend on the database, so they run on SQLite only.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use rekey_web::client::TrustedProxies;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{Backend, TestApp, spawn_app_with};

async fn sqlite_app(tweak: impl FnOnce(&mut rekey_cloud::config::Config)) -> TestApp {
    spawn_app_with(Backend::Sqlite, tweak)
        .await
        .expect("SQLite is always available")
}

/// Asks for a sign-up code (a per-address limit of 20 an hour) with a forwarding header.
async fn ask_code(app: &TestApp, n: usize, forwarded_for: &str) -> u16 {
    let body = json!({"region": "jp", "email": format!("user{n}@example.com")});
    app.http
        .post(app.url("/api/v1/signup/code"))
        .header("x-forwarded-for", forwarded_for)
        .json(&body)
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

#[tokio::test]
async fn forwarding_headers_are_ignored_without_a_trusted_proxy() {
    let app = sqlite_app(|_| {}).await;
    // Each request claims another client; all come from 127.0.0.1, which is what counts.
    for n in 0..20 {
        assert_eq!(ask_code(&app, n, &format!("203.0.113.{n}")).await, 202);
    }
    assert_eq!(ask_code(&app, 20, "198.51.100.1").await, 429);
}

#[tokio::test]
async fn a_trusted_proxy_names_each_client() {
    let app = sqlite_app(|c| {
        c.trusted_proxies = TrustedProxies::parse(&["127.0.0.1"]).expect("proxies");
    })
    .await;
    // 25 clients behind the proxy: each has a budget of its own.
    for n in 0..25 {
        assert_eq!(ask_code(&app, n, &format!("203.0.113.{n}")).await, 202);
    }
    // One client spends its own: what it puts left of the proxy's entry changes nothing.
    for n in 25..45 {
        let chain = format!("192.0.2.{n}, 198.51.100.9");
        assert_eq!(ask_code(&app, n, &chain).await, 202);
    }
    assert_eq!(ask_code(&app, 45, "203.0.113.200, 198.51.100.9").await, 429);
    assert_eq!(ask_code(&app, 46, "198.51.100.10").await, 202);
}

/// The outbox page lists codes: behind a proxy on the same host, its clients are not loopback.
#[tokio::test]
async fn the_outbox_is_not_open_through_a_local_proxy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = rekey_cloud::config::Config::for_local(dir.path(), None, None, 7);
    config.trusted_proxies = TrustedProxies::parse(&["127.0.0.1"]).expect("proxies");
    let app = rekey_cloud::startup::Application::build(config)
        .await
        .expect("build");
    let url = format!("http://{}/dev/outbox", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let get = |forwarded: Option<&'static str>| {
        let mut req = reqwest::Client::new().get(&url);
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        async move { req.send().await.expect("GET").status().as_u16() }
    };
    assert_eq!(get(None).await, 200, "a local browser sees it");
    assert_eq!(
        get(Some("203.0.113.5")).await,
        404,
        "a client through the proxy does not"
    );
}

/// Reads until the server closes the connection; the time it took.
async fn wait_for_close(stream: &mut TcpStream, within: Duration) -> Duration {
    let start = tokio::time::Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(start + within, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return start.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the connection is still open after {within:?}"),
        }
    }
}

/// The address the app listens on.
fn socket_addr(app: &TestApp) -> SocketAddr {
    app.base
        .trim_start_matches("http://")
        .parse()
        .expect("addr")
}

#[tokio::test]
async fn a_partial_header_is_closed_within_its_timeout() {
    let app = sqlite_app(|c| c.serve.header_read = Duration::from_secs(1)).await;
    let addr = socket_addr(&app);
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .expect("write");
    let took = wait_for_close(&mut slow, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
    // An idle kept-alive connection is closed the same way.
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    wait_for_close(&mut idle, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_within_the_header_timeout() {
    let app = sqlite_app(|c| c.serve.header_read = Duration::from_secs(1)).await;
    let addr = socket_addr(&app);
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let took = wait_for_close(&mut silent, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
}

/// Opens a connection from `source` that sends half a request head and stops.
async fn slow_connection(source: IpAddr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(source, 0)).expect("bind");
    let mut s = socket.connect(to).await.expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    s
}

#[tokio::test]
async fn a_thousand_slow_clients_do_not_keep_others_out() {
    let app = sqlite_app(|c| {
        c.serve.header_read = Duration::from_secs(60);
        c.serve.max_connections = 4096;
    })
    .await;
    let addr = socket_addr(&app);
    // 1,000 slow connections from 8 addresses (125 each, under the per-address cap).
    let mut slow = Vec::new();
    for i in 0..1000u32 {
        let source = IpAddr::from([127, 0, 1, 1 + (i % 8) as u8]);
        slow.push(slow_connection(source, addr).await);
    }
    let (status, body) = app.get("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    // One address cannot hold more than its share: its 257th connection is closed at once.
    let mut greedy = Vec::new();
    for _ in 0..256 {
        greedy.push(slow_connection(IpAddr::from([127, 0, 2, 1]), addr).await);
    }
    let mut over = slow_connection(IpAddr::from([127, 0, 2, 1]), addr).await;
    wait_for_close(&mut over, Duration::from_secs(10)).await;
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
    drop(slow);
}
