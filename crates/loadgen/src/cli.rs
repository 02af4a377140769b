//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use crate::bench::ServerKind;
use crate::identity::Sources;

/// A load generator for the cloud's device gateway, and the gateway benchmark.
#[derive(Debug, clap::Parser)]
#[command(name = "rekey-loadgen", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Holds a fleet of simulated recorders on a cloud's gateway until Ctrl-C (SIGUSR1: every
    /// device reconnects).
    Gateway(GatewayArgs),
    /// Holds a fleet of MQTT clients of the same shape on a broker until Ctrl-C.
    Mqtt(MqttArgs),
    /// Runs the gateway benchmark: the cloud and Mosquitto side by side, one table. A flag
    /// given twice takes its last value (bench/gateway.sh passes defaults first).
    #[command(args_override_self = true)]
    Bench(BenchArgs),
    /// The scale demonstration: a large fleet across several cloud nodes on one PostgreSQL
    /// database (one load-generator process per node), its memory, CPU and database writes,
    /// and the time for all to be back after every node restarts. A flag given twice takes its
    /// last value (bench/scale.sh passes defaults first).
    #[command(args_override_self = true)]
    Scale(ScaleArgs),
}

/// The shape of a fleet.
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// Devices in this process (at most 19,000; share a larger fleet between processes with
    /// --first).
    #[arg(long)]
    pub count: u64,
    /// Index of this process's first device.
    #[arg(long, default_value_t = 0)]
    pub first: u64,
    /// Identity seed: device i's key comes from SHA-256(seed ‖ i).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Source addresses: FIRST/PER (PER devices per address from FIRST upward, all in
    /// 127.0.0.0/8), or `off` for the system's choice.
    #[arg(long, default_value = "127.1.0.1/64")]
    pub sources: Sources,
    /// First connections in progress at once (reconnects are not limited).
    #[arg(long, default_value_t = 256)]
    pub ramp: usize,
    /// Seconds between status lines.
    #[arg(long, default_value_t = 5)]
    pub status_secs: u64,
    /// Seconds for TCP, the upgrade and the handshake (CONNECT/CONNACK) together.
    #[arg(long, default_value_t = 15)]
    pub handshake_timeout_secs: u64,
}

impl FleetArgs {
    /// The handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout_secs.max(1))
    }
}

/// `rekey-loadgen gateway`.
#[derive(Debug, clap::Args)]
pub struct GatewayArgs {
    /// The cloud's base URL (http://HOST:PORT) or gateway URL (ws://HOST:PORT/gateway/v1).
    #[arg(long)]
    pub url: String,
    /// The cloud's public key (`rekey-cloud --print-public-key`).
    #[arg(long)]
    pub cloud_key: String,
    /// The fleet.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// `rekey-loadgen mqtt`.
#[derive(Debug, clap::Args)]
pub struct MqttArgs {
    /// The broker, HOST:PORT.
    #[arg(long)]
    pub addr: String,
    /// Keepalive and PINGREQ interval, seconds.
    #[arg(long, default_value_t = 20)]
    pub keepalive_secs: u16,
    /// The fleet.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// `rekey-loadgen bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The `rekey-cloud` binary (a release build).
    #[arg(long)]
    pub cloud_bin: PathBuf,
    /// The `mosquitto` binary.
    #[arg(long, default_value = "mosquitto")]
    pub mosquitto_bin: PathBuf,
    /// Client counts to measure RSS at [default: 1000,5000,15000; --smoke: 2000].
    #[arg(long, value_delimiter = ',')]
    pub counts: Option<Vec<u64>>,
    /// Seconds of the heartbeat window [default: 60; --smoke: 20].
    #[arg(long)]
    pub window_secs: Option<u64>,
    /// Heartbeat interval and MQTT keepalive, seconds [default: 20; --smoke: 5].
    #[arg(long)]
    pub heartbeat_secs: Option<u32>,
    /// A PostgreSQL server (postgres://USER@HOST/DB) to make a fresh database on for the cloud;
    /// SQLite in the data directory without it.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Write a JSON summary here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// 2,000 connections, short windows; fail only on an order-of-magnitude regression
    /// (RSS per connection > 20 KiB, database writes during the heartbeat window > 1 % of the
    /// heartbeats, clients never welcomed). Times are printed, never checked.
    #[arg(long)]
    pub smoke: bool,
    /// Identity seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Source addresses (as for `gateway`).
    #[arg(long, default_value = "127.1.0.1/64")]
    pub sources: Sources,
    /// First connections in progress at once.
    #[arg(long, default_value_t = 256)]
    pub ramp: usize,
    /// The servers to measure.
    #[arg(long, value_delimiter = ',', default_value = "cloud,mosquitto")]
    pub servers: Vec<ServerKind>,
    /// Client handshake timeout, seconds.
    #[arg(long, default_value_t = 15)]
    pub handshake_timeout_secs: u64,
    /// Where to make the temporary work directory (data, logs) [default: the system's].
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Keep the work directory after the run.
    #[arg(long)]
    pub keep_work_dir: bool,
}

/// `rekey-loadgen scale`.
#[derive(Debug, clap::Args)]
pub struct ScaleArgs {
    /// The `rekey-cloud` binary (a release build).
    #[arg(long)]
    pub cloud_bin: PathBuf,
    /// The PostgreSQL server (postgres://USER@HOST/DB) to make a fresh database on.
    #[arg(long)]
    pub database_url: String,
    /// Cloud nodes (each with its own load-generator process).
    #[arg(long, default_value_t = 6)]
    pub nodes: usize,
    /// Simulated recorders in all.
    #[arg(long, default_value_t = 100_000)]
    pub devices: u64,
    /// The cloud's heartbeat period, seconds.
    #[arg(long, default_value_t = 20)]
    pub heartbeat_secs: u32,
    /// Seconds of the idle window.
    #[arg(long, default_value_t = 60)]
    pub window_secs: u64,
    /// Identity seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First connections in progress at once, per load-generator process.
    #[arg(long, default_value_t = 256)]
    pub ramp: usize,
    /// Where to make the temporary work directory (data, logs) [default: the system's].
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Keep the work directory after the run.
    #[arg(long)]
    pub keep_work_dir: bool,
}
