//! What happened to an account's devices besides temporary passwords (those are in
//! [`super::issued`]): a recorder's admin released it from the account, the account's deletion
//! did, or it was transferred to or from another account. The account's activity page and
//! export list them; they go with the account.

use sqlx::Row;

use super::{Store, StoreError};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceEventKind {
    /// The recorder's admin released it from the account (docs/protocol.md §9, "Release").
    Released,
    /// The account handed it over to another account (docs/protocol.md §9, "Transfer").
    TransferredOut,
    /// The account received it from another account's transfer.
    TransferredIn,
    /// The account was deleted, which released the recorder from it.
    AccountDeleted,
}

impl DeviceEventKind {
    /// The stored name (also the activity page's `data-event`).
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceEventKind::Released => "released",
            DeviceEventKind::TransferredOut => "transferred-out",
            DeviceEventKind::TransferredIn => "transferred-in",
            DeviceEventKind::AccountDeleted => "account-deleted",
        }
    }
}

/// An event as the activity page shows it.
#[derive(Debug, Clone)]
pub struct DeviceEvent {
    /// What happened (stored name).
    pub kind: String,
    /// The device's serial.
    pub serial: String,
    /// The name the account had given it, if any.
    pub device_name: Option<String>,
    /// When, Unix seconds.
    pub created_at: i64,
}

impl Store {
    /// Records an event of one of the account's devices inside `tx`.
    #[expect(clippy::too_many_arguments, reason = "one column each")]
    pub async fn record_device_event(
        &self,
        tx: &mut sqlx::AnyConnection,
        account_id: i64,
        kind: DeviceEventKind,
        serial: &str,
        device_name: Option<&str>,
        key_epoch: u32,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO device_events (account_id, kind, serial, device_name, key_epoch, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(serial)
        .bind(device_name)
        .bind(i64::from(key_epoch))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// The account's device events, newest first.
    pub async fn device_events_of(
        &self,
        account_id: i64,
        limit: i64,
    ) -> Result<Vec<DeviceEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, serial, device_name, created_at FROM device_events \
             WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeviceEvent {
                    kind: r.try_get("kind")?,
                    serial: r.try_get("serial")?,
                    device_name: r.try_get("device_name")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
