//! The cloud's use cases, shared by the web portal and the JSON API: each function checks its
//! input, applies the rules and changes storage in one transaction, and returns an
//! [`AppError`](crate::error::AppError) the caller shows in the user's language.

pub mod accounts;
pub mod devices;
pub mod recovery;

use std::net::IpAddr;

/// Who is asking: the client's address, for rate limits.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    /// The peer address of the HTTP connection.
    pub ip: IpAddr,
}

/// Hashes a password off the async threads (argon2id is deliberately slow).
pub(crate) async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || rekey_web::password::hash(&password))
        .await
        .map_err(|e| anyhow::anyhow!("password hashing task failed: {e}"))
}

/// Verifies a password off the async threads.
pub(crate) async fn verify_password(password: String, phc: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || rekey_web::password::verify(&password, &phc))
        .await
        .map_err(|e| anyhow::anyhow!("password verification task failed: {e}"))
}
