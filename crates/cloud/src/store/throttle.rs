//! Attempt limits, persisted so that a restart does not reset them: the cloud's
//! [`AttemptStore`] for [`rekey_web::limit`], whose statements reserve an attempt atomically
//! before the check it guards. A key (a hash of a login name, an account, a client address, a
//! device) names what is counted.

use rekey_web::limit::{self, AttemptStore, Key, Refused, Reserved, Slot};
use sqlx::Row;

pub use rekey_web::limit::Limit;

use super::{Store, StoreError};

/// Login attempts per account (whichever of its user name or e-mail address was typed), or per
/// typed name when no account has it.
pub const LOGIN_PER_ACCOUNT: Limit = Limit::per_window(5, 15 * 60);
/// Failed logins per client address.
pub const LOGIN_PER_ADDRESS: Limit = Limit::per_window(30, 15 * 60);
/// Checks of the current password of a logged-in account (change password, change e-mail).
pub const REAUTH_PER_ACCOUNT: Limit = Limit::per_window(5, 15 * 60);
/// E-mail codes requested per client address.
pub const CODES_PER_ADDRESS: Limit = Limit::per_window(20, 3600);
/// Typed e-mail codes per client address.
pub const VERIFICATIONS_PER_ADDRESS: Limit = Limit::per_window(60, 3600);
/// Register codes tried per account (wrong ones).
pub const REGISTER_TRIES_PER_ACCOUNT: Limit = Limit::per_window(10, 3600);
/// Hand-over offers an account sends a day (each mails its recipient): enough for an installer
/// handing over a day's work in batches, too few to use offers to flood an address.
pub const TRANSFER_OFFERS_PER_ACCOUNT: Limit = Limit::per_window(20, 24 * 3600);

impl AttemptStore for Store {
    type Error = StoreError;

    async fn reserve_one(&self, key: &str, limit: Limit, now: i64) -> Result<Slot, StoreError> {
        let counted = sqlx::query(limit::sql::RESERVE)
            .bind(key)
            .bind(now)
            .bind(limit.max)
            .bind(limit.window_secs)
            .bind(limit.lock_secs)
            .fetch_optional(&self.db.pool)
            .await?;
        if let Some(row) = counted {
            return Ok(Slot::Counted(row.try_get("failures")?));
        }
        let until: Option<i64> = sqlx::query(limit::sql::LOCKED_UNTIL)
            .bind(key)
            .fetch_optional(&self.db.pool)
            .await?
            .map(|r| r.try_get("locked_until"))
            .transpose()?;
        self.metrics.throttled(key);
        Ok(Slot::Locked(until.map_or(1, |u| (u - now).max(1))))
    }

    async fn refund_one(&self, key: &str, limit: Limit) -> Result<(), StoreError> {
        sqlx::query(limit::sql::REFUND)
            .bind(key)
            .bind(limit.max)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query(limit::sql::CLEAR)
            .bind(key)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Reserves one attempt on each of `keys` (see [`limit::reserve`]).
    pub async fn reserve(
        &self,
        keys: Vec<Key>,
        now: i64,
    ) -> Result<Result<Reserved, Refused>, StoreError> {
        limit::reserve(self, keys, now).await
    }

    /// Counts an event for `key` unless its limit is reached; returns the wait if it is (nothing
    /// counted then). For limits on every attempt, with no check to settle.
    pub async fn take_slot(
        &self,
        key: &str,
        limit: Limit,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(match self.reserve_one(key, limit, now).await? {
            Slot::Counted(_) => None,
            Slot::Locked(wait) => Some(wait),
        })
    }
}
