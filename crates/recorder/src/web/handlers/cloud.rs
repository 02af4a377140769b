//! Network → Cloud: enabling the cloud, the register code and its QR, the connection's state.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rekey_proto::{RegisterCode, RegistrationQr};
use rekey_web::Lang;
use rekey_web::i18n::Arg;
use serde::Deserialize;

use super::*;
use crate::agent::Connection;
use crate::audit::Event;
use crate::startup::App;
use crate::web::views::CloudPage;
use crate::web::{Req, Result};

/// `+3 s` style drift text: recorder_time − cloud_time.
fn drift_text(lang: Lang, secs: i64) -> String {
    let key = match secs {
        0 => "rec-cloud-drift-none",
        s if s > 0 => "rec-cloud-drift-ahead",
        _ => "rec-cloud-drift-behind",
    };
    lang.t_args(key, &[("seconds", Arg::Num(secs.abs()))])
}

pub async fn cloud(
    State(app): State<Arc<App>>,
    req: Req,
    Query(n): Query<Notice>,
) -> Result<Response> {
    // The register code binds the recorder to a cloud account, and that account can get
    // temporary passwords for the admin: only the admin may see it.
    let mut req = match req.admin_required() {
        Ok(r) => r,
        Err(r) => return Ok(*r),
    };
    let lang = req.lang;
    let state = app.store.cloud_state().await.map_err(|e| req.err(e))?;
    let status = app.cloud.current();
    let connection = if state.enabled {
        status.connection
    } else {
        Connection::Disabled
    };
    let status_code = match connection {
        Connection::Disabled => "disabled",
        Connection::Connecting => "connecting",
        Connection::Online => "online",
        Connection::Offline => "offline",
    };
    let page = CloudPage {
        notice: notice(lang, &n),
        enabled: state.enabled,
        server: app.config.cloud_base.to_string(),
        serial: app.identity.serial.to_string(),
        status: lang.t(connection.message_key()),
        status_code,
        last_error: status
            .last_error
            .filter(|_| state.enabled)
            .map(|e| lang.message(e.message_key())),
        register_link: state
            .register_code
            .as_deref()
            .and_then(|c| RegisterCode::parse(c).ok())
            .map(|code| RegistrationQr { code }.to_url(&app.config.cloud_base)),
        register_code: state
            .register_code
            .as_deref()
            .and_then(|c| RegisterCode::parse(c).ok())
            .map(|c| c.to_string()),
        bound: state.bound,
        drift: status.drift_secs.map(|d| drift_text(lang, d)),
        has_recovery_key: state.binding_key().is_some(),
        chrome: req.chrome(),
    };
    Ok(req.page(&page))
}

#[derive(Deserialize)]
pub struct CloudForm {
    #[serde(default)]
    enabled: Option<String>,
}

/// Apply: enabling starts the agent; disabling sends `disabled` to the cloud and stops it.
pub async fn cloud_apply(
    State(app): State<Arc<App>>,
    req: Req,
    Form(f): Form<CloudForm>,
) -> Result<Response> {
    let req = match req.admin_required() {
        Ok(r) => r,
        Err(r) => return Ok(*r),
    };
    let enabled = f.enabled.is_some();
    let by = req.user().map(|s| s.user.name.clone()).unwrap_or_default();
    let event = if enabled {
        Event::CloudEnabled
    } else {
        Event::CloudDisabled
    };
    let entry = event
        .entry(app.config.clock.now())
        .user(&by)
        .client(req.client.clone());
    app.store
        .set_cloud_enabled(enabled, &entry)
        .await
        .map_err(|e| req.err(e))?;
    if enabled {
        app.cloud.start().await;
        Ok(Redirect::to("/network/cloud?done=enabled").into_response())
    } else {
        app.cloud.stop().await;
        Ok(Redirect::to("/network/cloud?done=disabled").into_response())
    }
}

pub(in crate::web) fn png(lang: Lang, url: &str) -> Response {
    match crate::qr::png(url) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
        Err(e) => crate::web::internal_error(lang, &e),
    }
}

/// The registration QR (`{base}/m/add?v=1&code=…`) as a PNG; the admin only.
pub async fn cloud_qr(State(app): State<Arc<App>>, req: Req) -> Result<Response> {
    let req = match req.admin_required() {
        Ok(r) => r,
        Err(r) => return Ok(*r),
    };
    let state = app.store.cloud_state().await.map_err(|e| req.err(e))?;
    let code = state
        .register_code
        .as_deref()
        .filter(|_| !state.bound)
        .and_then(|c| RegisterCode::parse(c).ok());
    Ok(match code {
        Some(code) => png(
            req.lang,
            &RegistrationQr { code }.to_url(&app.config.cloud_base),
        ),
        None => StatusCode::NOT_FOUND.into_response(),
    })
}
