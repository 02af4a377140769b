//! Release from the recorder (docs/protocol.md §9, "Release"): recorded here first, in one
//! transaction with its audit entry, and kept pending (across restarts) until the cloud
//! answers `released` for it.

use super::audit_log::audit_in;
use super::{AuditEntry, Store, StoreResult};

impl Store {
    /// Records that the admin released the recorder from the binding whose recovery key is of
    /// `key_epoch`: the recorder counts itself unbound at once (its key belongs to no binding
    /// any more, so it is not prepared for password recovery and accepts no code made with
    /// it), and the release is pending until the cloud answers. `false` (and nothing written)
    /// if the recorder is not bound with that key or a release is pending already.
    pub async fn request_release(&self, key_epoch: u32, audit: &AuditEntry) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE device SET release_epoch = ?1, bound = 0, register_code = NULL, \
             unbound_key_epoch = key_epoch \
             WHERE id = 1 AND bound = 1 AND release_epoch = 0 AND key_epoch = ?1 AND ?1 <> 0",
        )
        .bind(i64::from(key_epoch))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records the cloud's answer to the pending release of `key_epoch`, with its audit entry;
    /// `false` (and nothing written) if no release of that epoch is pending (a repeated answer).
    pub async fn release_answered(&self, key_epoch: u32, audit: &AuditEntry) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE device SET release_epoch = 0 WHERE id = 1 AND release_epoch = ?1 AND ?1 <> 0",
        )
        .bind(i64::from(key_epoch))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
