//! The audit log: appended inside the transaction of the change it records, with repeated
//! identical events folded into one entry, and pruned by age and by a row cap.

use sqlx::{Row, Sqlite, Transaction};

use super::{AuditEntry, Store, StoreResult};

/// How long and how much of the audit log is kept, and how repeats are folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPolicy {
    /// An entry whose last event is older than this is deleted (default: 90 days).
    pub retention_secs: i64,
    /// At most this many entries are kept; beyond it the oldest go first (default: 10,000).
    /// A backstop only: folding and the request limits keep far below it.
    pub max_rows: i64,
    /// An event identical to an entry (same event, user, client and detail) that began at most
    /// this long ago is counted in that entry instead of adding one (default: 1 hour).
    pub fold_secs: i64,
}

impl Default for AuditPolicy {
    fn default() -> Self {
        Self {
            retention_secs: 90 * 86_400,
            max_rows: 10_000,
            fold_secs: 60 * 60,
        }
    }
}

/// One audit-log entry as read back: the entry (with the time of its first event) and how many
/// identical events it stands for.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// The entry; `at` is the first event's time.
    pub entry: AuditEntry,
    /// How many identical events were folded into it (at least 1).
    pub times: i64,
    /// The last event's time.
    pub last_at: i64,
}

/// Writes `e` inside `tx`: counted in the newest identical entry that began within the fold
/// window, or appended; an append prunes entries past the retention period and the row cap.
pub(super) async fn audit_in(
    tx: &mut Transaction<'static, Sqlite>,
    policy: AuditPolicy,
    e: &AuditEntry,
) -> StoreResult<()> {
    let folded = sqlx::query(
        "UPDATE audit_log SET times = times + 1, last_at = MAX(last_at, ?) WHERE id = \
         (SELECT id FROM audit_log WHERE event = ? AND user_name IS ? AND client IS ? \
          AND detail IS ? AND at >= ? ORDER BY id DESC LIMIT 1)",
    )
    .bind(e.at)
    .bind(&e.event)
    .bind(&e.user_name)
    .bind(&e.client)
    .bind(&e.detail)
    .bind(e.at.saturating_sub(policy.fold_secs))
    .execute(&mut **tx)
    .await?;
    if folded.rows_affected() > 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO audit_log (at, last_at, times, event, user_name, client, detail) \
         VALUES (?, ?, 1, ?, ?, ?, ?)",
    )
    .bind(e.at)
    .bind(e.at)
    .bind(&e.event)
    .bind(&e.user_name)
    .bind(&e.client)
    .bind(&e.detail)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM audit_log WHERE last_at < ?")
        .bind(e.at.saturating_sub(policy.retention_secs))
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "DELETE FROM audit_log WHERE id <= \
         (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)",
    )
    .bind(policy.max_rows.max(1))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Appends an entry to the audit log (or counts it in an identical recent one).
    pub async fn audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        audit_in(&mut tx, self.audit, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The `limit` entries with the latest events, latest first.
    pub async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY last_at DESC, id DESC LIMIT ?")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    entry: AuditEntry {
                        at: r.try_get("at")?,
                        event: r.try_get("event")?,
                        user_name: r.try_get("user_name")?,
                        client: r.try_get("client")?,
                        detail: r.try_get("detail")?,
                    },
                    times: r.try_get("times")?,
                    last_at: r.try_get("last_at")?,
                })
            })
            .collect()
    }

    /// How many entries the audit log holds (each may stand for several events).
    pub async fn audit_rows(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&self.pool)
            .await?)
    }
}
