//! The mail queue: every e-mail is stored first (in the transaction of what caused it) and sent
//! by the mail worker, which retries with back-off until the message is delivered.

use sqlx::Row;

use super::{Store, StoreError};

/// An e-mail waiting to be sent (or sent).
#[derive(Debug, Clone)]
pub struct QueuedMail {
    /// Row id.
    pub id: i64,
    /// Recipient address.
    pub to_addr: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it was delivered.
    pub sent_at: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Seconds before the next attempt after `attempts` failures: 10 s doubling, at most an hour.
pub fn retry_delay(attempts: i64) -> i64 {
    (10_i64 << attempts.clamp(0, 9)).min(3600)
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<QueuedMail, sqlx::Error> {
    Ok(QueuedMail {
        id: r.try_get("id")?,
        to_addr: r.try_get("to_addr")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
        attempts: r.try_get("attempts")?,
        sent_at: r.try_get("sent_at")?,
        last_error: r.try_get("last_error")?,
    })
}

const COLUMNS: &str = "id, to_addr, subject, body, created_at, attempts, sent_at, last_error";

impl Store {
    /// Queues a message inside `tx`.
    pub async fn queue_mail(
        &self,
        tx: &mut sqlx::AnyConnection,
        mail: &NewMail,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO mail_queue (to_addr, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Messages due for an attempt, oldest first.
    pub async fn due_mail(&self, now: i64, limit: i64) -> Result<Vec<QueuedMail>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM mail_queue WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// The earliest time a queued message is due, if any is waiting.
    pub async fn next_mail_due(&self) -> Result<Option<i64>, StoreError> {
        let row =
            sqlx::query("SELECT MIN(next_attempt_at) AS due FROM mail_queue WHERE sent_at IS NULL")
                .fetch_one(&self.db.pool)
                .await?;
        Ok(row.try_get("due")?)
    }

    /// Records a delivery. Unless `keep_body` (the local outbox, whose page shows mail), the
    /// body is erased: it may hold a code or a temporary password, which must not outlive the
    /// message in the database.
    pub async fn mail_sent(&self, id: i64, now: i64, keep_body: bool) -> Result<(), StoreError> {
        let sql = if keep_body {
            "UPDATE mail_queue SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2"
        } else {
            "UPDATE mail_queue SET sent_at = $1, attempts = attempts + 1, last_error = NULL, body = '' WHERE id = $2"
        };
        sqlx::query(sql)
            .bind(now)
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Records a failed attempt and when to try again.
    pub async fn mail_failed(
        &self,
        mail: &QueuedMail,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE mail_queue SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3")
            .bind(error)
            .bind(now + retry_delay(mail.attempts))
            .bind(mail.id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// The newest messages, for the local outbox page.
    pub async fn recent_mail(&self, limit: i64) -> Result<Vec<QueuedMail>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM mail_queue ORDER BY id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn retry_delay_doubles_up_to_an_hour() {
        assert_eq!(super::retry_delay(0), 10);
        assert_eq!(super::retry_delay(1), 20);
        assert_eq!(super::retry_delay(5), 320);
        assert_eq!(super::retry_delay(40), 3600);
    }
}
