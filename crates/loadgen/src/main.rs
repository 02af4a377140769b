//! `rekey-loadgen`: parses the command line and runs it (see the library).

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    match rekey_loadgen::run(rekey_loadgen::cli::Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rekey-loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}
