//! Storage, one module per concern, all behind [`Store`]. Every function runs the same SQL on
//! SQLite and PostgreSQL (see [`crate::db`]); changes that belong together run in one
//! transaction.

pub mod accounts;
pub mod codes;
pub mod device_events;
pub mod devices;
pub mod issued;
pub mod mail;
pub mod nodes;
pub mod presence;
pub mod retrieved;
pub mod sealed;
pub mod sessions;
pub mod sweep;
pub mod throttle;
pub mod transfers;

use std::sync::Arc;

use hmac_lite::keyed_digest;
use rekey_proto::MasterKey;
use sha2::{Digest, Sha256};

use crate::db::Db;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or is unreachable.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A unique value (user name, e-mail address, …) is taken.
    #[error("{0} is already taken")]
    Taken(&'static str),
}

/// Whether a database error is a unique-constraint violation, on either dialect.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation)
                || db
                    .code()
                    .is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
        }
        _ => false,
    }
}

/// The database plus the keys derived from the master key: the one that makes lookup hashes
/// of short secrets, the one queued mail is sealed under and the one kept temporary passwords
/// are sealed under.
#[derive(Debug, Clone)]
pub struct Store {
    /// The database.
    pub db: Db,
    lookup_key: [u8; 32],
    mail_key: sealed::MailKey,
    result_key: sealed::ResultKey,
    /// Where attempts refused by a limit are counted.
    metrics: crate::metrics::Metrics,
    /// This node's id for this run: 16 hexadecimal digits, made at random.
    node_id: Arc<str>,
}

impl Store {
    /// Wraps a connected database; `master` keys the lookup hashes of e-mail and register codes,
    /// so that the database alone does not let anyone test candidate codes offline, and the
    /// sealing of queued mail (which holds codes and temporary passwords).
    pub fn new(db: Db, master: &MasterKey) -> Self {
        let lookup_key = keyed_digest(master.expose_secret(), b"rekey/cloud/lookup-key\0", &[]);
        Self {
            db,
            lookup_key,
            mail_key: sealed::MailKey::derive(master),
            result_key: sealed::ResultKey::derive(master),
            metrics: crate::metrics::Metrics::default(),
            node_id: rekey_web::random_id().into(),
        }
    }

    /// This node's id for this run (random): the presence it writes and the announcements it
    /// makes carry it.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// The same store counting refused attempts into `metrics`.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// A keyed hash (hex) of a short secret for storage and lookup.
    pub fn lookup_hash(&self, domain: &[u8], parts: &[&[u8]]) -> String {
        hex(&self.lookup_digest(domain, parts))
    }

    /// The keyed digest behind [`Store::lookup_hash`], for values derived from it.
    pub fn lookup_digest(&self, domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        keyed_digest(&self.lookup_key, domain, parts)
    }
}

/// SHA-256 (hex) of a high-entropy token, for storing session tokens.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

mod hmac_lite {
    //! HMAC-SHA256 over length-prefixed parts.
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;

    pub fn keyed_digest(key: &[u8; 32], domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
        mac.update(domain);
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }
}
