//! Login and logout, with the per-user and per-address attempt limits.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::Cookie;
use rekey_web::client::AddressKey;
use rekey_web::i18n::Arg;
use rekey_web::limit::{self, Key, Limit};
use rekey_web::password::{self};
use rekey_web::{CsrfToken, Lang, random_token};
use serde::Deserialize;

use super::*;
use crate::audit::Event;
use crate::config::Limits;
use crate::startup::App;
use crate::store::{ADMIN_USER, StoreError, User};
use crate::web::views::LoginPage;
use crate::web::{CSRF_COOKIE, Req, Result, SESSION_COOKIE, cookie};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login_form(mut req: Req, Query(n): Query<Notice>) -> Response {
    if req.user().is_some() {
        return Redirect::to("/").into_response();
    }
    let page = LoginPage {
        notice: notice(req.lang, &n),
        error: None,
        username: ADMIN_USER.to_owned(),
        chrome: req.chrome(),
    };
    req.page(&page)
}

/// The login's attempt keys: the typed user name (folded) and the client address. Both are
/// reserved before the password is checked.
pub(super) fn login_keys(limits: &Limits, username: &str, client: Option<&str>) -> Vec<Key> {
    let limit = |max: u32| Limit {
        max: i64::from(max),
        window_secs: limits.login_window_secs,
        lock_secs: limits.login_lock_secs,
    };
    let user = format!("login-user:{}", rekey_proto::text::fold(username.trim()));
    let mut keys = vec![Key::cleared_on_success(
        user,
        limit(limits.login_max_failures_per_user),
    )];
    if let Some(c) = client {
        let key = c
            .parse()
            .map_or_else(|_| c.to_owned(), |ip| AddressKey::of(ip).to_string());
        let addr = format!("login-addr:{key}");
        keys.push(Key::refunded_on_success(
            addr,
            limit(limits.login_max_failures_per_client),
        ));
    }
    keys
}

/// Starts a session for `user` (audited as a login) and returns the cookies that carry it.
pub(super) async fn start_session(
    app: &App,
    req: &Req,
    user: &User,
    now: i64,
) -> std::result::Result<axum_extra::extract::cookie::CookieJar, StoreError> {
    let token = random_token();
    let csrf = CsrfToken::generate();
    let entry = Event::LoginSucceeded
        .entry(now)
        .user(&user.name)
        .client(req.client.clone());
    app.store
        .create_session(
            &token,
            user.id,
            csrf.as_str(),
            now + app.config.limits.session_secs,
            &entry,
        )
        .await?;
    Ok(req
        .jar
        .clone()
        .add(cookie(SESSION_COOKIE, token))
        .remove(Cookie::build(CSRF_COOKIE).path("/")))
}

pub async fn login(
    State(app): State<Arc<App>>,
    mut req: Req,
    Form(f): Form<LoginForm>,
) -> Result<Response> {
    let lang = req.lang;
    let now = app.config.clock.now();
    let limits = app.config.limits;
    let keys = login_keys(&limits, &f.username, req.client.as_deref());
    let reserved = limit::reserve(&app.store, keys, now)
        .await
        .map_err(|e| req.err(e))?;
    let error = match reserved {
        // Locked: the password is not even checked, whether or not the user exists.
        Err(refused) => lock_wait_message(&app, lang, now + refused.retry_after),
        Ok(slot) => {
            let user = app
                .store
                .user_by_name(f.username.trim())
                .await
                .map_err(|e| req.err(e))?;
            let phc = user
                .as_ref()
                .map_or(password::dummy_hash(), |u| u.password_hash.as_str())
                .to_owned();
            let ok = match verify(&app, &f.password, &phc).await {
                Ok(ok) => ok && user.is_some(),
                Err(_) => {
                    // Nothing was checked (too busy): the attempt is given back.
                    slot.refund(&app.store).await.map_err(|e| req.err(e))?;
                    return Ok(req.busy());
                }
            };
            match user {
                Some(user) if ok => {
                    slot.succeeded(&app.store).await.map_err(|e| req.err(e))?;
                    let jar = start_session(&app, &req, &user, now)
                        .await
                        .map_err(|e| req.err(e))?;
                    return Ok((jar, Redirect::to("/")).into_response());
                }
                user => {
                    let locked = slot.reached_limit();
                    slot.failed();
                    let mut entry = Event::LoginFailed.entry(now).client(req.client.clone());
                    if let Some(user) = &user {
                        entry = entry.user(&user.name);
                    }
                    app.store.audit(&entry).await.map_err(|e| req.err(e))?;
                    if locked {
                        let lock = Event::LoginLocked.entry(now).client(req.client.clone());
                        app.store.audit(&lock).await.map_err(|e| req.err(e))?;
                    }
                    lang.message("rec-login-failed")
                }
            }
        }
    };
    let page = LoginPage {
        notice: None,
        error: Some(error),
        username: f.username,
        chrome: req.chrome(),
    };
    Ok(req.page_status(StatusCode::UNAUTHORIZED, &page))
}

/// "Too many failed logins; try again at HH:MM" in the recorder's local time.
fn lock_wait_message(app: &App, lang: Lang, until: i64) -> Message {
    let at = app.config.time_zone.format(until);
    lang.message_args("rec-login-locked", &[("until", Arg::Str(at))])
}

/// `POST /logout` (its CSRF token is checked by the guard, as every form's).
pub async fn logout(State(app): State<Arc<App>>, req: Req) -> Result<Response> {
    let Some((token, session)) = req.session.clone() else {
        return Ok(Redirect::to("/login").into_response());
    };
    let entry = Event::Logout
        .entry(app.config.clock.now())
        .user(&session.user.name)
        .client(req.client.clone());
    app.store
        .end_session(&token, &entry)
        .await
        .map_err(|e| req.err(e))?;
    let jar = req.jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login?done=logged-out")).into_response())
}
