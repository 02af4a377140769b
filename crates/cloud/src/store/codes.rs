//! E-mail verification codes: 6 digits, 10 minutes, at most 5 wrong tries, a cool-down before
//! another is sent, stored as keyed hashes, single use. A new code replaces the earlier ones.

use sqlx::Row;
use subtle::ConstantTimeEq;

use super::{Store, StoreError};
use crate::domain::EmailCode;

/// How long a code lives, in seconds.
pub const CODE_TTL_SECS: i64 = 600;
/// Wrong tries before a code is dead.
pub const MAX_FAILED_ATTEMPTS: i64 = 5;
/// Seconds before another code may be sent to the same address for the same purpose.
pub const RESEND_COOLDOWN_SECS: i64 = 60;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Sign-up (either order).
    Signup,
    /// Changing an account's e-mail address.
    ChangeEmail,
    /// "Forgot your cloud password?".
    ResetPassword,
    /// Retrieving a temporary password on the PC portal.
    Retrieve,
    /// Deleting the account.
    DeleteAccount,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Signup => "signup",
            Purpose::ChangeEmail => "change-email",
            Purpose::ResetPassword => "reset-password",
            Purpose::Retrieve => "retrieve",
            Purpose::DeleteAccount => "delete-account",
        }
    }
}

/// Why a code was not sent or not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// A code was sent moments ago.
    #[error("a code was sent recently; another can be sent in {retry_after} seconds")]
    Cooldown {
        /// Seconds until another may be sent.
        retry_after: i64,
    },
    /// No code was requested for this address (or it was replaced).
    #[error("no code was requested")]
    NoCode,
    /// The code is older than [`CODE_TTL_SECS`].
    #[error("the code expired")]
    Expired,
    /// [`MAX_FAILED_ATTEMPTS`] wrong tries were made.
    #[error("too many wrong codes")]
    TooManyTries,
    /// The code was already used.
    #[error("the code was already used")]
    Used,
    /// Not the code that was sent.
    #[error("wrong code")]
    Wrong {
        /// Tries left before the code is dead.
        tries_left: i64,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CodeError {
    fn from(e: sqlx::Error) -> Self {
        CodeError::Store(StoreError::Database(e))
    }
}

impl CodeError {
    /// The catalog key of [`CodeError::Cooldown`].
    pub const COOLDOWN_KEY: &'static str = "cloud-code-cooldown";

    /// The message catalog key.
    pub fn message_key(&self) -> &'static str {
        match self {
            CodeError::Cooldown { .. } => Self::COOLDOWN_KEY,
            CodeError::NoCode => "cloud-code-none",
            CodeError::Expired => "cloud-code-expired",
            CodeError::TooManyTries => "cloud-code-too-many",
            CodeError::Used => "cloud-code-used",
            CodeError::Wrong { .. } => "cloud-code-wrong",
            CodeError::Store(_) => "error-internal",
        }
    }
}

/// A code that was accepted.
#[derive(Debug, Clone)]
pub struct AcceptedCode {
    /// Its row.
    pub id: i64,
    /// The account it was issued for, if any.
    pub account_id: Option<i64>,
    /// What was stored with it (e.g. a pending sign-up).
    pub payload: Option<String>,
}

impl Store {
    fn code_hash(&self, purpose: Purpose, email_key: &str, code: &EmailCode) -> String {
        self.lookup_hash(
            b"rekey/cloud/email-code\0",
            &[
                purpose.as_str().as_bytes(),
                email_key.as_bytes(),
                code.as_str().as_bytes(),
            ],
        )
    }

