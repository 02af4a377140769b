//! The device list, adding (by register code or from the registration QR), renaming, removing.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::error::AppError;
use crate::service::devices;
use crate::state::AppState;
use crate::web::ctx::{Ctx, page_error};

use super::*;

/// A row of "My Cloud Devices".
#[derive(Debug, Clone)]
pub(crate) struct DeviceRow {
    serial: String,
    name: String,
    online: bool,
    status: String,
    last_seen: String,
    added: String,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    c: Ctx,
    devices: Vec<DeviceRow>,
    code: String,
    name: String,
    /// Opened from the registration QR: the add form comes first, saying so.
    from_qr: bool,
}

async fn devices_page(state: &AppState, c: Ctx, code: String, name: String) -> Response {
    devices_page_with(state, c, code, name, false).await
}

async fn devices_page_with(
    state: &AppState,
    c: Ctx,
    code: String,
    name: String,
    from_qr: bool,
) -> Response {
    let lang = c.lang;
    let Some(account) = c.account.clone() else {
        return Redirect::to("/login").into_response();
    };
    let list = match state.store.devices_of(account.id).await {
        Ok(l) => l,
        Err(e) => return page_error(lang, e.into()),
    };
    let devices = list
        .into_iter()
        .map(|d| {
            let online = d.online();
            DeviceRow {
                serial: d.serial.as_str().to_string(),
                name: d.name.clone().unwrap_or_default(),
                online,
                status: lang.t(if online {
                    "cloud-status-online"
                } else {
                    "cloud-status-offline"
                }),
                last_seen: if online {
                    String::new()
                } else {
                    t_args(
                        lang,
                        "cloud-last-seen",
                        &[("time", c.time(d.last_seen_at).into())],
                    )
                },
                added: c.time(d.bound_at.unwrap_or(d.enrolled_at)),
            }
        })
        .collect();
    render(
        &DevicesPage {
            c,
            devices,
            code,
            name,
            from_qr,
        },
        lang,
    )
}

#[derive(Deserialize)]
pub(crate) struct DevicesQuery {
    #[serde(default)]
    welcome: Option<String>,
}

/// `GET /devices`: My Cloud Devices (p.17).
pub(crate) async fn devices(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<DevicesQuery>,
) -> PageResult {
    let account = c.require_login()?.clone();
    // After the phone order's sign-up: say which user name was assigned.
    let c = if q.welcome.is_some() {
        let notice = message_args(
            c.lang,
            "cloud-signup-done",
            &[("username", account.username.as_str().into())],
        );
        c.with_notice(notice)
    } else {
        c
    };
    Ok(devices_page(&state, c, String::new(), String::new()).await)
}

#[derive(Deserialize)]
pub(crate) struct AddQuery {
    #[serde(default)]
    v: String,
    #[serde(default)]
    code: String,
}

/// `GET /m/add?v=1&code=…`: where the registration QR leads (p.9–10); log in first if needed.
pub(crate) async fn mobile_add(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<AddQuery>,
) -> PageResult {
    c.require_login()?;
    if q.v != "1" {
        let e = AppError::from(crate::error::Problem::bad("cloud-qr-version"));
        return Ok(devices_page(&state, c.with_error(&e), q.code, String::new()).await);
    }
    // Shown grouped, as the recorder shows it (the QR carries the compact form).
    let code = rekey_proto::RegisterCode::parse(&q.code)
        .map(|code| code.to_string())
        .unwrap_or(q.code);
    Ok(devices_page_with(&state, c, code, String::new(), true).await)
}

#[derive(Deserialize)]
pub(crate) struct AddForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

/// `POST /devices/add`: "+Add Device" (p.15–16).
pub(crate) async fn devices_add(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<AddForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result = devices::add(&state, &account, &f.code, &f.name).await;
    Ok(match result {
        Ok(d) => {
            let notice = message_args(
                c.lang,
                "cloud-device-added",
                &[("name", d.name.unwrap_or_default().into())],
            );
            devices_page(&state, c.with_notice(notice), String::new(), String::new()).await
        }
        Err(e) => devices_page(&state, c.with_error(&e), f.code, f.name).await,
    })
}

#[derive(Deserialize)]
pub(crate) struct RenameForm {
    #[serde(default)]
    name: String,
}

/// `POST /devices/{serial}/rename`.
pub(crate) async fn devices_rename(
    State(state): State<AppState>,
    c: Ctx,
    Path(serial): Path<String>,
    Form(f): Form<RenameForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result = devices::rename(&state, &account, &serial, &f.name).await;
    let c = match result {
        Ok(_) => {
            let notice = c.message("cloud-saved");
            c.with_notice(notice)
        }
        Err(e) => c.with_error(&e),
    };
    Ok(devices_page(&state, c, String::new(), String::new()).await)
}

#[derive(Template)]
#[template(path = "remove.html")]
struct RemovePage {
    c: Ctx,
    serial: String,
    question: String,
}

/// `GET /devices/{serial}/remove`: asks before removing.
pub(crate) async fn devices_remove_page(
    State(state): State<AppState>,
    c: Ctx,
    Path(serial): Path<String>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let lang = c.lang;
    let device = devices::owned(&state, &account, &serial)
        .await
        .map_err(|e| page_error(lang, e))?;
    let question = t_args(
        lang,
        "cloud-remove-question",
        &[
            ("name", device.name.unwrap_or_default().into()),
            ("serial", device.serial.as_str().into()),
        ],
    );
    Ok(render(
        &RemovePage {
            c,
            serial: device.serial.as_str().to_string(),
            question,
        },
        lang,
    ))
}

/// `POST /devices/{serial}/remove`.
pub(crate) async fn devices_remove(
    State(state): State<AppState>,
    c: Ctx,
    Path(serial): Path<String>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result = devices::remove(&state, &account, &serial).await;
    let c = match result {
        Ok(()) => {
            let notice = c.message("cloud-device-removed");
            c.with_notice(notice)
        }
        Err(e) => c.with_error(&e),
    };
    Ok(devices_page(&state, c, String::new(), String::new()).await)
}
