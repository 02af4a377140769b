//! `rekey-cloud`: the cloud service. It keeps accounts (with e-mail verification), binds each
//! recorder to exactly one account, runs the device gateway that recorders connect to, issues
//! temporary passwords, and serves the web portal for PC and phone and the JSON API for the CLI.
//!
//! It must never hold a recovery key in plain text outside memory (keys are sealed under the
//! master key at rest), never issue a code for a device to an account that does not own it, and
//! never put a secret in a log line or a page.

#![forbid(unsafe_code)]

pub mod api;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod gateway;
pub mod health;
pub mod housekeeping;
pub mod mail;
pub mod metrics;
pub mod service;
pub mod startup;
pub mod state;
pub mod store;
pub mod web;
