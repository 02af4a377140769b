//! Activation: the first start, where the admin sets the admin password (and is then logged in).

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rekey_proto::Email;
use rekey_web::password::{self};
use serde::Deserialize;

use super::*;
use crate::audit::Event;
use crate::startup::App;
use crate::store::ADMIN_USER;
use crate::web::views::ActivatePage;
use crate::web::{Req, Result};

#[derive(Deserialize)]
pub struct ActivateForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    email: String,
}

pub async fn activate_form(State(app): State<Arc<App>>, mut req: Req) -> Result<Response> {
    if app.is_activated().await.map_err(|e| req.err(e))? {
        return Ok(Redirect::to("/login").into_response());
    }
    let page = ActivatePage {
        chrome: req.chrome(),
        error: None,
        email: String::new(),
    };
    Ok(req.page(&page))
}

pub async fn activate(
    State(app): State<Arc<App>>,
    mut req: Req,
    Form(f): Form<ActivateForm>,
) -> Result<Response> {
    if app.is_activated().await.map_err(|e| req.err(e))? {
        return Ok(Redirect::to("/login").into_response());
    }
    let lang = req.lang;
    let email = match f.email.trim() {
        "" => Ok(None),
        e => Email::parse(e)
            .map(Some)
            .map_err(|_| lang.message("rec-error-email-invalid")),
    };
    let error = match &email {
        Err(m) => Some(m.clone()),
        Ok(email) => {
            let id = email.as_ref().map(Email::as_str).unwrap_or("");
            password::check_new(&f.password, &f.confirm, &[ADMIN_USER, id])
                .err()
                .map(|e| password_message(lang, e))
        }
    };
    if let (None, Ok(email)) = (&error, &email) {
        let hash = match hash(&app, &f.password).await {
            Ok(h) => h,
            Err(_) => return Ok(req.busy()),
        };
        let now = app.config.clock.now();
        let entry = Event::Activated
            .entry(now)
            .user(ADMIN_USER)
            .client(req.client.clone());
        app.store
            .activate(&hash, email.as_ref(), &entry)
            .await
            .map_err(|e| req.err(e))?;
        // The one who just set the password is the admin: logged in at once.
        let Some(admin) = app.store.admin().await.map_err(|e| req.err(e))? else {
            return Ok(Redirect::to("/login").into_response());
        };
        let jar = start_session(&app, &req, &admin, now)
            .await
            .map_err(|e| req.err(e))?;
        return Ok((jar, Redirect::to("/network/cloud?done=activated")).into_response());
    }
    let page = ActivatePage {
        chrome: req.chrome(),
        error,
        email: f.email,
    };
    Ok(req.page_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
