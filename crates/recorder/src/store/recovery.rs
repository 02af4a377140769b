//! Recovery state: the challenges of "Forgot password?" with their request limits, the
//! guessing limit of the "Password recovery" screen, and the one transaction that accepts a code.
//!
//! A challenge replaced by a newer one while still live stays valid until its own expiry
//! (docs/protocol.md §8), so a stranger pressing "Forgot password?" cannot spoil the code the
//! owner's phone already got. The request limits bound how many can be live at once.

use std::net::IpAddr;

use rekey_proto::{CHALLENGE_NONCE_LEN, Challenge, Email};
use rekey_web::limit::{Limit, Slot};
use sqlx::Row;

use super::{
    AuditEntry, RecoveryLock, Store, StoreError, StoreResult, audit_in, reserve_in, u32_of,
};
use crate::audit::Event;

/// How many expired, replaced or used challenges are remembered (to say why their codes fail).
pub const EARLIER_CHALLENGES_KEPT: i64 = 5;

/// At most this many challenges are kept in all, live ones included (the oldest go first). A
/// backstop: the request limits allow far fewer live challenges (with the default limits at most
/// 2 × 20 within one 30-minute lifetime).
pub const MAX_CHALLENGES_KEPT: i64 = 64;

/// The limits of "Forgot password?": each accepted request makes a challenge and an audit entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForgotLimits {
    /// Requests accepted per client address in one window.
    pub per_client: u32,
    /// Requests accepted from everyone together in one window.
    pub overall: u32,
    /// The window's length; it starts with the first request after the previous one ended.
    pub window_secs: i64,
}

/// Which limit refused a "Forgot password?" request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForgotLimit {
    /// The client's address made too many requests in this window.
    Client,
    /// Everyone together made too many requests in this window.
    Overall,
}

impl ForgotLimit {
    /// The audit log's detail code of a refusal.
    pub fn code(self) -> &'static str {
        match self {
            ForgotLimit::Client => "client",
            ForgotLimit::Overall => "overall",
        }
    }
}

/// A "Forgot password?" request that a limit refused: nothing was made, and it counts for nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// Which limit.
    pub by: ForgotLimit,
    /// When a request may be made again (Unix seconds): the end of the limit's window.
    pub until: i64,
}

/// The stored challenges, each list newest first.
#[derive(Debug, Clone, Default)]
pub struct Challenges {
    /// The newest one, made by the last accepted request (even if expired), unless a code used it.
    pub pending: Option<Challenge>,
    /// Ones a newer request replaced; those not yet expired are still valid.
    pub replaced: Vec<Challenge>,
    /// Ones retired by an accepted code.
    pub used: Vec<Challenge>,
}

/// The request-limit key of a client address: `addr:` and the address, or for IPv6 its /64
/// prefix, since one subscriber usually holds a whole /64 (an IPv4-mapped address counts as the
/// IPv4 one).
fn client_key(client: &str) -> String {
    match client.parse::<IpAddr>() {
        Ok(ip) => format!("addr:{}", rekey_web::client::AddressKey::of(ip)),
        Err(_) => format!("addr:{client}"),
    }
}

