//! Cloud accounts.

use rekey_proto::Email;
use rekey_web::{Lang, TimeZone};
use sqlx::Row;

use super::{Store, StoreError, is_unique_violation};
use crate::domain::Username;

/// A stored account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Row id.
    pub id: i64,
    /// Login ID.
    pub username: Username,
    /// Verified e-mail address.
    pub email: Email,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Region code.
    pub region: String,
    /// Preferred language (for e-mail).
    pub lang: Lang,
    /// The time zone its pages and mail show times in, and its "today" for Retrieve.
    pub time_zone: TimeZone,
    /// Version of the service agreement accepted.
    pub agreement_version: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// What a new account consists of.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login ID.
    pub username: Username,
    /// Verified e-mail address.
    pub email: Email,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Region code.
    pub region: String,
    /// Preferred language.
    pub lang: Lang,
    /// Time zone (the region's default at sign-up).
    pub time_zone: TimeZone,
    /// Agreement version accepted.
    pub agreement_version: String,
}

/// The key an e-mail address is unique under: the whole address folded (NFKC and lower case),
/// so a look-alike address is the same address.
pub fn email_key(email: &Email) -> String {
    email.key()
}

/// The key a typed login (user name or e-mail address) is looked up under, folded as
/// [`email_key`] folds addresses.
pub fn login_key(login: &str) -> String {
    rekey_proto::text::fold(login.trim())
}

