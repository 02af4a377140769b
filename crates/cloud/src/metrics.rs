//! What an operator watches, in Prometheus's text format at `/metrics` — served only on the
//! separate `--metrics-listen` address (none by default), never next to the portal.
//!
//! The recorder of the `metrics` facade is this application's own value, never installed as the
//! process's global one: two clouds in one process (the tests) count apart. Counters and the
//! request-latency histogram are kept as events happen; the gauges (connections, the mail queue)
//! are read when scraped.

use std::sync::Arc;
use std::time::Duration;

use metrics::{Counter, Histogram, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// Upper bounds of the request-latency buckets, seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

static META: Metadata<'static> = Metadata::new("rekey_cloud", Level::INFO, None);

/// The cloud's metrics. Cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// How a gateway handshake ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handshake {
    /// The recorder proved its key and was welcomed.
    Welcomed,
    /// Refused (a bad signature, another key, a protocol error, too many new serials).
    Refused,
    /// The whole-handshake deadline passed.
    TimedOut,
    /// Pushed out by newer handshakes under load.
    Shed,
    /// The peer went away.
    Closed,
}

impl Handshake {
    fn label(self) -> &'static str {
        match self {
            Self::Welcomed => "welcomed",
            Self::Refused => "refused",
            Self::TimedOut => "timed_out",
            Self::Shed => "shed",
            Self::Closed => "closed",
        }
    }
}

/// What the scrape reads at that moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Recorders connected to this node.
    pub connections: usize,
    /// Messages waiting to be sent.
    pub mail_waiting: i64,
    /// Age of the oldest waiting message, seconds (0 when none waits).
    pub mail_oldest_secs: i64,
    /// Messages given up.
    pub mail_dead: i64,
}

impl Metrics {
    /// A fresh set of metrics.
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS)
            .expect("constant, non-empty buckets")
            .build_recorder();
        let handle = recorder.handle();
        Self(Arc::new(Inner { recorder, handle }))
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.0
            .recorder
            .register_counter(&Key::from_parts(name, labels), &META)
    }

    fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Histogram {
        self.0
            .recorder
            .register_histogram(&Key::from_parts(name, labels), &META)
    }

    fn gauge(&self, name: &'static str, value: f64) {
        self.0
            .recorder
            .register_gauge(&Key::from_name(name), &META)
            .set(value);
    }

    /// A gateway handshake ended so.
    pub fn handshake(&self, outcome: Handshake) {
        self.counter(
            "rekey_gateway_handshakes_total",
            vec![Label::new("outcome", outcome.label())],
        )
        .increment(1);
    }

    /// A temporary password was issued (`kind`: `challenge` or `date_window`).
    pub fn code_issued(&self, kind: &'static str) {
        self.counter("rekey_codes_issued_total", vec![Label::new("kind", kind)])
            .increment(1);
    }

    /// A request for a temporary password was refused, for the reason `key` (the catalog key
    /// the user was shown).
    pub fn code_refused(&self, key: &'static str) {
        self.counter("rekey_codes_refused_total", vec![Label::new("reason", key)])
            .increment(1);
    }

    /// An attempt was refused by a limit; `limit` is its key's kind (the part before `:`,
    /// never the address or the account after it).
    pub fn throttled(&self, limit: &str) {
        let kind = limit.split(':').next().unwrap_or_default().to_string();
        self.counter("rekey_throttled_total", vec![Label::new("limit", kind)])
            .increment(1);
    }

    /// A request to `route` (the router's pattern, never the path with its values) answered
    /// `status` after `took`.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.histogram(
            "rekey_http_request_duration_seconds",
            vec![
                Label::new("method", method.to_string()),
                Label::new("route", route.to_string()),
                Label::new("status", status.to_string()),
            ],
        )
        .record(took.as_secs_f64());
    }

    /// The text format of every metric, with the gauges set to `gauges`.
    pub fn render(&self, gauges: Gauges) -> String {
        #[allow(clippy::cast_precision_loss)]
        {
            self.gauge("rekey_gateway_connections", gauges.connections as f64);
            self.gauge("rekey_mail_queue_waiting", gauges.mail_waiting as f64);
            self.gauge(
                "rekey_mail_queue_oldest_seconds",
                gauges.mail_oldest_secs as f64,
            );
            self.gauge("rekey_mail_dead_letters", gauges.mail_dead as f64);
        }
        self.0.handle.render()
    }
}

/// Middleware (`axum::middleware::from_fn_with_state`, on the router so that the matched route
/// is known): times every request into `rekey_http_request_duration_seconds`, labelled with the
/// route's pattern (`unmatched` for the fallback), never the path's values.
pub async fn track(
    axum::extract::State(metrics): axum::extract::State<Metrics>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let response = next.run(req).await;
    metrics.request(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics`, for the metrics listener only.
pub async fn scrape(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (mail_waiting, mail_oldest_secs, mail_dead) =
        match state.store.mail_queue_stats(state.now()).await {
            Ok(stats) => stats,
            Err(e) => {
                tracing::warn!(error = %e, "metrics: cannot read the mail queue");
                return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        };
    let text = state.metrics.render(Gauges {
        connections: state.hub.connections(),
        mail_waiting,
        mail_oldest_secs,
        mail_dead,
    });
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
