//! `rekey-recorder`: the recorder's management plane. It serves the recorder's own web UI
//! (activation, login, users, "Forgot password?", the "Password recovery" screen and the
//! Network → Cloud page) and runs the agent that keeps a connection to the cloud.
//!
//! It must verify temporary passwords offline, with its own recovery key and clock only; it must
//! never accept a code the protocol rejects, never lose or half-write its state, and never
//! trust a server that does not prove the pinned cloud key.

#![forbid(unsafe_code)]
