//! Entry point; the program lives in the library.

use anyhow::Context;
use clap::Parser;
use rekey_recorder::{Application, Args, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config::from_args(Args::parse()).context("invalid configuration")?;
    let app = Application::build(config)
        .await
        .context("cannot start the recorder")?;
    println!("rekey-recorder listening on http://{}", app.address());
    tracing::info!(address = %app.address(), "listening");
    app.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("the web server failed")?;
    Ok(())
}
