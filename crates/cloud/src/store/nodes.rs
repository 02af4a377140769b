//! Nodes and their leases. Every node (one `rekey-cloud` process, with a random id per run)
//! holds a row with a lease it renews; a connected recorder's row names the node its connection
//! is on (`devices.node_id`, written by the presence writer). When a node's lease runs out — it
//! was killed, or lost the database — any other node shows its recorders offline and deletes
//! its row; they come back through the load balancer to the nodes still running.

use super::{Store, StoreError};

/// What [`Store::reap_nodes`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reaped {
    /// Recorders shown offline.
    pub devices: u64,
    /// Claimed messages released.
    pub mail: u64,
}

impl Store {
    /// Renews this node's lease until `lease_until`, taking a row for it if it has none;
    /// `false` if it had none (its first renewal, or another node found the lease run out).
    pub async fn renew_lease(&self, now: i64, lease_until: i64) -> Result<bool, StoreError> {
        let renewed = sqlx::query("UPDATE nodes SET lease_until = $1 WHERE id = $2")
            .bind(lease_until)
            .bind(self.node_id())
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        if renewed == 0 {
            sqlx::query("INSERT INTO nodes (id, started_at, lease_until) VALUES ($1, $2, $3)")
                .bind(self.node_id())
                .bind(now)
                .bind(lease_until)
                .execute(&self.db.pool)
                .await?;
        }
        Ok(renewed == 1)
    }

    /// Shows offline the recorders of every node whose lease ran out before `now`, releases
    /// the mail those nodes had claimed (another worker sends it now rather than when the
    /// claim's own lease ends; a message a dead node was handing to the SMTP server at that
    /// moment may go out twice, as after any crash mid-delivery), and forgets those nodes.
    pub async fn reap_nodes(&self, now: i64) -> Result<Reaped, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let devices = sqlx::query(
            "UPDATE devices SET connected = 0, node_id = NULL \
             WHERE node_id IN (SELECT id FROM nodes WHERE lease_until < $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let mail = sqlx::query(
            "UPDATE mail_queue SET claim_token = NULL, claimed_until = NULL, claimed_by = NULL \
             WHERE sent_at IS NULL AND claimed_by IN (SELECT id FROM nodes WHERE lease_until < $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM nodes WHERE lease_until < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Reaped { devices, mail })
    }

    /// Shows this node's recorders offline and removes its row (a clean stop).
    pub async fn leave(&self) -> Result<(), StoreError> {
        let mut tx = self.db.pool.begin().await?;
        sqlx::query("UPDATE devices SET connected = 0, node_id = NULL WHERE node_id = $1")
            .bind(self.node_id())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM nodes WHERE id = $1")
            .bind(self.node_id())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
