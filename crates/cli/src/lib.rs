//! `rekey`: the phone app's functions for a terminal. It signs up and logs in to the cloud,
//! manages the account and its devices (adding one by register code or by a photo of the
//! recorder's QR code) and asks for temporary passwords.
//!
//! It talks only to the cloud's JSON API; it must never talk to a recorder directly, never hold
//! a recovery key, and never store the session token where other users can read it.

#![forbid(unsafe_code)]
