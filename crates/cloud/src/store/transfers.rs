//! Transfers of devices between accounts (docs/protocol.md §9, "Transfer"): the offer, the
//! devices it lists, and the statement that moves one binding to the recipient.

use sqlx::Row;

use super::{Store, StoreError};

/// Where a transfer stands. An open one past its expiry is [`TransferState::Expired`] when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferState {
    /// Waiting for the recipient.
    Open,
    /// The recipient accepted all or some of the devices.
    Accepted,
    /// The recipient declined all of them.
    Declined,
    /// The sender cancelled it.
    Cancelled,
    /// Nobody acted before it expired.
    Expired,
}

impl TransferState {
    /// The stored name (also the pages' `data-state` and the API's `state`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransferState::Open => "open",
            TransferState::Accepted => "accepted",
            TransferState::Declined => "declined",
            TransferState::Cancelled => "cancelled",
            TransferState::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "accepted" => TransferState::Accepted,
            "declined" => TransferState::Declined,
            "cancelled" => TransferState::Cancelled,
            "expired" => TransferState::Expired,
            _ => TransferState::Open,
        }
    }
}

/// A transfer as stored.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// Its random id.
    pub id: String,
    /// The sending account.
    pub from_account: i64,
    /// The recipient's address as the sender typed it.
    pub to_email: String,
    /// The folded address the recipient's account is matched by.
    pub to_email_key: String,
    /// Where it stands (an open one past `expires_at` reads as expired).
    pub state: TransferState,
    /// When it was made, Unix seconds.
    pub created_at: i64,
    /// When it expires, Unix seconds.
    pub expires_at: i64,
}

/// A device a transfer lists.
#[derive(Debug, Clone)]
pub struct TransferDevice {
    /// The device's row.
    pub device_id: i64,
    /// Its serial.
    pub serial: String,
    /// Its name in the sender's list (as it is now).
    pub name: Option<String>,
    /// The epoch of the binding it was offered under.
    pub key_epoch: u32,
    /// `accepted`, `declined` or `gone` (no longer the sender's) once closed; none while open.
    pub outcome: Option<String>,
}

const COLUMNS: &str = "id, from_account, to_email, to_email_key, state, created_at, expires_at";

fn transfer(r: &sqlx::any::AnyRow, now: i64) -> Result<Transfer, sqlx::Error> {
    let mut state = TransferState::parse(&r.try_get::<String, _>("state")?);
    let expires_at: i64 = r.try_get("expires_at")?;
    if state == TransferState::Open && expires_at <= now {
        state = TransferState::Expired;
    }
    Ok(Transfer {
        id: r.try_get("id")?,
        from_account: r.try_get("from_account")?,
        to_email: r.try_get("to_email")?,
        to_email_key: r.try_get("to_email_key")?,
        state,
        created_at: r.try_get("created_at")?,
        expires_at,
    })
}

impl Store {
    /// Stores a new open transfer of `devices` (device id, binding epoch) inside `tx`.
    #[expect(clippy::too_many_arguments, reason = "one column each")]
    pub async fn create_transfer(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: &str,
        from_account: i64,
        to_email: &str,
        to_email_key: &str,
        devices: &[(i64, u32)],
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO transfers (id, from_account, to_email, to_email_key, state, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, 'open', $5, $6)",
        )
        .bind(id)
        .bind(from_account)
        .bind(to_email)
        .bind(to_email_key)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        for (device_id, epoch) in devices {
            sqlx::query(
                "INSERT INTO transfer_devices (transfer_id, device_id, key_epoch) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(device_id)
            .bind(i64::from(*epoch))
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    /// Whether the device is listed by an open, unexpired transfer other than `id`.
    pub async fn device_in_other_open_transfer(
        &self,
        tx: &mut sqlx::AnyConnection,
        device_id: i64,
        id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM transfer_devices d JOIN transfers t ON t.id = d.transfer_id \
             WHERE d.device_id = $1 AND t.state = 'open' AND t.expires_at > $2 AND t.id <> $3",
        )
        .bind(device_id)
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// A transfer by id.
    pub async fn transfer(&self, id: &str, now: i64) -> Result<Option<Transfer>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM transfers WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(|r| transfer(&r, now)).transpose()?)
    }

    /// The open, unexpired transfers sent by the account (`outgoing`) or to its address, newest
    /// first.
    pub async fn open_transfers(
        &self,
        account_id: i64,
        email_key: &str,
        now: i64,
    ) -> Result<Vec<Transfer>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM transfers \
             WHERE state = 'open' AND expires_at > $1 AND (from_account = $2 OR to_email_key = $3) \
             ORDER BY created_at DESC, id"
        )))
        .bind(now)
        .bind(account_id)
        .bind(email_key)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| transfer(r, now))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The devices a transfer lists, by serial.
    pub async fn transfer_devices(&self, id: &str) -> Result<Vec<TransferDevice>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.device_id, v.serial, v.name, d.key_epoch, d.outcome \
             FROM transfer_devices d JOIN devices v ON v.id = d.device_id \
             WHERE d.transfer_id = $1 ORDER BY v.serial",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TransferDevice {
                    device_id: r.try_get("device_id")?,
                    serial: r.try_get("serial")?,
                    name: r.try_get("name")?,
                    key_epoch: u32::try_from(r.try_get::<i64, _>("key_epoch")?).unwrap_or(0),
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Closes an open, unexpired transfer as `state` inside `tx`; `false` if it was not open
    /// (closed already, by a parallel request too) or has expired.
    pub async fn close_transfer(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: &str,
        state: TransferState,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE transfers SET state = $1, closed_at = $2 \
             WHERE id = $3 AND state = 'open' AND expires_at > $2",
        )
        .bind(state.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records what became of one listed device inside `tx`.
    pub async fn set_transfer_outcome(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: &str,
        device_id: i64,
        outcome: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE transfer_devices SET outcome = $1 WHERE transfer_id = $2 AND device_id = $3",
        )
        .bind(outcome)
        .bind(id)
        .bind(device_id)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Moves the device's binding from `from_account` to `to_account` inside `tx`, only while
    /// the binding whose key is of `key_epoch` is its current one (the device was not removed,
    /// released or bound again since it was offered); `false` otherwise. Its name stays.
    pub async fn move_binding(
        &self,
        tx: &mut sqlx::AnyConnection,
        device_id: i64,
        from_account: i64,
        to_account: i64,
        key_epoch: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET account_id = $1, bound_at = $2 \
             WHERE id = $3 AND account_id = $4 \
               AND (SELECT MAX(epoch) FROM recovery_keys WHERE device_id = $3) = $5",
        )
        .bind(to_account)
        .bind(now)
        .bind(device_id)
        .bind(from_account)
        .bind(i64::from(key_epoch))
        .execute(&mut *tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
