//! The recovery pages: the mobile page the recorder's recovery QR opens (p.20–21), "Retrieve"
//! on the PC portal (p.22–25), and the account activity page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::ctx::{Ctx, encode, page_error};
use super::pages::{render, sent_to, t_args};
use crate::error::AppError;
use crate::service::devices;
use crate::service::recovery::{self, Path as IssuePath};
use crate::state::AppState;
use crate::store::accounts::Account;

type PageResult = Result<Response, Response>;

#[derive(Debug, Clone)]
pub(crate) struct PreviewView {
    name: String,
    serial: String,
    email_masked: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "recover.html")]
struct RecoverPage {
    c: Ctx,
    qr: String,
    preview: Option<PreviewView>,
    sent: Option<String>,
}

fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Problem(p) if p.status == StatusCode::FORBIDDEN => StatusCode::FORBIDDEN,
        AppError::Problem(_) => StatusCode::OK,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The full QR URL of this request, as the recorder encoded it.
fn qr_url(state: &AppState, here: &str) -> String {
    format!(
        "{}{here}",
        state.config.base_url.as_str().trim_end_matches('/')
    )
}

async fn recover_view(state: &AppState, c: Ctx, qr: String) -> Response {
    let lang = c.lang;
    let Some(account) = c.account.clone() else {
        return page_error(lang, AppError::Internal(anyhow::anyhow!("no account")));
    };
    match recovery::preview(state, &account, &qr).await {
        Ok(p) => {
            let preview = PreviewView {
                name: p.device.name.clone().unwrap_or_default(),
                serial: p.device.serial.as_str().to_string(),
                email_masked: p.email_masked,
                expires: account.time_zone.format(p.expires_at),
            };
            render(
                &RecoverPage {
                    c,
                    qr,
                    preview: Some(preview),
                    sent: None,
                },
                lang,
            )
        }
        Err(e) => {
            let status = status_of(&e);
            (
                status,
                render(
                    &RecoverPage {
                        c: c.with_error(&e),
                        qr,
                        preview: None,
                        sent: None,
                    },
                    lang,
                ),
            )
                .into_response()
        }
    }
}

/// `GET /m/recover?v=1&s&n&x&e&t`: where the recovery QR leads; log in first if needed.
pub(crate) async fn recover_page(State(state): State<AppState>, c: Ctx) -> PageResult {
    c.require_login()?;
    let qr = qr_url(&state, &c.here);
    Ok(recover_view(&state, c, qr).await)
}

#[derive(Deserialize)]
pub(crate) struct SendForm {
    #[serde(default)]
    qr: String,
}

