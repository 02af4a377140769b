//! Issued temporary passwords: sequence numbers, the activity record, and single use of each
//! recovery challenge.

use sqlx::Row;

use super::{Store, StoreError, is_unique_violation};

/// Which kind of temporary password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// After the recovery QR was scanned (phone path).
    Challenge,
    /// Valid on a range of dates (PC path).
    DateWindow,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Challenge => "challenge",
            Kind::DateWindow => "date-window",
        }
    }
}

/// An issue to record.
#[derive(Debug, Clone)]
pub struct NewIssue<'a> {
    /// The account that asked.
    pub account_id: i64,
    /// The device it is for.
    pub device_id: i64,
    /// Its kind.
    pub kind: Kind,
    /// Where it was asked for: `phone`, `pc` or `app`.
    pub path: &'a str,
    /// Its sequence number.
    pub seq: u32,
    /// The recovery key epoch it was made with.
    pub key_epoch: u32,
    /// The challenge nonce (hex), for challenge codes.
    pub challenge_nonce: Option<String>,
    /// First and last valid date (`YYYY-MM-DD`), for date-window codes.
    pub window: Option<(String, String)>,
    /// When a challenge code's challenge ends (Unix seconds).
    pub valid_until: Option<i64>,
    /// The (masked) address it was sent to or shown for.
    pub sent_to: String,
}

/// An issue as the activity page shows it.
#[derive(Debug, Clone)]
pub struct Issue {
    /// Its kind.
    pub kind: String,
    /// Where it was asked for.
    pub path: String,
    /// The device's serial.
    pub serial: String,
    /// The device's name, if it is still bound.
    pub device_name: Option<String>,
    /// First and last valid date.
    pub window: Option<(String, String)>,
    /// A challenge code's end.
    pub valid_until: Option<i64>,
    /// The (masked) address.
    pub sent_to: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Why an issue could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum IssueStoreError {
    /// The challenge was answered already.
    #[error("the challenge was already answered")]
    ChallengeUsed,
    /// The recorder has not reported using codes for too long (docs/protocol.md §8).
    #[error("too many unused codes")]
    SequenceWindow,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IssueStoreError {
    fn from(e: sqlx::Error) -> Self {
        IssueStoreError::Store(e.into())
    }
}

impl Store {
    /// Takes the device's next sequence number inside `tx`: above every number the recorder
    /// reported as used, and less than 1024 above the last one reported.
    pub async fn allocate_seq(
        &self,
        tx: &mut sqlx::AnyConnection,
        device_id: i64,
    ) -> Result<u32, IssueStoreError> {
        let row = sqlx::query(
            "UPDATE devices SET next_seq = CASE WHEN next_seq > last_used_seq THEN next_seq + 1 ELSE last_used_seq + 2 END
             WHERE id = $1 RETURNING next_seq - 1 AS seq, last_used_seq",
        )
        .bind(device_id)
        .fetch_one(&mut *tx)
        .await?;
        let seq: i64 = row.try_get("seq")?;
        let last: i64 = row.try_get("last_used_seq")?;
        if seq - last >= 1024 {
            return Err(IssueStoreError::SequenceWindow);
        }
        u32::try_from(seq).map_err(|_| IssueStoreError::SequenceWindow)
    }

    /// Records an issue inside `tx`; a challenge answered before is refused.
    pub async fn record_issue(
        &self,
        tx: &mut sqlx::AnyConnection,
        issue: &NewIssue<'_>,
        now: i64,
    ) -> Result<(), IssueStoreError> {
        let (from, to) = issue.window.clone().unzip();
        let done = sqlx::query(
            "INSERT INTO issued_codes (account_id, device_id, kind, path, seq, key_epoch, challenge_nonce, valid_from, valid_to, valid_until, sent_to, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(issue.account_id)
        .bind(issue.device_id)
        .bind(issue.kind.as_str())
        .bind(issue.path)
        .bind(i64::from(issue.seq))
        .bind(i64::from(issue.key_epoch))
        .bind(issue.challenge_nonce.as_deref())
        .bind(from)
        .bind(to)
        .bind(issue.valid_until)
        .bind(&issue.sent_to)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match done {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(IssueStoreError::ChallengeUsed),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether a challenge of a device was answered already.
    pub async fn challenge_answered(
        &self,
        device_id: i64,
        nonce_hex: &str,
    ) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT 1 FROM issued_codes WHERE device_id = $1 AND challenge_nonce = $2")
                .bind(device_id)
                .bind(nonce_hex)
                .fetch_optional(&self.db.pool)
                .await?
                .is_some(),
        )
    }

    /// The account's issues, newest first.
    pub async fn issues_of(&self, account_id: i64, limit: i64) -> Result<Vec<Issue>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.kind, i.path, d.serial, CASE WHEN d.account_id = i.account_id THEN d.name ELSE NULL END AS name,
                    i.valid_from, i.valid_to, i.valid_until, i.sent_to, i.created_at
             FROM issued_codes i JOIN devices d ON d.id = i.device_id
             WHERE i.account_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let from: Option<String> = r.try_get("valid_from")?;
                let to: Option<String> = r.try_get("valid_to")?;
                Ok(Issue {
                    kind: r.try_get("kind")?,
                    path: r.try_get("path")?,
                    serial: r.try_get("serial")?,
                    device_name: r.try_get("name")?,
                    window: from.zip(to),
                    valid_until: r.try_get("valid_until")?,
                    sent_to: r.try_get("sent_to")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
