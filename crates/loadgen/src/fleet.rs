//! A fleet of simulated devices in one process: one task per device that connects, holds the
//! connection and, when it ends, reconnects after the recorder's back-off
//! (`rekey_proto::reconnect::Backoff::RECORDER`; `failures` resets after a welcome).

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use rekey_proto::reconnect::Backoff;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::gateway::{self, GatewayTarget, Recorder};
use crate::identity::{self, Sources};
use crate::mqtt::{self, MqttTarget};
use crate::net;
use crate::stats::{ErrorKind, Snapshot, Stats};

/// The most devices one process holds (the open-file limit here is 20,000; several processes
/// share a larger fleet with `--first`).
pub const MAX_PER_PROCESS: u64 = 19_000;

/// What the fleet is told to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Control {
    /// Bumped to make every connected device drop its connection and reconnect.
    pub generation: u64,
    /// Every device closes its connection and stays away until cleared.
    pub closed: bool,
}

/// What the devices connect to.
#[derive(Debug, Clone)]
pub enum Target {
    /// The cloud's device gateway.
    Gateway(Arc<GatewayTarget>),
    /// An MQTT broker.
    Mqtt(Arc<MqttTarget>),
}

/// How the fleet is made.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// What the devices connect to.
    pub target: Target,
    /// The identity seed.
    pub seed: u64,
    /// Source addresses.
    pub sources: Sources,
    /// Most first connections in progress at once (reconnects are not limited).
    pub ramp: usize,
}

#[derive(Debug)]
struct Shared {
    config: FleetConfig,
    stats: Arc<Stats>,
    ramp: Semaphore,
}

/// A running fleet. Dropping it ends every device's task (and so closes its connection).
#[derive(Debug)]
pub struct Fleet {
    shared: Arc<Shared>,
    control: watch::Sender<Control>,
    tasks: JoinSet<()>,
    size: u64,
}

/// How one session ended.
enum Outcome {
    /// Told to stop (after a welcome).
    Stopped,
    /// Lost after a welcome.
    Lost(ErrorKind),
    /// Failed before a welcome.
    Failed(ErrorKind),
}

impl Fleet {
    /// An empty fleet.
    pub fn new(config: FleetConfig) -> Self {
        let ramp = Semaphore::new(config.ramp.max(1));
        Self {
            shared: Arc::new(Shared {
                config,
                stats: Arc::new(Stats::default()),
                ramp,
            }),
            control: watch::Sender::new(Control::default()),
            tasks: JoinSet::new(),
            size: 0,
        }
    }

    /// The fleet's counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.shared.stats
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        self.shared.stats.snapshot()
    }

    /// Devices started.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Starts devices `first .. first + count`.
    ///
    /// # Errors
    /// When the process would hold more than [`MAX_PER_PROCESS`], or a device's source address
    /// would leave 127.0.0.0/8.
    pub fn add(&mut self, first: u64, count: u64) -> anyhow::Result<()> {
        if self.size + count > MAX_PER_PROCESS {
            bail!("one process holds at most {MAX_PER_PROCESS} devices; run several with --first");
        }
        let end = first.checked_add(count).context("device index overflow")?;
        if count > 0 {
            self.shared.config.sources.address(end - 1)?;
        }
        for index in first..end {
            let source = self.shared.config.sources.address(index)?;
            let shared = self.shared.clone();
            let control = self.control.subscribe();
            self.tasks
                .spawn(async move { device(index, source, shared, control).await });
        }
        self.size += count;
        Ok(())
    }

    /// Every connected device drops its connection and reconnects after its back-off.
    pub fn reconnect_all(&self) {
        self.control.send_modify(|c| c.generation += 1);
    }

    /// Every device closes its connection and stays away.
    pub fn close_all(&self) {
        self.control.send_modify(|c| c.closed = true);
    }

    /// The devices come back (each after its back-off).
    pub fn reopen_all(&self) {
        self.control.send_modify(|c| c.closed = false);
    }
}

/// Resolves when the session begun at `generation` must end: the fleet was closed, told to
/// reconnect, or dropped.
async fn stop_signal(control: &mut watch::Receiver<Control>, generation: u64) {
    loop {
        if control.changed().await.is_err() {
            return;
        }
        let c = *control.borrow_and_update();
        if c.closed || c.generation != generation {
            return;
        }
    }
}

/// Counts the welcome; after the session, uncounts it.
struct Online<'a> {
    stats: &'a Stats,
    acked: bool,
}