/// `POST /m/recover`: "Send" — e-mails the temporary password to the address in the QR.
pub(crate) async fn recover_send(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<SendForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let lang = c.lang;
    match recovery::send_challenge(&state, &account, &f.qr, IssuePath::Phone, lang).await {
        Ok(sent) => {
            let line = t_args(
                lang,
                "cloud-recover-sent",
                &[
                    ("email", sent.email_masked.into()),
                    ("until", account.time_zone.format(sent.valid_until).into()),
                ],
            );
            Ok(render(
                &RecoverPage {
                    c,
                    qr: String::new(),
                    preview: None,
                    sent: Some(line),
                },
                lang,
            ))
        }
        Err(e) => {
            let status = status_of(&e);
            Ok((
                status,
                render(
                    &RecoverPage {
                        c: c.with_error(&e),
                        qr: f.qr,
                        preview: None,
                        sent: None,
                    },
                    lang,
                ),
            )
                .into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "retrieve.html")]
struct RetrievePage {
    c: Ctx,
    serial: String,
    name: String,
    email: String,
    step: u8,
    from: String,
    to: String,
    range_hint: String,
    /// The recorder's dates; "From" starts as today in the account's zone.
    dates_hint: String,
    /// Today in the account's time zone.
    today: String,
    sent_to: String,
    valid_line: String,
    password: Option<String>,
    key_pending: bool,
    expired: bool,
}

async fn retrieve_view(
    state: &AppState,
    c: Ctx,
    serial: &str,
    step: u8,
    from: String,
    to: String,
) -> Response {
    let lang = c.lang;
    let Some(account) = c.account.clone() else {
        return page_error(lang, AppError::Internal(anyhow::anyhow!("no account")));
    };
    let device = match devices::owned(state, &account, serial).await {
        Ok(d) => d,
        Err(e) => return page_error(lang, e),
    };
    let today = recovery::today(state, &account);
    let from = if from.is_empty() {
        today.to_string()
    } else {
        from
    };
    let to = if to.is_empty() {
        (today + time::Duration::days(recovery::MAX_SPAN_DAYS - 1)).to_string()
    } else {
        to
    };
    let page = RetrievePage {
        serial: device.serial.as_str().to_string(),
        name: device.name.clone().unwrap_or_default(),
        email: account.email.as_str().to_string(),
        step,
        range_hint: t_args(
            lang,
            "cloud-retrieve-range-hint",
            &[("days", recovery::MAX_SPAN_DAYS.into())],
        ),
        dates_hint: t_args(
            lang,
            "cloud-retrieve-dates-hint",
            &[("zone", account.time_zone.name().into())],
        ),
        today: today.to_string(),
        sent_to: sent_to(lang, account.email.as_str()),
        valid_line: t_args(
            lang,
            "cloud-retrieve-valid",
            &[("from", from.clone().into()), ("to", to.clone().into())],
        ),
        from,
        to,
        password: None,
        key_pending: false,
        expired: false,
        c,
    };
    render(&page, lang)
}

/// `GET /devices/{serial}/retrieve`: choose the Valid Date range (p.22–23).
pub(crate) async fn retrieve_page(
    State(state): State<AppState>,
    c: Ctx,
    Path(serial): Path<String>,
) -> PageResult {
    c.require_login()?;
    Ok(retrieve_view(&state, c, &serial, 1, String::new(), String::new()).await)
}

#[derive(Deserialize)]
pub(crate) struct RangeForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    code: String,
}

/// `POST /devices/{serial}/retrieve/code`: "Acquire" — e-mails the verification code (p.24).
pub(crate) async fn retrieve_code(
    State(state): State<AppState>,
    c: Ctx,
    Path(serial): Path<String>,
    Form(f): Form<RangeForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result =
        recovery::start_retrieve(&state, c.client, &account, &serial, &f.from, &f.to, c.lang).await;
    Ok(match result {
        Ok(()) => retrieve_view(&state, c, &serial, 2, f.from, f.to).await,
        Err(e) => retrieve_view(&state, c.with_error(&e), &serial, 1, f.from, f.to).await,
    })
}

/// `POST /devices/{serial}/retrieve`: the code → the Temporary Password (p.25).
pub(crate) async fn retrieve(
    State(state): State<AppState>,
    c: Ctx,
    Path(serial): Path<String>,
    Form(f): Form<RangeForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    match recovery::finish_retrieve(
        &state,
        &account,
        &serial,
        &f.from,
        &f.to,
        &f.code,
        IssuePath::Pc,
    )
    .await
    {
        Ok(r) => match r.result_id {
            // Post/redirect/get: the result page can be reloaded and shows the same password.
            Some(id) => Ok(
                Redirect::to(&format!("/devices/{}/retrieved/{id}", encode(&serial)))
                    .into_response(),
            ),
            None => Ok(result_view(&state, c, &account, &serial, Shown::Valid(r)).await),
        },
        Err(e) => {
            let back = matches!(&e, AppError::Problem(p) if matches!(p.key, "cloud-code-expired" | "cloud-code-too-many" | "cloud-code-none" | "cloud-code-used" | "cloud-retrieve-code-mismatch"));
            Ok(retrieve_view(
                &state,
                c.with_error(&e),
                &serial,
                if back { 1 } else { 2 },
                f.from,
                f.to,
            )
            .await)
        }
    }
}

type Shown = crate::service::retrieved::KeptResult;

/// The result of Retrieve (p.25): the temporary password while it is valid, or that it expired.
async fn result_view(
    state: &AppState,
    c: Ctx,
    account: &Account,
    serial: &str,
    shown: Shown,
) -> Response {
    let lang = c.lang;
    let device = match devices::owned(state, account, serial).await {
        Ok(d) => d,
        Err(e) => return page_error(lang, e),
    };
    let (from, to, password, key_pending) = match shown {
        Shown::Valid(r) => (r.from, r.to, Some(r.password.to_string()), r.key_pending),
        Shown::Expired { from, to } => (from, to, None, false),
    };
    let page = RetrievePage {
        serial: device.serial.as_str().to_string(),
        name: device.name.clone().unwrap_or_default(),
        email: account.email.as_str().to_string(),
        step: 3,
        from: from.to_string(),
        to: to.to_string(),
        range_hint: String::new(),
        dates_hint: String::new(),
        today: String::new(),
        sent_to: String::new(),
        valid_line: t_args(
            lang,
            "cloud-retrieve-valid",
            &[
                ("from", from.to_string().into()),
                ("to", to.to_string().into()),
            ],
        ),
        expired: password.is_none(),
        password,
        key_pending,
        c,
    };
    render(&page, lang)
}

/// `GET /devices/{serial}/retrieved/{id}`: Retrieve's result, shown again to its account while
/// the temporary password is valid; then it says that it expired. Anyone else (another account,
/// an unknown id) gets the portal's "not found"; a visitor not logged in, the login page.
pub(crate) async fn retrieved(
    State(state): State<AppState>,
    c: Ctx,
    Path((serial, id)): Path<(String, String)>,
) -> PageResult {
    let account = c.require_login()?.clone();
    match crate::service::retrieved::kept_result(&state, &account, &serial, &id).await {
        Ok(shown) => Ok(result_view(&state, c, &account, &serial, shown).await),
        Err(e) => Err(page_error(c.lang, e)),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ActivityRow {
    when: String,
    what: String,
    device: String,
    path: String,
    validity: String,
}

/// A row of the activity page's device events (a recorder released from the account).
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    kind: String,
    serial: String,
    when: String,
    what: String,
    device: String,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    c: Ctx,
    rows: Vec<ActivityRow>,
    events: Vec<EventRow>,
}

/// `GET /activity`: every temporary password issued for the account's devices, and the
/// recorders released from the account by their admin.
pub(crate) async fn activity(State(state): State<AppState>, c: Ctx) -> PageResult {
    let account = c.require_login()?.clone();
    let lang = c.lang;
    let issues = state
        .store
        .issues_of(account.id, 200)
        .await
        .map_err(|e| page_error(lang, e.into()))?;
    let rows = issues
        .into_iter()
        .map(|i| ActivityRow {
            when: account.time_zone.format(i.created_at),
            what: lang.t(if i.kind == "challenge" {
                "cloud-kind-challenge"
            } else {
                "cloud-kind-date-window"
            }),
            device: match &i.device_name {
                Some(n) => format!("{n} ({})", i.serial),
                None => i.serial.clone(),
            },
            path: lang.t(recovery::path_label(&i.path)),
            validity: match (&i.window, i.valid_until) {
                (Some((from, to)), _) => format!("{from} – {to}"),
                (None, Some(until)) => t_args(
                    lang,
                    "cloud-activity-until",
                    &[
                        ("until", account.time_zone.format(until).into()),
                        ("email", i.sent_to.clone().into()),
                    ],
                ),
                _ => String::new(),
            },
        })
        .collect();
    let events = state
        .store
        .device_events_of(account.id, 200)
        .await
        .map_err(|e| page_error(lang, e.into()))?
        .into_iter()
        .map(|e| EventRow {
            when: account.time_zone.format(e.created_at),
            what: lang.t(if e.kind == "account-deleted" {
                "cloud-activity-event-account-deleted"
            } else {
                "cloud-activity-event-released"
            }),
            device: match &e.device_name {
                Some(n) if n != &e.serial => format!("{n} ({})", e.serial),
                _ => e.serial.clone(),
            },
            kind: e.kind,
            serial: e.serial,
        })
        .collect();
    Ok(render(&ActivityPage { c, rows, events }, lang))
}
