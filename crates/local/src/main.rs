//! Entry point of the local system launcher.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,rekey_cloud=info,rekey_recorder=info".into()),
        )
        .init();
    rekey_local::run(rekey_local::Args::parse()).await
}
