//! The harness: builds the three programs once per test run, then starts a loopback SMTP
//! server, a cloud process (SQLite in its data directory, or a fresh PostgreSQL database) and
//! recorder processes, each on a port of its own and with its stderr in a log file that is
//! printed when the test fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rekey_testkit::SmtpServer;
use tokio::process::{Child, Command};

use crate::balancer::Balancer;
use crate::browser::Browser;

/// How long any awaited condition may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The file in the test's directory that moves the cloud's clock (`--test-clock-file`; every
/// node of a cluster reads the same one).
const CLOUD_CLOCK_FILE: &str = "cloud-clock";

/// Which database the cloud runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

// ------------------------------------------------------------------------------ binaries

/// The target directory the programs are built into.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

/// Builds `rekey-cloud`, `rekey-recorder` and `rekey` once per test run (cargo releases its
/// build lock before it runs the tests, so this nested build only waits for other builds) and
/// returns the directory holding them.
pub fn binaries() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = target_dir();
        let started = std::time::Instant::now();
        let out = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "--bins",
                "-p",
                "rekey-cloud",
                "-p",
                "rekey-recorder",
                "-p",
                "rekey-cli",
                "--target-dir",
            ])
            .arg(&target)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CARGO_TERM_COLOR", "never")
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "building the programs failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!(
            "e2e: programs built in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let dir = target.join("debug");
        for name in ["rekey-cloud", "rekey-recorder", "rekey"] {
            assert!(dir.join(name).is_file(), "{name} was not built");
        }
        dir
    })
}

/// The path of one of the programs.
pub fn program(name: &str) -> PathBuf {
    binaries().join(name)
}

// ------------------------------------------------------------------------------ PostgreSQL

/// Whether this run is CI's (where no suite may skip).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// The PostgreSQL server URL for tests, if configured. In CI it must be configured.
fn postgres_admin_url() -> Option<String> {
    match std::env::var("REKEY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if in_ci() {
                panic!(
                    "CI is set but REKEY_TEST_POSTGRES_URL is not: the PostgreSQL suite must run in CI"
                );
            }
            eprintln!(
                "\n*** SKIPPED: PostgreSQL end-to-end tests (set REKEY_TEST_POSTGRES_URL=postgres://USER@HOST/DB to run them) ***\n"
            );
            None
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("random bytes");
    hex(&b)
}

/// Makes a fresh PostgreSQL database and returns its URL.
async fn fresh_postgres(admin: &str) -> String {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let name = format!("rekey_e2e_{}", random_hex(8));
    let pool = sqlx::AnyPool::connect(admin)
        .await
        .expect("connect to the PostgreSQL test server");
    pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create test database");
    pool.close().await;
    let (base, _) = admin.rsplit_once('/').expect("a database URL has a path");
    format!("{base}/{name}")
}

// ------------------------------------------------------------------------------ processes

/// A free port on loopback (bound, read, released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}

/// A child process with its log file; killed when dropped.
#[derive(Debug)]
pub struct Proc {
    child: Child,
}

impl Proc {
    pub fn spawn(program: &Path, args: &[String], log: &Path) -> Proc {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open log file");
        let err = file.try_clone().expect("clone log file");
        let child = Command::new(program)
            .args(args)
            .env("RUST_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            .env_remove("REKEY_CLOUD_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        Proc { child }
    }

    /// Sends it SIGTERM (the stop systemd and Docker send), without waiting for it to end.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("a running process has an id");
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid}: {status}");
    }

    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// Polls `check` until it holds; panics after [`DEADLINE`] naming `what`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {} s: {what}",
            DEADLINE.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Log files to show when the test fails.
type Logs = Arc<Mutex<Vec<(String, PathBuf)>>>;

fn print_logs(logs: &Logs) {
    let logs = logs.lock().map(|l| l.clone()).unwrap_or_default();
    for (name, path) in logs {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(150)..];
        eprintln!(
            "\n===== {name} ({}; last {} lines) =====\n{}",
            path.display(),
            tail.len(),
            tail.join("\n")
        );
    }
}

// ------------------------------------------------------------------------------ the system

