//! Entry point of the local system launcher.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    rekey_web::logging::init(
        rekey_web::logging::LogFormat::Text,
        "warn,rekey_cloud=info,rekey_recorder=info",
    );
    rekey_local::run(rekey_local::Args::parse()).await
}
