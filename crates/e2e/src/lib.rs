//! `rekey-e2e`: Rekey's end-to-end suite. Its tests (in `tests/e2e/`) build and start the real
//! `rekey-cloud`, `rekey-recorder` and `rekey` programs as child processes on loopback — with a
//! real SMTP server, fresh SQLite or PostgreSQL databases and the recorder's test-only clock
//! file — and walk the manual's preparation and recovery flows over HTTP and the command line,
//! as an admin would. It must not link, import or reach into any product crate's internals
//! (no library calls, no database peeking, no shared clocks): everything it checks, it checks
//! through what a user sees — pages, e-mail, exit codes and JSON output — and no product code
//! may ever depend on it.

#![forbid(unsafe_code)]
