//! `rekey`: the phone app's functions in a terminal. It signs up and logs in to a Rekey cloud,
//! manages the account and its devices (adding a recorder by its register code or by a photo of
//! its registration QR code), and asks for temporary passwords when a recorder's admin password is
//! lost (from a photo of the recorder's recovery QR code, or for a window of dates). It speaks
//! only the cloud's JSON API (`/api/v1`).
//!
//! What it must not do: never store a password (only the session token, in a file only the user
//! can read, written atomically); never print or log the session token or a typed password;
//! never send a QR photo anywhere (QR codes are decoded locally and only their URL text is sent);
//! never send the session token to a cloud other than the one it was issued by; never talk to a
//! recorder directly or hold a recovery key.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod cli;
pub mod commands;
pub mod lang;
pub mod output;
pub mod prompt;
pub mod qr;
pub mod session;
pub mod ui;

use std::process::ExitCode;

use clap::Parser;

pub use crate::cli::Cli;

/// Exit status of a command that failed for a reason not listed below.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status of a usage error: a bad argument, or a value missing while stdin is not a terminal.
pub const EXIT_USAGE: u8 = 2;
/// Exit status when not logged in or the session expired.
pub const EXIT_NOT_LOGGED_IN: u8 = 3;
/// Exit status when the cloud cannot be reached.
pub const EXIT_UNREACHABLE: u8 = 4;

/// A mistake in how the program was called, found after argument parsing (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Runs the program with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report_error(&e, json);
            ExitCode::from(exit_status(&e))
        }
    }
}

/// The exit status for an error: see the `EXIT_*` constants.
pub fn exit_status(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(api) = cause.downcast_ref::<api::ApiError>() {
            return match api {
                api::ApiError::NotLoggedIn | api::ApiError::Unauthorized { .. } => {
                    EXIT_NOT_LOGGED_IN
                }
                api::ApiError::Unreachable { .. } | api::ApiError::Timeout { .. } => {
                    EXIT_UNREACHABLE
                }
                _ => EXIT_FAILURE,
            };
        }
        if cause.downcast_ref::<UsageError>().is_some() {
            return EXIT_USAGE;
        }
    }
    EXIT_FAILURE
}

/// Prints an error for the user on stderr (`error: outer: inner`), and with `--json` also as a
/// JSON object on stdout so that scripts read one stream.
pub fn report_error(e: &anyhow::Error, json: bool) {
    let text = output::clean(&format!("{e:#}"));
    eprintln!("error: {text}");
    if json {
        let key = e
            .chain()
            .find_map(|c| {
                if let Some(api) = c.downcast_ref::<api::ApiError>() {
                    Some(api.key())
                } else if c.is::<UsageError>() {
                    Some("cli-usage")
                } else if c.is::<qr::ScanError>() {
                    Some("cli-qr")
                } else {
                    None
                }
            })
            .unwrap_or("cli-error");
        let value = serde_json::json!({ "error": key, "message": text });
        println!("{value}");
    }
}
