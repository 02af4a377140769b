//! Network → Cloud: enabling the cloud, the register code and its QR, the connection's state,
//! and the release from the cloud account.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rekey_proto::{RegisterCode, RegistrationQr};
use rekey_web::Lang;
use rekey_web::i18n::{Arg, Message};
use serde::Deserialize;

use super::*;
use crate::agent::Connection;
use crate::audit::Event;
use crate::startup::App;
use crate::web::views::{CloudPage, ReleaseView};
use crate::web::{Admin, Req, Result};

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
    Admin(req): Admin,
    Query(n): Query<Notice>,
) -> Result<Response> {
    // The register code binds the recorder to a cloud account, and that account can get
    // temporary passwords for the admin: only the admin may see it.
    let notice = notice(req.lang, &n);
    cloud_page(&app, req, StatusCode::OK, notice, None).await
}

/// The cloud page, with a notice or the release form's error.
async fn cloud_page(
    app: &App,
    mut req: Req,
    status_code: StatusCode,
    notice: Option<Message>,
    release_error: Option<Message>,
) -> Result<Response> {
    let lang = req.lang;
    let state = app.store.cloud_state().await.map_err(|e| req.err(e))?;
    let status = app.cloud.current();
    let connection = if state.enabled {
        status.connection
    } else {
        Connection::Disabled
    };
    let status_name = match connection {
        Connection::Disabled => "disabled",
        Connection::Connecting => "connecting",
        Connection::Online => "online",
        Connection::Offline => "offline",
    };
    let page = CloudPage {
        notice,
        enabled: state.enabled,
        server: app.config.cloud_base.to_string(),
        serial: app.identity.serial.to_string(),
        status: lang.t(connection.message_key()),
        status_code: status_name,
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
        release: ReleaseView {
            offered: state.bound,
            pending: state.release_pending().is_some(),
            error: release_error,
        },
        chrome: req.chrome(),
    };
    Ok(req.page_status(status_code, &page))
}

#[derive(Deserialize)]
pub struct ReleaseForm {
    #[serde(default)]
    password: String,
}

/// Release from the cloud account: the logged-in admin types the admin password again (the
/// try counts against the login limits of the admin's name and the client's address, reserved
/// before the check, so this form cannot be used to guess the password). The release is
/// recorded first and sent to the cloud at once when connected, otherwise at the next
/// connection (docs/protocol.md §9, "Release").
pub async fn cloud_release(
    State(app): State<Arc<App>>,
    Admin(req): Admin,
    Form(f): Form<ReleaseForm>,
) -> Result<Response> {
    let lang = req.lang;
    let now = app.config.clock.now();
    let Some(admin) = req.user().map(|s| s.user.clone()) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let state = app.store.cloud_state().await.map_err(|e| req.err(e))?;
    if state.release_pending().is_some() {
        // Already recorded (a form sent twice): nothing more to do.
        return Ok(Redirect::to("/network/cloud").into_response());
    }
    let refuse = |key: &'static str| Some(lang.message(key));
    if !state.bound {
        let error = refuse("rec-cloud-release-not-registered");
        return cloud_page(&app, req, StatusCode::CONFLICT, None, error).await;
    }
    let Some((key_epoch, _)) = state.binding_key().map(|(e, k)| (*e, k)) else {
        let error = refuse("rec-cloud-release-not-prepared");
        return cloud_page(&app, req, StatusCode::CONFLICT, None, error).await;
    };
    let check = check_password(
        &app,
        req.client.as_deref(),
        &admin.name,
        Some(&admin.password_hash),
        &f.password,
        now,
    )
    .await
    .map_err(|e| req.err(e))?;
    let slot = match check {
        PasswordCheck::Passed(slot) => slot,
        PasswordCheck::Busy => return Ok(req.busy()),
        PasswordCheck::Locked { until } => {
            let error = lock_wait_message(&app, lang, until);
            return cloud_page(&app, req, StatusCode::TOO_MANY_REQUESTS, None, Some(error)).await;
        }
        PasswordCheck::Wrong { locked } => {
            let entry = Event::CloudReleaseRefused
                .entry(now)
                .user(&admin.name)
                .client(req.client.clone())
                .detail("wrong-password");
            app.store.audit(&entry).await.map_err(|e| req.err(e))?;
            if locked {
                audit_lock(&app, &req, now).await?;
            }
            let error = refuse("rec-cloud-release-wrong-password");
            return cloud_page(&app, req, StatusCode::FORBIDDEN, None, error).await;
        }
    };
    slot.succeeded(&app.store).await.map_err(|e| req.err(e))?;
    let entry = Event::CloudReleaseRequested
        .entry(now)
        .user(&admin.name)
        .client(req.client.clone());
    let recorded = app
        .store
        .request_release(key_epoch, &entry)
        .await
        .map_err(|e| req.err(e))?;
    if recorded {
        app.cloud.release_requested();
    }
    Ok(Redirect::to("/network/cloud?done=release-requested").into_response())
}

#[derive(Deserialize)]
pub struct CloudForm {
    #[serde(default)]
    enabled: Option<String>,
}

/// Apply: enabling starts the agent; disabling sends `disabled` to the cloud and stops it.
pub async fn cloud_apply(
    State(app): State<Arc<App>>,
    Admin(req): Admin,
    Form(f): Form<CloudForm>,
) -> Result<Response> {
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
pub async fn cloud_qr(State(app): State<Arc<App>>, Admin(req): Admin) -> Result<Response> {
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
