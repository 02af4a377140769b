//! Recorders: enrolment (serial and device key), presence, register codes, binding to one
//! account, and their recovery keys (sealed under the master key).

use rekey_proto::Serial;
use rekey_proto::gateway::KeyCause;
use sqlx::Row;

use super::{Store, StoreError, is_unique_violation};

/// A stored recorder.
#[derive(Debug, Clone)]
pub struct Device {
    /// Row id.
    pub id: i64,
    /// Its serial number.
    pub serial: Serial,
    /// Its Ed25519 public key, base64url.
    pub device_key: String,
    /// First contact, Unix seconds.
    pub enrolled_at: i64,
    /// Whether a gateway connection is open.
    pub connected: bool,
    /// Last frame received, Unix seconds: written when the connection opens and closes, and
    /// at least every five minutes while it is open.
    pub last_seen_at: i64,
    /// Recorder clock minus cloud clock, seconds, as last reported.
    pub drift_secs: i64,
    /// The account it is bound to.
    pub account_id: Option<i64>,
    /// The name its owner gave it.
    pub name: Option<String>,
    /// When it was bound, Unix seconds.
    pub bound_at: Option<i64>,
    /// The sequence number the next temporary password gets.
    pub next_seq: i64,
    /// The highest sequence number the recorder reported as used.
    pub last_used_seq: i64,
}

impl Device {
    /// Whether the device counts as online: a gateway connection is open. The gateway closes
    /// a connection that stays silent ([`crate::gateway::silence_limit`]) and writes the change
    /// within a second (docs/protocol.md §9).
    pub fn online(&self) -> bool {
        self.connected
    }
}

/// A recovery key as stored.
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Its epoch.
    pub epoch: u32,
    /// Sealed under the master key (docs/protocol.md §4).
    pub sealed: Vec<u8>,
    /// When the recorder confirmed it, if it did.
    pub confirmed_at: Option<i64>,
    /// Why it was made (told to the recorder with it).
    pub cause: KeyCause,
}

impl StoredKey {
    /// A key read from a row with the columns `epoch`, `sealed`, `confirmed_at` and `cause`;
    /// `None` when the row has no key (an outer join that found none).
    pub(super) fn from_row(r: &sqlx::any::AnyRow) -> Result<Option<Self>, sqlx::Error> {
        let Some(epoch) = r.try_get::<Option<i64>, _>("epoch")? else {
            return Ok(None);
        };
        Ok(Some(StoredKey {
            epoch: u32::try_from(epoch).unwrap_or(0),
            sealed: r.try_get("sealed")?,
            confirmed_at: r.try_get("confirmed_at")?,
            cause: KeyCause::parse(
                r.try_get::<Option<String>, _>("cause")?
                    .as_deref()
                    .unwrap_or(""),
            ),
        }))
    }
}

/// Why a device could not be enrolled.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// The serial is enrolled with another device key.
    #[error("the serial is enrolled with another key")]
    KeyMismatch,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

const COLUMNS: &str = "id, serial, device_key, enrolled_at, connected, last_seen_at, drift_secs, account_id, name, bound_at, next_seq, last_used_seq";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Device, sqlx::Error> {
    Ok(Device {
        id: r.try_get("id")?,
        serial: Serial::parse(r.try_get::<String, _>("serial")?.as_str())
            .map_err(|_| sqlx::Error::Decode("stored serial does not parse".into()))?,
        device_key: r.try_get("device_key")?,
        enrolled_at: r.try_get("enrolled_at")?,
        connected: r.try_get::<i64, _>("connected")? != 0,
        last_seen_at: r.try_get("last_seen_at")?,
        drift_secs: r.try_get("drift_secs")?,
        account_id: r.try_get("account_id")?,
        name: r.try_get("name")?,
        bound_at: r.try_get("bound_at")?,
        next_seq: r.try_get("next_seq")?,
        last_used_seq: r.try_get("last_used_seq")?,
    })
}

