//! The mail queue: every e-mail is stored first (in the transaction of what caused it) and sent
//! by a mail worker, which retries with back-off until the message is delivered or, after
//! [`MAX_ATTEMPTS`] failures, given up as a dead letter.
//!
//! Any number of workers (one per cloud node) share the queue. A worker *claims* a message
//! before sending it: one statement marks it with a random token and a lease
//! ([`CLAIM_LEASE_SECS`]) — on PostgreSQL skipping rows another worker is claiming
//! (`FOR UPDATE SKIP LOCKED`), on SQLite under its single writer — and only the token's holder
//! records the outcome. A node that dies while sending leaves its claim to run out; another
//! worker then sends the message (at most once more, and only in that case).
//!
//! A message's subject and body may hold a code or a temporary password, so they are stored
//! only sealed under the mail key (see [`super::sealed`]) and erased when the message is
//! delivered (except in the local outbox, whose page shows mail). The legacy `subject` and
//! `body` columns are always empty since migration 0003. `last_error` holds only the
//! transport's error (never the message); `to_addr` stays readable, as the associated data of
//! the sealed content.

use sqlx::Row;

use super::sealed::{MailContent, OpenError};
use super::{Store, StoreError};

/// An e-mail waiting to be sent (or sent), opened.
#[derive(Clone)]
pub struct QueuedMail {
    /// Row id.
    pub id: i64,
    /// Recipient address.
    pub to_addr: String,
    /// Subject line (empty once erased after delivery).
    pub subject: String,
    /// Plain-text body (empty once erased after delivery).
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

impl std::fmt::Debug for QueuedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuedMail")
            .field("id", &self.id)
            .field("created_at", &self.created_at)
            .field("attempts", &self.attempts)
            .field("sent_at", &self.sent_at)
            .finish_non_exhaustive()
    }
}

/// A message to queue.
#[derive(Clone)]
pub struct NewMail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

impl std::fmt::Debug for NewMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewMail([redacted])")
    }
}

/// Seconds before the next attempt after `attempts` failures: 10 s doubling, at most an hour.
pub fn retry_delay(attempts: i64) -> i64 {
    (10_i64 << attempts.clamp(0, 9)).min(3600)
}

/// Failed attempts after which a message is given up (a dead letter): some four hours of
/// retries ([`retry_delay`]), long after any code it carries expired.
pub const MAX_ATTEMPTS: i64 = 12;

/// How long a claim holds: longer than sending one message can take (the SMTP transport gives up
/// on a step after 30 s).
pub const CLAIM_LEASE_SECS: i64 = 300;

/// Messages claimed by one worker, and the token that records their outcome.
#[derive(Debug)]
pub struct Claimed {
    /// Shown by [`Store::mail_sent`] and [`Store::mail_failed`].
    pub token: i64,
    /// The messages, oldest first.
    pub mails: Vec<QueuedMail>,
}

/// What became of a message whose attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// It is tried again at this time (Unix seconds).
    RetryAt(i64),
    /// It failed [`MAX_ATTEMPTS`] times and was given up; its content is erased.
    Dead,
    /// The claim had run out and another worker holds the message now: nothing was recorded.
    NotHeld,
}

/// A row as stored.
struct StoredRow {
    id: i64,
    to_addr: String,
    sealed: Option<Vec<u8>>,
    created_at: i64,
    attempts: i64,
    sent_at: Option<i64>,
    last_error: Option<String>,
}

impl StoredRow {
    fn into_mail(self, content: MailContent) -> QueuedMail {
        QueuedMail {
            id: self.id,
            to_addr: self.to_addr,
            subject: content.subject,
            body: content.body,
            created_at: self.created_at,
            attempts: self.attempts,
            sent_at: self.sent_at,
            last_error: self.last_error,
        }
    }
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<StoredRow, sqlx::Error> {
    Ok(StoredRow {
        id: r.try_get("id")?,
        to_addr: r.try_get("to_addr")?,
        sealed: r.try_get("sealed")?,
        created_at: r.try_get("created_at")?,
        attempts: r.try_get("attempts")?,
        sent_at: r.try_get("sent_at")?,
        last_error: r.try_get("last_error")?,
    })
}

const COLUMNS: &str = "id, to_addr, sealed, created_at, attempts, sent_at, last_error";

impl Store {
    /// Opens a stored row's content (empty once erased).
    fn open_row(&self, row: &StoredRow) -> Result<MailContent, OpenError> {
        match &row.sealed {
            Some(sealed) => self.mail_key.open(row.id, &row.to_addr, sealed),
            None => Ok(MailContent::default()),
        }
    }