/// One cloud process: its address, its arguments, and the process while it runs.
struct Node {
    /// `cloud` for a lone cloud, `node1`, `node2`, … in a cluster (also the balancer's name).
    name: String,
    /// `127.0.0.1:PORT`, where it listens.
    addr: std::net::SocketAddr,
    args: Vec<String>,
    proc: Option<Proc>,
    starts: u32,
}

impl Node {
    fn log(&self, root: &Path, start: u32) -> PathBuf {
        root.join(format!("{}-{start}.log", self.name))
    }
}

/// A running cloud — one process, or several nodes on one PostgreSQL database behind HAProxy —
/// with its SMTP server; recorders are started with [`System::recorder`].
pub struct System {
    /// The SMTP server the cloud delivers to.
    pub smtp: SmtpServer,
    /// The cloud's public key (what recorders pin).
    pub cloud_key: String,
    /// `http://127.0.0.1:PORT`: the lone cloud, or the load balancer in front of the nodes.
    pub cloud_url: String,
    /// The PostgreSQL database's URL (`None` on SQLite).
    pub database_url: Option<String>,
    nodes: Vec<Node>,
    balancer: Option<Balancer>,
    logs: Logs,
    root: tempfile::TempDir,
}

impl std::fmt::Debug for System {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("System")
            .field("cloud_url", &self.cloud_url)
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl Drop for System {
    fn drop(&mut self) {
        if std::thread::panicking() {
            print_logs(&self.logs);
        }
    }
}

/// Starts the SMTP server and the cloud on `backend`; `None` if that backend is not available
/// here (outside CI).
pub async fn spawn_system(backend: Backend) -> Option<System> {
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres(&postgres_admin_url()?).await),
    };
    let mut system = System::prepare(database_url).await;
    // A port picked here may be taken by someone else before the cloud binds it: try again.
    for _ in 0..5 {
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], free_port()).into();
        system.cloud_url = format!("http://{addr}");
        system.nodes = vec![system.node("cloud", addr, 1, &[])];
        if system.start_node(0).await {
            return Some(system);
        }
    }
    panic!("the cloud did not start (see its log)");
}

/// Starts `nodes` cloud nodes on one fresh PostgreSQL database behind HAProxy, which balances
/// the web and the API round robin and the recorders' gateway connections to the node with the
/// fewest; `None` where PostgreSQL or HAProxy is missing (outside CI).
pub async fn spawn_cluster(nodes: usize) -> Option<System> {
    let database_url = fresh_postgres(&postgres_admin_url()?).await;
    let haproxy = Balancer::program()?;
    let mut system = System::prepare(Some(database_url)).await;
    for _ in 0..5 {
        let front: std::net::SocketAddr = ([127, 0, 0, 1], free_port()).into();
        system.cloud_url = format!("http://{front}");
        // The nodes trust the balancer's address only, as the forwarded client address's source.
        let trust = format!("--trusted-proxy={}", Balancer::SOURCE);
        system.nodes = (1..=nodes)
            .map(|n| {
                let addr = ([127, 0, 0, 1], free_port()).into();
                // A heartbeat of 3 s: a connection survives a loaded moment of CI (the suite
                // checks that bindings reach recorders on the connections they had).
                system.node(&format!("node{n}"), addr, 3, std::slice::from_ref(&trust))
            })
            .collect();
        let mut started = true;
        for i in 0..nodes {
            started = started && system.start_node(i).await;
        }
        if !started {
            system.kill_all().await;
            continue;
        }
        let servers: Vec<(String, std::net::SocketAddr)> = system
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.addr))
            .collect();
        let log = system.path("haproxy.log");
        system.add_log("haproxy".into(), log.clone());
        match Balancer::start(&haproxy, front, &servers, system.root.path(), &log).await {
            Some(balancer) => {
                balancer.wait_up(&servers).await;
                system.balancer = Some(balancer);
                return Some(system);
            }
            None => system.kill_all().await,
        }
    }
    panic!("the cluster did not start (see the logs)");
}

