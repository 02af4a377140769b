//! The recorder's persistent state: one SQLite file (`recorder.db`, WAL journal, full sync) in
//! the data directory. Every change that must not be seen half-done is one transaction, so a
//! crash or power cut leaves either the old state or the new one.

mod audit_log;
mod recovery;
mod release;

use std::path::Path;
use std::time::Duration;

use rekey_proto::{DeviceSigningKey, Email, RecoveryKey, Serial};
use rekey_web::limit::{self, AttemptStore, Limit, Slot};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use zeroize::Zeroize;

use audit_log::audit_in;
pub use audit_log::{AuditPolicy, AuditRecord};
pub use recovery::{
    Challenges, EARLIER_CHALLENGES_KEPT, ForgotLimit, ForgotLimits, MAX_CHALLENGES_KEPT, Refused,
};

/// The file name of the state database inside the data directory.
pub const DB_FILE: &str = "recorder.db";

/// The name of the administrator account, fixed as on the manual's recorder.
pub const ADMIN_USER: &str = "admin";

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("state database: {0}")]
    Db(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("state database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value is not what this version wrote.
    #[error("state database holds an unreadable {0}")]
    Corrupt(&'static str),
    /// The database file could not be made or made private.
    #[error("state database file: {0}")]
    File(#[source] std::io::Error),
}

/// Result of the store's operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// The handle to the state database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    audit: AuditPolicy,
}

/// The recorder's identity: its serial number and device key.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The serial number (configured, or generated on first start and kept).
    pub serial: Serial,
    /// The Ed25519 device key.
    pub key: DeviceSigningKey,
}

/// The cloud-related part of the device row.
#[derive(Debug, Clone)]
pub struct CloudState {
    /// Whether the admin enabled the cloud.
    pub enabled: bool,
    /// The recovery key and its epoch, once delivered.
    pub recovery_key: Option<(u32, RecoveryKey)>,
    /// The sequence number of the last accepted temporary password.
    pub last_used_seq: u32,
    /// The register code as last received (canonical, 12 symbols), while unbound.
    pub register_code: Option<String>,
    /// Whether the cloud said the device is bound to an account.
    pub bound: bool,
    /// The newest key epoch that belongs to no binding (held or received while unbound).
    pub unbound_key_epoch: u32,
    /// The key epoch of the binding the admin released, until the cloud answers `released`
    /// for it (docs/protocol.md §9, "Release"); 0 when no release is pending.
    pub release_epoch: u32,
}

impl CloudState {
    /// The recovery key of the current binding: `None` while the recorder is not registered to
    /// an account, or still holds a key from before its binding (the rotated one is on its
    /// way). Only with it is the recorder prepared for password recovery.
    pub fn binding_key(&self) -> Option<&(u32, RecoveryKey)> {
        self.recovery_key
            .as_ref()
            .filter(|(epoch, _)| self.bound && *epoch > self.unbound_key_epoch)
    }

    /// The key epoch of the binding whose release is still to be sent to the cloud.
    pub fn release_pending(&self) -> Option<u32> {
        (self.release_epoch != 0).then_some(self.release_epoch)
    }
}

/// A user of the recorder's UI.
#[derive(Debug, Clone)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Optional e-mail address (the admin's is where temporary passwords go).
    pub email: Option<Email>,
    /// Whether this is the administrator.
    pub is_admin: bool,
}

/// A logged-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Its user.
    pub user: User,
    /// The CSRF token of the session's forms.
    pub csrf: String,
}

/// The state of the recovery screen's guessing limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryLock {
    /// Failures since the last lock (or success).
    pub failures: u32,
    /// How many locks happened so far (the next lasts twice as long).
    pub locks: u32,
    /// Unix seconds until which the screen is locked (0: never).
    pub locked_until: i64,
}

/// One audit-log entry as stored.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    /// Event code (see [`crate::audit::Event`]).
    pub event: String,
    /// The user concerned, if any.
    pub user_name: Option<String>,
    /// The client address, if known.
    pub client: Option<String>,
    /// Event-specific machine-readable detail (a reason code), never a secret.
    pub detail: Option<String>,
}

/// The SHA-256 of a session token, as stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn u32_of(v: i64, what: &'static str) -> StoreResult<u32> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(what))
}

fn email_of(v: Option<String>) -> Option<Email> {
    v.and_then(|e| Email::parse(&e).ok())
}

fn user_of(row: &sqlx::sqlite::SqliteRow) -> StoreResult<User> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        email: email_of(row.try_get("email")?),
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
    })
}

