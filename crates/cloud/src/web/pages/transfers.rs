//! Hand-overs (docs/protocol.md §9, "Transfer"): the page that offers some of the account's
//! devices to another account's address, lists the open offers it sent (to cancel) and the ones
//! it can accept (all or some of the devices, or decline).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};

use crate::error::AppError;
use crate::service::transfers::{self, TransferView};
use crate::state::AppState;
use crate::web::ctx::{Ctx, page_error};

use super::*;

/// A device of the account that can be offered.
struct OwnDevice {
    serial: String,
    name: String,
}

/// An open transfer as listed.
struct TransferRow {
    id: String,
    /// "From …, until …" or "To …, until …".
    summary: String,
    devices: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    c: Ctx,
    incoming: Vec<TransferRow>,
    outgoing: Vec<TransferRow>,
    own: Vec<OwnDevice>,
    to: String,
    selected: Vec<String>,
}

fn row(c: &Ctx, v: &TransferView) -> TransferRow {
    let until = c.time(v.transfer.expires_at);
    let summary = if v.incoming {
        t_args(
            c.lang,
            "cloud-transfer-from",
            &[
                ("username", v.from_username.clone().into()),
                ("until", until.into()),
            ],
        )
    } else {
        t_args(
            c.lang,
            "cloud-transfer-to",
            &[
                ("email", v.transfer.to_email.clone().into()),
                ("until", until.into()),
            ],
        )
    };
    TransferRow {
        id: v.transfer.id.clone(),
        summary,
        devices: (v.devices.iter())
            .map(|d| (d.serial.clone(), d.name.clone().unwrap_or_default()))
            .collect(),
    }
}

async fn page(state: &AppState, c: Ctx, to: String, selected: Vec<String>) -> PageResult {
    let lang = c.lang;
    let account = c.require_login()?.clone();
    let open = transfers::open(state, &account)
        .await
        .map_err(|e| page_error(lang, e))?;
    let (incoming, outgoing): (Vec<_>, Vec<_>) = open.iter().partition(|v| v.incoming);
    let own = (state.store.devices_of(account.id).await)
        .map_err(|e| page_error(lang, e.into()))?
        .into_iter()
        .map(|d| OwnDevice {
            serial: d.serial.as_str().to_string(),
            name: d.name.unwrap_or_default(),
        })
        .collect();
    Ok(render(
        &TransfersPage {
            incoming: incoming.iter().map(|v| row(&c, v)).collect(),
            outgoing: outgoing.iter().map(|v| row(&c, v)).collect(),
            c,
            own,
            to,
            selected,
        },
        lang,
    ))
}

/// `GET /transfers`: the hand-overs page.
pub(crate) async fn transfers_page(State(state): State<AppState>, c: Ctx) -> PageResult {
    page(&state, c, String::new(), Vec::new()).await
}

/// `GET /transfers/{id}`: where the offer's e-mail leads (log in or sign up first): the
/// hand-overs page if the transfer is open and for this account, else why not.
pub(crate) async fn transfer_link(
    State(state): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let c = match transfers::get(&state, &account, &id).await {
        Ok(v) => match transfers::ensure_open(&v.transfer) {
            Ok(()) => c,
            Err(e) => c.with_error(&e),
        },
        Err(e) => c.with_error(&e),
    };
    page(&state, c, String::new(), Vec::new()).await
}

/// The fields of a form, repeated ones (`serial`) in order.
type Fields = Vec<(String, String)>;

fn field(f: &Fields, name: &str) -> String {
    (f.iter().find(|(k, _)| k == name))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn serials(f: &Fields) -> Vec<String> {
    (f.iter().filter(|(k, _)| k == "serial"))
        .map(|(_, v)| v.clone())
        .collect()
}

/// `POST /transfers`: offers the selected devices.
pub(crate) async fn transfer_offer(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<Fields>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let to = field(&f, "to");
    let selected = serials(&f);
    match transfers::start(&state, &account, &to, &selected, &field(&f, "password")).await {
        Ok(t) => {
            let notice = message_args(
                c.lang,
                "cloud-transfer-offered",
                &[("email", t.to_email.into())],
            );
            page(&state, c.with_notice(notice), String::new(), Vec::new()).await
        }
        Err(e) => page(&state, c.with_error(&e), to, selected).await,
    }
}

/// `POST /transfers/{id}/accept`: accepts the selected devices.
pub(crate) async fn transfer_accept(
    State(state): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let selected = serials(&f);
    let c = match transfers::accept(&state, &account, &id, Some(&selected)).await {
        Ok(done) => {
            let notice = message_args(
                c.lang,
                "cloud-transfer-accepted",
                &[("count", i64::try_from(done.moved.len()).unwrap_or(0).into())],
            );
            c.with_notice(notice)
        }
        Err(e) => c.with_error(&e),
    };
    page(&state, c, String::new(), Vec::new()).await
}

/// `POST /transfers/{id}/decline`.
pub(crate) async fn transfer_decline(
    State(state): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result = transfers::decline(&state, &account, &id).await;
    closed(&state, c, result, "cloud-transfer-declined-notice").await
}

/// `POST /transfers/{id}/cancel`.
pub(crate) async fn transfer_cancel(
    State(state): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result = transfers::cancel(&state, &account, &id).await;
    closed(&state, c, result, "cloud-transfer-cancelled-notice").await
}

async fn closed(
    state: &AppState,
    c: Ctx,
    result: Result<(), AppError>,
    notice: &'static str,
) -> PageResult {
    let c = match result {
        Ok(()) => {
            let notice = c.message(notice);
            c.with_notice(notice)
        }
        Err(e) => c.with_error(&e),
    };
    page(state, c, String::new(), Vec::new()).await
}
