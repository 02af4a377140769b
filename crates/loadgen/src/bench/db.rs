//! Read-only views of the cloud's database: how many writes it made, and whether a device is
//! shown connected.
//!
//! SQLite: one `SqliteConnection` opened read-only. `PRAGMA data_version` changes when another
//! connection committed since this connection's last read, but by one however many commits
//! there were, so it is polled (a lower bound); the exact count of commits is the change
//! counter of the WAL index header (`iChange` in the `-shm` file, incremented by every write
//! transaction's commit). PostgreSQL: a fresh database per run; its writes are the WAL bytes
//! (`pg_current_wal_lsn()`) and the rows inserted, updated and deleted (`pg_stat_database`).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection, Row, SqliteConnection};

/// The cloud's database as the benchmark reads it.
#[derive(Debug)]
pub enum CloudDb {
    /// The SQLite file in the data directory.
    Sqlite {
        /// The read-only connection.
        conn: SqliteConnection,
        /// The WAL index (`cloud.db-shm`).
        shm: PathBuf,
    },
    /// A database on a PostgreSQL server made for this run.
    Postgres {
        /// A connection to it.
        conn: PgConnection,
        /// Its name.
        name: String,
    },
}

/// Write counters at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    /// SQLite: the WAL index's change counter.
    pub wal_index_change: Option<u32>,
    /// SQLite: `PRAGMA data_version`.
    pub data_version: Option<i64>,
    /// PostgreSQL: the WAL position in bytes.
    pub wal_lsn: Option<u64>,
    /// PostgreSQL: rows inserted + updated + deleted.
    pub tuples: Option<u64>,
    /// PostgreSQL: transactions committed.
    pub commits: Option<u64>,
}

/// Reads `iChange` from the WAL index header (both copies must agree; the writer updates
/// them one after the other).
fn wal_index_change(shm: &Path) -> Option<u32> {
    use std::io::Read;
    for _ in 0..20 {
        let mut header = [0u8; 96];
        let mut f = std::fs::File::open(shm).ok()?;
        f.read_exact(&mut header).ok()?;
        if header[..48] == header[48..] {
            // struct WalIndexHdr { u32 iVersion; u32 unused; u32 iChange; ... } in native order.
            return Some(u32::from_ne_bytes(header[8..12].try_into().ok()?));
        }
    }
    None
}

/// `postgres://…/NAME?query` with the database name replaced.
pub fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let scheme_end = url.find("://").context("not a postgres:// URL")? + 3;
    let (base, query) = match url.find('?') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    Ok(format!("{}/{name}{query}", &base[..host_end]))
}

impl CloudDb {
    /// Opens the cloud's SQLite file read-only (the cloud must have made it).
    pub async fn sqlite(path: &Path) -> anyhow::Result<Self> {
        let options =
            sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
                .read_only(true)
                .create_if_missing(false);
        let conn = SqliteConnection::connect_with(&options)
            .await
            .with_context(|| format!("cannot open {} read-only", path.display()))?;
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        Ok(CloudDb::Sqlite {
            conn,
            shm: PathBuf::from(shm),
        })
    }

    /// Makes a fresh database on the server of `server_url`; returns its URL and the name.
    pub async fn create_postgres(server_url: &str) -> anyhow::Result<(String, String)> {
        let mut admin = PgConnection::connect(server_url)
            .await
            .with_context(|| "cannot connect to the PostgreSQL server of --database-url")?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let name = format!("rekey_bench_{}_{stamp}", std::process::id());
        // The name is ours: letters, digits and underscores only.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .with_context(|| format!("cannot create the database {name}"))?;
        admin.close().await?;
        Ok((with_database(server_url, &name)?, name))
    }

    /// Drops a database made by [`CloudDb::create_postgres`].
    pub async fn drop_postgres(server_url: &str, name: &str) -> anyhow::Result<()> {
        if !name.starts_with("rekey_bench_")
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            bail!("refusing to drop {name}: not a bench database");
        }
        let mut admin = PgConnection::connect(server_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .with_context(|| format!("cannot drop the database {name}"))?;
        admin.close().await?;
        Ok(())
    }

