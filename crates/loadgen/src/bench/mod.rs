//! `rekey-loadgen bench`: the gateway benchmark. In one run it starts the cloud and Mosquitto
//! (one after the other, each alone on the machine), drives the same fleet shape against each,
//! reads the server process's memory, CPU and I/O from `/proc`, and the cloud's database
//! read-only, and prints a Markdown table against the goals of issue 8 (and a JSON summary).
//!
//! Every wait is on a condition (a counter reaching N, a port accepting, a value stable over
//! consecutive reads) with a generous limit; only the measurement windows are timed.

mod crypto;
mod db;
pub mod scale;
mod servers;
mod steps;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use rekey_proto::CloudPublicKey;
use tokio::time::Instant;

use crate::fleet::{Fleet, FleetConfig, MAX_PER_PROCESS, Target};
use crate::gateway::GatewayTarget;
use crate::identity::Sources;
use crate::mqtt::MqttTarget;
use crate::procfs;
use crate::report::{self, Goals, ServerResults};
use db::CloudDb;
use servers::{ChildGuard, CloudCommand, MosquittoCommand};

/// RSS per connection above which `--smoke` fails (an order of magnitude over the goal).
const SMOKE_RSS_PER_CONNECTION: f64 = 20.0 * 1024.0;
/// Commits per heartbeat above which `--smoke` fails.
const SMOKE_COMMITS_PER_HEARTBEAT: f64 = 0.01;
/// How often RSS is sampled while waiting for it to settle.
const RSS_SAMPLE: Duration = Duration::from_millis(500);
/// How often a waited-for condition is checked.
const POLL: Duration = Duration::from_millis(50);
/// How often a status line is printed while waiting.
const STATUS_EVERY: Duration = Duration::from_secs(5);

/// Which servers a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServerKind {
    /// `rekey-cloud`.
    Cloud,
    /// Mosquitto.
    Mosquitto,
}

/// The benchmark's settings.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The `rekey-cloud` binary.
    pub cloud_bin: PathBuf,
    /// The `mosquitto` binary.
    pub mosquitto_bin: PathBuf,
    /// Client counts to measure RSS at (ascending); the last is the top count.
    pub counts: Vec<u64>,
    /// Length of the heartbeat window.
    pub window_secs: u64,
    /// Heartbeat interval (the cloud's `--heartbeat-secs`, MQTT keepalive).
    pub heartbeat_secs: u32,
    /// A PostgreSQL server to make the cloud's database on.
    pub database_url: Option<String>,
    /// Where to write the JSON summary.
    pub json: Option<PathBuf>,
    /// Fail on order-of-magnitude regressions.
    pub smoke: bool,
    /// Identity seed.
    pub seed: u64,
    /// Source addresses.
    pub sources: Sources,
    /// First connections in progress at once.
    pub ramp: usize,
    /// The servers to measure.
    pub servers: Vec<ServerKind>,
    /// Client handshake timeout.
    pub handshake_timeout: Duration,
    /// Where the temporary directory goes (the system's temp dir if `None`).
    pub work_dir: Option<PathBuf>,
    /// Keep the temporary directory (logs, data) after the run.
    pub keep_work_dir: bool,
}

/// Seconds since the run began, for progress lines.
#[derive(Debug, Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn log(&self, server: &str, text: &str) {
        eprintln!(
            "[{:7.1} s] [{server}] {text}",
            self.0.elapsed().as_secs_f64()
        );
    }
}

/// How a server is (re)started.
#[derive(Debug)]
enum Launcher {
    Cloud(CloudCommand),
    Mosquitto(MosquittoCommand),
}

impl Launcher {
    fn spawn(&self) -> anyhow::Result<ChildGuard> {
        match self {
            Launcher::Cloud(c) => c.spawn(),
            Launcher::Mosquitto(m) => m.spawn(),
        }
    }

    fn addr(&self) -> std::net::SocketAddr {
        match self {
            Launcher::Cloud(c) => c.addr(),
            Launcher::Mosquitto(m) => m.addr(),
        }
    }

    fn log(&self) -> &std::path::Path {
        match self {
            Launcher::Cloud(c) => &c.log,
            Launcher::Mosquitto(m) => &m.log,
        }
    }

    async fn start(&self) -> anyhow::Result<(ChildGuard, Instant)> {
        let started = Instant::now();
        let mut child = self.spawn()?;
        servers::wait_listening(
            &mut child,
            self.addr(),
            self.log(),
            Duration::from_secs(120),
        )
        .await?;
        Ok((child, started))
    }
}

/// A server under test.
#[derive(Debug)]
struct Server {
    name: &'static str,
    launcher: Launcher,
    child: ChildGuard,
    db: Option<CloudDb>,
    probes: Probes,
}

/// How the single-connection probes reach the server.
#[derive(Debug, Clone)]
enum Probes {
    Gateway(Arc<GatewayTarget>),
    Mqtt(Arc<MqttTarget>),
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.pid()
    }
}

