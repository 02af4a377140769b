//! What Rekey's two web applications, the cloud portal and the recorder's management plane,
//! share: the languages and message catalogs (Japanese and English), the password policy and
//! argon2id hashing, CSRF tokens, the redacting [`Secret`] type, secure randomness, the
//! [`Clock`] seam that tests move time through, and how both serve and log.
//!
//! It must stay free of HTTP routing, storage and anything specific to one of the two
//! applications: it holds only what both need to behave the same way.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
mod clock;
pub mod cookies;
pub mod csrf;
pub mod files;
pub mod headers;
pub mod i18n;
pub mod limit;
pub mod logging;
pub mod password;
mod random;
mod redirect;
mod secret;
pub mod serve;
pub mod signals;
pub mod zone;

pub use clock::{Clock, FileClock, ManualClock, SystemClock};
pub use csrf::{CSRF_FIELD, CsrfToken};
pub use i18n::Lang;
pub use random::{random_array, random_id, random_token};
pub use redirect::is_local_path;
pub use secret::Secret;
pub use zone::{TimeZone, UnknownTimeZone};
