//! Building and running the recorder: open the state, make or load the identity, bind the web
//! UI, start the cloud agent if the admin enabled it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rekey_proto::Serial;
use rekey_proto::symbols::ALPHABET;
use rekey_web::random_array;
use tokio::net::TcpListener;

use crate::agent::Cloud;
use crate::config::Config;
use crate::store::{Identity, Store, StoreError};

/// Why the recorder could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The state database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What failed.
        source: std::io::Error,
    },
}

/// Everything a request handler needs: configuration, state, identity and the agent.
#[derive(Debug)]
pub struct App {
    /// The configuration.
    pub config: Config,
    /// The state database.
    pub store: Store,
    /// The recorder's serial and device key.
    pub identity: Identity,
    /// The cloud agent.
    pub cloud: Cloud,
    /// Lets one security code be checked at a time, so that parallel guesses cannot pass the
    /// attempt limit between its check and the failure being counted.
    pub recovery_gate: tokio::sync::Mutex<()>,
    /// Runs argon2id, bounded to the cores.
    pub hasher: rekey_web::password::Hasher,
    activated: AtomicBool,
}

impl App {
    /// Whether the admin password was set (cached once true).
    pub async fn is_activated(&self) -> Result<bool, StoreError> {
        if self.activated.load(Ordering::Acquire) {
            return Ok(true);
        }
        let yes = self.store.is_activated().await?;
        if yes {
            self.activated.store(true, Ordering::Release);
        }
        Ok(yes)
    }
}

/// `RK` followed by 12 random symbols (protocol §3).
fn generated_serial() -> Serial {
    let random = random_array::<12>();
    let symbols: String = random
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    Serial::parse(&format!("RK{symbols}"))
        .unwrap_or_else(|_| unreachable!("RK and 12 alphabet symbols form a valid serial"))
}

/// Makes aws-lc-rs the process's TLS crypto provider (for `wss://` gateways) unless one is
/// installed already; without one, rustls cannot build a client configuration.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: a provider is installed either way.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}

/// A built recorder, bound to its port, not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    app: Arc<App>,
    addr: SocketAddr,
}

impl Application {
    /// Opens the state in `config.data_dir`, binds `config.listen` and starts the agent if
    /// the cloud is enabled.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        install_crypto_provider();
        // The data directory holds the device and recovery keys: private to this user.
        rekey_web::files::own_private_dir(&config.data_dir).map_err(|source| {
            StartupError::DataDir {
                path: config.data_dir.display().to_string(),
                source,
            }
        })?;
        let store = Store::open(&config.data_dir, config.limits.audit).await?;
        let now = config.clock.now();
        let identity = store
            .identity(
                config.serial.as_ref(),
                || (generated_serial(), random_array()),
                now,
            )
            .await?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.listen,
            source,
        })?;
        let cloud = Cloud::new(config.clone(), store.clone(), identity.clone());
        let enabled = store.cloud_state().await?.enabled;
        let app = Arc::new(App {
            config,
            store,
            identity,
            cloud,
            recovery_gate: tokio::sync::Mutex::new(()),
            hasher: rekey_web::password::Hasher::per_core(),
            activated: AtomicBool::new(false),
        });
        if enabled {
            app.cloud.start().await;
        }
        Ok(Self {
            listener,
            app,
            addr,
        })
    }

    /// The port the web UI listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address the web UI listens on.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The shared application state (tests watch the agent's status through it).
    pub fn app(&self) -> Arc<App> {
        self.app.clone()
    }

    /// Serves until the process ends.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `shutdown` completes, then stops the agent (without telling the cloud
    /// the cloud was disabled) and closes the state database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = crate::web::router(self.app.clone());
        let config = &self.app.config;
        let (limits, trusted) = (config.serve, config.trusted_proxies.clone());
        let result =
            rekey_web::serve::serve(self.listener, router, limits, trusted, shutdown).await;
        self.app.cloud.shutdown().await;
        self.app.store.close().await;
        result
    }
}