    /// Writes the sealed content of row `id` inside `tx`.
    async fn write_sealed(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        to: &str,
        content: &MailContent,
    ) -> Result<(), StoreError> {
        let sealed = self
            .mail_key
            .seal(id, to, content, rekey_web::random_array());
        sqlx::query("UPDATE mail_queue SET sealed = $1, subject = '', body = '' WHERE id = $2")
            .bind(sealed)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Queues a message inside `tx`. The row is made first (its id is part of the sealed
    /// content's associated data), then its content is written sealed: the plain text never
    /// reaches the database.
    pub async fn queue_mail(
        &self,
        tx: &mut sqlx::AnyConnection,
        mail: &NewMail,
        now: i64,
    ) -> Result<(), StoreError> {
        let id: i64 = sqlx::query(
            "INSERT INTO mail_queue (to_addr, subject, body, created_at, next_attempt_at) VALUES ($1, '', '', $2, $2) RETURNING id",
        )
        .bind(&mail.to)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let content = MailContent {
            subject: mail.subject.clone(),
            body: mail.body.clone(),
        };
        self.write_sealed(tx, id, &mail.to, &content).await
    }

    /// Claims up to `limit` messages due for an attempt, oldest first, for
    /// [`CLAIM_LEASE_SECS`]: no other worker gets them until their outcome is recorded, the
    /// lease ran out, or this node's lease ran out ([`Store::reap_nodes`]). A message that does
    /// not open (the master key changed, or the row was altered) is not handed out: it counts
    /// as a failed attempt, to be tried again later (with the right key back in place, it then
    /// goes out).
    pub async fn claim_mail(&self, now: i64, limit: i64) -> Result<Claimed, StoreError> {
        let token = i64::from_le_bytes(rekey_web::random_array::<8>());
        // PostgreSQL: rows another transaction is claiming are skipped, not waited for (and the
        // outer conditions are checked again on the row as it is then). The pick is a
        // materialized CTE: as a plain subquery the planner may run it again for each row it
        // updates, and each run then skips the rows this statement already claimed, so that
        // `LIMIT` no longer bounds the claim. SQLite runs one writing statement at a time.
        let skip_locked = match self.db.backend {
            crate::db::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            crate::db::Backend::Sqlite => "",
        };
        let claimable = "sent_at IS NULL AND dead_at IS NULL AND sealed IS NOT NULL \
             AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)";
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH picked AS MATERIALIZED \
               (SELECT id FROM mail_queue WHERE {claimable} ORDER BY id LIMIT $4{skip_locked}) \
             UPDATE mail_queue SET claim_token = $2, claimed_until = $3, claimed_by = $5 \
             WHERE {claimable} AND id IN (SELECT id FROM picked) \
             RETURNING {COLUMNS}"
        )))
        .bind(now)
        .bind(token)
        .bind(now + CLAIM_LEASE_SECS)
        .bind(limit)
        .bind(self.node_id())
        .fetch_all(&self.db.pool)
        .await?;
        let mut stored = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        stored.sort_by_key(|r| r.id);
        let mut mails = Vec::with_capacity(stored.len());
        for row in stored {
            match self.open_row(&row) {
                Ok(content) => mails.push(row.into_mail(content)),
                Err(e) => {
                    tracing::error!(mail_id = row.id, error = %e, "a queued mail does not open with this cloud's master key");
                    self.mail_failed(row.id, token, row.attempts, &e.to_string(), now)
                        .await?;
                }
            }
        }
        Ok(Claimed { token, mails })
    }

