//! Issue 9, operations: how a cloud node and a recorder stop when their operator (or
//! orchestrator) asks them to.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{DEADLINE, System, eventually};
use crate::steps::{activate_and_enable_cloud, wait_cloud_status};

/// Reads from `tcp` until `done` holds for what was read (or the peer closed); the bytes read.
async fn read_until(tcp: &mut TcpStream, done: impl Fn(&str) -> bool) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(DEADLINE, async {
        while !done(&String::from_utf8_lossy(&got)) {
            let n = tcp.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("an answer in time");
    String::from_utf8_lossy(&got).into_owned()
}

/// SIGTERM stops a recorder cleanly (status 0), as systemd and Docker stop it.
pub async fn the_recorder_stops_on_sigterm(sys: System) {
    let mut rec = sys.recorder("NVRE2E0202").await;
    let admin = activate_and_enable_cloud(&rec, "").await;
    wait_cloud_status(&admin, "online").await;
    let status = rec.terminate().await;
    assert!(status.success(), "the recorder ended with {status}");
}

/// SIGTERM: the node reports itself not ready and stops accepting, tells its recorders to go
/// (they retry after their back-off), lets a request in flight finish, and ends with status 0.
/// Started again, the recorder is back.
pub async fn sigterm_drains_the_node(mut sys: System) {
    let rec = sys.recorder("NVRE2E0201").await;
    let admin = activate_and_enable_cloud(&rec, "").await;
    wait_cloud_status(&admin, "online").await;
    let http = reqwest::Client::new();
    let ready = http
        .get(format!("{}/readyz", sys.cloud_url))
        .send()
        .await
        .expect("GET /readyz");
    assert_eq!(ready.status().as_u16(), 200);

    // A request in flight: its head is in, and the handler asked for its body ("100 Continue").
    let body = r#"{"login":"nobody@example.jp","password":"not the password"}"#;
    let mut tcp = TcpStream::connect(sys.cloud_addr()).await.expect("connect");
    let head = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        sys.cloud_addr(),
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.expect("send the head");
    let interim = read_until(&mut tcp, |r| r.contains("\r\n\r\n")).await;
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");

    sys.terminate_cloud();
    let addr = sys.cloud_addr();
    eventually(
        "the draining cloud accepts no new connection",
        || async move { TcpStream::connect(addr).await.is_err() },
    )
    .await;
    wait_cloud_status(&admin, "offline").await;

    // The request in flight still gets its answer (a wrong login: 401).
    tcp.write_all(body.as_bytes()).await.expect("send the body");
    let answer = read_until(&mut tcp, |r| r.contains("\r\n\r\n")).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    let status = sys.wait_cloud_exit().await;
    assert!(status.success(), "the cloud ended with {status}");

    sys.start_cloud_again().await;
    wait_cloud_status(&admin, "online").await;
}
