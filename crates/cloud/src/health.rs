//! Health for load balancers and orchestrators. `/healthz` says the process serves requests
//! (liveness: it touches nothing else, so a slow database never gets a node restarted);
//! `/readyz` says whether the node should be sent traffic: not draining, the database answers,
//! and its schema is the one this binary was built for. `/readyz` answers JSON with a status
//! and, when not ready (503), a reason key; the cause goes to the log only.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::db::NotReady;
use crate::state::AppState;

/// How long `/readyz` waits for the database.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

/// `/healthz` and `/readyz`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    let reason = if state.draining() {
        "draining"
    } else {
        match state.store.db.readiness(DATABASE_TIMEOUT).await {
            Ok(()) => return Json(json!({ "status": "ready" })).into_response(),
            Err(e) => {
                let reason = match &e {
                    NotReady::Unreachable(_) => "database_unreachable",
                    NotReady::SchemaBehind => "schema_behind",
                    NotReady::SchemaAhead => "schema_ahead",
                };
                tracing::warn!(error = format!("{:#}", anyhow::Error::from(e)), "not ready");
                reason
            }
        }
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "not_ready", "reason": reason })),
    )
        .into_response()
}
