//! `rekey-loadgen`: a load generator for the cloud's device gateway, and the gateway benchmark.
//!
//! It simulates a fleet of recorders that do what the recorder's agent does on the wire
//! (docs/protocol.md §3, §9: the signed handshake under the pinned cloud key, recovery keys
//! opened and confirmed, heartbeats, the recorder's reconnection back-off), and a reference
//! fleet of the same shape of MQTT clients for Mosquitto. `bench` starts both servers in turn
//! and measures memory, CPU, database writes, storms and presence against the goals of issue 8.
//!
//! It is a test tool: it is never linked into a product binary, and nothing depends on it. It
//! does not mock the server: it talks to a real `rekey-cloud` (or broker) over real sockets,
//! and reads the server only from the outside (`/proc`, a read-only view of its database).
//! It only connects to loopback addresses.

#![forbid(unsafe_code)]

pub mod bench;
pub mod cli;
pub mod fleet;
pub mod gateway;
pub mod identity;
pub mod mqtt;
pub mod net;
pub mod procfs;
pub mod report;
pub mod stats;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};

use crate::cli::{Cli, Command, FleetArgs};
use crate::fleet::{Fleet, FleetConfig, Target};

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Gateway(args) => {
            let key = rekey_proto::CloudPublicKey::parse(&args.cloud_key)
                .map_err(|e| anyhow!("--cloud-key: {e}"))?;
            let target =
                gateway::GatewayTarget::resolve(&args.url, key, args.fleet.handshake_timeout())
                    .await?;
            eprintln!("gateway {} ({})", target.url, target.addr);
            hold(Target::Gateway(Arc::new(target)), &args.fleet).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Mqtt(args) => {
            let addr = tokio::net::lookup_host(&args.addr)
                .await
                .with_context(|| format!("cannot resolve {}", args.addr))?
                .next()
                .with_context(|| format!("{} resolves to no address", args.addr))?;
            let target = mqtt::MqttTarget {
                addr,
                keepalive: Duration::from_secs(u64::from(args.keepalive_secs.max(1))),
                handshake_timeout: args.fleet.handshake_timeout(),
            };
            hold(Target::Mqtt(Arc::new(target)), &args.fleet).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => {
            let smoke = args.smoke;
            let opts = bench::BenchOptions {
                cloud_bin: args.cloud_bin,
                mosquitto_bin: args.mosquitto_bin,
                counts: args.counts.unwrap_or_else(|| {
                    if smoke {
                        vec![2_000]
                    } else {
                        vec![1_000, 5_000, 15_000]
                    }
                }),
                window_secs: args.window_secs.unwrap_or(if smoke { 20 } else { 60 }),
                heartbeat_secs: args
                    .heartbeat_secs
                    .unwrap_or(if smoke { 5 } else { 20 })
                    .max(1),
                database_url: args.database_url,
                json: args.json,
                smoke,
                seed: args.seed,
                sources: args.sources,
                ramp: args.ramp,
                servers: args.servers,
                handshake_timeout: Duration::from_secs(args.handshake_timeout_secs.max(1)),
                work_dir: args.work_dir,
                keep_work_dir: args.keep_work_dir,
            };
            Ok(if bench::run(opts).await? {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Scale(args) => {
            let opts = bench::scale::ScaleOptions {
                cloud_bin: args.cloud_bin,
                database_url: args.database_url,
                nodes: args.nodes,
                devices: args.devices,
                heartbeat_secs: args.heartbeat_secs.max(1),
                window_secs: args.window_secs,
                seed: args.seed,
                ramp: args.ramp,
                work_dir: args.work_dir,
                keep_work_dir: args.keep_work_dir,
            };
            Ok(if bench::scale::run(opts).await? {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// Runs a fleet until Ctrl-C, with a status line every few seconds.
async fn hold(target: Target, args: &FleetArgs) -> anyhow::Result<()> {
    let limit = procfs::raise_open_file_limit()?;
    if limit < args.count + 64 {
        eprintln!(
            "warning: the open-file limit is {limit}; {} connections will not all fit",
            args.count
        );
    }
    let mut fleet = Fleet::new(FleetConfig {
        target,
        seed: args.seed,
        sources: args.sources,
        ramp: args.ramp,
    });
    fleet.add(args.first, args.count)?;
    eprintln!(
        "devices {}..{} (seed {}, sources {}); Ctrl-C stops",
        args.first,
        args.first + args.count,
        args.seed,
        args.sources
    );
    fleet::run_until_interrupted(&fleet, Duration::from_secs(args.status_secs.max(1))).await
}
