//! The test browser (shared with the other suites).

pub use rekey_testkit::browser::{Browser, Page, decode_qr};