    /// Connects to the bench database.
    pub async fn postgres(url: &str, name: &str) -> anyhow::Result<Self> {
        let conn = PgConnection::connect(url)
            .await
            .with_context(|| format!("cannot connect to the database {name}"))?;
        Ok(CloudDb::Postgres {
            conn,
            name: name.to_string(),
        })
    }

    /// The write counters now.
    pub async fn counters(&mut self) -> anyhow::Result<Counters> {
        match self {
            CloudDb::Sqlite { conn, shm } => {
                let dv: i64 = sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(&mut *conn)
                    .await
                    .context("PRAGMA data_version")?;
                Ok(Counters {
                    wal_index_change: wal_index_change(shm),
                    data_version: Some(dv),
                    ..Counters::default()
                })
            }
            CloudDb::Postgres { conn, name } => {
                let lsn: i64 =
                    sqlx::query_scalar("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")
                        .fetch_one(&mut *conn)
                        .await
                        .context("pg_current_wal_lsn()")?;
                // The statistics a backend reports are read in a snapshot per transaction:
                // clear it so that consecutive reads on this connection see fresh counts.
                sqlx::query("SELECT pg_stat_clear_snapshot()")
                    .execute(&mut *conn)
                    .await
                    .context("pg_stat_clear_snapshot()")?;
                let row = sqlx::query(
                    "SELECT (tup_inserted + tup_updated + tup_deleted)::bigint AS t,
                            xact_commit::bigint AS c
                     FROM pg_stat_database WHERE datname = $1",
                )
                .bind(name.as_str())
                .fetch_one(&mut *conn)
                .await
                .context("pg_stat_database")?;
                let tuples: i64 = row.try_get("t")?;
                let commits: i64 = row.try_get("c")?;
                Ok(Counters {
                    wal_lsn: u64::try_from(lsn).ok(),
                    tuples: u64::try_from(tuples).ok(),
                    commits: u64::try_from(commits).ok(),
                    ..Counters::default()
                })
            }
        }
    }

    /// `PRAGMA data_version` alone (SQLite), for polling.
    pub async fn data_version(&mut self) -> anyhow::Result<Option<i64>> {
        match self {
            CloudDb::Sqlite { conn, .. } => Ok(Some(
                sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(&mut *conn)
                    .await?,
            )),
            CloudDb::Postgres { .. } => Ok(None),
        }
    }

    /// PostgreSQL: how many devices the cloud shows connected, per node id.
    pub async fn connected_per_node(&mut self) -> anyhow::Result<Vec<(String, i64)>> {
        let CloudDb::Postgres { conn, .. } = self else {
            bail!("presence per node is kept on PostgreSQL only");
        };
        let rows: Vec<(Option<String>, i64)> = sqlx::query_as(
            "SELECT node_id, COUNT(*) FROM devices WHERE connected = 1 \
             GROUP BY node_id ORDER BY node_id",
        )
        .fetch_all(&mut *conn)
        .await
        .context("presence per node")?;
        Ok(rows
            .into_iter()
            .map(|(node, n)| (node.unwrap_or_else(|| "(none)".into()), n))
            .collect())
    }

    /// Whether the cloud shows `serial` connected (`None`: not enrolled).
    pub async fn connected(&mut self, serial: &str) -> anyhow::Result<Option<bool>> {
        let v: Option<i64> = match self {
            CloudDb::Sqlite { conn, .. } => {
                sqlx::query_scalar("SELECT connected FROM devices WHERE serial = ?1")
                    .bind(serial)
                    .fetch_optional(&mut *conn)
                    .await?
            }
            CloudDb::Postgres { conn, .. } => {
                sqlx::query_scalar("SELECT connected FROM devices WHERE serial = $1")
                    .bind(serial)
                    .fetch_optional(&mut *conn)
                    .await?
            }
        };
        Ok(v.map(|c| c != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "b").unwrap(),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "b").unwrap(),
            "postgres://u:p@h/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://h:5432", "b").unwrap(),
            "postgresql://h:5432/b"
        );
    }
}
