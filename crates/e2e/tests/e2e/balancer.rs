//! HAProxy (Debian's package) in front of several cloud nodes, as docs/deploying.md sets it up:
//! the web and the API round robin, the recorders' long-lived gateway connections to the node
//! with the fewest, health checks on `/readyz`, the client's address in `X-Forwarded-For`.
//!
//! The balancer reaches the nodes from its own address ([`Balancer::SOURCE`]), the only one
//! the nodes trust to name the client. A request with the header `X-Rekey-Node: nodeN` goes to
//! that node while it is up: how a test makes a push cross nodes for certain.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{DEADLINE, Proc, free_port, in_ci};

/// The running HAProxy.
pub struct Balancer {
    /// Its statistics page (`http://127.0.0.1:PORT/stats`).
    stats: String,
    _proc: Proc,
}

impl Balancer {
    /// The address HAProxy connects to the nodes from.
    pub const SOURCE: &str = "127.0.0.2";

    /// The HAProxy program; `None` (outside CI, said loudly) where it is not installed.
    pub fn program() -> Option<PathBuf> {
        let found = [
            "/usr/sbin/haproxy",
            "/usr/local/sbin/haproxy",
            "/usr/bin/haproxy",
        ]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
        if found.is_none() {
            assert!(
                !in_ci(),
                "CI is set but HAProxy is not installed: the multi-node suite must run in CI \
                 (.ci/run installs Debian's haproxy)"
            );
            eprintln!(
                "\n*** SKIPPED: multi-node end-to-end tests (install HAProxy: apt-get install haproxy) ***\n"
            );
        }
        found
    }

    /// Starts HAProxy listening on `front` for `servers` (name, address), with its
    /// configuration in `dir` and its log in `log`; `None` if it exited at start (a port taken).
    pub async fn start(
        program: &Path,
        front: SocketAddr,
        servers: &[(String, SocketAddr)],
        dir: &Path,
        log: &Path,
    ) -> Option<Balancer> {
        let stats_port = free_port();
        let config = dir.join("haproxy.cfg");
        std::fs::write(&config, configuration(front, stats_port, servers))
            .expect("write haproxy.cfg");
        let mut proc = Proc::spawn(
            program,
            &["-db".into(), "-f".into(), config.display().to_string()],
            log,
        );
        let stats = format!("http://127.0.0.1:{stats_port}/stats;csv");
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(status) = proc.exited() {
                eprintln!("haproxy exited at start: {status}");
                return None;
            }
            if tokio::net::TcpStream::connect(front).await.is_ok()
                && !servers_at(&stats).await.is_empty()
            {
                return Some(Balancer { stats, _proc: proc });
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "HAProxy did not listen within {} s",
                DEADLINE.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Each server and whether HAProxy sees it up (in every backend it is in).
    pub async fn servers(&self) -> Vec<(String, bool)> {
        servers_at(&self.stats).await
    }

    /// Waits until HAProxy's health checks see every one of `servers` up.
    pub async fn wait_up(&self, servers: &[(String, SocketAddr)]) {
        crate::harness::eventually("HAProxy sees every node up", || async {
            let seen = self.servers().await;
            servers
                .iter()
                .all(|(name, _)| seen.iter().any(|(n, up)| n == name && *up))
        })
        .await;
    }
}

/// What the statistics page at `stats` says of each server: up (in every backend) or not.
async fn servers_at(stats: &str) -> Vec<(String, bool)> {
    {
        let Ok(res) = reqwest::get(stats).await else {
            return Vec::new();
        };
        let csv = res.text().await.unwrap_or_default();
        let mut header = csv
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("# ")
            .split(',');
        let Some(status_at) = header.position(|h| h == "status") else {
            return Vec::new();
        };
        let mut seen: Vec<(String, bool)> = Vec::new();
        for line in csv.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            let (Some(backend), Some(server), Some(status)) =
                (cols.first(), cols.get(1), cols.get(status_at))
            else {
                continue;
            };
            if !matches!(*backend, "portal" | "gateway") || matches!(*server, "BACKEND") {
                continue;
            }
            let up = status.starts_with("UP");
            match seen.iter_mut().find(|(name, _)| name == server) {
                Some((_, all_up)) => *all_up = *all_up && up,
                None => seen.push(((*server).to_owned(), up)),
            }
        }
        seen
    }
}

/// The configuration: one frontend, the gateway's path to its own backend.
fn configuration(front: SocketAddr, stats_port: u16, servers: &[(String, SocketAddr)]) -> String {
    let server_lines = servers
        .iter()
        .map(|(name, addr)| format!("    server {name} {addr} check\n"))
        .collect::<String>();
    let pins = servers
        .iter()
        .map(|(name, _)| {
            format!("    use-server {name} if {{ req.hdr(x-rekey-node) -m str {name} }}\n")
        })
        .collect::<String>();
    format!(
        "global
    log stderr format raw local0 info
    maxconn 2000

defaults
    mode http
    log global
    option httplog
    option forwardfor
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout tunnel 1h
    default-server inter 300ms fall 2 rise 1 source {source}

frontend rekey
    bind {front}
    use_backend gateway if {{ path {gateway} }}
    default_backend portal

backend portal
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
{server_lines}{pins}
backend gateway
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
{server_lines}
listen stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
",
        source = Balancer::SOURCE,
        gateway = rekey_proto::gateway::GATEWAY_PATH,
    )
}
