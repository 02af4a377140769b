//! The cloud's use cases, shared by the web portal and the JSON API: each function checks its
//! input, applies the rules and changes storage in one transaction, and returns an
//! [`AppError`](crate::error::AppError) the caller shows in the user's language.

pub mod accounts;
pub(crate) mod attempts;
pub mod deletion;
pub mod devices;
pub mod recovery;
pub mod release;
pub mod retrieved;
pub mod transfers;

use std::net::IpAddr;

use rekey_web::password::HashError;

use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;

/// Who is asking: the client's address, for rate limits.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    /// The client's address (behind a trusted proxy, the one it names).
    pub ip: IpAddr,
}

impl Client {
    /// The key per-address limits count this client under (an IPv6 client by its /64).
    pub fn key(&self) -> rekey_web::client::AddressKey {
        rekey_web::client::AddressKey::of(self.ip)
    }
}

/// Hashes a password in turn ([`rekey_web::password::Hasher`]: bounded to the cores).
pub(crate) async fn hash_password(state: &AppState, password: String) -> AppResult<String> {
    state.hasher.hash(password).await.map_err(hash_error)
}

/// Verifies a password in turn.
pub(crate) async fn verify_password(
    state: &AppState,
    password: String,
    phc: String,
) -> AppResult<bool> {
    state.hasher.verify(password, phc).await.map_err(hash_error)
}

fn hash_error(e: HashError) -> AppError {
    match e {
        HashError::Busy => Problem::busy().into(),
        HashError::Failed => anyhow::anyhow!(e).into(),
    }
}