    /// The earliest time a queued message may be claimed, if any is waiting.
    pub async fn next_mail_due(&self) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until ELSE next_attempt_at END) AS due \
             FROM mail_queue WHERE sent_at IS NULL AND dead_at IS NULL AND sealed IS NOT NULL",
        )
        .fetch_one(&self.db.pool)
        .await?;
        Ok(row.try_get("due")?)
    }

    /// Records the delivery of a message claimed under `token`; `false` if the claim had run
    /// out and another worker holds the message. Unless `keep_body` (the local outbox, whose page
    /// shows mail), the sealed content is erased: it holds a code or a temporary password, which
    /// must not outlive the message in the database (with `secure_delete`, SQLite zeroes the
    /// bytes).
    pub async fn mail_sent(
        &self,
        id: i64,
        token: i64,
        now: i64,
        keep_body: bool,
    ) -> Result<bool, StoreError> {
        let sql = if keep_body {
            "UPDATE mail_queue SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
             claim_token = NULL, claimed_until = NULL, claimed_by = NULL WHERE id = $2 AND claim_token = $3"
        } else {
            "UPDATE mail_queue SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
             claim_token = NULL, claimed_until = NULL, claimed_by = NULL, sealed = NULL WHERE id = $2 AND claim_token = $3"
        };
        let done = sqlx::query(sql)
            .bind(now)
            .bind(id)
            .bind(token)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Releases every claim (at the start of a single node, SQLite: no worker of a previous run
    /// is still sending); the number of messages released.
    pub async fn release_mail_claims(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE mail_queue SET claim_token = NULL, claimed_until = NULL, claimed_by = NULL \
             WHERE claim_token IS NOT NULL",
        )
        .execute(&self.db.pool)
        .await?
        .rows_affected())
    }

    /// Records failed attempt number `attempts + 1` of message `id`, claimed under `token`: it
    /// is tried again after [`retry_delay`], or given up after [`MAX_ATTEMPTS`] (its content
    /// erased). `error` must be the transport's error, never the message.
    pub async fn mail_failed(
        &self,
        id: i64,
        token: i64,
        attempts: i64,
        error: &str,
        now: i64,
    ) -> Result<Failed, StoreError> {
        let dead = attempts + 1 >= MAX_ATTEMPTS;
        let sql = if dead {
            "UPDATE mail_queue SET attempts = attempts + 1, last_error = $1, dead_at = $2, \
             sealed = NULL, claim_token = NULL, claimed_until = NULL, claimed_by = NULL WHERE id = $3 AND claim_token = $4"
        } else {
            "UPDATE mail_queue SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \
             claim_token = NULL, claimed_until = NULL, claimed_by = NULL WHERE id = $3 AND claim_token = $4"
        };
        let at = if dead {
            now
        } else {
            now + retry_delay(attempts)
        };
        let done = sqlx::query(sql)
            .bind(error)
            .bind(at)
            .bind(id)
            .bind(token)
            .execute(&self.db.pool)
            .await?;
        Ok(match (done.rows_affected() == 1, dead) {
            (false, _) => Failed::NotHeld,
            (true, true) => Failed::Dead,
            (true, false) => Failed::RetryAt(at),
        })
    }

    /// Messages waiting to be sent, the age of the oldest one (seconds, 0 when none waits) and
    /// messages given up, at `now`.
    pub async fn mail_queue_stats(&self, now: i64) -> Result<(i64, i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN sent_at IS NULL AND dead_at IS NULL THEN 1 ELSE 0 END), 0) AS waiting, \
               MIN(CASE WHEN sent_at IS NULL AND dead_at IS NULL THEN created_at END) AS oldest, \
               COALESCE(SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS dead \
             FROM mail_queue",
        )
        .fetch_one(&self.db.pool)
        .await?;
        let oldest: Option<i64> = row.try_get("oldest")?;
        Ok((
            row.try_get("waiting")?,
            oldest.map_or(0, |o| (now - o).max(0)),
            row.try_get("dead")?,
        ))
    }

    /// Messages given up after [`MAX_ATTEMPTS`] failures.
    pub async fn dead_mail_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM mail_queue WHERE dead_at IS NOT NULL")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The newest messages, for the local outbox page (content that does not open shows empty).
    pub async fn recent_mail(&self, limit: i64) -> Result<Vec<QueuedMail>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM mail_queue ORDER BY id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        let mut mails = Vec::with_capacity(rows.len());
        for r in &rows {
            let row = from_row(r)?;
            let content = self.open_row(&row).unwrap_or_default();
            mails.push(row.into_mail(content));
        }
        Ok(mails)
    }

    /// Seals the content of messages queued before migration 0003 (which left them in plain
    /// text) and then scrubs the database, once: migration 0003 leaves a `seal-mail` task, and
    /// this removes it when done, so an interrupted start does it again.
    ///
    /// Undelivered plain messages are sealed (they still go out); delivered ones were already
    /// blanked by the migration. Then, because older versions erased without `secure_delete`,
    /// the freed bytes of earlier bodies may linger in the file: SQLite is rebuilt with
    /// `VACUUM` and its WAL truncated; on PostgreSQL the queue is rewritten with `VACUUM FULL`.
    pub async fn seal_legacy_mail(&self) -> Result<(), StoreError> {
        use sqlx::Executor;
        let pool = &self.db.pool;
        let pending = sqlx::query("SELECT 1 FROM housekeeping WHERE task = 'seal-mail'")
            .fetch_optional(pool)
            .await?;
        if pending.is_none() {
            return Ok(());
        }
        let mut tx = pool.begin().await?;
        let rows = sqlx::query(
            "SELECT id, to_addr, subject, body FROM mail_queue WHERE sent_at IS NULL AND sealed IS NULL AND (subject <> '' OR body <> '')",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut sealed = 0usize;
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let to: String = r.try_get("to_addr")?;
            let content = MailContent {
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
            };
            self.write_sealed(&mut tx, id, &to, &content).await?;
            sealed += 1;
        }
        sqlx::query(
            "UPDATE mail_queue SET subject = '', body = '' WHERE subject <> '' OR body <> ''",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        match self.db.backend {
            crate::db::Backend::Sqlite => {
                pool.execute("VACUUM").await?;
                pool.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
            }
            crate::db::Backend::Postgres => {
                pool.execute("VACUUM FULL mail_queue").await?;
            }
        }
        sqlx::query("DELETE FROM housekeeping WHERE task = 'seal-mail'")
            .execute(pool)
            .await?;
        tracing::info!(
            sealed,
            "sealed the mail queued before this version and scrubbed the database"
        );
        Ok(())
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