/// Runs the benchmark; `Ok(false)` when it failed (a smoke check, or a step that could not
/// finish), after printing why.
pub async fn run(mut opts: BenchOptions) -> anyhow::Result<bool> {
    if opts.counts.is_empty() || opts.counts.contains(&0) {
        bail!("--counts needs at least one positive count");
    }
    opts.counts.sort_unstable();
    opts.counts.dedup();
    let top = *opts.counts.last().expect("not empty");
    // The fleet plus the probes live in this process.
    if top + 2 > MAX_PER_PROCESS {
        bail!(
            "one bench process holds at most {} clients",
            MAX_PER_PROCESS - 2
        );
    }
    let limit = procfs::raise_open_file_limit()?;
    if limit < top + 1024 {
        bail!(
            "the open-file limit is {limit}: too low for {top} connections in one process \
             (raise the hard limit, or use smaller --counts)"
        );
    }
    let clock = Clock(Instant::now());
    let work = work_dir("rekey-bench-", opts.work_dir.as_deref())?;
    eprintln!(
        "rekey-loadgen bench: counts {:?}, heartbeat {} s, window {} s, sources {}, open files {limit}, work directory {}",
        opts.counts,
        opts.heartbeat_secs,
        opts.window_secs,
        opts.sources,
        work.path().display()
    );
    let mut postgres: Option<(String, String)> = None;
    let mut cloud = None;
    let mut mosquitto = None;
    let measured = async {
        for kind in opts.servers.clone() {
            match kind {
                ServerKind::Cloud => {
                    let mut r = ServerResults::new("rekey-cloud");
                    if let Err(e) =
                        bench_cloud(&opts, work.path(), &clock, &mut r, &mut postgres).await
                    {
                        r.errors.push(format!("{e:#}"));
                        clock.log("rekey-cloud", &format!("FAILED: {e:#}"));
                    }
                    cloud = Some(r);
                }
                ServerKind::Mosquitto => {
                    let mut r = ServerResults::new("Mosquitto");
                    if let Err(e) = bench_mosquitto(&opts, work.path(), &clock, &mut r).await {
                        r.errors.push(format!("{e:#}"));
                        clock.log("mosquitto", &format!("FAILED: {e:#}"));
                    }
                    mosquitto = Some(r);
                }
            }
        }
        anyhow::Ok(())
    };
    // On a signal the measurement is dropped, and with it every server's guard: no server
    // outlives the run.
    let outcome = tokio::select! {
        r = measured => r,
        signal = interrupted() => Err(anyhow!("interrupted by {signal}; the servers were stopped")),
    };
    if let (Some(server), Some((_, name))) = (&opts.database_url, &postgres)
        && let Err(e) = CloudDb::drop_postgres(server, name).await
    {
        eprintln!("warning: {e:#}");
    }
    outcome?;
    if opts.keep_work_dir {
        let kept = work.keep();
        eprintln!("work directory kept: {}", kept.display());
    }
    report(&opts, cloud.as_ref(), mosquitto.as_ref())
}

/// A fresh temporary work directory named `prefix…`, in `parent` or the system's temp dir.
fn work_dir(prefix: &str, parent: Option<&std::path::Path>) -> anyhow::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    match parent {
        Some(dir) => builder.tempdir_in(dir),
        None => builder.tempdir(),
    }
    .context("cannot make the work directory")
}

/// Resolves with the name of the first of SIGINT, SIGTERM and SIGHUP to arrive.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
    }
}

