//! `rekey-recorder`: the recorder's management plane. It serves the recorder's own web UI
//! (activation, login, users, "Forgot password?", the "Password recovery" screen, the audit log
//! and the Network → Cloud page) and runs the agent that keeps a signed, authenticated
//! connection to the cloud's gateway, receives the recovery key and reports the binding.
//!
//! It must verify temporary passwords offline, with its own recovery key and clock only; it must
//! never accept a code the protocol rejects, never lose or half-write its state (one SQLite file
//! in the data directory, one transaction per change), never log a secret, never set its clock
//! from the cloud, and never trust a server that does not prove the pinned cloud key.

#![forbid(unsafe_code)]

pub mod agent;
pub mod audit;
pub mod config;
pub mod qr;
pub mod recovery;
pub mod startup;
pub mod store;
pub mod web;

pub use config::{Args, Config};
pub use startup::{App, Application, StartupError};