impl System {
    /// The SMTP server, the keys (made beforehand by `rekey-cloud keygen`, as in production,
    /// which prints the public one for the recorders) and the test's directory.
    async fn prepare(database_url: Option<String>) -> System {
        binaries();
        let smtp = SmtpServer::start().await;
        let root = tempfile::tempdir().expect("temp dir");
        let keys = root.path().join("cloud");
        std::fs::create_dir_all(&keys).expect("cloud data dir");
        let out = Command::new(program("rekey-cloud"))
            .arg("keygen")
            .arg("--dir")
            .arg(&keys)
            .env_remove("REKEY_CLOUD_CONFIG")
            .output()
            .await
            .expect("run rekey-cloud keygen");
        assert!(
            out.status.success(),
            "rekey-cloud keygen: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let cloud_key = stdout
            .split_whitespace()
            .next_back()
            .unwrap_or_default()
            .to_string();
        assert_eq!(cloud_key.len(), 43, "a public key was printed: {stdout}");
        std::fs::write(root.path().join(CLOUD_CLOCK_FILE), "0").expect("cloud clock file");
        System {
            smtp,
            cloud_key,
            cloud_url: String::new(),
            database_url,
            nodes: Vec::new(),
            balancer: None,
            logs: Arc::new(Mutex::new(Vec::new())),
            root,
        }
    }

    /// A node listening on `addr` with the shared keys, this system's public URL and database,
    /// and the heartbeat period it gives recorders.
    fn node(
        &self,
        name: &str,
        addr: std::net::SocketAddr,
        heartbeat_secs: u32,
        extra: &[String],
    ) -> Node {
        let keys = self.path("cloud");
        // Each node its own data directory (on SQLite: where the database lives).
        let data = self.path(&format!("data-{name}"));
        std::fs::create_dir_all(&data).expect("node data dir");
        let mut args = vec![
            format!("--listen={addr}"),
            format!("--base-url={}", self.cloud_url),
            format!("--data-dir={}", data.display()),
            format!("--smtp-url={}", self.smtp.url()),
            format!("--master-key-file={}", keys.join("master.key").display()),
            format!(
                "--signing-key-file={}",
                keys.join("cloud-signing.key").display()
            ),
            format!("--heartbeat-secs={heartbeat_secs}"),
            format!(
                "--test-clock-file={}",
                self.path(CLOUD_CLOCK_FILE).display()
            ),
        ];
        if let Some(db) = &self.database_url {
            args.push(format!("--database-url={db}"));
        }
        args.extend_from_slice(extra);
        Node {
            name: name.to_owned(),
            addr,
            args,
            proc: None,
            starts: 0,
        }
    }

    /// Moves the cloud's clock (every node's) `secs` seconds away from the real time (0: the
    /// real time). What runs on the cloud's time moves with it: offers and codes expire, limits
    /// and cool-downs pass, portal sessions end after 14 days.
    pub fn set_cloud_clock_offset(&self, secs: i64) {
        std::fs::write(self.path(CLOUD_CLOCK_FILE), format!("{secs:+}"))
            .expect("write the cloud's clock file");
    }

    /// How far the cloud's clock is from the real time, in seconds.
    pub fn cloud_clock_offset(&self) -> i64 {
        let text = std::fs::read_to_string(self.path(CLOUD_CLOCK_FILE))
            .expect("read the cloud's clock file");
        let text = text.trim();
        text.strip_prefix('+')
            .unwrap_or(text)
            .parse()
            .expect("an offset in the cloud's clock file")
    }

    /// Moves the cloud's clock on past the minute an address waits between two e-mailed codes
    /// of one kind (a person would wait; the test moves the clock instead).
    pub fn pass_code_cooldown(&self) {
        self.set_cloud_clock_offset(self.cloud_clock_offset() + 61);
    }

    /// A path for a new file or directory in the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn add_log(&self, name: String, path: PathBuf) {
        if let Ok(mut l) = self.logs.lock() {
            l.push((name, path));
        }
    }