impl Store {
    /// Opens (creating if needed) the state database in `dir` and brings its schema up to date.
    /// The audit log is kept as `audit` says.
    ///
    /// The file is made before SQLite makes it, with mode 0600 (SQLite gives its `-wal` and
    /// `-shm` the same mode); an existing one readable to others is tightened. Every connection
    /// runs with `secure_delete`, so erased values (ended sessions, replaced challenges, old
    /// recovery keys) are overwritten with zeros in the file.
    pub async fn open(dir: &Path, audit: AuditPolicy) -> StoreResult<Self> {
        let path = dir.join(DB_FILE);
        rekey_web::files::create_private_file(&path).map_err(StoreError::File)?;
        for suffix in ["-wal", "-shm", "-journal"] {
            rekey_web::files::tighten(&dir.join(format!("{DB_FILE}{suffix}")))
                .map_err(StoreError::File)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(10))
            // The write-ahead log is checkpointed every 250 pages (1 MiB) and cut back to 1 MiB
            // after a checkpoint, so a flood of small writes cannot hold megabytes of it.
            .pragma("wal_autocheckpoint", "250")
            .pragma("journal_size_limit", "1048576");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool, audit })
    }

    /// Closes the database, waiting for the connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        // IMMEDIATE takes the write lock at once, so two writers never deadlock on an upgrade.
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn read_identity(&self) -> StoreResult<Option<Identity>> {
        let Some(row) = sqlx::query("SELECT serial, device_seed FROM device WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let serial: String = row.try_get("serial")?;
        let mut seed: Vec<u8> = row.try_get("device_seed")?;
        let arr: Result<[u8; 32], _> = seed.as_slice().try_into();
        seed.zeroize();
        let mut arr = arr.map_err(|_| StoreError::Corrupt("device key"))?;
        let key = DeviceSigningKey::from_seed(arr);
        arr.zeroize();
        Ok(Some(Identity {
            serial: Serial::parse(&serial).map_err(|_| StoreError::Corrupt("serial"))?,
            key,
        }))
    }

    /// The device identity; made on first start (with `configured` as serial, or the generated
    /// one) and kept. A configured serial never replaces the one already kept.
    pub async fn identity(
        &self,
        configured: Option<&Serial>,
        generate: impl FnOnce() -> (Serial, [u8; 32]),
        now: i64,
    ) -> StoreResult<Identity> {
        if let Some(id) = self.read_identity().await? {
            return Ok(id);
        }
        let (generated_serial, mut seed) = generate();
        let serial = configured.cloned().unwrap_or(generated_serial);
        sqlx::query(
            "INSERT OR IGNORE INTO device (id, serial, device_seed, created_at) VALUES (1, ?, ?, ?)",
        )
        .bind(serial.as_str())
        .bind(seed.as_slice())
        .bind(now)
        .execute(&self.pool)
        .await?;
        seed.zeroize();
        // Read back: if another task won the race, its identity is the one kept.
        self.read_identity()
            .await?
            .ok_or(StoreError::Corrupt("device identity"))
    }

    /// The cloud settings and recovery state.
    pub async fn cloud_state(&self) -> StoreResult<CloudState> {
        let row = sqlx::query(
            "SELECT cloud_enabled, recovery_key, key_epoch, last_used_seq, register_code, bound, \
             unbound_key_epoch, release_epoch FROM device WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        let key: Option<Vec<u8>> = row.try_get("recovery_key")?;
        let epoch = u32_of(row.try_get("key_epoch")?, "key epoch")?;
        let recovery_key = match key {
            Some(mut k) => {
                let arr: Result<[u8; 32], _> = k.as_slice().try_into();
                k.zeroize();
                let arr = arr.map_err(|_| StoreError::Corrupt("recovery key"))?;
                Some((epoch, RecoveryKey::from_bytes(arr)))
            }
            None => None,
        };
        Ok(CloudState {
            enabled: row.try_get::<i64, _>("cloud_enabled")? != 0,
            recovery_key,
            last_used_seq: u32_of(row.try_get("last_used_seq")?, "sequence number")?,
            register_code: row.try_get("register_code")?,
            bound: row.try_get::<i64, _>("bound")? != 0,
            unbound_key_epoch: u32_of(row.try_get("unbound_key_epoch")?, "key epoch")?,
            release_epoch: u32_of(row.try_get("release_epoch")?, "key epoch")?,
        })
    }

    /// Turns the cloud on or off and writes the audit entry, in one transaction.
    pub async fn set_cloud_enabled(&self, enabled: bool, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE device SET cloud_enabled = ? WHERE id = 1")
            .bind(i64::from(enabled))
            .execute(&mut *tx)
            .await?;
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a delivered recovery key with its epoch, atomically; a key received while the
    /// recorder is not bound belongs to no binding. While a release is pending the recorder
    /// counts itself unbound whatever the cloud says, and a key it receives then is judged by
    /// the binding the cloud tells after answering the release (`released`, then `binding`).
    ///
    /// `audit` (what the change of key means: a new owner, a hand-over, …) is written in the
    /// same transaction, but only for a key newer than the one held: a key sent again, after a
    /// lost `key_stored`, logs nothing twice.
    pub async fn store_recovery_key(
        &self,
        epoch: u32,
        key: &RecoveryKey,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let held: i64 = sqlx::query("SELECT key_epoch FROM device WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?
            .try_get("key_epoch")?;
        sqlx::query(
            "UPDATE device SET recovery_key = ?1, key_epoch = ?2, \
             unbound_key_epoch = CASE WHEN bound = 0 AND release_epoch = 0 THEN ?2 \
             ELSE unbound_key_epoch END \
             WHERE id = 1",
        )
        .bind(key.expose_secret().as_slice())
        .bind(i64::from(epoch))
        .execute(&mut *tx)
        .await?;
        if let Some(audit) = audit.filter(|_| i64::from(epoch) > held) {
            audit_in(&mut tx, self.audit, audit).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the binding as the cloud last told it; the key held when it says "not bound"
    /// belongs to no binding. While a release is pending, "bound" is not taken: the cloud has
    /// not heard of the release yet.
    pub async fn set_binding(&self, register_code: Option<&str>, bound: bool) -> StoreResult<()> {
        sqlx::query(
            "UPDATE device SET register_code = ?1, \
             bound = CASE WHEN release_epoch <> 0 THEN 0 ELSE ?2 END, \
             unbound_key_epoch = CASE WHEN ?2 = 0 THEN key_epoch ELSE unbound_key_epoch END \
             WHERE id = 1",
        )
        .bind(register_code)
        .bind(i64::from(bound))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ----- users and sessions -----

    /// Whether the admin password was set (the recorder is activated).
    pub async fn is_activated(&self) -> StoreResult<bool> {
        Ok(sqlx::query("SELECT 1 FROM users WHERE is_admin = 1")
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// Creates the admin user; `false` if the recorder was already activated.
    pub async fn activate(
        &self,
        password_hash: &str,
        email: Option<&Email>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query("SELECT 1 FROM users WHERE is_admin = 1")
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if done {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO users (name, password_hash, email, is_admin, created_at) VALUES (?, ?, ?, 1, ?)",
        )
        .bind(ADMIN_USER)
        .bind(password_hash)
        .bind(email.map(Email::as_str))
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Adds a (non-admin) user; `false` if the name is taken.
    pub async fn add_user(
        &self,
        name: &str,
        password_hash: &str,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let r = sqlx::query(
            "INSERT OR IGNORE INTO users (name, password_hash, email, is_admin, created_at) VALUES (?, ?, NULL, 0, ?)",
        )
        .bind(name)
        .bind(password_hash)
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The user with this login name (exact match).
    pub async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_of)
            .transpose()
    }

    /// The administrator, once activated.
    pub async fn admin(&self) -> StoreResult<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE is_admin = 1 ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_of)
            .transpose()
    }

    /// Every user, admin first.
    pub async fn users(&self) -> StoreResult<Vec<User>> {
        sqlx::query("SELECT * FROM users ORDER BY is_admin DESC, name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_of)
            .collect()
    }

    /// Sets or clears a user's e-mail address.
    pub async fn set_user_email(
        &self,
        user_id: i64,
        email: Option<&Email>,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE users SET email = ? WHERE id = ?")
            .bind(email.map(Email::as_str))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts a session (stores only the token's hash) and audits the login.
    pub async fn create_session(
        &self,
        token: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < ?")
            .bind(audit.at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash(token))
        .bind(user_id)
        .bind(csrf)
        .bind(audit.at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session of a cookie value.
    pub async fn session(&self, token: &str, now: i64) -> StoreResult<Option<Session>> {
        let row = sqlx::query(
            "SELECT u.*, s.csrf AS csrf FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ? AND s.expires_at > ?",
        )
        .bind(token_hash(token))
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Session {
                user: user_of(&r)?,
                csrf: r.try_get("csrf")?,
            })
        })
        .transpose()
    }

    /// Ends a session and audits the logout.
    pub async fn end_session(&self, token: &str, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash(token))
            .execute(&mut *tx)
            .await?;
        audit_in(&mut tx, self.audit, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Login attempts, counted before the password is checked ([`rekey_web::limit`]).
impl AttemptStore for Store {
    type Error = StoreError;

    async fn reserve_one(&self, key: &str, limit: Limit, now: i64) -> StoreResult<Slot> {
        let mut conn = self.pool.acquire().await?;
        reserve_in(&mut conn, key, limit, now).await
    }

    async fn refund_one(&self, key: &str, limit: Limit) -> StoreResult<()> {
        sqlx::query(limit::sql::REFUND)
            .bind(key)
            .bind(limit.max)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn clear(&self, key: &str) -> StoreResult<()> {
        sqlx::query(limit::sql::CLEAR)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Runs the shared reservation ([`limit::sql::RESERVE`]) on `conn`, a pooled connection or an
/// open transaction, and says when a locked key may try again.
pub(crate) async fn reserve_in(
    conn: &mut sqlx::SqliteConnection,
    key: &str,
    limit: Limit,
    now: i64,
) -> StoreResult<Slot> {
    let counted: Option<i64> = sqlx::query_scalar(limit::sql::RESERVE)
        .bind(key)
        .bind(now)
        .bind(limit.max)
        .bind(limit.window_secs)
        .bind(limit.lock_secs)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(n) = counted {
        return Ok(Slot::Counted(n));
    }
    let until: Option<i64> = sqlx::query_scalar(limit::sql::LOCKED_UNTIL)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(Slot::Locked(until.map_or(1, |u| (u - now).max(1))))
}
