//! Tests of the `rekey` client: what is real on the client's side (QR decoding, the session
//! file, argument parsing, output, local validation) and the built binary run against nothing
//! and against a tiny in-test HTTP peer.
//!
//! The in-test peer (`support::FakeCloud`) only answers what each test tells it to; it checks
//! how the client sends requests and handles answers, and is not a test of the cloud.

mod args;
mod binary;
mod deletion;
mod local;
mod output;
mod qr;
mod session;
mod support;
mod transfer;
