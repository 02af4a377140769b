//! `rekey-cloud`: parses the configuration and runs the cloud.

use anyhow::Context;
use clap::Parser;
use rekey_cloud::config::{Args, Command};
use rekey_cloud::startup::Application;

/// jemalloc with its background thread returns freed memory to the system a second after its
/// last use (`dirty_decay_ms`; the settings are in .cargo/config.toml), even while the process
/// is idle, so the memory of a fleet of gateway connections that closed is given back (glibc's
/// allocator keeps most of it). It replaces `malloc` for the whole process, so SQLite's page
/// caches and aws-lc's keys are given back the same way.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    rekey_web::logging::init(args.log_format, "info,sqlx=warn,tower_http=info");
    if let Some(Command::Keygen { dir }) = &args.command {
        let public = rekey_cloud::config::keygen(dir)?;
        println!(
            "{}/master.key and {}/cloud-signing.key written.",
            dir.display(),
            dir.display()
        );
        println!("Start the cloud with --master-key-file and --signing-key-file naming them;");
        println!("give the recorders this public key (--cloud-key): {public}");
        return Ok(());
    }
    let print_key = args.print_public_key;
    let config = args.into_config().context("invalid configuration")?;
    if print_key {
        println!("{}", config.signing_key().public());
        return Ok(());
    }
    let app = Application::build(config).await?;
    tracing::info!(address = %app.local_addr(), base_url = %app.state().config.base_url.as_str(), node = app.state().store.node_id(), "rekey-cloud listening");
    // The first SIGTERM or SIGINT drains (within --shutdown-timeout-secs); a second one ends the
    // process at once.
    let mut signals = rekey_web::signals::StopSignals::listen()
        .context("cannot listen for SIGTERM and SIGINT")?;
    let (begin, shutdown) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let signal = signals.next().await;
        tracing::info!(
            signal,
            "shutting down (a second signal ends the process at once)"
        );
        let _ = begin.send(());
        let signal = signals.next().await;
        tracing::warn!(signal, "second signal: ending without draining");
        std::process::exit(1);
    });
    app.run_until(async move {
        let _ = shutdown.await;
    })
    .await
}
