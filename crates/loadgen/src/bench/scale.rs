//! `rekey-loadgen scale`: the scale demonstration (issue 9). Several cloud nodes on one fresh
//! PostgreSQL database, each holding its share of a fleet of simulated recorders that is held
//! by several load-generator processes (`rekey-loadgen gateway`, one per node: a process holds
//! at most 19,000 connections here). It measures the connections held (as the fleets and as
//! the database see them), each node's memory and CPU, PostgreSQL's writes per second while
//! the fleet is idle and while it connects, and the time for the whole fleet to be back after
//! every node is restarted at once (SIGTERM, then started again).
//!
//! Every wait is on a condition with a generous limit; only the measurement window is timed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use tokio::time::Instant;

use super::db::{CloudDb, Counters};
use super::servers::{self, ChildGuard, CloudCommand};
use super::steps::{cpu_secs, settled_rss};
use super::{Clock, interrupted, work_dir};
use crate::fleet::MAX_PER_PROCESS;
use crate::procfs;

/// The demonstration's settings.
#[derive(Debug, Clone)]
pub struct ScaleOptions {
    /// The `rekey-cloud` binary.
    pub cloud_bin: PathBuf,
    /// The PostgreSQL server to make the database on.
    pub database_url: String,
    /// Cloud nodes.
    pub nodes: usize,
    /// Simulated recorders in all.
    pub devices: u64,
    /// The cloud's heartbeat period.
    pub heartbeat_secs: u32,
    /// Length of the idle window.
    pub window_secs: u64,
    /// Identity seed.
    pub seed: u64,
    /// First connections in progress at once, per load-generator process.
    pub ramp: usize,
    /// Where the temporary directory goes (the system's temp dir if `None`).
    pub work_dir: Option<PathBuf>,
    /// Keep the temporary directory (logs) after the run.
    pub keep_work_dir: bool,
}

/// One cloud node and the load-generator process holding its share of the fleet.
struct Node {
    cloud: CloudCommand,
    child: ChildGuard,
    fleet: ChildGuard,
    fleet_log: PathBuf,
    /// Where in the fleet's log the lines of the current phase begin.
    log_from: usize,
    devices: u64,
    rss0: u64,
}

/// What a run measured.
#[derive(Debug, Default)]
struct Figures {
    connect: Option<Phase>,
    idle: Option<Phase>,
    restart: Option<Phase>,
    drain_secs: f64,
    drained_cleanly: usize,
    back_after_listening_secs: f64,
    per_node: Vec<NodeFigures>,
    held_by_fleets: u64,
    held_in_database: i64,
    /// Each fleet's failures over the whole run (its last status line).
    fleet_errors: Vec<String>,
}

/// One node's readings.
#[derive(Debug, Default)]
struct NodeFigures {
    devices: u64,
    online: u64,
    rss0: u64,
    rss: u64,
    idle_cpu: f64,
    fleet_rss: u64,
}

/// A span of the run: its length, the nodes' CPU and PostgreSQL's writes in it.
#[derive(Debug, Clone, Copy)]
struct Phase {
    secs: f64,
    cloud_cpu_secs: f64,
    fleet_cpu_secs: f64,
    /// The share of the machine's CPU time that was busy (all processes).
    machine_busy: f64,
    commits: u64,
    tuples: u64,
    wal_bytes: u64,
}

impl Phase {
    fn per_sec(&self, n: u64) -> f64 {
        n as f64 / self.secs.max(1e-3)
    }
}

/// Readings at one moment, to make a [`Phase`] of two.
struct Mark {
    at: Instant,
    cpu: f64,
    fleet_cpu: f64,
    machine: (u64, u64),
    db: Counters,
}

async fn mark(nodes: &[Node], db: &mut CloudDb) -> anyhow::Result<Mark> {
    let (mut cpu, mut fleet_cpu) = (0.0, 0.0);
    for n in nodes {
        // A node that is not running (restarting) counts nothing.
        cpu += cpu_secs(n.child.pid()).unwrap_or(0.0);
        fleet_cpu += cpu_secs(n.fleet.pid()).unwrap_or(0.0);
    }
    Ok(Mark {
        at: Instant::now(),
        cpu,
        fleet_cpu,
        machine: procfs::machine_ticks()?,
        db: db.counters().await?,
    })
}

fn phase(a: &Mark, b: &Mark) -> Phase {
    let d = |x: Option<u64>, y: Option<u64>| y.unwrap_or(0).saturating_sub(x.unwrap_or(0));
    Phase {
        secs: (b.at - a.at).as_secs_f64(),
        cloud_cpu_secs: (b.cpu - a.cpu).max(0.0),
        fleet_cpu_secs: (b.fleet_cpu - a.fleet_cpu).max(0.0),
        machine_busy: (b.machine.0 - a.machine.0) as f64
            / (b.machine.1 - a.machine.1).max(1) as f64,
        commits: d(a.db.commits, b.db.commits),
        tuples: d(a.db.tuples, b.db.tuples),
        wal_bytes: d(a.db.wal_lsn, b.db.wal_lsn),
    }
}

