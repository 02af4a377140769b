//! Building the application from a [`Config`]: database, mail worker, routes, listener.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use axum::Router;
use lettre::message::Mailbox;
use rekey_web::{Clock, FileClock};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::db::Db;
use crate::gateway::{self, DeviceReader, Hub, Presence};
use crate::mail::{self, Mailer};
use crate::state::{AppState, Inner};
use crate::store::Store;

/// A built, bound, not yet running cloud.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// The metrics listener and its router, when configured.
    metrics: Option<(TcpListener, Router)>,
    /// The mail worker, and what tells it and the housekeeping job to stop.
    mail_worker: tokio::task::JoinHandle<()>,
    stop_workers: watch::Sender<bool>,
}

impl Application {
    /// Binds the listeners, connects and migrates the database, and starts the mail worker and the
    /// housekeeping job. The clock is the system's (or, for end-to-end tests only, the one the
    /// configuration's test clock file moves).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let clock = FileClock::or_system(config.test_clock_file.clone());
        Self::build_with_clock(config, clock).await
    }

    /// [`Application::build`] with another clock (tests).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        rekey_web::files::own_private_dir(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
        // The listeners first: a start that cannot have its addresses starts nothing.
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} for metrics"))?,
            ),
            None => None,
        };
        let db = Db::connect(config.database_url.expose()).await?;
        let master_key = config.master_key();
        let metrics = crate::metrics::Metrics::new();
        let store = Store::new(db, &master_key).with_metrics(metrics.clone());
        store
            .seal_legacy_mail()
            .await
            .context("cannot seal the mail queued before this version")?;
        store
            .fold_email_keys()
            .await
            .context("cannot recompute the e-mail keys")?;
        store
            .fill_time_zones(|region| config.region_time_zone(region))
            .await
            .context("cannot give the accounts their regions' time zones")?;
        if store.db.backend == crate::db::Backend::Sqlite {
            // One node only (the file is locked): whatever a previous run left is stale.
            store
                .disconnect_all()
                .await
                .context("cannot reset presence")?;
            store
                .release_mail_claims()
                .await
                .context("cannot release the mail claims of the previous run")?;
        }
        let mailer = Mailer::from_config(&config)?;
        let from: Mailbox = config
            .mail_from
            .parse()
            .context("invalid mail From: address")?;
        let hub = Hub::default();
        let presence = Presence::start(
            store.clone(),
            hub.clone(),
            gateway::silence_limit(config.heartbeat_secs),
        );
        let state = AppState::new(Inner {
            signing_key: config.signing_key(),
            master_key,
            outbox: mailer.is_outbox(),
            store: store.clone(),
            clock: clock.clone(),
            mail_wake: Arc::new(Notify::new()),
            hub,
            presence,
            device_reader: DeviceReader::start(store.clone()),
            hasher: rekey_web::password::Hasher::per_core(),
            draining: AtomicBool::new(false),
            metrics,
            config,
        });
        let (stop_workers, workers_stopping) = watch::channel(false);
        if state.store.db.backend == crate::db::Backend::Postgres {
            gateway::lease::start(
                state.store.clone(),
                state.hub.clone(),
                state.clock.clone(),
                state.config.heartbeat_secs,
                workers_stopping.clone(),
            )
            .await
            .context("cannot take this node's lease")?;
            tokio::spawn(gateway::fanout::listen(
                state.config.database_url.expose().to_string(),
                state.hub.clone(),
                state.store.node_id().to_string(),
                workers_stopping.clone(),
            ));
        }
        tokio::spawn(crate::housekeeping::run(
            store.clone(),
            clock.clone(),
            state.config.retention(),
            workers_stopping.clone(),
        ));
        let mail_worker = tokio::spawn(mail::run_worker(
            store,
            mailer,
            from,
            clock,
            state.mail_wake.clone(),
            workers_stopping,
        ));
        let router = Router::new()
            .route(
                rekey_proto::gateway::GATEWAY_PATH,
                axum::routing::get(gateway::handler),
            )
            .merge(crate::health::routes())
            .nest("/api/v1", crate::api::routes())
            .merge(crate::web::routes(state.clone()))
            .layer(axum::middleware::from_fn_with_state(
                state.metrics.clone(),
                crate::metrics::track,
            ))
            .layer(RequestBodyLimitLayer::new(64 * 1024))
            .layer(axum::middleware::from_fn(
                rekey_web::headers::security_headers,
            ))
            // Its events go to the request's span (`rekey_web::logging::request_id`, below),
            // which names the path only: query strings carry register codes (`/m/add?code=`).
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|_: &axum::extract::Request| tracing::Span::none()),
            )
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(state.config.trusted_proxies.clone()),
                rekey_web::client::client_address,
            ))
            .layer(axum::middleware::from_fn(rekey_web::logging::request_id))
            .with_state(state.clone());
        let metrics = metrics_listener.map(|listener| {
            let router = Router::new()
                .route("/metrics", axum::routing::get(crate::metrics::scrape))
                .with_state(state.clone());
            (listener, router)
        });
        Ok(Self {
            listener,
            router,
            metrics,
            state,
            mail_worker,
            stop_workers,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The metrics listener's address, when configured.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The shared state (tests inspect storage through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains (docs/deploying.md, "Health and stopping"): `/readyz`
    /// says so, no new connection is accepted, every recorder is told to reconnect (to another
    /// node, through the load balancer, after its jittered back-off), and the requests in flight
    /// and the mail being sent are given until the shutdown timeout to finish.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            metrics,
            state,
            mail_worker,
            stop_workers,
        } = self;
        let config = &state.config;
        // Metrics are served until the very end, drain included.
        let (metrics_done, metrics_stop) = tokio::sync::oneshot::channel::<()>();
        if let Some((listener, router)) = metrics {
            tokio::spawn(rekey_web::serve::serve(
                listener,
                router,
                config.serve,
                rekey_web::client::TrustedProxies::none(),
                async move {
                    let _ = metrics_stop.await;
                },
            ));
        }
        let (began_tx, began) = tokio::sync::oneshot::channel::<()>();
        let draining = state.clone();
        let serve = rekey_web::serve::serve(
            listener,
            router,
            config.serve,
            config.trusted_proxies.clone(),
            async move {
                shutdown.await;
                draining.draining.store(true, Ordering::SeqCst);
                let _ = began_tx.send(());
            },
        );
        let mut serve = std::pin::pin!(serve);
        let served = tokio::select! {
            biased;
            r = serve.as_mut() => r,
            r = began => {
                if r.is_err() {
                    // The shutdown future was dropped unresolved: serve until the process ends.
                    serve.as_mut().await
                } else {
                    tracing::info!(timeout = ?config.shutdown_timeout, "draining");
                    let deadline = tokio::time::Instant::now() + config.shutdown_timeout;
                    let _ = stop_workers.send(true);
                    state.close_gateway().await;
                    let finished = tokio::time::timeout_at(deadline, async {
                        let served = serve.as_mut().await;
                        let _ = mail_worker.await;
                        served
                    })
                    .await;
                    match finished {
                        Ok(served) => served,
                        Err(_) => {
                            tracing::warn!(
                                timeout = ?config.shutdown_timeout,
                                "shutdown timeout: ending with work still in flight"
                            );
                            Ok(())
                        }
                    }
                }
            }
        };
        let served = served.context("server failed");
        // Connections that closed while draining went offline; write it.
        state.presence.flush().await;
        if state.store.db.backend == crate::db::Backend::Postgres
            && let Err(e) = state.store.leave().await
        {
            tracing::warn!(error = %e, "cannot give up this node's lease; it runs out by itself");
        }
        drop(metrics_done);
        tracing::info!("stopped");
        served
    }
}
