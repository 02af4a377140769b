//! Housekeeping: rows that have served their purpose are deleted once their retention ran out,
//! so that the database does not grow with every login, code and mail for ever. What is kept,
//! and for how long, is in [`Retention`]; devices, keys, and accounts with their issued-code
//! history (the account's activity page) are never swept, but an account deleted by its owner
//! is, with everything that refers to it, once its retention ran out. A temporary password kept for Retrieve's
//! result page is erased as soon as its validity ends. A hand-over offer is kept while it is
//! open and unexpired, and swept a while after it was answered, cancelled or expired.

use super::{Store, StoreError};

/// How long, in seconds, each kind of row is kept after it ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// A session after it expired.
    pub sessions: i64,
    /// An e-mail code after it expired (used or not): a day, so that "already used" and
    /// "expired" are still told apart for a while.
    pub email_codes: i64,
    /// An attempt counter after its window started and any lock ended: longer than the longest
    /// window (a day), after which the counter starts afresh anyway.
    pub throttle: i64,
    /// A delivered message (its content was erased at delivery; the outbox keeps it).
    pub delivered_mail: i64,
    /// A message given up (a dead letter), for the operator to look at.
    pub dead_mail: i64,
    /// A kept Retrieve result after its password's validity ended (the password itself is
    /// erased then): a day, so that its page still says it expired.
    pub retrieved: i64,
    /// An account after its owner deleted it (its personal data: address, user name, devices'
    /// history and activity): 30 days by default, `--deleted-account-retention-days`.
    pub deleted_accounts: i64,
    /// A hand-over offer (the transfer and the devices it listed) after it was accepted,
    /// declined or cancelled, or after it expired unanswered: 30 days, so that its link still
    /// says how it ended for a while. An open offer before its expiry is never swept; what an
    /// accepted one did stays in both accounts' device events.
    pub transfers: i64,
}

impl Retention {
    /// What the cloud keeps (docs/deploying.md, "Housekeeping").
    pub const DEFAULT: Retention = Retention {
        sessions: 0,
        email_codes: 24 * 3600,
        throttle: 2 * 24 * 3600,
        delivered_mail: 7 * 24 * 3600,
        dead_mail: 30 * 24 * 3600,
        retrieved: 24 * 3600,
        deleted_accounts: 30 * 24 * 3600,
        transfers: 30 * 24 * 3600,
    };
}

/// Rows deleted by one [`Store::sweep`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Expired sessions.
    pub sessions: u64,
    /// Expired e-mail codes.
    pub email_codes: u64,
    /// Attempt counters whose window ran out.
    pub throttle: u64,
    /// Delivered and dead messages.
    pub mail: u64,
    /// Kept Retrieve results whose password was erased or whose row was deleted.
    pub retrieved: u64,
    /// Deleted accounts whose retention ran out.
    pub accounts: u64,
    /// Closed or expired transfers whose retention ran out.
    pub transfers: u64,
}

impl Swept {
    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.sessions
            + self.email_codes
            + self.throttle
            + self.mail
            + self.retrieved
            + self.accounts
            + self.transfers
    }
}

impl Store {
    /// Deletes what ran out more than `retention` before `now`. Each kind is one statement; the
    /// sweep can stop half-way and run again (every node runs it; deleting twice deletes
    /// nothing).
    pub async fn sweep(&self, now: i64, retention: &Retention) -> Result<Swept, StoreError> {
        let pool = &self.db.pool;
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now - retention.sessions)
            .execute(pool)
            .await?
            .rows_affected();
        let email_codes = sqlx::query("DELETE FROM email_codes WHERE expires_at < $1")
            .bind(now - retention.email_codes)
            .execute(pool)
            .await?
            .rows_affected();
        let throttle =
            sqlx::query("DELETE FROM throttle WHERE window_start < $1 AND locked_until <= $2")
                .bind(now - retention.throttle)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
        let mail = sqlx::query(
            "DELETE FROM mail_queue WHERE (sent_at IS NOT NULL AND sent_at < $1) \
             OR (dead_at IS NOT NULL AND dead_at < $2)",
        )
        .bind(now - retention.delivered_mail)
        .bind(now - retention.dead_mail)
        .execute(pool)
        .await?
        .rows_affected();
        let erased = sqlx::query(
            "UPDATE retrieved_passwords SET sealed = NULL WHERE sealed IS NOT NULL AND expires_at <= $1",
        )
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected();
        let deleted = sqlx::query("DELETE FROM retrieved_passwords WHERE expires_at < $1")
            .bind(now - retention.retrieved)
            .execute(pool)
            .await?
            .rows_affected();
        // Sessions, codes, activity, device events and kept results go with the row (foreign
        // keys ON DELETE CASCADE); its former devices were unbound at deletion.
        let accounts =
            sqlx::query("DELETE FROM accounts WHERE deleted_at IS NOT NULL AND deleted_at < $1")
                .bind(now - retention.deleted_accounts)
                .execute(pool)
                .await?
                .rows_affected();
        // Answered or cancelled (`closed_at` set when it closed) or expired while open; the
        // devices each listed go with it (`transfer_devices`, ON DELETE CASCADE).
        let transfers = sqlx::query(
            "DELETE FROM transfers WHERE (state <> 'open' AND closed_at < $1) \
             OR (state = 'open' AND expires_at < $1)",
        )
        .bind(now - retention.transfers)
        .execute(pool)
        .await?
        .rows_affected();
        Ok(Swept {
            sessions,
            email_codes,
            throttle,
            mail,
            retrieved: erased + deleted,
            accounts,
            transfers,
        })
    }
}
