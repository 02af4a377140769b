//! Transfers between accounts and installer hand-overs in the JSON API (docs/api.md,
//! "Transfers"): offer, list, show, accept (all or some), decline, cancel.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiResult, Me, created, no_content, ok, rfc3339};
use crate::service::transfers::{self, TransferView};
use crate::state::AppState;

fn transfer_json(v: &TransferView) -> Value {
    let t = &v.transfer;
    let devices: Vec<Value> = v
        .devices
        .iter()
        .map(|d| json!({ "serial": d.serial, "name": d.name, "outcome": d.outcome }))
        .collect();
    json!({
        "id": t.id,
        "direction": if v.incoming { "incoming" } else { "outgoing" },
        "from": v.from_username,
        "to": t.to_email,
        "state": t.state.as_str(),
        "created_at": rfc3339(t.created_at),
        "expires_at": rfc3339(t.expires_at),
        "devices": devices,
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct OfferBody {
    to: String,
    serials: Vec<String>,
    password: String,
}

/// `POST /transfers`: offers devices to an address.
pub(super) async fn offer(
    State(state): State<AppState>,
    me: Me,
    Json(b): Json<OfferBody>,
) -> ApiResult {
    let a = &me.account;
    let t = me
        .run(transfers::start(&state, a, &b.to, &b.serials, &b.password))
        .await?;
    let v = me.run(transfers::get(&state, a, &t.id)).await?;
    created(transfer_json(&v))
}

/// `GET /transfers`: the open transfers the account sent or can accept.
pub(super) async fn list(State(state): State<AppState>, me: Me) -> ApiResult {
    let list = me.run(transfers::open(&state, &me.account)).await?;
    let list: Vec<Value> = list.iter().map(transfer_json).collect();
    ok(json!({ "transfers": list }))
}

/// `GET /transfers/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
) -> ApiResult {
    let v = me.run(transfers::get(&state, &me.account, &id)).await?;
    ok(transfer_json(&v))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AcceptBody {
    #[serde(default)]
    serials: Option<Vec<String>>,
}

/// `POST /transfers/{id}/accept`: all devices, or the `serials` given.
pub(super) async fn accept(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    body: Option<Json<AcceptBody>>,
) -> ApiResult {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let accept = transfers::accept(&state, &me.account, &id, b.serials.as_deref());
    let done = me.run(accept).await?;
    ok(json!({ "moved": done.moved, "declined": done.declined, "gone": done.gone }))
}

/// `POST /transfers/{id}/decline`.
pub(super) async fn decline(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
) -> ApiResult {
    me.run(transfers::decline(&state, &me.account, &id)).await?;
    no_content()
}

/// `POST /transfers/{id}/cancel`.
pub(super) async fn cancel(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
) -> ApiResult {
    me.run(transfers::cancel(&state, &me.account, &id)).await?;
    no_content()
}
