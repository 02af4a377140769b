//! `rekey-local`: the whole system on one machine for a newcomer: the cloud on SQLite with a
//! readable mail outbox, and one recorder connected to it, with the addresses printed.
//!
//! It is a launcher only: it must hold no logic of the cloud or the recorder, and its embedded
//! defaults (fixed development keys, plain HTTP on loopback) must never be used in production.

#![forbid(unsafe_code)]
