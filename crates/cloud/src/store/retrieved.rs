//! Temporary passwords Retrieve showed on the PC portal, kept so that the result page can show
//! them again to their account while they are valid (reloading it must not hide a password
//! that still works). The page's id is a random token of which only the SHA-256 is stored; the
//! password is sealed under the result key, bound to its row, account and device
//! ([`super::sealed::ResultKey`]). The sweep erases it when its validity ends and deletes the
//! row a day later ([`super::sweep`]); unbinding the device deletes it at once.

use sqlx::Row;

use super::sealed::ResultRow;
use super::{Store, StoreError, token_hash};

/// A temporary password to keep.
#[derive(Debug, Clone)]
pub struct NewKept<'a> {
    /// The account it was shown to.
    pub account_id: i64,
    /// The device it is for.
    pub device_id: i64,
    /// Its sequence number.
    pub seq: u32,
    /// First valid date (`YYYY-MM-DD`).
    pub from: &'a str,
    /// Last valid date (`YYYY-MM-DD`).
    pub to: &'a str,
    /// Whether it was made before the recorder received its newest key.
    pub key_pending: bool,
    /// The password, as shown.
    pub password: &'a rekey_web::Secret<String>,
    /// When its validity ends everywhere (Unix seconds).
    pub expires_at: i64,
}

/// A kept temporary password, as its result page shows it.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Its sequence number.
    pub seq: u32,
    /// First valid date (`YYYY-MM-DD`).
    pub from: String,
    /// Last valid date (`YYYY-MM-DD`).
    pub to: String,
    /// Whether it was made before the recorder received its newest key.
    pub key_pending: bool,
    /// When its validity ends (Unix seconds).
    pub expires_at: i64,
    /// The password, while it is valid; `None` once its validity ended.
    pub password: Option<rekey_web::Secret<String>>,
}

impl Store {
    /// Keeps a shown temporary password under the result page's `id` inside `tx`.
    pub async fn keep_retrieved(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: &str,
        kept: &NewKept<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        let id_hash = token_hash(id);
        let row = ResultRow {
            id_hash: &id_hash,
            account_id: kept.account_id,
            device_id: kept.device_id,
        };
        let sealed = self
            .result_key
            .seal(row, kept.password.expose(), rekey_web::random_array());
        sqlx::query(
            "INSERT INTO retrieved_passwords (id_hash, account_id, device_id, seq, valid_from, valid_to, key_pending, sealed, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id_hash)
        .bind(kept.account_id)
        .bind(kept.device_id)
        .bind(i64::from(kept.seq))
        .bind(kept.from)
        .bind(kept.to)
        .bind(i64::from(kept.key_pending))
        .bind(sealed)
        .bind(now)
        .bind(kept.expires_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// The temporary password kept under `id` for this account and device; `None` if there is
    /// none (never was, another account's or device's, or deleted). Its password is given only
    /// before `expires_at`.
    pub async fn kept_retrieved(
        &self,
        id: &str,
        account_id: i64,
        device_id: i64,
        now: i64,
    ) -> Result<Option<Kept>, StoreError> {
        let id_hash = token_hash(id);
        let Some(r) = sqlx::query(
            "SELECT seq, valid_from, valid_to, key_pending, sealed, expires_at FROM retrieved_passwords
             WHERE id_hash = $1 AND account_id = $2 AND device_id = $3",
        )
        .bind(&id_hash)
        .bind(account_id)
        .bind(device_id)
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        let expires_at: i64 = r.try_get("expires_at")?;
        let sealed: Option<Vec<u8>> = r.try_get("sealed")?;
        let password = match sealed {
            Some(sealed) if now < expires_at => {
                let row = ResultRow {
                    id_hash: &id_hash,
                    account_id,
                    device_id,
                };
                match self.result_key.open(row, &sealed) {
                    Ok(p) => Some(rekey_web::Secret::new(p.as_str().to_owned())),
                    Err(e) => {
                        // The master key changed since it was kept: it cannot be shown again.
                        tracing::warn!(error = %e, "a kept temporary password does not open");
                        return Ok(None);
                    }
                }
            }
            _ => None,
        };
        Ok(Some(Kept {
            seq: u32::try_from(r.try_get::<i64, _>("seq")?).unwrap_or(0),
            from: r.try_get("valid_from")?,
            to: r.try_get("valid_to")?,
            key_pending: r.try_get::<i64, _>("key_pending")? != 0,
            expires_at,
            password,
        }))
    }

    /// Deletes the temporary passwords kept for `account_id` on `device_id` (the device was
    /// removed from the account) inside `tx`.
    pub async fn forget_retrieved(
        &self,
        tx: &mut sqlx::AnyConnection,
        account_id: i64,
        device_id: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM retrieved_passwords WHERE account_id = $1 AND device_id = $2")
            .bind(account_id)
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}