/// The `online` count of a fleet's last status line (`open …/… | online N | …`).
fn online_in(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .filter_map(|l| l.split(" | online ").nth(1))
        .find_map(|rest| rest.split_whitespace().next()?.parse().ok())
}

fn fleet_log(node: &Node) -> String {
    std::fs::read_to_string(&node.fleet_log).unwrap_or_default()
}

/// The fleet's online count, from the status lines of the current phase only.
fn fleet_online(node: &Node) -> u64 {
    let text = fleet_log(node);
    text.get(node.log_from..).and_then(online_in).unwrap_or(0)
}

/// Waits until every fleet says all its devices are online; the time it took.
async fn wait_all_online(
    nodes: &mut [Node],
    clock: &Clock,
    what: &str,
    limit: Duration,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut last = start;
    let total: u64 = nodes.iter().map(|n| n.devices).sum();
    loop {
        let online: u64 = nodes.iter().map(fleet_online).sum();
        if online >= total {
            return Ok(start.elapsed());
        }
        for n in nodes.iter_mut() {
            n.fleet.check_running()?;
        }
        if start.elapsed() > limit {
            bail!("{what}: {online} of {total} online after {limit:?}");
        }
        if last.elapsed() >= Duration::from_secs(10) {
            clock.log("scale", &format!("{what}: {online} of {total} online"));
            last = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Runs the demonstration and prints its table; `Ok(false)` if a step failed.
pub async fn run(opts: ScaleOptions) -> anyhow::Result<bool> {
    if opts.nodes == 0 || opts.devices == 0 {
        bail!("--nodes and --devices must be positive");
    }
    let per_node = opts.devices.div_ceil(opts.nodes as u64);
    if per_node + 64 > MAX_PER_PROCESS {
        bail!(
            "{per_node} devices per node: a load-generator process holds at most {MAX_PER_PROCESS}; use more --nodes"
        );
    }
    let limit = procfs::raise_open_file_limit()?;
    if limit < per_node + 1024 {
        bail!("the open-file limit is {limit}: too low for {per_node} connections per process");
    }
    let clock = Clock(Instant::now());
    let work = work_dir("rekey-scale-", opts.work_dir.as_deref())?;
    eprintln!(
        "rekey-loadgen scale: {} devices on {} nodes ({per_node} per node), heartbeat {} s, window {} s, open files {limit}, work directory {}",
        opts.devices,
        opts.nodes,
        opts.heartbeat_secs,
        opts.window_secs,
        work.path().display()
    );
    let (url, name) = CloudDb::create_postgres(&opts.database_url).await?;
    let mut figures = Figures::default();
    let outcome = tokio::select! {
        r = demonstrate(&opts, work.path(), &url, &name, &clock, &mut figures) => r,
        signal = interrupted() => Err(anyhow!("interrupted by {signal}; the processes were stopped")),
    };
    if let Err(e) = CloudDb::drop_postgres(&opts.database_url, &name).await {
        eprintln!("warning: {e:#}");
    }
    if opts.keep_work_dir {
        eprintln!("work directory kept: {}", work.keep().display());
    }
    println!("{}", table(&opts, &figures));
    match outcome {
        Ok(()) => Ok(true),
        Err(e) => {
            eprintln!("FAILED: {e:#}");
            Ok(false)
        }
    }
}

async fn demonstrate(
    opts: &ScaleOptions,
    work: &Path,
    url: &str,
    name: &str,
    clock: &Clock,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    let data = work.join("cloud");
    std::fs::create_dir_all(&data)?;
    let command = |i: usize| -> anyhow::Result<CloudCommand> {
        Ok(CloudCommand {
            bin: opts.cloud_bin.clone(),
            // One data directory for all: the keys every node must share (the database is
            // PostgreSQL).
            data_dir: data.clone(),
            port: servers::free_port()?,
            heartbeat_secs: opts.heartbeat_secs,
            enrolments_per_address: 1_000,
            max_connections: MAX_PER_PROCESS,
            database_url: Some(url.to_string()),
            log: work.join(format!("node{}.log", i + 1)),
        })
    };
    let commands = (0..opts.nodes)
        .map(command)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let key = commands[0].public_key()?;
    let mut db = CloudDb::postgres(url, name).await?;

    // The nodes, with no client: RSS(0).
    let mut children = Vec::new();
    for c in &commands {
        let mut child = c.spawn()?;
        servers::wait_listening(&mut child, c.addr(), &c.log, Duration::from_secs(120)).await?;
        children.push(child);
    }
    let mut nodes = Vec::new();
    let per_node = opts.devices.div_ceil(opts.nodes as u64);
    for (i, (cloud, mut child)) in commands.into_iter().zip(children).enumerate() {
        let (rss0, _) =
            settled_rss(&mut child, Duration::from_secs(3), Duration::from_secs(30)).await?;
        let first = per_node * i as u64;
        let devices = per_node.min(opts.devices.saturating_sub(first));
        let fleet_log = work.join(format!("fleet{}.log", i + 1));
        let mut c = Command::new(std::env::current_exe().context("this program's path")?);
        c.arg("gateway")
            .arg(format!("--url=http://{}", cloud.addr()))
            .arg(format!("--cloud-key={key}"))
            .arg(format!("--count={devices}"))
            .arg(format!("--first={first}"))
            .arg(format!("--seed={}", opts.seed))
            .arg(format!("--ramp={}", opts.ramp))
            .arg("--status-secs=2");
        let fleet = ChildGuard::spawn(&format!("fleet {}", i + 1), c, &fleet_log)?;
        nodes.push(Node {
            cloud,
            child,
            fleet,
            fleet_log,
            log_from: 0,
            devices,
            rss0,
        });
    }

    // The first connection: every device enrols.
    clock.log("scale", "the fleets connect (every device enrols)");
    let before = mark(&nodes, &mut db).await?;
    let limit = Duration::from_secs(600) + Duration::from_millis(20 * opts.devices);
    wait_all_online(&mut nodes, clock, "first connection", limit).await?;
    figures.connect = Some(phase(&before, &mark(&nodes, &mut db).await?));

    // Idle: every node's RSS settled, then the window.
    clock.log("scale", "all online; waiting for memory to settle");
    for n in &mut nodes {
        settled_rss(
            &mut n.child,
            Duration::from_secs(10),
            Duration::from_secs(120),
        )
        .await?;
    }
    clock.log("scale", &format!("idle window of {} s", opts.window_secs));
    let cpu_before: Vec<f64> = nodes
        .iter()
        .map(|n| cpu_secs(n.child.pid()))
        .collect::<anyhow::Result<_>>()?;
    let before = mark(&nodes, &mut db).await?;
    tokio::time::sleep(Duration::from_secs(opts.window_secs)).await;
    let after = mark(&nodes, &mut db).await?;
    let idle = phase(&before, &after);
    figures.idle = Some(idle);
    for (n, cpu0) in nodes.iter_mut().zip(cpu_before) {
        figures.per_node.push(NodeFigures {
            devices: n.devices,
            online: fleet_online(n),
            rss0: n.rss0,
            rss: procfs::rss_bytes(n.child.pid())?,
            idle_cpu: (cpu_secs(n.child.pid())? - cpu0) / idle.secs,
            fleet_rss: procfs::rss_bytes(n.fleet.pid())?,
        });
    }
    figures.held_by_fleets = figures.per_node.iter().map(|n| n.online).sum();
    figures.held_in_database = db.connected_per_node().await?.iter().map(|(_, n)| n).sum();

    // Every node restarted at once: SIGTERM (each drains, telling its recorders to go), then
    // started again on the same port.
    clock.log("scale", "restarting every node (SIGTERM, then start)");
    let before = mark(&nodes, &mut db).await?;
    let stopping = Instant::now();
    let stops = nodes
        .iter_mut()
        .map(|n| n.child.terminate(Duration::from_secs(60)));
    let cleanly = futures_util::future::join_all(stops).await;
    figures.drain_secs = stopping.elapsed().as_secs_f64();
    figures.drained_cleanly = cleanly
        .into_iter()
        .filter(|r| matches!(r, Ok(true)))
        .count();
    for n in &mut nodes {
        n.child = n.cloud.spawn()?;
    }
    for n in &mut nodes {
        let (addr, log) = (n.cloud.addr(), n.cloud.log.clone());
        servers::wait_listening(&mut n.child, addr, &log, Duration::from_secs(120)).await?;
    }
    let listening = Instant::now();
    // Status lines printed from now on tell who is back.
    for n in &mut nodes {
        n.log_from = fleet_log(n).len();
    }
    let limit = Duration::from_secs(600) + Duration::from_millis(10 * opts.devices);
    wait_all_online(&mut nodes, clock, "after the restart", limit).await?;
    figures.back_after_listening_secs = listening.elapsed().as_secs_f64();
    // From the stop signal; the CPU is the new processes' (the old ones' drain is not counted).
    let from_stop = Mark {
        at: stopping,
        cpu: 0.0,
        ..before
    };
    let restart = phase(&from_stop, &mark(&nodes, &mut db).await?);
    figures.restart = Some(restart);
    figures.fleet_errors = nodes
        .iter()
        .map(|n| {
            let log = fleet_log(n);
            let last = log
                .lines()
                .rev()
                .find(|l| l.contains(" | online "))
                .unwrap_or("");
            last.split_once("errors: ")
                .map_or_else(String::new, |(_, e)| e.to_string())
        })
        .collect();
    clock.log("scale", "done");
    for n in &mut nodes {
        n.child.terminate(Duration::from_secs(60)).await?;
        n.fleet.kill()?;
    }
    Ok(())
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// The Markdown report.
fn table(opts: &ScaleOptions, f: &Figures) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## Scale: {} devices on {} cloud nodes, one PostgreSQL (heartbeat {} s)\n",
        opts.devices, opts.nodes, opts.heartbeat_secs
    );
    let _ = writeln!(
        out,
        "| node | devices | online (fleet) | RSS(0) MiB | RSS MiB | KiB per connection | CPU idle (% of a core) | load generator RSS MiB |\n|---|---|---|---|---|---|---|---|"
    );
    for (i, n) in f.per_node.iter().enumerate() {
        let per = (n.rss.saturating_sub(n.rss0)) as f64 / 1024.0 / (n.online.max(1) as f64);
        let _ = writeln!(
            out,
            "| node{} | {} | {} | {:.1} | {:.1} | {per:.2} | {:.1} | {:.1} |",
            i + 1,
            n.devices,
            n.online,
            mib(n.rss0),
            mib(n.rss),
            n.idle_cpu * 100.0,
            mib(n.fleet_rss)
        );
    }
    let rss: u64 = f.per_node.iter().map(|n| n.rss).sum();
    let cpu: f64 = f.per_node.iter().map(|n| n.idle_cpu).sum();
    let _ = writeln!(
        out,
        "| **all** | {} | {} | | {:.1} | | {:.1} | |\n",
        opts.devices,
        f.held_by_fleets,
        mib(rss),
        cpu * 100.0
    );
    let _ = writeln!(
        out,
        "Connections held: {} by the fleets' count, {} shown connected in the database.\n",
        f.held_by_fleets, f.held_in_database
    );
    let _ = writeln!(
        out,
        "| phase | seconds | cloud CPU (s) | load generators' CPU (s) | machine busy | PostgreSQL commits/s | rows written/s | WAL KiB/s |\n|---|---|---|---|---|---|---|---|"
    );
    for (label, p) in [
        ("first connection (every device enrols)", f.connect),
        ("idle window", f.idle),
        ("restart of every node, until all are back", f.restart),
    ] {
        if let Some(p) = p {
            let _ = writeln!(
                out,
                "| {label} | {:.1} | {:.1} | {:.1} | {:.0} % | {:.1} | {:.1} | {:.1} |",
                p.secs,
                p.cloud_cpu_secs,
                p.fleet_cpu_secs,
                p.machine_busy * 100.0,
                p.per_sec(p.commits),
                p.per_sec(p.tuples),
                p.per_sec(p.wal_bytes) / 1024.0
            );
        }
    }
    let _ = writeln!(
        out,
        "\nRestart: the {} nodes drained in {:.1} s ({} of them ended by themselves); every device was back {:.1} s after they listened again.",
        opts.nodes, f.drain_secs, f.drained_cleanly, f.back_after_listening_secs
    );
    if let Some(r) = f.restart {
        let _ = writeln!(
            out,
            "Cloud CPU per device brought back: {:.3} ms; the load generators': {:.3} ms.",
            r.cloud_cpu_secs * 1000.0 / opts.devices as f64,
            r.fleet_cpu_secs * 1000.0 / opts.devices as f64
        );
    }
    let _ = writeln!(
        out,
        "\nThe fleets' failed attempts over the run (all phases):\n"
    );
    for (i, e) in f.fleet_errors.iter().enumerate() {
        let _ = writeln!(out, "- fleet {}: {e}", i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_online_count_of_the_last_status_line() {
        let log = "gateway ws://127.0.0.1:1/gateway/v1 (127.0.0.1:1)\n\
            open 10/100 | online 7 | welcomed 7 | handshakes 10 (5/s) | reconnects 0 | heartbeats 0 | errors: none\n\
            open 100/100 | online 98 | welcomed 100 | handshakes 100 (45/s) | reconnects 2 | heartbeats 4 | errors: none\n";
        assert_eq!(online_in(log), Some(98));
        assert_eq!(online_in("nothing yet\n"), None);
    }
}