/// Prints the table (and writes the JSON); `false` when a check failed.
fn report(
    opts: &BenchOptions,
    cloud: Option<&ServerResults>,
    mosquitto: Option<&ServerResults>,
) -> anyhow::Result<bool> {
    let rows = report::rows(cloud, mosquitto, opts.heartbeat_secs, &Goals::ISSUE_8);
    let top = opts.counts.last().copied().unwrap_or(0);
    println!();
    println!(
        "## Gateway benchmark: {} idle connections, heartbeat {} s, window {} s{}",
        top,
        opts.heartbeat_secs,
        opts.window_secs,
        if opts.smoke { " (smoke)" } else { "" }
    );
    println!();
    print!("{}", report::format_table(&rows));
    println!();
    for r in [cloud, mosquitto].into_iter().flatten() {
        if !r.client_errors.is_empty() {
            println!(
                "{} clients' errors over the run: {}",
                r.name, r.client_errors
            );
        }
    }
    let mut failures = Vec::new();
    for r in [cloud, mosquitto].into_iter().flatten() {
        for e in &r.errors {
            failures.push(format!("{}: {e}", r.name));
        }
        for (wait, n) in &r.never_welcomed {
            failures.push(format!("{}: {n} clients never welcomed ({wait})", r.name));
        }
    }
    if opts.smoke
        && let Some(c) = cloud
    {
        if let Some(&(n, per)) = c.rss_per_connection().last()
            && per > SMOKE_RSS_PER_CONNECTION
        {
            failures.push(format!(
                "rekey-cloud: {:.1} KiB of RSS per idle connection at {n} \
                 (smoke limit {:.0} KiB)",
                per / 1024.0,
                SMOKE_RSS_PER_CONNECTION / 1024.0
            ));
        }
        if let Some(w) = &c.window {
            let writes = w.commits.or(w.tuples).unwrap_or(0);
            if w.heartbeats > 0 && writes as f64 > SMOKE_COMMITS_PER_HEARTBEAT * w.heartbeats as f64
            {
                failures.push(format!(
                    "rekey-cloud: {writes} database writes during the heartbeat window for \
                     {} heartbeats (smoke limit {} %)",
                    w.heartbeats,
                    SMOKE_COMMITS_PER_HEARTBEAT * 100.0
                ));
            }
        }
    }
    if let Some(path) = &opts.json {
        let json = serde_json::json!({
            "counts": opts.counts,
            "heartbeat_secs": opts.heartbeat_secs,
            "window_secs": opts.window_secs,
            "smoke": opts.smoke,
            "sources": opts.sources.to_string(),
            "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
            "rekey_cloud": cloud.map(report::server_json),
            "mosquitto": mosquitto.map(report::server_json),
            "failures": failures,
        });
        std::fs::write(path, serde_json::to_string_pretty(&json)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!();
    if failures.is_empty() {
        println!("bench: ok");
        Ok(true)
    } else {
        for f in &failures {
            println!("bench: FAILED: {f}");
        }
        Ok(false)
    }
}

async fn bench_cloud(
    opts: &BenchOptions,
    work: &std::path::Path,
    clock: &Clock,
    results: &mut ServerResults,
    postgres: &mut Option<(String, String)>,
) -> anyhow::Result<()> {
    let top = *opts.counts.last().expect("counts checked");
    // Before the cloud starts, so that nothing else runs beside it.
    let crypto = tokio::task::spawn_blocking(crypto::cloud_handshake_secs).await??;
    clock.log(
        "rekey-cloud",
        &format!(
            "the cloud's cryptography per handshake, timed here: {:.3} ms",
            crypto * 1e3
        ),
    );
    results.handshake_crypto_secs = Some(crypto);
    let data_dir = work.join("cloud-data");
    let database_url = match &opts.database_url {
        Some(server) => {
            let made = CloudDb::create_postgres(server).await?;
            let url = made.0.clone();
            *postgres = Some(made);
            Some(url)
        }
        None => None,
    };
    let command = CloudCommand {
        bin: opts.cloud_bin.clone(),
        data_dir: data_dir.clone(),
        port: servers::free_port()?,
        heartbeat_secs: opts.heartbeat_secs,
        // Every device of the fleet and the probes may enrol from any one address.
        enrolments_per_address: top + 16,
        max_connections: top + 1024,
        database_url: database_url.clone(),
        log: work.join("cloud.log"),
    };
    let key = command.public_key()?;
    let cloud_key = CloudPublicKey::parse(&key).map_err(|e| anyhow!("cloud public key: {e}"))?;
    let target = Arc::new(
        GatewayTarget::resolve(
            &format!("ws://{}", command.addr()),
            cloud_key,
            opts.handshake_timeout,
        )
        .await?,
    );
    clock.log(
        "rekey-cloud",
        &format!("starting {}", opts.cloud_bin.display()),
    );
    let launcher = Launcher::Cloud(command);
    let (child, _) = launcher.start().await?;
    let db = match (&database_url, postgres.as_ref()) {
        (Some(url), Some((_, name))) => CloudDb::postgres(url, name).await?,
        _ => CloudDb::sqlite(&data_dir.join("cloud.db")).await?,
    };
    let mut server = Server {
        name: "rekey-cloud",
        launcher,
        child,
        db: Some(db),
        probes: Probes::Gateway(target.clone()),
    };
    let fleet = Fleet::new(FleetConfig {
        target: Target::Gateway(target),
        seed: opts.seed,
        sources: opts.sources,
        ramp: opts.ramp,
    });
    steps::measure(opts, clock, &mut server, fleet, results).await
}

async fn bench_mosquitto(
    opts: &BenchOptions,
    work: &std::path::Path,
    clock: &Clock,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    let command = MosquittoCommand::new(opts.mosquitto_bin.clone(), work, servers::free_port()?)?;
    let target = Arc::new(MqttTarget {
        addr: command.addr(),
        keepalive: Duration::from_secs(u64::from(opts.heartbeat_secs)),
        handshake_timeout: opts.handshake_timeout,
    });
    clock.log(
        "mosquitto",
        &format!("starting {}", opts.mosquitto_bin.display()),
    );
    let launcher = Launcher::Mosquitto(command);
    let (child, _) = launcher.start().await?;
    let mut server = Server {
        name: "mosquitto",
        launcher,
        child,
        db: None,
        probes: Probes::Mqtt(target.clone()),
    };
    let fleet = Fleet::new(FleetConfig {
        target: Target::Mqtt(target),
        seed: opts.seed,
        sources: opts.sources,
        ramp: opts.ramp,
    });
    steps::measure(opts, clock, &mut server, fleet, results).await
}