    /// Starts node `i` and waits for its `/healthz`; false if it exited first.
    async fn start_node(&mut self, i: usize) -> bool {
        let node = &mut self.nodes[i];
        node.starts += 1;
        let log = node.log(self.root.path(), node.starts);
        let label = format!("rekey-cloud {} #{}", node.name, node.starts);
        let mut proc = Proc::spawn(&program("rekey-cloud"), &node.args, &log);
        let health = format!("http://{}/healthz", node.addr);
        self.add_log(label, log);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("client");
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(status) = proc.exited() {
                eprintln!("rekey-cloud exited at start: {status}");
                return false;
            }
            if let Ok(r) = http.get(&health).send().await
                && r.status().as_u16() == 200
            {
                self.nodes[i].proc = Some(proc);
                return true;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the cloud did not answer /healthz within {} s",
                DEADLINE.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn kill_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill_node(i).await;
        }
    }

    /// Everything the cloud processes logged so far.
    pub fn cloud_log(&self) -> String {
        self.nodes
            .iter()
            .flat_map(|n| (1..=n.starts).map(|s| n.log(self.root.path(), s)))
            .map(|log| std::fs::read_to_string(log).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until the cloud logged that `serial` confirmed recovery key `epoch`. Nothing a user
    /// sees tells when the key rotated by a binding has reached the recorder, and a recovery QR
    /// code made in that instant is refused as altered (see the report), so tests wait for it.
    pub async fn wait_key_confirmed(&self, serial: &str, epoch: u32) {
        let needle = format!("recovery key confirmed serial={serial} epoch={epoch}");
        eventually(&format!("the cloud logs: {needle}"), || {
            let found = self.cloud_log().contains(&needle);
            async move { found }
        })
        .await;
    }

    /// Each node's id, as it logged it at its last start.
    pub fn node_ids(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| {
                let log =
                    std::fs::read_to_string(n.log(self.root.path(), n.starts)).unwrap_or_default();
                log.lines()
                    .filter(|l| l.contains("rekey-cloud listening"))
                    .find_map(|l| l.split_once(" node=").map(|(_, rest)| rest))
                    .and_then(|rest| rest.split_whitespace().next())
                    .map(|id| id.trim_matches('"').to_owned())
                    .unwrap_or_else(|| panic!("{} logged its node id", n.name))
            })
            .collect()
    }

    /// How many cloud nodes there are (1 without a balancer).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Node `i`'s own address (not the balancer's).
    pub fn node_addr(&self, i: usize) -> std::net::SocketAddr {
        self.nodes[i].addr
    }

    /// Node `i`'s name as the balancer knows it.
    pub fn node_name(&self, i: usize) -> &str {
        &self.nodes[i].name
    }

    /// The balancer's view of the nodes: name → whether its health check passes.
    pub async fn balancer_view(&self) -> Vec<(String, bool)> {
        self.balancer
            .as_ref()
            .expect("a cluster has a balancer")
            .servers()
            .await
    }

    /// Kills node `i` (SIGKILL: no graceful shutdown).
    pub async fn kill_node(&mut self, i: usize) {
        if let Some(mut p) = self.nodes[i].proc.take() {
            p.kill().await;
        }
    }

    /// Kills the cloud process (SIGKILL: no graceful shutdown).
    pub async fn kill_cloud(&mut self) {
        self.kill_node(0).await;
    }

    /// Sends the cloud process SIGTERM (a graceful shutdown) without waiting for it to end.
    pub fn terminate_cloud(&self) {
        self.nodes[0]
            .proc
            .as_ref()
            .expect("the cloud is running")
            .terminate();
    }

    /// Waits for the cloud process to end by itself (within [`DEADLINE`]) and returns how.
    pub async fn wait_cloud_exit(&mut self) -> std::process::ExitStatus {
        let mut p = self.nodes[0].proc.take().expect("the cloud is running");
        tokio::time::timeout(DEADLINE, p.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the cloud did not end within {DEADLINE:?}"))
            .expect("wait for the cloud")
    }

    /// The cloud's socket address (the first node's).
    pub fn cloud_addr(&self) -> std::net::SocketAddr {
        self.node_addr(0)
    }

    /// Starts the cloud again on the same data directory, database and port.
    pub async fn start_cloud_again(&mut self) {
        assert!(self.nodes[0].proc.is_none(), "the cloud is still running");
        let deadline = tokio::time::Instant::now() + DEADLINE;
        // The port was just released; a start that loses a race for it is retried.
        while !self.start_node(0).await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the cloud did not start again"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Kills the cloud and starts it again on the same data, database and port.
    pub async fn restart_cloud(&mut self) {
        self.kill_cloud().await;
        self.start_cloud_again().await;
    }

    /// A browser for the cloud portal.
    pub fn portal(&self) -> Browser {
        Browser::new(&self.cloud_url)
    }

    /// Starts a recorder with serial `serial`, a fresh data directory and its own clock file,
    /// pinned to this cloud; waits until its web UI answers.
    pub async fn recorder(&self, serial: &str) -> Recorder {
        let dir = self.path(&format!("recorder-{serial}"));
        std::fs::create_dir_all(&dir).expect("recorder dir");
        let clock_file = dir.join("clock");
        std::fs::write(&clock_file, "0").expect("clock file");
        let mut rec = Recorder {
            serial: serial.to_string(),
            url: String::new(),
            args: Vec::new(),
            dir,
            clock_file,
            proc: None,
            starts: 0,
            logs: self.logs.clone(),
        };
        for _ in 0..5 {
            let port = free_port();
            rec.url = format!("http://127.0.0.1:{port}");
            // `--flag=value`: a base64url key may begin with '-' (reported as a product bug:
            // `--cloud-key KEY` then fails with "unexpected argument").
            rec.args = vec![
                format!("--listen=127.0.0.1:{port}"),
                format!("--data-dir={}", rec.dir.join("data").display()),
                format!("--cloud-url={}", self.cloud_url),
                format!("--cloud-key={}", self.cloud_key),
                format!("--serial={serial}"),
                "--backoff-initial-ms=100".into(),
                "--backoff-max-ms=1000".into(),
                "--heartbeat-secs=1".into(),
                format!("--test-clock-file={}", rec.clock_file.display()),
            ];
            if rec.start().await {
                return rec;
            }
        }
        panic!("the recorder {serial} did not start (see its log)");
    }
}

/// A running recorder process.
pub struct Recorder {
    /// Its serial number.
    pub serial: String,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    args: Vec<String>,
    dir: PathBuf,
    clock_file: PathBuf,
    proc: Option<Proc>,
    starts: u32,
    logs: Logs,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("serial", &self.serial)
            .field("url", &self.url)
            .finish()
    }
}

impl Recorder {
    async fn start(&mut self) -> bool {
        self.starts += 1;
        let log = self.dir.join(format!("recorder-{}.log", self.starts));
        if let Ok(mut l) = self.logs.lock() {
            l.push((
                format!("rekey-recorder {} #{}", self.serial, self.starts),
                log.clone(),
            ));
        }
        let mut proc = Proc::spawn(&program("rekey-recorder"), &self.args, &log);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(status) = proc.exited() {
                eprintln!("rekey-recorder exited at start: {status}");
                return false;
            }
            if http.get(format!("{}/", self.url)).send().await.is_ok() {
                self.proc = Some(proc);
                return true;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the recorder did not answer within {} s",
                DEADLINE.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Kills the recorder process (SIGKILL) and starts it again on the same data and port.
    pub async fn restart(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill().await;
        }
        self.start_again().await;
    }

    /// Starts the stopped recorder again on the same data and port.
    pub async fn start_again(&mut self) {
        assert!(self.proc.is_none(), "the recorder is still running");
        let deadline = tokio::time::Instant::now() + DEADLINE;
        while !self.start().await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the recorder did not start again"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sends the recorder SIGTERM and waits (within [`DEADLINE`]) for it to end; how it ended.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let mut p = self.proc.take().expect("the recorder is running");
        p.terminate();
        tokio::time::timeout(DEADLINE, p.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the recorder did not end within {DEADLINE:?}"))
            .expect("wait for the recorder")
    }

    /// A fresh browser (no cookies) for the recorder's web UI.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.url)
    }

    /// Moves the recorder's clock `secs` seconds away from the real time (0: the real time).
    pub fn set_clock_offset(&self, secs: i64) {
        std::fs::write(&self.clock_file, format!("{secs:+}")).expect("write clock file");
    }
}
