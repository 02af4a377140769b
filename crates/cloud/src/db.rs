//! The database: SQLite (a file, WAL) or PostgreSQL behind one `sqlx::AnyPool`, with the
//! migrations of each dialect. Queries use `$N` placeholders, which both drivers accept, and
//! only types both share (BIGINT, TEXT, BLOB/BYTEA), so one SQL text serves both.
//!
//! A SQLite file is made readable only by the cloud's user (0600; SQLite gives its `-wal` and
//! `-shm` the same mode), and every connection runs with `secure_delete`, so that erased
//! values (delivered mail, used codes) are overwritten with zeros in the file.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};

/// Which dialect the pool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The placeholder of the `n`th (from 1) parameter of a statement whose parameters are all
    /// written this way and bound in the order they appear: `$n` for PostgreSQL, an anonymous
    /// `?` for SQLite. For statements built with many parameters (a batch of rows): sqlx finds
    /// where each named SQLite parameter goes by asking SQLite its name, a search through the
    /// statement's names, so binding `$1` … `$1024` takes a million steps; `?` needs none.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Self::Sqlite => "?".to_string(),
            Self::Postgres => format!("${n}"),
        }
    }
}

/// A connected, migrated database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The connection pool.
    pub pool: AnyPool,
    /// Its dialect.
    pub backend: Backend,
    /// A SQLite file's lock, held while this node uses it ([`Db::close`] lets it go).
    node_lock: Arc<Mutex<Option<std::fs::File>>>,
}

/// What every SQLite connection runs first. The page cache is 1 MiB per connection (SQLite's
/// default is 2 MiB): the file's pages stay in the operating system's cache anyway, and the
/// pool's caches are memory the cloud holds for good once a fleet's rows were read
/// (docs/performance.md, "RSS after every connection closed").
const SQLITE_SESSION: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
     PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON; PRAGMA cache_size = -1024;";

/// How long a pooled connection may sit idle and still be used without being checked first.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(60);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects (creating a SQLite file if needed) and runs the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let node_lock = if backend == Backend::Sqlite {
            private_sqlite_files(&url)?;
            lock_sqlite_file(&url)?
        } else {
            None
        };
        let options = AnyConnectOptions::from_str(&url).context("invalid database URL")?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings a pooled connection before every use by default: a second round trip
            // (for SQLite, a second hand-off to the connection's thread) per query. A connection
            // is checked only after it sat idle long enough for a server or a firewall to have
            // dropped it; a query on a broken one fails and the pool closes it.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_WHEN_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(SQLITE_SESSION).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("cannot connect to the database")?;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL;")
                .await
                .context("cannot switch SQLite to WAL")?;
        }
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&pool)
            .await
            .context("database migration failed")?;
        Ok(Self {
            pool,
            backend,
            node_lock: Arc::new(Mutex::new(node_lock)),
        })
    }

    /// Closes the pool and lets another node have a SQLite file.
    pub async fn close(&self) {
        self.pool.close().await;
        self.node_lock
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }

    /// This dialect's migrations, as built into this binary.
    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Whether the database answers within `timeout` and holds exactly the schema this binary
    /// was built for (every migration it has applied, none it does not know: a newer node
    /// migrated it).
    pub async fn readiness(&self, timeout: Duration) -> Result<(), NotReady> {
        let applied = tokio::time::timeout(
            timeout,
            sqlx::query_scalar::<_, i64>(
                "SELECT version FROM _sqlx_migrations WHERE success = TRUE",
            )
            .fetch_all(&self.pool),
        )
        .await
        .map_err(|_| NotReady::Unreachable(sqlx::Error::PoolTimedOut))?
        .map_err(NotReady::Unreachable)?;
        let known: Vec<i64> = self.migrator().iter().map(|m| m.version).collect();
        if known.iter().any(|v| !applied.contains(v)) {
            return Err(NotReady::SchemaBehind);
        }
        if applied.iter().any(|v| !known.contains(v)) {
            return Err(NotReady::SchemaAhead);
        }
        Ok(())
    }
}

/// Why the database is not ready for this node.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    /// It did not answer (in time).
    #[error("the database does not answer")]
    Unreachable(#[source] sqlx::Error),
    /// A migration of this binary is not applied.
    #[error("the database lacks migrations of this version")]
    SchemaBehind,
    /// It holds migrations this binary does not know (a newer version migrated it).
    #[error("the database was migrated by a newer version")]
    SchemaAhead,
}

/// Takes an exclusive lock on the SQLite file of `url` (none for an in-memory database), held
/// as long as the returned file is open: SQLite serves one cloud node, and a second process on
/// the same file would reset the first one's presence at its start and send its mail again.
/// The lock (`flock`) goes with the process, however it ends.
fn lock_sqlite_file(url: &str) -> anyhow::Result<Option<std::fs::File>> {
    let options =
        sqlx::sqlite::SqliteConnectOptions::from_str(url).context("invalid SQLite database URL")?;
    let path = options.get_filename();
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" || url.contains("mode=memory")
    {
        return Ok(None);
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .open(path)
        .with_context(|| format!("cannot open the database file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another rekey-cloud is using the SQLite database {}: SQLite serves a single cloud \
             node; run several nodes on PostgreSQL (docs/deploying.md)",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock the database file {}", path.display()))
        }
    }
}

/// Makes the SQLite file of `url` before SQLite does, with mode 0600 (SQLite would make it 0644
/// and give its `-wal` and `-shm` the same mode), and takes group and other permissions away
/// from an existing one and its `-wal` and `-shm`. An in-memory database has no file.
fn private_sqlite_files(url: &str) -> anyhow::Result<()> {
    let options =
        sqlx::sqlite::SqliteConnectOptions::from_str(url).context("invalid SQLite database URL")?;
    let path = options.get_filename();
    let name = path.as_os_str();
    if name.is_empty() || name == ":memory:" || url.contains("mode=memory") {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        rekey_web::files::create_private_dir(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    rekey_web::files::create_private_file(path)
        .with_context(|| format!("cannot create the database file {}", path.display()))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = name.to_os_string();
        side.push(suffix);
        let side = std::path::PathBuf::from(side);
        rekey_web::files::tighten(&side)
            .with_context(|| format!("cannot make {} private", side.display()))?;
    }
    Ok(())
}
