//! `rekey-local`: the whole system on one machine for a newcomer: the cloud on SQLite with a
//! readable mail outbox, and one recorder connected to it, with the addresses printed.
//!
//! It is a launcher only: it must hold no logic of the cloud or the recorder (both are
//! configured through their own command-line definitions), and its embedded defaults (plain
//! HTTP on loopback, keys generated in the local data directory) must never be used in
//! production.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
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
}

/// Builds both parts, prints where they are, and serves until Ctrl-C.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let cloud_addr = SocketAddr::from(([127, 0, 0, 1], args.cloud_port));
    let cloud_dir = args.data_dir.join("cloud");
    let cloud_args = rekey_cloud::config::Args::try_parse_from([
        "rekey-cloud".into(),
        format!("--listen={cloud_addr}"),
        format!("--base-url=http://{cloud_addr}"),
        format!("--data-dir={}", cloud_dir.display()),
        "--dev".into(),
    ])
    .context("cloud arguments")?;
    let cloud_config = cloud_args.into_config().context("cloud configuration")?;
    let cloud_key = cloud_config.signing_key().public().to_string();
    let cloud = rekey_cloud::startup::Application::build(cloud_config)
        .await
        .context("cannot start the cloud")?;

    let recorder_addr = SocketAddr::from(([127, 0, 0, 1], args.recorder_port));
    let recorder_args = rekey_recorder::config::Args::try_parse_from([
        "rekey-recorder".into(),
        format!("--listen={recorder_addr}"),
        format!("--data-dir={}", args.data_dir.join("recorder").display()),
        format!("--cloud-url=http://{cloud_addr}"),
        format!("--cloud-key={cloud_key}"),
        format!("--serial={}", args.serial),
    ])
    .context("recorder arguments")?;
    let recorder_config = rekey_recorder::config::Config::from_args(recorder_args)
        .context("recorder configuration")?;
    let recorder = rekey_recorder::startup::Application::build(recorder_config)
        .await
        .context("cannot start the recorder")?;

    println!();
    println!(
        "Rekey is running on this machine (Ctrl-C stops it; data in {}):",
        args.data_dir.display()
    );
    println!("  cloud portal (PC)     http://{}/", cloud.local_addr());
    println!(
        "  sign up on a phone    http://{}/m/signup",
        cloud.local_addr()
    );
    println!(
        "  mail outbox           http://{}/dev/outbox",
        cloud.local_addr()
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
