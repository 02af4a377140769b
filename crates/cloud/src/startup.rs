//! Building the application from a [`Config`]: database, mail worker, routes, listener.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use lettre::message::Mailbox;
use rekey_web::{Clock, SystemClock};
use tokio::net::TcpListener;
use tokio::sync::Notify;
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
}

impl Application {
    /// Connects and migrates the database, starts the mail worker and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// [`Application::build`] with another clock (tests).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        rekey_web::files::own_private_dir(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
        let db = Db::connect(config.database_url.expose()).await?;
        let master_key = config.master_key();
        let store = Store::new(db, &master_key);
        store
            .seal_legacy_mail()
            .await
            .context("cannot seal the mail queued before this version")?;
        store
            .fold_email_keys()
            .await
            .context("cannot recompute the e-mail keys")?;
        store
            .disconnect_all()
            .await
            .context("cannot reset presence")?;
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
            config,
        });
        tokio::spawn(mail::run_worker(
            store,
            mailer,
            from,
            clock,
            state.mail_wake.clone(),
        ));
        let router = Router::new()
            .route(
                rekey_proto::gateway::GATEWAY_PATH,
                axum::routing::get(gateway::handler),
            )
            .route("/healthz", axum::routing::get(|| async { "ok" }))
            .nest("/api/v1", crate::api::routes())
            .merge(crate::web::routes(state.clone()))
            .layer(RequestBodyLimitLayer::new(64 * 1024))
            .layer(axum::middleware::from_fn(
                rekey_web::headers::security_headers,
            ))
            // The path only: query strings carry register codes (`/m/add?code=`) and QR data.
            .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
            }))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(state.config.trusted_proxies.clone()),
                rekey_web::client::client_address,
            ))
            .with_state(state.clone());
        let listener = TcpListener::bind(state.config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", state.config.listen))?;
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The shared state (tests inspect storage through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process ends or `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let config = &self.state.config;
        let served = rekey_web::serve::serve(
            self.listener,
            self.router,
            config.serve,
            config.trusted_proxies.clone(),
            shutdown,
        )
        .await
        .context("server failed");
        self.state.close_gateway().await;
        served
    }
}