impl Store {
    /// The device with this serial.
    pub async fn device_by_serial(&self, serial: &Serial) -> Result<Option<Device>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM devices WHERE serial = $1"
        )))
        .bind(serial.as_str())
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The device whose current register code hashes to `hash`.
    pub async fn device_by_register_code(&self, hash: &str) -> Result<Option<Device>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM devices WHERE register_code_hash = $1"
        )))
        .bind(hash)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The devices bound to an account, by name.
    pub async fn devices_of(&self, account_id: i64) -> Result<Vec<Device>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM devices WHERE account_id = $1 ORDER BY bound_at, id"
        )))
        .bind(account_id)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Enrols a serial with its device key on first contact, or checks the key on later ones.
    /// Returns the device and whether it was new.
    pub async fn enrol_device(
        &self,
        serial: &Serial,
        device_key: &str,
        now: i64,
    ) -> Result<(Device, bool), EnrolError> {
        if let Some(d) = self.device_by_serial(serial).await? {
            return if d.device_key == device_key {
                Ok((d, false))
            } else {
                Err(EnrolError::KeyMismatch)
            };
        }
        let inserted = sqlx::query(
            "INSERT INTO devices (serial, device_key, enrolled_at, last_seen_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(serial.as_str())
        .bind(device_key)
        .bind(now)
        .execute(&self.db.pool)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {} // enrolled concurrently: check below
            Err(e) => return Err(StoreError::Database(e).into()),
        }
        let d = self
            .device_by_serial(serial)
            .await?
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))?;
        if d.device_key != device_key {
            return Err(EnrolError::KeyMismatch);
        }
        Ok((d, true))
    }

    /// Replaces the device's register code (its keyed hash); `None` clears it.
    pub async fn set_register_code(
        &self,
        device_id: i64,
        hash: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE devices SET register_code_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(device_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Records that a connection opened or closed.
    pub async fn set_connected(
        &self,
        device_id: i64,
        connected: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE devices SET connected = $1, last_seen_at = $2 WHERE id = $3")
            .bind(i64::from(connected))
            .bind(now)
            .bind(device_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Marks every device disconnected: at the start of a single node (SQLite), no connection
    /// survives a restart. Several nodes (PostgreSQL) use leases instead ([`super::nodes`]).
    pub async fn disconnect_all(&self) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE devices SET connected = 0, node_id = NULL \
             WHERE connected <> 0 OR node_id IS NOT NULL",
        )
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Records a heartbeat.
    pub async fn record_heartbeat(
        &self,
        device_id: i64,
        now: i64,
        drift: i64,
        last_used_seq: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE devices SET last_seen_at = $1, drift_secs = $2,
               last_used_seq = CASE WHEN last_used_seq < $3 THEN $3 ELSE last_used_seq END
             WHERE id = $4",
        )
        .bind(now)
        .bind(drift)
        .bind(last_used_seq)
        .bind(device_id)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Binds an unbound device to an account inside `tx`; `false` if it is bound already. The
    /// register code stays recorded, so that someone else trying it learns the device is taken;
    /// the recorder gets a new one when it is unbound.
    pub async fn bind_device(
        &self,
        tx: &mut sqlx::AnyConnection,
        device_id: i64,
        account_id: i64,
        name: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET account_id = $1, name = $2, bound_at = $3
             WHERE id = $4 AND account_id IS NULL",
        )
        .bind(account_id)
        .bind(name)
        .bind(now)
        .bind(device_id)
        .execute(&mut *tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Renames a device of `account_id`; `false` if it is not theirs.
    pub async fn rename_device(
        &self,
        account_id: i64,
        serial: &Serial,
        name: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE devices SET name = $1 WHERE serial = $2 AND account_id = $3")
                .bind(name)
                .bind(serial.as_str())
                .bind(account_id)
                .execute(&self.db.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Unbinds a device of `account_id`, forgets its register code (so the old QR no longer
    /// binds it) and deletes the Retrieve results kept for the account on it, in one
    /// transaction; `false` if it is not theirs.
    pub async fn unbind_device(
        &self,
        account_id: i64,
        serial: &Serial,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let Some(row) = sqlx::query(
            "UPDATE devices SET account_id = NULL, name = NULL, bound_at = NULL, register_code_hash = NULL WHERE serial = $1 AND account_id = $2 RETURNING id",
        )
        .bind(serial.as_str())
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        let device_id: i64 = row.try_get("id")?;
        self.forget_retrieved(&mut tx, account_id, device_id)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Unbinds the device from `account_id` inside `tx`, only while the binding whose key is of
    /// `key_epoch` is its current one (its newest key is of that epoch: a binding rotates the
    /// key), and forgets its register code; `false` if that binding is gone.
    pub async fn unbind_binding(
        &self,
        tx: &mut sqlx::AnyConnection,
        device_id: i64,
        account_id: i64,
        key_epoch: u32,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET account_id = NULL, name = NULL, bound_at = NULL, register_code_hash = NULL \
             WHERE id = $1 AND account_id = $2 \
               AND (SELECT MAX(epoch) FROM recovery_keys WHERE device_id = $1) = $3",
        )
        .bind(device_id)
        .bind(account_id)
        .bind(i64::from(key_epoch))
        .execute(&mut *tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Locks the devices' rows until `tx` ends, in the order of their ids, with a write that
    /// changes nothing. Every transaction that changes the bindings of several devices, or checks
    /// them before it writes (an offer, an acceptance, an account's deletion), takes them this
    /// way first: on PostgreSQL (READ COMMITTED) a second such transaction waits for the first
    /// to commit, and its next statement sees what the first wrote, and two of them never wait
    /// for each other (one order for all); on SQLite the first write takes the database's write
    /// lock, which has the same effect.
    pub async fn lock_devices(
        &self,
        tx: &mut sqlx::AnyConnection,
        device_ids: impl IntoIterator<Item = i64>,
    ) -> Result<(), StoreError> {
        let mut ids: Vec<i64> = device_ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            sqlx::query("UPDATE devices SET id = id WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// Stores a new recovery key (not yet confirmed), made for `cause`, inside `tx`.
    pub async fn add_recovery_key(
        &self,
        tx: &mut sqlx::AnyConnection,
        device_id: i64,
        epoch: u32,
        sealed: &[u8],
        cause: KeyCause,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO recovery_keys (device_id, epoch, sealed, cause, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(device_id)
            .bind(i64::from(epoch))
            .bind(sealed)
            .bind(cause.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// The newest recovery key (the one the recorder should hold), confirmed or not.
    pub async fn newest_recovery_key(
        &self,
        device_id: i64,
    ) -> Result<Option<StoredKey>, StoreError> {
        self.recovery_key_where(device_id, "", None).await
    }

    /// The recovery key of one epoch.
    pub async fn recovery_key_of(
        &self,
        device_id: i64,
        epoch: u32,
    ) -> Result<Option<StoredKey>, StoreError> {
        self.recovery_key_where(device_id, "AND epoch = $2", Some(epoch))
            .await
    }

    /// The newest recovery key the recorder confirmed: the one codes are issued with.
    pub async fn live_recovery_key(&self, device_id: i64) -> Result<Option<StoredKey>, StoreError> {
        self.recovery_key_where(device_id, "AND confirmed_at IS NOT NULL", None)
            .await
    }

    /// The newest key matching `filter` (a constant SQL fragment; `$2` is `epoch` if given).
    async fn recovery_key_where(
        &self,
        device_id: i64,
        filter: &'static str,
        epoch: Option<u32>,
    ) -> Result<Option<StoredKey>, StoreError> {
        let query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT epoch, sealed, confirmed_at, cause FROM recovery_keys WHERE device_id = $1 {filter} ORDER BY epoch DESC LIMIT 1"
        )))
        .bind(device_id);
        let query = match epoch {
            Some(e) => query.bind(i64::from(e)),
            None => query,
        };
        let row = query.fetch_optional(&self.db.pool).await?;
        Ok(match row {
            Some(r) => StoredKey::from_row(&r)?,
            None => None,
        })
    }

    /// Records that the recorder stored the key of `epoch`.
    pub async fn confirm_recovery_key(
        &self,
        device_id: i64,
        epoch: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recovery_keys SET confirmed_at = $1 WHERE device_id = $2 AND epoch = $3 AND confirmed_at IS NULL",
        )
        .bind(now)
        .bind(device_id)
        .bind(i64::from(epoch))
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
