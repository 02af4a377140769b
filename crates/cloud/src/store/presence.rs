//! What the gateway reads and writes of a recorder: one read when it connects (the device, its
//! newest recovery key and its register code's hash, in one round trip), and presence changes
//! written in batches (online/offline, drift, `last_seen_at`), never one write per heartbeat.

use rekey_proto::Serial;
use sqlx::Row;

use super::devices::StoredKey;
use super::{Store, StoreError};

/// A recorder as the gateway needs it when it connects.
#[derive(Debug, Clone)]
pub struct GatewayDevice {
    /// Row id.
    pub id: i64,
    /// Its Ed25519 public key, base64url.
    pub device_key: String,
    /// The account it is bound to.
    pub account_id: Option<i64>,
    /// Recorder clock minus cloud clock as last written, seconds.
    pub drift_secs: i64,
    /// The highest sequence number the recorder reported as used.
    pub last_used_seq: i64,
    /// The keyed hash of its current register code.
    pub register_code_hash: Option<String>,
    /// Its newest recovery key.
    pub newest_key: Option<StoredKey>,
}

/// A presence change of one device, merged with others before it is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PresenceRow {
    /// The device row.
    pub device_id: i64,
    /// Connected or not, if that changed.
    pub connected: Option<bool>,
    /// Heard at, Unix seconds, if to be written.
    pub last_seen_at: Option<i64>,
    /// Its clock drift, if that changed.
    pub drift_secs: Option<i64>,
}

/// Rows per statement (four parameters each; well inside both dialects' limits).
const ROWS_PER_STATEMENT: usize = 256;
/// Serials [`Store::gateway_devices`] reads in one statement at most.
pub const MAX_SERIALS_PER_READ: usize = 64;

impl Store {
    /// The device with this serial, its newest recovery key and its register code's hash.
    pub async fn gateway_device(
        &self,
        serial: &Serial,
    ) -> Result<Option<GatewayDevice>, StoreError> {
        let mut found = self.gateway_devices(std::slice::from_ref(serial)).await?;
        Ok(found.pop().map(|(_, device)| device))
    }

    /// [`Self::gateway_device`] of up to [`MAX_SERIALS_PER_READ`] serials in one statement:
    /// the devices found, each with its serial, in no particular order.
    ///
    /// The statement's text depends on its number of parameters, so the serials are padded
    /// (repeating the last) to the next power of two: a pooled connection keeps at most seven
    /// such statements prepared.
    pub async fn gateway_devices(
        &self,
        serials: &[Serial],
    ) -> Result<Vec<(String, GatewayDevice)>, StoreError> {
        let Some(last) = serials.last() else {
            return Ok(Vec::new());
        };
        assert!(
            serials.len() <= MAX_SERIALS_PER_READ,
            "at most {MAX_SERIALS_PER_READ} serials per read"
        );
        let params = serials.len().next_power_of_two();
        let mut sql = String::from(
            "SELECT d.serial, d.id, d.device_key, d.account_id, d.drift_secs, d.last_used_seq,
                    d.register_code_hash, k.epoch, k.sealed, k.confirmed_at, k.cause
             FROM devices d
             LEFT JOIN recovery_keys k ON k.device_id = d.id
                  AND k.epoch = (SELECT MAX(epoch) FROM recovery_keys WHERE device_id = d.id)
             WHERE d.serial IN (",
        );
        for i in 1..=params {
            if i > 1 {
                sql.push_str(", ");
            }
            sql.push_str(&self.db.backend.placeholder(i));
        }
        sql.push(')');
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in 0..params {
            query = query.bind(serials.get(i).unwrap_or(last).as_str());
        }
        let rows = query.fetch_all(&self.db.pool).await?;
        rows.iter()
            .map(|r| {
                let newest_key = StoredKey::from_row(r)?;
                let device = GatewayDevice {
                    id: r.try_get("id")?,
                    device_key: r.try_get("device_key")?,
                    account_id: r.try_get("account_id")?,
                    drift_secs: r.try_get("drift_secs")?,
                    last_used_seq: r.try_get("last_used_seq")?,
                    register_code_hash: r.try_get("register_code_hash")?,
                    newest_key,
                };
                Ok((r.try_get("serial")?, device))
            })
            .collect()
    }

    /// Writes presence changes, in one transaction: only the fields each row names change. A
    /// recorder that comes online is marked as on this node; one that goes offline only if it is
    /// still marked as on this node (or on none): its connection may have moved to another node
    /// already, which then owns its presence.
    pub async fn write_presence(&self, rows: &[PresenceRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        // The node's id is 16 hexadecimal digits (`rekey_web::random_id`), so it can be
        // written into the statement's text, which then stays the same for every batch.
        let node = self.node_id();
        assert!(
            node.bytes().all(|b| b.is_ascii_hexdigit()),
            "a node id is hexadecimal"
        );
        let mut tx = self.db.pool.begin().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut sql = format!(
                "UPDATE devices SET
                   connected = COALESCE(v.column2, devices.connected),
                   last_seen_at = COALESCE(v.column3, devices.last_seen_at),
                   drift_secs = COALESCE(v.column4, devices.drift_secs),
                   node_id = CASE WHEN v.column2 = 1 THEN '{node}'
                                  WHEN v.column2 = 0 THEN NULL
                                  ELSE devices.node_id END
                 FROM (VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let p = |k| self.db.backend.placeholder(4 * i + k);
                sql.push_str(&format!("({}, {}, {}, {})", p(1), p(2), p(3), p(4)));
            }
            sql.push_str(&format!(
                ") AS v WHERE devices.id = v.column1 AND (v.column2 IS NULL OR v.column2 = 1 \
                 OR devices.node_id IS NULL OR devices.node_id = '{node}')"
            ));
            // A statement's text depends on its number of rows: only the full-size one is kept
            // prepared on the connection. Keeping one per batch size would fill every pooled
            // connection's statement cache with large statements used once.
            let mut query =
                sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == ROWS_PER_STATEMENT);
            for row in chunk {
                query = query
                    .bind(row.device_id)
                    .bind(row.connected.map(i64::from))
                    .bind(row.last_seen_at)
                    .bind(row.drift_secs);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Raises the sequence number the recorder reported as used (never lowers it).
    pub async fn raise_last_used_seq(&self, device_id: i64, seq: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE devices SET last_used_seq = $1 WHERE id = $2 AND last_used_seq < $1")
            .bind(seq)
            .bind(device_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}
