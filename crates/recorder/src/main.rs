//! Entry point; the program lives in the library.

use anyhow::Context;
use clap::Parser;
use rekey_recorder::{Application, Args, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    rekey_web::logging::init(args.log_format, "info");
    let config = Config::from_args(args).context("invalid configuration")?;
    let app = Application::build(config)
        .await
        .context("cannot start the recorder")?;
    println!("rekey-recorder listening on http://{}", app.address());
    tracing::info!(address = %app.address(), "listening");
    // SIGTERM (systemd, Docker) or SIGINT (Ctrl-C) stops it: the web server, then the agent.
    let mut signals = rekey_web::signals::StopSignals::listen()
        .context("cannot listen for SIGTERM and SIGINT")?;
    app.run_until(async move {
        let signal = signals.next().await;
        tracing::info!(signal, "stopping");
    })
    .await
    .context("the web server failed")?;
    Ok(())
}
