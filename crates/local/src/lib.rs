//! `rekey-local`: the whole system on one machine for a newcomer: the cloud on SQLite with a
//! readable mail outbox, and one recorder connected to it, with the addresses printed.
//!
//! It is a launcher only: it must hold no logic of the cloud or the recorder (both are
//! configured through their own command-line definitions), and its embedded defaults (plain
//! HTTP on loopback, keys generated in the local data directory) must never be used in
//! production. `--public` opens the cloud to the local network, so that a real phone on the
//! same Wi-Fi can open the QR codes ([`lan`] finds the address); it says so loudly at start.

#![forbid(unsafe_code)]

pub mod lan;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

/// The launcher's command line.
#[derive(Debug, Parser)]
#[command(
    name = "rekey-local",
    version,
    about = "Runs a local Rekey cloud (SQLite, mail outbox) and one recorder connected to it."
)]
pub struct Args {
    /// Where the cloud and the recorder keep their data (kept between runs).
    #[arg(long, env = "REKEY_LOCAL_DATA_DIR", default_value = "rekey-local-data")]
    pub data_dir: PathBuf,
    /// The cloud's port on 127.0.0.1.
    #[arg(long, env = "REKEY_LOCAL_CLOUD_PORT", default_value_t = 8080)]
    pub cloud_port: u16,
    /// The recorder's port on 127.0.0.1.
    #[arg(long, env = "REKEY_LOCAL_RECORDER_PORT", default_value_t = 8081)]
    pub recorder_port: u16,
    /// The recorder's serial number.
    #[arg(long, env = "REKEY_LOCAL_SERIAL", default_value = "RKLOCAL0001")]
    pub serial: String,
    /// Open the cloud to the local network, so that a phone on the same Wi-Fi can open the QR
    /// codes: it listens on all interfaces, and its links and QR codes use this machine's LAN
    /// address (found from the routing table, or ADDR). Plain HTTP: trusted networks only.
    #[arg(long, value_name = "ADDR", num_args = 0..=1)]
    pub public: Option<Option<IpAddr>>,
}

/// Where the two parts listen and the address their links use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addresses {
    /// Where the cloud listens.
    pub cloud_listen: SocketAddr,
    /// The cloud's public URL: its links and QR codes, and where the recorder connects.
    pub cloud_url: String,
    /// Where the recorder's web UI listens (always loopback).
    pub recorder_listen: SocketAddr,
    /// The outbox page, which answers only on this machine.
    pub outbox_url: String,
    /// The LAN address used with `--public`.
    pub public: Option<IpAddr>,
}

impl Addresses {
    /// Everything on loopback; with `public`, the cloud listens on all interfaces and its URL
    /// names `public`. The recorder's web UI stays on loopback either way.
    pub fn new(args: &Args, public: Option<IpAddr>) -> Self {
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let (listen, shown) = match public {
            Some(ip) => (IpAddr::V4(Ipv4Addr::UNSPECIFIED), ip),
            None => (loopback, loopback),
        };
        let listen = match (listen, shown) {
            (IpAddr::V4(_), IpAddr::V6(_)) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
            (l, _) => l,
        };
        Self {
            cloud_listen: SocketAddr::new(listen, args.cloud_port),
            cloud_url: format!("http://{}", SocketAddr::new(shown, args.cloud_port)),
            recorder_listen: SocketAddr::new(loopback, args.recorder_port),
            outbox_url: format!(
                "http://{}/dev/outbox",
                SocketAddr::new(loopback, args.cloud_port)
            ),
            public,
        }
    }

    /// The warning `--public` prints at start: who can reach what.
    pub fn public_warning(&self) -> Option<String> {
        let ip = self.public?;
        Some(format!(
            "WARNING: --public: the cloud listens on every network interface of this machine \
             ({listen}), and its links and QR codes use {url}.\n\
             Anyone on the same network (Wi-Fi or LAN) as {ip} can open the portal, sign up and \
             use it, over plain HTTP without TLS: use it only on a network you trust, and stop it \
             (Ctrl-C) when you are done.\n\
             The mail outbox still answers only on this machine ({outbox}), and the recorder's web \
             UI stays on {recorder}.",
            listen = self.cloud_listen,
            url = self.cloud_url,
            outbox = self.outbox_url,
            recorder = self.recorder_listen,
        ))
    }
}

/// The LAN address `--public` asks for: found, or the one named (checked).
pub fn public_address(public: Option<Option<IpAddr>>) -> Result<Option<IpAddr>, lan::LanError> {
    match public {
        None => Ok(None),
        Some(None) => lan::find().map(Some),
        Some(Some(ip)) => lan::chosen(ip).map(Some),
    }
}

/// Builds both parts, prints where they are, and serves until Ctrl-C.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let public = public_address(args.public).context("--public")?;
    let at = Addresses::new(&args, public);
    let cloud_dir = args.data_dir.join("cloud");
    let cloud_args = rekey_cloud::config::Args::try_parse_from([
        "rekey-cloud".into(),
        format!("--listen={}", at.cloud_listen),
        format!("--base-url={}", at.cloud_url),
        format!("--data-dir={}", cloud_dir.display()),
        "--dev".into(),
    ])
    .context("cloud arguments")?;
    let cloud_config = cloud_args.into_config().context("cloud configuration")?;
    let cloud_key = cloud_config.signing_key().public().to_string();
    let cloud = rekey_cloud::startup::Application::build(cloud_config)
        .await
        .context("cannot start the cloud")?;

    let recorder_args = rekey_recorder::config::Args::try_parse_from([
        "rekey-recorder".into(),
        format!("--listen={}", at.recorder_listen),
        format!("--data-dir={}", args.data_dir.join("recorder").display()),
        format!("--cloud-url={}", at.cloud_url),
        format!("--cloud-key={cloud_key}"),
        format!("--serial={}", args.serial),
    ])
    .context("recorder arguments")?;
    let recorder_config = rekey_recorder::config::Config::from_args(recorder_args)
        .context("recorder configuration")?;
    let recorder = rekey_recorder::startup::Application::build(recorder_config)
        .await
        .context("cannot start the recorder")?;

    let url = |path: &str| format!("{}{path}", at.cloud_url);
    println!();
    println!(
        "Rekey is running on this machine (Ctrl-C stops it; data in {}):",
        args.data_dir.display()
    );
    println!("  cloud portal (PC)     {}", url("/"));
    println!("  sign up on a phone    {}", url("/m/signup"));
    println!(
        "  mail outbox           {} (this machine only)",
        at.outbox_url
    );
    println!("  recorder              http://{}/", recorder.address());
    println!();
    println!(
        "Walk the manual: activate the recorder, turn on Menu > Network > Cloud, sign up on the"
    );
    println!(
        "portal (the verification code is in the outbox), then + Add Device with the register code."
    );
    println!();
    if let Some(warning) = at.public_warning() {
        eprintln!("{warning}");
        eprintln!();
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let cloud_task = tokio::spawn(cloud.run_until(wait(stop_rx.clone())));
    let recorder_task = tokio::spawn(recorder.run_until(wait(stop_rx)));
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    let _ = stop_tx.send(true);
    recorder_task
        .await
        .context("recorder task")?
        .context("recorder")?;
    cloud_task.await.context("cloud task")?.context("cloud")?;
    Ok(())
}
