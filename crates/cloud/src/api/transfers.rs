//! Transfers between accounts and installer hand-overs in the JSON API (docs/api.md,
//! "Transfers"): offer, list, show, accept (all or some), decline, cancel.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiResult, Caller, rfc3339};
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
    caller: Caller,
    Json(b): Json<OfferBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let t = transfers::start(&state, &a, &b.to, &b.serials, &b.password)
        .await
        .map_err(|e| caller.fail(e))?;
    let v = transfers::get(&state, &a, &t.id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok((StatusCode::CREATED, Json(transfer_json(&v))).into_response())
}

/// `GET /transfers`: the open transfers the account sent or can accept.
pub(super) async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let a = caller.account()?.clone();
    let list = transfers::open(&state, &a)
        .await
        .map_err(|e| caller.fail(e))?;
    let list: Vec<Value> = list.iter().map(transfer_json).collect();
    Ok(Json(json!({ "transfers": list })).into_response())
}

/// `GET /transfers/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let v = transfers::get(&state, &a, &id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(transfer_json(&v)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AcceptBody {
    #[serde(default)]
    serials: Option<Vec<String>>,
}

/// `POST /transfers/{id}/accept`: all devices, or the `serials` given.
pub(super) async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Option<Json<AcceptBody>>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let done = transfers::accept(&state, &a, &id, b.serials.as_deref())
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(
        Json(json!({ "moved": done.moved, "declined": done.declined, "gone": done.gone }))
            .into_response(),
    )
}

/// `POST /transfers/{id}/decline`.
pub(super) async fn decline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let a = caller.account()?.clone();
    transfers::decline(&state, &a, &id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /transfers/{id}/cancel`.
pub(super) async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let a = caller.account()?.clone();
    transfers::cancel(&state, &a, &id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
