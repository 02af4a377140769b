//! The steps of one server's measurement, in order: the fleet grown to each count with RSS
//! read once stable, the heartbeat window, the silent and closed probes, the reconnect storm,
//! RSS after every client closed, and the restart storm.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use tokio::time::Instant;

use super::db;
use super::servers::ChildGuard;
use super::{BenchOptions, Clock, POLL, Probes, RSS_SAMPLE, STATUS_EVERY, Server};
use crate::fleet::Fleet;
use crate::gateway::{self, Recorder};
use crate::identity;
use crate::mqtt;
use crate::procfs;
use crate::report::{ServerResults, Storm, Window};
use crate::stats::{Snapshot, Stats};

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
pub(super) async fn settled_rss(
    child: &mut ChildGuard,
    span: Duration,
    limit: Duration,
) -> anyhow::Result<(u64, bool)> {
    let need = (span.as_millis() / RSS_SAMPLE.as_millis()) as usize + 1;
    let start = Instant::now();
    let mut samples: VecDeque<u64> = VecDeque::new();
    loop {
        child.check_running()?;
        let rss = procfs::rss_bytes(child.pid())?;
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

pub(super) fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    Ok(procfs::cpu_ticks(pid)? as f64 / procfs::ticks_per_second() as f64)
}

/// Every step on one server, in order; each fills its part of `results`, and the fleet's
/// errors are recorded however it ends.
pub(super) async fn measure(
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
    let (rss0, ok) = settled_rss(&mut server.child, span, settle_limit).await?;
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
        let (rss, ok) = settled_rss(&mut server.child, span, settle_limit).await?;
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
    let (rss, ok) = settled_rss(&mut server.child, Duration::from_secs(10), settle_limit).await?;
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
