//! `rekey-testkit`: what Rekey's integration and end-to-end tests share — a real SMTP server on
//! loopback that the cloud delivers to over TCP, with the delivered mail readable by the test,
//! and a cookie-keeping browser that fills in CSRF tokens, reads pages by element id and
//! decodes QR images; and a real headless Chromium for the browser suite.
//!
//! It is used only as a dev-dependency: no product crate may depend on it, and it must never
//! stand in for a part a test claims to test (it is the mail recipient, not the mailer).

#![forbid(unsafe_code)]

pub mod browser;
pub mod chromium;
pub mod smtp;

pub use browser::{Browser, Page, decode_qr};
pub use smtp::{Mail, SmtpServer};

/// Wraps test functions that need a PostgreSQL server: where none is configured
/// (`REKEY_TEST_POSTGRES_URL` unset, outside CI) they are built `#[ignore]`d with the reason,
/// so that the summary shows them as ignored rather than as passed. Rebuilt when the variable
/// changes.
#[cfg(not(rekey_no_postgres))]
#[macro_export]
macro_rules! skip_unless_postgres {
    ($($item:item)*) => { $($item)* };
}

/// Wraps test functions that need a PostgreSQL server: where none is configured
/// (`REKEY_TEST_POSTGRES_URL` unset, outside CI) they are built `#[ignore]`d with the reason,
/// so that the summary shows them as ignored rather than as passed. Rebuilt when the variable
/// changes.
#[cfg(rekey_no_postgres)]
#[macro_export]
macro_rules! skip_unless_postgres {
    ($($(#[$meta:meta])* $vis:vis async fn $name:ident() $body:block)*) => {
        $(
            $(#[$meta])*
            #[ignore = "needs PostgreSQL: set REKEY_TEST_POSTGRES_URL=postgres://USER@HOST/DB"]
            $vis async fn $name() $body
        )*
    };
}

/// Wraps test functions that need a PostgreSQL server and HAProxy (the multi-node suite):
/// ignored, with the reason, where either is missing (outside CI).
#[cfg(not(any(rekey_no_postgres, rekey_no_haproxy)))]
#[macro_export]
macro_rules! skip_unless_postgres_and_haproxy {
    ($($item:item)*) => { $($item)* };
}

/// Wraps test functions that need a PostgreSQL server and HAProxy (the multi-node suite):
/// ignored, with the reason, where either is missing (outside CI).
#[cfg(any(rekey_no_postgres, rekey_no_haproxy))]
#[macro_export]
macro_rules! skip_unless_postgres_and_haproxy {
    ($($(#[$meta:meta])* $vis:vis async fn $name:ident() $body:block)*) => {
        $(
            $(#[$meta])*
            #[ignore = "needs PostgreSQL (REKEY_TEST_POSTGRES_URL) and HAProxy (apt-get install haproxy)"]
            $vis async fn $name() $body
        )*
    };
}

/// Wraps the browser suite's tests: where Chromium, chromedriver or axe-core is missing
/// (outside CI) they are built `#[ignore]`d with the reason, so that the summary shows them as
/// ignored rather than as passed. In CI nothing is ignored (`.ci/run` installs them).
#[cfg(not(rekey_no_browser))]
#[macro_export]
macro_rules! skip_unless_browser {
    ($($item:item)*) => { $($item)* };
}

/// Wraps the browser suite's tests: where Chromium, chromedriver or axe-core is missing
/// (outside CI) they are built `#[ignore]`d with the reason, so that the summary shows them as
/// ignored rather than as passed. In CI nothing is ignored (`.ci/run` installs them).
#[cfg(rekey_no_browser)]
#[macro_export]
macro_rules! skip_unless_browser {
    ($($(#[$meta:meta])* $vis:vis async fn $name:ident() $body:block)*) => {
        $(
            $(#[$meta])*
            #[ignore = "needs a browser: apt-get install chromium chromium-driver; npm install -g axe-core@4.14.1"]
            $vis async fn $name() $body
        )*
    };
}
