//! `rekey-testkit`: what Rekey's integration and end-to-end tests share — a real SMTP server on
//! loopback that the cloud delivers to over TCP, with the delivered mail readable by the test,
//! and a cookie-keeping browser that fills in CSRF tokens, reads pages by element id and
//! decodes QR images.
//!
//! It is used only as a dev-dependency: no product crate may depend on it, and it must never
//! stand in for a part a test claims to test (it is the mail recipient, not the mailer).

#![forbid(unsafe_code)]

pub mod browser;
pub mod smtp;

pub use browser::{Browser, Page, decode_qr};
pub use smtp::{Mail, SmtpServer};
