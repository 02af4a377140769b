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
    let user = app
        .store
        .user_by_name(f.username.trim())
        .await
        .map_err(|e| req.err(e))?;
    let phc = user.as_ref().map(|u| u.password_hash.as_str());
    let check = check_password(
        &app,
        req.client.as_deref(),
        &f.username,
        phc,
        &f.password,
        now,
    )
    .await
    .map_err(|e| req.err(e))?;
    let error = match (check, user) {
        (PasswordCheck::Passed(slot), Some(user)) => {
            slot.succeeded(&app.store).await.map_err(|e| req.err(e))?;
            let jar = start_session(&app, &req, &user, now)
                .await
                .map_err(|e| req.err(e))?;
            return Ok((jar, Redirect::to("/")).into_response());
        }
        (PasswordCheck::Busy, _) => return Ok(req.busy()),
        // Locked: the password was not even checked, whether or not the user exists.
        (PasswordCheck::Locked { until }, _) => lock_wait_message(&app, lang, until),
        (PasswordCheck::Passed(_), None) | (PasswordCheck::Wrong { .. }, None) => {
            // Unreachable for `Passed` (no user means the dummy hash, which nothing matches).
            let entry = Event::LoginFailed.entry(now).client(req.client.clone());
            app.store.audit(&entry).await.map_err(|e| req.err(e))?;
            lang.message("rec-login-failed")
        }
        (PasswordCheck::Wrong { locked }, Some(user)) => {
            let entry = Event::LoginFailed
                .entry(now)
                .client(req.client.clone())
                .user(&user.name);
            app.store.audit(&entry).await.map_err(|e| req.err(e))?;
            if locked {
                audit_lock(&app, &req, now).await?;
            }
            lang.message("rec-login-failed")
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

/// A password checked under the login limits ([`check_password`]).
pub(super) enum PasswordCheck {
    /// It matches; the caller settles the reserved attempt (`succeeded`) once it acts on it.
    Passed(limit::Reserved),
    /// It does not match; the attempt counted, and `locked` if this one reached the limit.
    Wrong { locked: bool },
    /// The limits are reached: nothing was checked until `until` (Unix seconds).
    Locked { until: i64 },
    /// Nothing was checked (the hasher is busy); the attempt was given back.
    Busy,
}

/// Checks `password` against `phc` (the user's hash; `None` when no such user exists, which
/// is checked against a dummy hash so that it takes as long) under the login limits of
/// `username` and the client's address: the attempt is reserved before the check, so that
/// parallel guesses get no more checks than the limit. Used by the login and by every form that
/// asks for the admin password again.
pub(super) async fn check_password(
    app: &App,
    client: Option<&str>,
    username: &str,
    phc: Option<&str>,
    password: &str,
    now: i64,
) -> std::result::Result<PasswordCheck, StoreError> {
    let keys = login_keys(&app.config.limits, username, client);
    let slot = match limit::reserve(&app.store, keys, now).await? {
        Ok(slot) => slot,
        Err(refused) => {
            return Ok(PasswordCheck::Locked {
                until: now + refused.retry_after,
            });
        }
    };
    let hash = phc.unwrap_or(password::dummy_hash()).to_owned();
    match verify(app, password, &hash).await {
        Ok(true) if phc.is_some() => Ok(PasswordCheck::Passed(slot)),
        Ok(_) => {
            let locked = slot.reached_limit();
            slot.failed();
            Ok(PasswordCheck::Wrong { locked })
        }
        Err(_) => {
            slot.refund(&app.store).await?;
            Ok(PasswordCheck::Busy)
        }
    }
}

/// Audits that the login limits locked the client's address out.
pub(super) async fn audit_lock(app: &App, req: &Req, now: i64) -> Result<()> {
    let lock = Event::LoginLocked.entry(now).client(req.client.clone());
    app.store.audit(&lock).await.map_err(|e| req.err(e))
}

/// "Too many failed logins; try again at HH:MM" in the recorder's local time.
pub(super) fn lock_wait_message(app: &App, lang: Lang, until: i64) -> Message {
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