impl<'a> Online<'a> {
    fn new(stats: &'a Stats) -> Self {
        stats.welcomes.fetch_add(1, Ordering::Relaxed);
        stats.online.fetch_add(1, Ordering::Relaxed);
        Self {
            stats,
            acked: false,
        }
    }
}

impl Drop for Online<'_> {
    fn drop(&mut self) {
        self.stats.online.fetch_sub(1, Ordering::Relaxed);
        if self.acked {
            self.stats.acked.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// One device's life: connect, hold, back off, again; parked while the fleet is closed.
async fn device(
    index: u64,
    source: Option<Ipv4Addr>,
    shared: Arc<Shared>,
    mut control: watch::Receiver<Control>,
) {
    let stats = &shared.stats;
    let mut recorder = match &shared.config.target {
        Target::Gateway(_) => Some(Recorder::new(shared.config.seed, index)),
        Target::Mqtt(_) => None,
    };
    let client_id = identity::mqtt_client_id(index);
    let mut failures: u32 = 0;
    let mut first = true;
    loop {
        // Parked while closed; back after the back-off once reopened.
        let mut parked = false;
        loop {
            let c = *control.borrow_and_update();
            if !c.closed {
                break;
            }
            parked = true;
            if control.changed().await.is_err() {
                return;
            }
        }
        if parked {
            tokio::time::sleep(Backoff::RECORDER.delay(0, net::random_u32())).await;
        }
        let generation = control.borrow().generation;
        stats.attempts.fetch_add(1, Ordering::Relaxed);
        if !first {
            stats.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        let mut permit = if first {
            shared.ramp.acquire().await.ok()
        } else {
            None
        };
        first = false;
        let outcome = {
            let stop = std::pin::pin!(stop_signal(&mut control, generation));
            match (&shared.config.target, recorder.as_mut()) {
                (Target::Gateway(t), Some(rec)) => match gateway::open(t, rec, source, stats).await
                {
                    Err(k) => Outcome::Failed(k),
                    Ok(mut est) => {
                        drop(permit.take());
                        let mut online = Online::new(stats);
                        match gateway::hold(&mut est, rec, stats, &mut online.acked, stop).await {
                            Ok(()) => Outcome::Stopped,
                            Err(k) => Outcome::Lost(k),
                        }
                    }
                },
                (Target::Mqtt(t), _) => match mqtt::open(t, &client_id, source, stats).await {
                    Err(k) => Outcome::Failed(k),
                    Ok(mut est) => {
                        drop(permit.take());
                        let mut online = Online::new(stats);
                        match mqtt::hold(&mut est, stats, &mut online.acked, stop).await {
                            Ok(()) => Outcome::Stopped,
                            Err(k) => Outcome::Lost(k),
                        }
                    }
                },
                (Target::Gateway(_), None) => unreachable!("a gateway device has a recorder"),
            }
        };
        drop(permit);
        match outcome {
            Outcome::Stopped => failures = 0,
            Outcome::Lost(kind) => {
                stats.error(kind);
                failures = 0;
            }
            Outcome::Failed(kind) => {
                stats.error(kind);
                failures = failures.saturating_add(1);
            }
        }
        if control.borrow().closed {
            continue;
        }
        // `failures` failed attempts since the last welcome: 0 right after a welcomed one ends.
        let delay = Backoff::RECORDER.delay(failures, net::random_u32());
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => break,
                r = control.changed() => {
                    if r.is_err() {
                        return;
                    }
                    if control.borrow().closed {
                        break;
                    }
                }
            }
        }
    }
}

/// Prints a status line every `every` until the process is interrupted. `SIGUSR1` makes every
/// device drop its connection and reconnect (a reconnect storm of known devices, to measure or
/// profile the server under one).
pub async fn run_until_interrupted(fleet: &Fleet, every: Duration) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut previous = fleet.snapshot();
    let mut at = tokio::time::Instant::now();
    let mut ticker = tokio::time::interval(every);
    let mut storm = signal(SignalKind::user_defined1()).context("cannot wait for SIGUSR1")?;
    ticker.tick().await;
    loop {
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                r.context("cannot wait for Ctrl-C")?;
                eprintln!("interrupted: closing {} connections", fleet.snapshot().open);
                return Ok(());
            }
            _ = storm.recv() => {
                eprintln!("SIGUSR1: every device reconnects");
                fleet.reconnect_all();
            }
            _ = ticker.tick() => {
                let now = tokio::time::Instant::now();
                let snap = fleet.snapshot();
                println!("{}", snap.status_line(&previous, (now - at).as_secs_f64(), fleet.size()));
                previous = snap;
                at = now;
            }
        }
    }
}