pub(super) fn challenge_of(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Challenge> {
    let nonce: Vec<u8> = row.try_get("nonce")?;
    let nonce: [u8; CHALLENGE_NONCE_LEN] = nonce
        .try_into()
        .map_err(|_| StoreError::Corrupt("challenge"))?;
    let email: String = row.try_get("email")?;
    Ok(Challenge {
        nonce,
        expires_at: row.try_get("expires_at")?,
        email: Email::parse(&email).map_err(|_| StoreError::Corrupt("challenge e-mail"))?,
    })
}

impl Store {
    /// "Forgot password?": in ONE transaction, checks the request limits of `limits` for the
    /// client named in `audit` and for everyone, and either refuses (counting nothing, writing
    /// a folded "refused" audit entry) or counts the request, makes `challenge` the pending one
    /// (the former pending one stays valid until its own expiry as a replaced one) and writes
    /// `audit`. A parallel burst cannot pass the limits: the write lock is held from the check
    /// to the count. Keeps at most [`MAX_CHALLENGES_KEPT`] challenges.
    pub async fn request_challenge(
        &self,
        challenge: &Challenge,
        limits: ForgotLimits,
        audit: &AuditEntry,
    ) -> StoreResult<Result<(), Refused>> {
        let now = audit.at;
        let mut tx = self.write().await?;
        // Windows that ended are forgotten, so a flood from many addresses leaves no rows.
        sqlx::query(
            "DELETE FROM throttle WHERE throttle_key LIKE 'forgot-%' \
             AND window_start + ? <= ? AND locked_until <= ?",
        )
        .bind(limits.window_secs)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut keys = vec![(
            "forgot-all".to_owned(),
            limits.overall,
            ForgotLimit::Overall,
        )];
        if let Some(client) = &audit.client {
            let key = format!("forgot-{}", client_key(client));
            keys.push((key, limits.per_client, ForgotLimit::Client));
        }
        // The attempt limit's own statements (rekey_web::limit), inside this transaction: a
        // refusal rolls back what the other key counted, so it counts for nothing.
        let mut refused: Option<Refused> = None;
        for (key, max, by) in &keys {
            let limit = Limit::per_window(i64::from(*max), limits.window_secs);
            let Slot::Locked(wait) = reserve_in(&mut tx, key, limit, now).await? else {
                continue;
            };
            let until = now + wait;
            refused = Some(match refused {
                // The overall limit is named first: it is the one that refuses everyone.
                Some(r) => Refused {
                    by: r.by,
                    until: r.until.max(until),
                },
                None => Refused { by: *by, until },
            });
        }
        if let Some(r) = refused {
            tx.rollback().await?;
            // One folded entry per client for its own limit; the overall limit's refusals are
            // folded for all clients together, so that many addresses make one entry, not many.
            let entry = AuditEntry {
                event: Event::RecoveryRequestRefused.code().to_owned(),
                client: match r.by {
                    ForgotLimit::Overall => None,
                    ForgotLimit::Client => audit.client.clone(),
                },
                detail: Some(r.by.code().to_owned()),
                ..audit.clone()
            };
            let mut tx = self.write().await?;
            audit_in(&mut tx, self.audit, &entry).await?;
            tx.commit().await?;
            return Ok(Err(r));
        }
        sqlx::query("UPDATE challenges SET state = 'replaced' WHERE state = 'pending'")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO challenges (nonce, expires_at, email, state, created_at) VALUES (?, ?, ?, 'pending', ?)",
        )
        .bind(challenge.nonce.as_slice())
        .bind(challenge.expires_at)
        .bind(challenge.email.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Keep the pending one, the replaced ones still live, and a few others.
        sqlx::query(
            "DELETE FROM challenges WHERE state <> 'pending' \
               AND NOT (state = 'replaced' AND expires_at >= ?1) \
               AND id NOT IN (SELECT id FROM challenges WHERE state <> 'pending' \
                 AND NOT (state = 'replaced' AND expires_at >= ?1) ORDER BY id DESC LIMIT ?2)",
        )
        .bind(now)
        .bind(EARLIER_CHALLENGES_KEPT)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM challenges WHERE id <= \
             (SELECT id FROM challenges ORDER BY id DESC LIMIT 1 OFFSET ?)",
        )
        .bind(MAX_CHALLENGES_KEPT)
        .execute(&mut *tx)
        .await?;
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// The stored challenges: the pending one (even if expired), the replaced and the used ones.
    pub async fn challenges(&self) -> StoreResult<Challenges> {
        let rows = sqlx::query("SELECT * FROM challenges ORDER BY id DESC")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Challenges::default();
        for r in &rows {
            let state: String = r.try_get("state")?;
            let c = challenge_of(r)?;
            match state.as_str() {
                "pending" if out.pending.is_none() => out.pending = Some(c),
                "used" => out.used.push(c),
                _ => out.replaced.push(c),
            }
        }
        Ok(out)
    }

    /// How many challenges are stored.
    pub async fn challenge_rows(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM challenges")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The guessing limit's state.
    pub async fn recovery_lock(&self) -> StoreResult<RecoveryLock> {
        let r = sqlx::query("SELECT failures, locks, locked_until FROM recovery_lock WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(RecoveryLock {
            failures: u32_of(r.try_get("failures")?, "failure count")?,
            locks: u32_of(r.try_get("locks")?, "lock count")?,
            locked_until: r.try_get("locked_until")?,
        })
    }

    /// Counts one failed code. After `max_failures`, locks the screen for `first_lock`
    /// seconds doubled for each earlier lock. Writes `failed` (and a lock entry) to the audit log.
    pub async fn record_recovery_failure(
        &self,
        max_failures: u32,
        first_lock: i64,
        failed: &AuditEntry,
    ) -> StoreResult<RecoveryLock> {
        let now = failed.at;
        let mut tx = self.write().await?;
        let old =
            sqlx::query("SELECT failures, locks, locked_until FROM recovery_lock WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let failures = u32_of(old.try_get("failures")?, "failure count")? + 1;
        let locks = u32_of(old.try_get("locks")?, "lock count")?;
        let locked_until: i64 = old.try_get("locked_until")?;
        audit_in(&mut tx, self.audit, failed).await?;
        let state = if failures >= max_failures {
            let duration = first_lock.saturating_mul(1i64 << locks.min(20));
            audit_in(
                &mut tx,
                self.audit,
                &AuditEntry {
                    event: crate::audit::Event::RecoveryLocked.code().to_owned(),
                    detail: Some(duration.to_string()),
                    ..failed.clone()
                },
            )
            .await?;
            RecoveryLock {
                failures: 0,
                locks: locks + 1,
                locked_until: now.saturating_add(duration),
            }
        } else {
            RecoveryLock {
                failures,
                locks,
                locked_until,
            }
        };
        sqlx::query(
            "UPDATE recovery_lock SET failures = ?, locks = ?, locked_until = ? WHERE id = 1",
        )
        .bind(i64::from(state.failures))
        .bind(i64::from(state.locks))
        .bind(state.locked_until)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(state)
    }

    /// Accepts a temporary password, in ONE transaction: sets the admin's new password, ends
    /// every session, sets `last_used_seq`, retires every challenge (the pending one and the
    /// replaced ones still live), resets the guessing
    /// limit and writes the audit entry. Returns `false` (changing nothing) if `last_used_seq`
    /// moved since the code was verified, i.e. a concurrent request used it or a newer one.
    pub async fn accept_recovery(
        &self,
        verified_against_seq: u32,
        seq: u32,
        password_hash: &str,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let r = sqlx::query(
            "UPDATE device SET last_used_seq = ? WHERE id = 1 AND last_used_seq = ? AND ? > last_used_seq",
        )
        .bind(i64::from(seq))
        .bind(i64::from(verified_against_seq))
        .bind(i64::from(seq))
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET password_hash = ? WHERE is_admin = 1")
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE challenges SET state = 'used' WHERE state <> 'used'")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE recovery_lock SET failures = 0, locks = 0, locked_until = 0 WHERE id = 1",
        )
        .execute(&mut *tx)
        .await?;
        // The admin proved control of the recorder: login locks end with the new password.
        sqlx::query("DELETE FROM throttle WHERE throttle_key LIKE 'login-%'")
            .execute(&mut *tx)
            .await?;
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::client_key;

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_prefix_and_a_mapped_one_as_ipv4() {
        assert_eq!(client_key("192.0.2.7"), "addr:192.0.2.7");
        assert_eq!(
            client_key("2001:db8:1:2:aaaa::1"),
            client_key("2001:db8:1:2:bbbb::2")
        );
        assert_eq!(client_key("2001:db8:1:2:aaaa::1"), "addr:2001:db8:1:2::/64");
        assert_ne!(client_key("2001:db8:1:2::1"), client_key("2001:db8:1:3::1"));
        assert_eq!(client_key("::ffff:192.0.2.7"), "addr:192.0.2.7");
    }
}
