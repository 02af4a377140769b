//! Login sessions: a random token in a cookie (or a bearer header for the CLI), stored only as
//! its SHA-256, with the session's CSRF token and an expiry.

use rekey_web::{CsrfToken, random_token};
use sqlx::Row;

use super::{Store, StoreError, token_hash};

/// How long a session lives, in seconds (14 days).
pub const SESSION_TTL_SECS: i64 = 14 * 24 * 3600;

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The account logged in.
    pub account_id: i64,
    /// The token forms must echo.
    pub csrf: CsrfToken,
}

impl Store {
    /// Starts a session for `account_id`; returns the token to hand to the client.
    pub async fn create_session(&self, account_id: i64, now: i64) -> Result<String, StoreError> {
        let token = random_token();
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(account_id)
        .bind(CsrfToken::generate().as_str())
        .bind(now)
        .bind(now + SESSION_TTL_SECS)
        .execute(&self.db.pool)
        .await?;
        Ok(token)
    }

    /// The live session behind `token`, if any.
    pub async fn session(&self, token: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT account_id, csrf FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash(token))
        .bind(now)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(match row {
            Some(r) => Some(Session {
                account_id: r.try_get("account_id")?,
                csrf: CsrfToken::from_stored(r.try_get("csrf")?),
            }),
            None => None,
        })
    }

    /// Ends one session.
    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of an account but the one behind `keep` (inside `tx`).
    pub async fn delete_other_sessions(
        &self,
        tx: &mut sqlx::AnyConnection,
        account_id: i64,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
            .bind(account_id)
            .bind(keep.map(token_hash).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}
