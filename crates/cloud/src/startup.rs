//! Building the application from a [`Config`]: database, mail worker, routes, listener.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, header};
use lettre::message::Mailbox;
use rekey_web::{Clock, SystemClock};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::db::Db;
use crate::gateway::{self, Hub};
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
        crate::files::own_private_dir(&config.data_dir).with_context(|| {
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
            .disconnect_all()
            .await
            .context("cannot reset presence")?;
        let mailer = Mailer::from_config(&config)?;
        let from: Mailbox = config
            .mail_from
            .parse()
            .context("invalid mail From: address")?;
        let state = AppState::new(Inner {
            signing_key: config.signing_key(),
            master_key,
            outbox: mailer.is_outbox(),
            store: store.clone(),
            clock: clock.clone(),
            mail_wake: Arc::new(Notify::new()),
            hub: Hub::default(),
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
            // Pages carry codes and temporary passwords: never cached, never framed (a framed
            // "Send" button could be clicked for someone), no referrer (QR links carry data).
            .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
            ))
            .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
            .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
            // The path only: query strings carry register codes (`/m/add?code=`) and QR data.
            .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
            }))
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
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("server failed")
    }
}