    /// Makes a new code for `email_key`, replacing earlier unused ones, unless one was sent less
    /// than [`RESEND_COOLDOWN_SECS`] ago. `payload` is kept with the code (e.g. a pending sign-up).
    /// Runs inside `tx`, so that the code exists only if the mail carrying it is queued too.
    ///
    /// The first statement writes, so that on SQLite the transaction holds the write lock from
    /// the start and never has to upgrade a read snapshot (which fails at once under load).
    pub async fn issue_email_code(
        &self,
        tx: &mut sqlx::AnyConnection,
        purpose: Purpose,
        email_key: &str,
        account_id: Option<i64>,
        payload: Option<&str>,
        now: i64,
    ) -> Result<EmailCode, CodeError> {
        sqlx::query("UPDATE email_codes SET used_at = $1 WHERE purpose = $2 AND email_key = $3 AND used_at IS NULL")
            .bind(now)
            .bind(purpose.as_str())
            .bind(email_key)
            .execute(&mut *tx)
            .await?;
        let last: Option<i64> = sqlx::query(
            "SELECT created_at FROM email_codes WHERE purpose = $1 AND email_key = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(purpose.as_str())
        .bind(email_key)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("created_at"))
        .transpose()?;
        if let Some(sent) = last {
            let wait = sent + RESEND_COOLDOWN_SECS - now;
            if wait > 0 {
                // The caller drops `tx`, which undoes the update above.
                return Err(CodeError::Cooldown { retry_after: wait });
            }
        }
        let code = EmailCode::generate();
        sqlx::query(
            "INSERT INTO email_codes (purpose, email_key, account_id, code_hash, payload, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(purpose.as_str())
        .bind(email_key)
        .bind(account_id)
        .bind(self.code_hash(purpose, email_key, &code))
        .bind(payload)
        .bind(now)
        .bind(now + CODE_TTL_SECS)
        .execute(&mut *tx)
        .await?;
        Ok(code)
    }

    /// Checks a typed code, before any transaction is open. Each try first takes one of the
    /// code's [`MAX_FAILED_ATTEMPTS`] in a single conditional update (atomic, so parallel
    /// guesses cannot share a try); a right code gives its try back. The code stays unused:
    /// [`Store::mark_code_used`] uses it up inside the transaction of what it authorizes, so a
    /// request never holds a transaction while it waits for another pooled connection.
    pub async fn check_email_code(
        &self,
        purpose: Purpose,
        email_key: &str,
        typed: &EmailCode,
        now: i64,
    ) -> Result<AcceptedCode, CodeError> {
        let pool = &self.db.pool;
        let row = sqlx::query(
            "SELECT id, account_id, code_hash, payload, expires_at, used_at FROM email_codes
             WHERE purpose = $1 AND email_key = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(purpose.as_str())
        .bind(email_key)
        .fetch_optional(pool)
        .await?
        .ok_or(CodeError::NoCode)?;
        let id: i64 = row.try_get("id")?;
        let stored: String = row.try_get("code_hash")?;
        let expected = self.code_hash(purpose, email_key, typed);
        let matches = bool::from(stored.as_bytes().ct_eq(expected.as_bytes()));
        if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
            return Err(if matches {
                CodeError::Used
            } else {
                CodeError::NoCode
            });
        }
        if now > row.try_get::<i64, _>("expires_at")? {
            return Err(CodeError::Expired);
        }
        let taken = sqlx::query(
            "UPDATE email_codes SET failed_attempts = failed_attempts + 1
             WHERE id = $1 AND failed_attempts < $2 AND used_at IS NULL RETURNING failed_attempts",
        )
        .bind(id)
        .bind(MAX_FAILED_ATTEMPTS)
        .fetch_optional(pool)
        .await?;
        let Some(taken) = taken else {
            return Err(CodeError::TooManyTries);
        };
        let tries_used: i64 = taken.try_get("failed_attempts")?;
        if !matches {
            let tries_left = MAX_FAILED_ATTEMPTS - tries_used;
            return Err(if tries_left <= 0 {
                CodeError::TooManyTries
            } else {
                CodeError::Wrong { tries_left }
            });
        }
        sqlx::query("UPDATE email_codes SET failed_attempts = failed_attempts - 1 WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await?;
        Ok(AcceptedCode {
            id,
            account_id: row.try_get("account_id")?,
            payload: row.try_get("payload")?,
        })
    }

    /// Uses up a checked code inside `tx`, so that it is used only if what it authorizes
    /// commits too; [`CodeError::Used`] if a parallel request used it first. Make this the
    /// first statement of `tx`: on SQLite the transaction then holds the write lock from its
    /// start and never has to upgrade a read snapshot (which fails at once under load).
    pub async fn mark_code_used(
        &self,
        tx: &mut sqlx::AnyConnection,
        code: &AcceptedCode,
        now: i64,
    ) -> Result<(), CodeError> {
        let updated =
            sqlx::query("UPDATE email_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
                .bind(now)
                .bind(code.id)
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() != 1 {
            return Err(CodeError::Used);
        }
        Ok(())
    }
}
