//! `rekey-loadgen bench`: the gateway benchmark. In one run it starts the cloud and Mosquitto
//! (one after the other, each alone on the machine), drives the same fleet shape against each,
//! reads the server process's memory, CPU and I/O from `/proc`, and the cloud's database
//! read-only, and prints a Markdown table against the goals of issue 8 (and a JSON summary).
//!
//! Every wait is on a condition (a counter reaching N, a port accepting, a value stable over
//! consecutive reads) with a generous limit; only the measurement windows are timed.

mod crypto;
mod db;
mod servers;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use rekey_proto::CloudPublicKey;
use tokio::time::Instant;

use crate::fleet::{Fleet, FleetConfig, MAX_PER_PROCESS, Target};
use crate::gateway::{self, GatewayTarget, Recorder};
use crate::identity::{self, Sources};
use crate::mqtt::{self, MqttTarget};
use crate::procfs;
use crate::report::{self, Goals, ServerResults, Storm, Window};
use crate::stats::{Snapshot, Stats};
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
    let mut builder = tempfile::Builder::new();
    builder.prefix("rekey-bench-");
    let work = match &opts.work_dir {
        Some(dir) => builder.tempdir_in(dir),
        None => builder.tempdir(),
    }
    .context("cannot make the work directory")?;
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
    measure(opts, clock, &mut server, fleet, results).await
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
    measure(opts, clock, &mut server, fleet, results).await
}

/// How long `n` clients may take to be welcomed: generous, it only bounds a broken run.
fn welcome_limit(n: u64, heartbeat_secs: u32) -> Duration {
    Duration::from_secs(120 + 4 * u64::from(heartbeat_secs)) + Duration::from_millis(30 * n)
}