const COLUMNS: &str =
    "id, username, email, password_hash, region, lang, time_zone, agreement_version, created_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Account, sqlx::Error> {
    let decode = |what: &str| sqlx::Error::Decode(format!("stored {what} does not parse").into());
    Ok(Account {
        id: row.try_get("id")?,
        username: Username::parse(row.try_get::<String, _>("username")?.as_str())
            .map_err(|_| decode("user name"))?,
        email: Email::parse(row.try_get::<String, _>("email")?.as_str())
            .map_err(|_| decode("e-mail"))?,
        password_hash: row.try_get("password_hash")?,
        region: row.try_get("region")?,
        lang: Lang::from_code(row.try_get::<String, _>("lang")?.as_str()).unwrap_or_default(),
        time_zone: stored_time_zone(row.try_get("time_zone")?),
        agreement_version: row.try_get("agreement_version")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A stored zone. Only a node older than migration 0008 writes none (until the next start
/// fills it), and only a future database without a zone of today's would hold an unknown one:
/// both show UTC rather than lock the account out.
fn stored_time_zone(name: Option<String>) -> TimeZone {
    match name.as_deref().map(TimeZone::parse) {
        Some(Ok(zone)) => zone,
        Some(Err(e)) => {
            tracing::warn!(error = %e, "a stored time zone is unknown; showing UTC");
            TimeZone::utc()
        }
        None => TimeZone::utc(),
    }
}

fn taken(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e) {
        let msg = e.to_string();
        if msg.contains("email") {
            StoreError::Taken("e-mail address")
        } else {
            StoreError::Taken("user name")
        }
    } else {
        StoreError::Database(e)
    }
}

impl Store {
    /// Creates an account inside `tx`.
    pub async fn create_account(
        &self,
        tx: &mut sqlx::AnyConnection,
        new: &NewAccount,
        now: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO accounts (username, email, email_key, password_hash, region, lang, time_zone, agreement_version, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(new.username.as_str())
        .bind(new.email.as_str())
        .bind(email_key(&new.email))
        .bind(&new.password_hash)
        .bind(&new.region)
        .bind(new.lang.code())
        .bind(new.time_zone.name())
        .bind(&new.agreement_version)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(taken)?;
        Ok(row.try_get("id")?)
    }

    /// Whether a user name or e-mail address is already used (for early, friendly errors; the
    /// unique constraints decide).
    pub async fn account_exists(
        &self,
        username: Option<&Username>,
        email: Option<&Email>,
    ) -> Result<(bool, bool), StoreError> {
        let name_taken = match username {
            Some(u) => sqlx::query("SELECT 1 FROM accounts WHERE username = $1")
                .bind(u.as_str())
                .fetch_optional(&self.db.pool)
                .await?
                .is_some(),
            None => false,
        };
        let email_taken = match email {
            Some(e) => {
                sqlx::query("SELECT 1 FROM accounts WHERE email_key = $1 AND deleted_at IS NULL")
                    .bind(email_key(e))
                    .fetch_optional(&self.db.pool)
                    .await?
                    .is_some()
            }
            None => false,
        };
        Ok((name_taken, email_taken))
    }

    /// The account whose user name or e-mail address is `login`.
    pub async fn account_by_login(&self, login: &str) -> Result<Option<Account>, StoreError> {
        let key = login_key(login);
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM accounts WHERE (username = $1 OR email_key = $1) AND deleted_at IS NULL"
        )))
        .bind(&key)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The account with row id `id` (a deleted account is none: see [`Store::mark_account_deleted`]).
    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM accounts WHERE id = $1 AND deleted_at IS NULL"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The account with this e-mail address.
    pub async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM accounts WHERE email_key = $1 AND deleted_at IS NULL"
        )))
        .bind(email_key(email))
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Changes the user name.
    pub async fn set_username(&self, id: i64, username: &Username) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET username = $1 WHERE id = $2")
            .bind(username.as_str())
            .bind(id)
            .execute(&self.db.pool)
            .await
            .map_err(taken)?;
        Ok(())
    }

    /// Changes the e-mail address inside `tx` (after its code was verified).
    pub async fn set_email(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        email: &Email,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET email = $1, email_key = $2 WHERE id = $3")
            .bind(email.as_str())
            .bind(email_key(email))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(taken)?;
        Ok(())
    }

    /// Replaces the password hash inside `tx`.
    pub async fn set_password_hash(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Sets the time zone.
    pub async fn set_time_zone(&self, id: i64, zone: &TimeZone) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET time_zone = $1 WHERE id = $2")
            .bind(zone.name())
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Sets the preferred language.
    pub async fn set_lang(&self, id: i64, lang: rekey_web::Lang) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET lang = $1 WHERE id = $2")
            .bind(lang.code())
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Marks the account deleted inside `tx`: it can no longer log in or be found, its sessions
    /// end, kept Retrieve results are deleted, and its e-mail key becomes one no address folds
    /// to, so that its address can sign up again at once. Its user name stays taken and its
    /// other data stays until the sweep deletes the row after the retention
    /// ([`super::sweep::Retention::deleted_accounts`]). False if it was deleted already.
    pub async fn mark_account_deleted(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET deleted_at = $1, email_key = $2, password_hash = '' \
             WHERE id = $3 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(format!("deleted:{id}"))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        for statement in [
            "DELETE FROM sessions WHERE account_id = $1",
            "DELETE FROM retrieved_passwords WHERE account_id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        Ok(true)
    }
}

impl Store {
    /// Gives every account without a time zone its region's default (`zone_of`), once: the
    /// migration that added the zone leaves an `account-time-zones` task, removed when done.
    pub async fn fill_time_zones(
        &self,
        zone_of: impl Fn(&str) -> TimeZone,
    ) -> Result<(), StoreError> {
        let pool = &self.db.pool;
        let pending = sqlx::query("SELECT 1 FROM housekeeping WHERE task = 'account-time-zones'")
            .fetch_optional(pool)
            .await?;
        if pending.is_none() {
            return Ok(());
        }
        let regions = sqlx::query("SELECT DISTINCT region FROM accounts WHERE time_zone IS NULL")
            .fetch_all(pool)
            .await?;
        for row in &regions {
            let region: String = row.try_get("region")?;
            sqlx::query(
                "UPDATE accounts SET time_zone = $1 WHERE time_zone IS NULL AND region = $2",
            )
            .bind(zone_of(&region).name())
            .bind(&region)
            .execute(pool)
            .await?;
        }
        sqlx::query("DELETE FROM housekeeping WHERE task = 'account-time-zones'")
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Recomputes every account's e-mail key with today's folding ([`email_key`]), once: the
    /// migration that changed the folding leaves a `fold-email-keys` task, removed when done.
    /// Two accounts whose addresses now fold alike (look-alikes signed up before) keep the first
    /// one's key and log the other, which then logs in by user name only until an operator
    /// looks at it.
    pub async fn fold_email_keys(&self) -> Result<(), StoreError> {
        let pool = &self.db.pool;
        let pending = sqlx::query("SELECT 1 FROM housekeeping WHERE task = 'fold-email-keys'")
            .fetch_optional(pool)
            .await?;
        if pending.is_none() {
            return Ok(());
        }
        let rows = sqlx::query("SELECT id, email, email_key FROM accounts ORDER BY id")
            .fetch_all(pool)
            .await?;
        let mut folded = 0usize;
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let stored: String = row.try_get("email_key")?;
            let Ok(email) = Email::parse(&row.try_get::<String, _>("email")?) else {
                continue;
            };
            let key = email_key(&email);
            if key == stored {
                continue;
            }
            let updated = sqlx::query("UPDATE accounts SET email_key = $1 WHERE id = $2")
                .bind(&key)
                .bind(id)
                .execute(pool)
                .await;
            match updated {
                Ok(_) => folded += 1,
                Err(e) if is_unique_violation(&e) => {
                    tracing::warn!(
                        account_id = id,
                        "two accounts' addresses fold alike; kept the older one's key"
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        sqlx::query("DELETE FROM housekeeping WHERE task = 'fold-email-keys'")
            .execute(pool)
            .await?;
        if folded > 0 {
            tracing::info!(folded, "recomputed e-mail keys with NFKC case folding");
        }
        Ok(())
    }
}
