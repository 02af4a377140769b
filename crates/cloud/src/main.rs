//! `rekey-cloud`: parses the configuration and runs the cloud.

use anyhow::Context;
use clap::Parser;
use rekey_cloud::config::Args;
use rekey_cloud::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    let args = Args::parse();
    let print_key = args.print_public_key;
    let config = args.into_config().context("invalid configuration")?;
    if print_key {
        println!("{}", config.signing_key().public());
        return Ok(());
    }
    let app = Application::build(config).await?;
    tracing::info!(address = %app.local_addr(), base_url = %app.state().config.base_url.as_str(), "rekey-cloud listening");
    app.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