/// Waits until `done` holds for the fleet's counters, printing a status line now and then.
/// On timeout, records the clients still missing under `what` and fails.
async fn wait_fleet(
    server: &mut Server,
    fleet: &Fleet,
    clock: &Clock,
    what: &str,
    limit: Duration,
    missing: impl Fn(&Snapshot) -> u64,
    results: &mut ServerResults,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut last_status = start;
    let mut previous = fleet.snapshot();
    loop {
        let snap = fleet.snapshot();
        let left = missing(&snap);
        if left == 0 {
            return Ok(start.elapsed());
        }
        server.child.check_running()?;
        let now = Instant::now();
        if now - start > limit {
            results.never_welcomed.push((what.to_string(), left));
            bail!(
                "{what}: {left} clients still missing after {limit:?} ({})",
                snap.status_line(&previous, (now - last_status).as_secs_f64(), fleet.size())
            );
        }
        if now - last_status >= STATUS_EVERY {
            clock.log(
                server.name,
                &format!(
                    "{what}: {}",
                    snap.status_line(&previous, (now - last_status).as_secs_f64(), fleet.size())
                ),
            );
            previous = snap;
            last_status = now;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// RSS once it is stable: the samples over `span` (every [`RSS_SAMPLE`]) lie within 0.5 % or
/// 128 KiB. After `limit` the last sample is taken and reported as unsettled.
async fn settled_rss(
    server: &mut Server,
    span: Duration,
    limit: Duration,
) -> anyhow::Result<(u64, bool)> {
    let need = (span.as_millis() / RSS_SAMPLE.as_millis()) as usize + 1;
    let start = Instant::now();
    let mut samples: VecDeque<u64> = VecDeque::new();
    loop {
        server.child.check_running()?;
        let rss = procfs::rss_bytes(server.pid())?;
        samples.push_back(rss);
        if samples.len() > need {
            samples.pop_front();
        }
        if samples.len() == need {
            let max = *samples.iter().max().expect("not empty");
            let min = *samples.iter().min().expect("not empty");
            let tolerance = (max / 200).max(128 * 1024);
            if max - min <= tolerance {
                return Ok((rss, true));
            }
        }
        if start.elapsed() > limit {
            return Ok((rss, false));
        }
        tokio::time::sleep(RSS_SAMPLE).await;
    }
}

fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    Ok(procfs::cpu_ticks(pid)? as f64 / procfs::ticks_per_second() as f64)
}

/// Every step on one server, in order; each fills its part of `results`, and the fleet's
/// errors are recorded however it ends.
async fn measure(
    opts: &BenchOptions,
    clock: &Clock,
    server: &mut Server,
    fleet: Fleet,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    let stats = fleet.stats().clone();
    let r = steps(opts, clock, server, fleet, results).await;
    results.client_errors = stats.snapshot().errors_text();
    r
}

async fn steps(
    opts: &BenchOptions,
    clock: &Clock,
    server: &mut Server,
    mut fleet: Fleet,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    let name = server.name;
    let settle_limit = Duration::from_secs(120);
    let span = Duration::from_secs(3);

    // RSS(0).
    let (rss0, ok) = settled_rss(server, span, settle_limit).await?;
    if !ok {
        results.unsettled.push("RSS(0)".into());
    }
    let fds0 = procfs::open_fds(server.pid())?;
    results.rss0 = Some(rss0);
    clock.log(
        name,
        &format!("RSS(0) = {:.1} MiB", rss0 as f64 / 1048576.0),
    );

    // RSS(N) at each count: every client welcomed and through one heartbeat round trip.
    for &n in &opts.counts {
        let have = fleet.size();
        fleet.add(have, n - have)?;
        let took = wait_fleet(
            server,
            &fleet,
            clock,
            &format!("{n} clients welcomed"),
            welcome_limit(n, opts.heartbeat_secs),
            |s| n.saturating_sub(s.online.min(s.acked)),
            results,
        )
        .await?;
        let (rss, ok) = settled_rss(server, span, settle_limit).await?;
        if !ok {
            results.unsettled.push(format!("RSS({n})"));
        }
        results.rss_at.push((n, rss));
        clock.log(
            name,
            &format!(
                "{n} clients online and acked after {:.1} s; RSS = {:.1} MiB ({:.2} KiB per connection)",
                took.as_secs_f64(),
                rss as f64 / 1048576.0,
                (rss as f64 - rss0 as f64) / n as f64 / 1024.0
            ),
        );
    }
    let n = fleet.size();

    // The heartbeat window.
    clock.log(name, &format!("heartbeat window of {} s", opts.window_secs));
    let window = heartbeat_window(opts, server, &fleet, n).await?;
    clock.log(
        name,
        &format!(
            "window: {} heartbeats, {:.2} s CPU, commits {:?}, data_version changes {:?}, WAL bytes {:?}, rows {:?}, write_bytes {}",
            window.heartbeats,
            window.cpu_secs,
            window.commits,
            window.data_version_changes,
            window.wal_bytes,
            window.tuples,
            window.write_bytes
        ),
    );
    let idle_rate = window.cpu_secs / window.secs.max(1e-9);
    results.window = Some(window);

    // A closed connection, then a silent one.
    let probe = n + 1;
    match probe_offline(opts, server, probe, ProbeMode::Closed).await {
        Ok(secs) => {
            clock.log(
                name,
                &format!("closed connection offline after {secs:.3} s"),
            );
            results.closed_secs = Some(secs);
        }
        Err(e) => results.errors.push(format!("closed connection: {e:#}")),
    }
    clock.log(name, "silent connection: waiting until it is dropped");
    match probe_offline(opts, server, probe + 1, ProbeMode::Silent).await {
        Ok(secs) => {
            clock.log(
                name,
                &format!("silent connection offline after {secs:.3} s"),
            );
            results.silent_secs = Some(secs);
        }
        Err(e) => results.errors.push(format!("silent connection: {e:#}")),
    }

    // Reconnect storm.
    let before = fleet.snapshot();
    let cpu0 = cpu_secs(server.pid())?;
    fleet.reconnect_all();
    let took = wait_fleet(
        server,
        &fleet,
        clock,
        "reconnect storm",
        welcome_limit(n, opts.heartbeat_secs),
        |s| all_back(s, &before, n),
        results,
    )
    .await?;
    let cpu = cpu_secs(server.pid())? - cpu0;
    let storm = Storm {
        clients: n,
        secs: took.as_secs_f64(),
        cpu_secs: cpu,
        cpu_net_secs: (cpu - idle_rate * took.as_secs_f64()).max(0.0),
    };
    clock.log(
        name,
        &format!(
            "reconnect storm: all {n} back after {:.2} s, {:.2} s CPU ({:.3} ms per reconnect net of idle)",
            storm.secs,
            storm.cpu_secs,
            storm.cpu_net_secs / n as f64 * 1e3
        ),
    );
    results.reconnect = Some(storm);

    // Every client closed: RSS after it settled (over 10 s).
    fleet.close_all();
    wait_fleet(
        server,
        &fleet,
        clock,
        "every client closed",
        Duration::from_secs(60),
        |s| s.open,
        results,
    )
    .await?;
    let start = Instant::now();
    loop {
        let fds = procfs::open_fds(server.pid())?;
        if fds <= fds0 + 32 {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            results.errors.push(format!(
                "after every client closed the server still has {fds} files open ({fds0} at start)"
            ));
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let (rss, ok) = settled_rss(server, Duration::from_secs(10), settle_limit).await?;
    if !ok {
        results.unsettled.push("RSS after close".into());
    }
    results.rss_closed = Some(rss);
    clock.log(
        name,
        &format!(
            "every client closed: RSS = {:.1} MiB ({:.2}× RSS(0))",
            rss as f64 / 1048576.0,
            rss as f64 / rss0 as f64
        ),
    );

    // Back again, then the restart storm.
    let before = fleet.snapshot();
    fleet.reopen_all();
    wait_fleet(
        server,
        &fleet,
        clock,
        "clients back after the close",
        welcome_limit(n, opts.heartbeat_secs),
        |s| all_back(s, &before, n),
        results,
    )
    .await?;
    let before = fleet.snapshot();
    server.child.kill()?;
    let started = Instant::now();
    server.child = server.launcher.spawn()?;
    clock.log(name, "killed and started again");
    let took = wait_fleet(
        server,
        &fleet,
        clock,
        "restart storm",
        welcome_limit(n, opts.heartbeat_secs),
        |s| all_back(s, &before, n),
        results,
    )
    .await?;
    let secs = started.elapsed().as_secs_f64().max(took.as_secs_f64());
    let cpu = cpu_secs(server.pid())?;
    clock.log(
        name,
        &format!(
            "restart storm: all {n} back {secs:.2} s after the new process started ({cpu:.2} s CPU)"
        ),
    );
    results.restart = Some(Storm {
        clients: n,
        secs,
        cpu_secs: cpu,
        cpu_net_secs: cpu,
    });
    drop(fleet);
    server.child.kill()?;
    Ok(())
}

/// Clients still to come back: every one online, and at least `n` welcomes since `before`.
fn all_back(now: &Snapshot, before: &Snapshot, n: u64) -> u64 {
    let welcomed = now.welcomes.saturating_sub(before.welcomes);
    n.saturating_sub(welcomed.min(now.online))
}

/// Heartbeats, CPU, I/O and database writes over the window at the top count.
async fn heartbeat_window(
    opts: &BenchOptions,
    server: &mut Server,
    fleet: &Fleet,
    n: u64,
) -> anyhow::Result<Window> {
    let pid = server.pid();
    let io0 = procfs::io(pid)?;
    let snap0 = fleet.snapshot();
    let c0 = match &mut server.db {
        Some(db) => Some(db.counters().await?),
        None => None,
    };
    let cpu0 = cpu_secs(pid)?;
    let start = Instant::now();
    let length = Duration::from_secs(opts.window_secs);
    let mut dv_changes = 0u64;
    let mut last_dv = c0.and_then(|c| c.data_version);
    while start.elapsed() < length {
        tokio::time::sleep(Duration::from_millis(100)).await;
        server.child.check_running()?;
        if let Some(db) = &mut server.db
            && let Some(dv) = db.data_version().await?
        {
            if last_dv.is_some_and(|l| l != dv) {
                dv_changes += 1;
            }
            last_dv = Some(dv);
        }
    }
    let cpu1 = cpu_secs(pid)?;
    let secs = start.elapsed().as_secs_f64();
    let snap1 = fleet.snapshot();
    let io1 = procfs::io(pid)?;
    let c1 = match &mut server.db {
        Some(db) => Some(db.counters().await?),
        None => None,
    };
    let diff = |f: fn(&db::Counters) -> Option<u64>| -> Option<u64> {
        match (&c0, &c1) {
            (Some(a), Some(b)) => Some(f(b)?.saturating_sub(f(a)?)),
            _ => None,
        }
    };
    let commits = match (&c0, &c1) {
        (Some(a), Some(b)) => match (a.wal_index_change, b.wal_index_change) {
            (Some(x), Some(y)) => Some(u64::from(y.wrapping_sub(x))),
            _ => None,
        },
        _ => None,
    };
    let sqlite = c0.is_some_and(|c| c.data_version.is_some());
    if snap1.online < n {
        bail!(
            "only {} of {n} clients were online at the end of the heartbeat window",
            snap1.online
        );
    }
    Ok(Window {
        connections: n,
        secs,
        heartbeats: snap1.heartbeats - snap0.heartbeats,
        cpu_secs: cpu1 - cpu0,
        commits,
        data_version_changes: sqlite.then_some(dv_changes),
        wal_bytes: diff(|c| c.wal_lsn),
        tuples: diff(|c| c.tuples),
        write_bytes: io1.write_bytes.saturating_sub(io0.write_bytes),
        write_syscalls: io1.syscw.saturating_sub(io0.syscw),
    })
}

/// What a probe connection does after its first heartbeat round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProbeMode {
    /// Closes its connection.
    Closed,
    /// Sends one last heartbeat, then nothing (and reads nothing), keeping the socket open.
    Silent,
}

/// Seconds from the probe's close (or last heartbeat) until the cloud's database shows it
/// offline, or until the broker closed the connection.
async fn probe_offline(
    opts: &BenchOptions,
    server: &mut Server,
    index: u64,
    mode: ProbeMode,
) -> anyhow::Result<f64> {
    let stats = Arc::new(Stats::default());
    let source = opts.sources.address(index)?;
    let limit = Duration::from_secs(30 + 5 * u64::from(opts.heartbeat_secs));
    let named = |k: crate::stats::ErrorKind| anyhow!("probe connection: {}", k.name());
    match server.probes.clone() {
        Probes::Gateway(target) => {
            let mut recorder = Recorder::new(opts.seed, index);
            let serial = recorder.serial.to_string();
            let mut est = gateway::open(&target, &mut recorder, source, &stats)
                .await
                .map_err(named)?;
            gateway::heartbeat_round(&mut est, &mut recorder, &stats)
                .await
                .map_err(named)?;
            let db = server
                .db
                .as_mut()
                .context("the cloud's database is not open")?;
            let start = Instant::now();
            while db.connected(&serial).await? != Some(true) {
                if start.elapsed() > Duration::from_secs(30) {
                    bail!("the cloud never showed the probe {serial} connected");
                }
                tokio::time::sleep(POLL).await;
            }
            let (t0, _held) = match mode {
                ProbeMode::Closed => {
                    drop(est);
                    (Instant::now(), None)
                }
                ProbeMode::Silent => {
                    let t0 = gateway::heartbeat_round(&mut est, &mut recorder, &stats)
                        .await
                        .map_err(named)?;
                    (t0, Some(est))
                }
            };
            loop {
                if db.connected(&serial).await? == Some(false) {
                    return Ok(t0.elapsed().as_secs_f64());
                }
                if t0.elapsed() > limit {
                    bail!("the cloud still shows {serial} connected after {limit:?}");
                }
                server.child.check_running()?;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Probes::Mqtt(target) => {
            let id = identity::mqtt_client_id(index);
            let mut est = mqtt::open(&target, &id, source, &stats)
                .await
                .map_err(named)?;
            mqtt::ping_round(&mut est, &stats).await.map_err(named)?;
            let (t0, closed) = match mode {
                ProbeMode::Closed => {
                    let t0 = Instant::now();
                    (t0, mqtt::close_and_wait(&mut est, limit).await)
                }
                ProbeMode::Silent => {
                    let t0 = mqtt::ping_round(&mut est, &stats).await.map_err(named)?;
                    (t0, mqtt::until_closed_by_broker(&mut est, limit).await)
                }
            };
            let closed = closed
                .with_context(|| format!("the broker kept the connection open for {limit:?}"))?;
            Ok((closed - t0).as_secs_f64())
        }
    }
}
