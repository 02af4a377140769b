//! The page handlers.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::Cookie;
use rekey_proto::{Email, RegisterCode, RegistrationQr};
use rekey_web::client::AddressKey;
use rekey_web::i18n::{Arg, LANG_COOKIE, Message};
use rekey_web::limit::{self, Key, Limit};
use rekey_web::password::{self, HashError};
use rekey_web::{CsrfToken, Lang, random_token};
use serde::Deserialize;

use super::views::{ActivatePage, CloudPage, LoginPage, UserRow, UsersPage};
use super::{CSRF_COOKIE, Req, Result, SESSION_COOKIE, cookie};
use crate::agent::Connection;
use crate::audit::Event;
use crate::clock::format_local;
use crate::config::Limits;
use crate::startup::App;
use crate::store::{ADMIN_USER, StoreError, User};

/// Query flags that show a one-line notice after a redirect.
#[derive(Debug, Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
}

fn notice(lang: Lang, n: &Notice) -> Option<String> {
    let key = match n.done.as_deref()? {
        "activated" => "rec-notice-activated",
        "reset" => "rec-notice-password-reset",
        "logged-out" => "rec-notice-logged-out",
        "enabled" => "rec-notice-cloud-enabled",
        "disabled" => "rec-notice-cloud-disabled",
        "email" => "rec-notice-email-saved",
        "user-added" => "rec-notice-user-added",
        _ => return None,
    };
    Some(lang.t(key))
}

/// Hashes a password in turn (argon2id, bounded to the cores).
async fn hash(app: &App, password: &str) -> Result<String, HashError> {
    app.hasher.hash(password.to_owned()).await
}

/// Verifies a password in turn.
async fn verify(app: &App, password: &str, phc: &str) -> Result<bool, HashError> {
    app.hasher.verify(password.to_owned(), phc.to_owned()).await
}

pub(super) fn password_message(lang: Lang, e: password::PasswordError) -> Message {
    lang.message_args(
        e.message_key(),
        &[
            ("min", Arg::Num(password::MIN_CHARS as i64)),
            ("max", Arg::Num(password::MAX_CHARS as i64)),
        ],
    )
}

pub async fn home(req: Req) -> Response {
    if req.user().is_some() {
        Redirect::to("/network/cloud").into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

pub async fn not_found(req: Req) -> Response {
    let m = req.lang.t("error-not-found");
    req.message(StatusCode::NOT_FOUND, "rec-error-title", m)
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    set: String,
    #[serde(default)]
    next: Option<String>,
}

/// Remembers the chosen language and goes back to a local page.
pub async fn set_lang(req: Req, Query(q): Query<LangQuery>) -> Response {
    let next = q
        .next
        .filter(|n| rekey_web::is_local_path(n))
        .unwrap_or_else(|| "/".to_owned());
    let jar = match Lang::from_code(&q.set) {
        Some(l) => req.jar.add(cookie(LANG_COOKIE, l.code().to_owned())),
        None => req.jar,
    };
    (jar, Redirect::to(&next)).into_response()
}

// ----- activation -----

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
            .map_err(|_| lang.t("rec-error-email-invalid")),
    };
    let error = match &email {
        Err(m) => Some(m.clone()),
        Ok(email) => {
            let id = email.as_ref().map(Email::as_str).unwrap_or("");
            password::check_new(&f.password, &f.confirm, &[ADMIN_USER, id])
                .err()
                .map(|e| password_message(lang, e).text)
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

// ----- login and logout -----

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
fn login_keys(limits: &Limits, username: &str, client: Option<&str>) -> Vec<Key> {
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
async fn start_session(
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
                    lang.t("rec-login-failed")
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
fn lock_wait_message(app: &App, lang: Lang, until: i64) -> String {
    let at = format_local(until, app.config.utc_offset);
    lang.t_args("rec-login-locked", &[("until", Arg::Str(at))])
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

// ----- users -----

async fn users_page(
    app: &App,
    mut req: Req,
    notice: Option<String>,
    error: Option<String>,
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
    req: Req,
    Query(n): Query<Notice>,
) -> Result<Response> {
    // Users and the admin's e-mail address are the admin's business only.
    let req = match req.admin_required() {
        Ok(r) => r,
        Err(r) => return Ok(*r),
    };
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
    req: Req,
    Form(f): Form<EmailForm>,
) -> Result<Response> {
    let req = match req.admin_required() {
        Ok(r) => r,
        Err(r) => return Ok(*r),
    };
    let email = match f.email.trim() {
        "" => None,
        e => match Email::parse(e) {
            Ok(e) => Some(e),
            Err(_) => {
                let m = req.lang.t("rec-error-email-invalid");
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
    req: Req,
    Form(f): Form<AddUserForm>,
) -> Result<Response> {
    let req = match req.admin_required() {
        Ok(r) => r,
        Err(r) => return Ok(*r),
    };
    let name = f.username.trim();
    let name_ok = !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !name_ok {
        let m = req.lang.t("rec-error-username-invalid");
        return users_page(&app, req, None, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if let Err(e) = password::check_new(&f.password, &f.confirm, &[name]) {
        let m = password_message(req.lang, e).text;
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
        let m = req.lang.t("rec-error-username-taken");
        return users_page(&app, req, None, Some(m), StatusCode::CONFLICT).await;
    }
    Ok(Redirect::to("/users?done=user-added").into_response())
}

// ----- cloud -----

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
            .map(|e| lang.t(e.message_key())),
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

pub(super) fn png(lang: Lang, url: &str) -> Response {
    match crate::qr::png(url) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
        Err(e) => super::internal_error(lang, &e),
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
