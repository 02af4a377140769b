//! The recorder's integration tests: a real recorder (port 0, fresh data directory) driven over
//! HTTP like a browser, connected to a test cloud gateway peer that plays the cloud's side of
//! the protocol. No test sleeps to wait for readiness: each waits for the condition itself.

mod accounts;
mod cloud;
mod files;
mod forgot;
mod recovery;
mod release;
mod screens;
mod support;
mod time_zone;
