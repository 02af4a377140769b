//! The user list: each user's e-mail address, and adding users.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rekey_proto::Email;
use rekey_web::password::{self};
use serde::Deserialize;

use super::*;
use crate::audit::Event;
use crate::startup::App;
use crate::web::views::{UserRow, UsersPage};
use crate::web::{Admin, Req, Result};

async fn users_page(
    app: &App,
    mut req: Req,
    notice: Option<Message>,
    error: Option<Message>,
    status: StatusCode,
) -> Result<Response> {
    let users = app.store.users().await.map_err(|e| req.err(e))?;
    let lang = req.lang;
    let admin_email = users
        .iter()
        .find(|u| u.is_admin)
        .and_then(|u| u.email.as_ref())
        .map(|e| e.to_string())
        .unwrap_or_default();
    let rows = users
        .into_iter()
        .map(|u| UserRow {
            role: lang.t(if u.is_admin {
                "rec-users-role-admin"
            } else {
                "rec-users-role-user"
            }),
            email: u.email.map(|e| e.to_string()).unwrap_or_default(),
            name: u.name,
        })
        .collect();
    let page = UsersPage {
        chrome: req.chrome(),
        notice,
        error,
        users: rows,
        admin_email,
    };
    Ok(req.page_status(status, &page))
}

pub async fn users(
    State(app): State<Arc<App>>,
    Admin(req): Admin,
    Query(n): Query<Notice>,
) -> Result<Response> {
    // Users and the admin's e-mail address are the admin's business only.
    let notice = notice(req.lang, &n);
    users_page(&app, req, notice, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// Sets, changes or (when empty) removes the admin's e-mail address (manual p.19).
pub async fn set_email(
    State(app): State<Arc<App>>,
    Admin(req): Admin,
    Form(f): Form<EmailForm>,
) -> Result<Response> {
    let email = match f.email.trim() {
        "" => None,
        e => match Email::parse(e) {
            Ok(e) => Some(e),
            Err(_) => {
                let m = req.lang.message("rec-error-email-invalid");
                return users_page(&app, req, None, Some(m), StatusCode::UNPROCESSABLE_ENTITY)
                    .await;
            }
        },
    };
    let Some(admin) = app.store.admin().await.map_err(|e| req.err(e))? else {
        return Ok(Redirect::to("/activate").into_response());
    };
    let by = req.user().map(|s| s.user.name.clone()).unwrap_or_default();
    let entry = Event::EmailChanged
        .entry(app.config.clock.now())
        .user(&by)
        .client(req.client.clone());
    app.store
        .set_user_email(admin.id, email.as_ref(), &entry)
        .await
        .map_err(|e| req.err(e))?;
    Ok(Redirect::to("/users?done=email").into_response())
}

#[derive(Deserialize)]
pub struct AddUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// Adds an ordinary user (nice to have: the manual's recorders have several).
pub async fn add_user(
    State(app): State<Arc<App>>,
    Admin(req): Admin,
    Form(f): Form<AddUserForm>,
) -> Result<Response> {
    let name = f.username.trim();
    let name_ok = !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !name_ok {
        let m = req.lang.message("rec-error-username-invalid");
        return users_page(&app, req, None, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if let Err(e) = password::check_new(&f.password, &f.confirm, &[name]) {
        let m = password_message(req.lang, e);
        return users_page(&app, req, None, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let hash = match hash(&app, &f.password).await {
        Ok(h) => h,
        Err(_) => return Ok(req.busy()),
    };
    let by = req.user().map(|s| s.user.name.clone()).unwrap_or_default();
    let entry = Event::UserAdded
        .entry(app.config.clock.now())
        .user(&by)
        .client(req.client.clone())
        .detail(name);
    if !app
        .store
        .add_user(name, &hash, &entry)
        .await
        .map_err(|e| req.err(e))?
    {
        let m = req.lang.message("rec-error-username-taken");
        return users_page(&app, req, None, Some(m), StatusCode::CONFLICT).await;
    }
    Ok(Redirect::to("/users?done=user-added").into_response())
}
