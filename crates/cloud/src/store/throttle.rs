//! Counting failures and rate-limiting actions, persisted so that a restart does not reset them.
//! A key (e.g. a hash of a login name, a client address, a device) collects events in a window;
//! once `limit` events are counted the key is locked until the window's end.

use sqlx::Row;

use super::{Store, StoreError};

/// A limit: at most `limit` events per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed in a window.
    pub limit: i64,
    /// The window's length in seconds.
    pub window_secs: i64,
}

/// Failed logins per login name.
pub const LOGIN_PER_NAME: Limit = Limit {
    limit: 5,
    window_secs: 15 * 60,
};
/// Failed logins per client address.
pub const LOGIN_PER_ADDRESS: Limit = Limit {
    limit: 30,
    window_secs: 15 * 60,
};
/// E-mail codes requested per client address.
pub const CODES_PER_ADDRESS: Limit = Limit {
    limit: 20,
    window_secs: 3600,
};
/// Typed e-mail codes per client address.
pub const VERIFICATIONS_PER_ADDRESS: Limit = Limit {
    limit: 60,
    window_secs: 3600,
};
/// Register codes tried per account (wrong ones).
pub const REGISTER_TRIES_PER_ACCOUNT: Limit = Limit {
    limit: 10,
    window_secs: 3600,
};

impl Store {
    /// Seconds until `key` may act again, or `None` if it may act now.
    pub async fn throttled(
        &self,
        key: &str,
        limit: Limit,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row =
            sqlx::query("SELECT failures, window_start FROM throttle WHERE throttle_key = $1")
                .bind(key)
                .fetch_optional(&self.db.pool)
                .await?;
        Ok(row.and_then(|r| {
            let failures: i64 = r.try_get("failures").ok()?;
            let start: i64 = r.try_get("window_start").ok()?;
            let end = start + limit.window_secs;
            (failures >= limit.limit && end > now).then_some(end - now)
        }))
    }

    /// Counts one event for `key`, starting a new window if the last one ended.
    pub async fn count_event(&self, key: &str, limit: Limit, now: i64) -> Result<(), StoreError> {
        // One statement that both dialects accept: insert, or on conflict either add to the
        // running window or start a new one.
        sqlx::query(
            "INSERT INTO throttle (throttle_key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0)
             ON CONFLICT (throttle_key) DO UPDATE SET
               failures = CASE WHEN throttle.window_start + $3 <= $2 THEN 1 ELSE throttle.failures + 1 END,
               window_start = CASE WHEN throttle.window_start + $3 <= $2 THEN $2 ELSE throttle.window_start END",
        )
        .bind(key)
        .bind(now)
        .bind(limit.window_secs)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Forgets the events of `key` (e.g. after a successful login).
    pub async fn clear_events(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM throttle WHERE throttle_key = $1")
            .bind(key)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Counts an event unless the limit is reached; returns the wait if it is.
    pub async fn take_slot(
        &self,
        key: &str,
        limit: Limit,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        if let Some(wait) = self.throttled(key, limit, now).await? {
            return Ok(Some(wait));
        }
        self.count_event(key, limit, now).await?;
        Ok(None)
    }
}
