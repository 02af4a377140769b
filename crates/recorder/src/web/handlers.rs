//! The page handlers.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::Cookie;
use rekey_proto::symbols::SymbolError;
use rekey_proto::{CodeError, Email, RegisterCode, RegistrationQr};
use rekey_web::i18n::{Arg, LANG_COOKIE};
use rekey_web::limit::{self, Key, Limit};
use rekey_web::password;
use rekey_web::{CsrfToken, Lang, random_token};
use serde::Deserialize;

use super::views::{
    ActivatePage, AuditPage, AuditRow, CloudPage, ForgotPage, LoginPage, QrInfo, RecoveryPage,
    UserRow, UsersPage,
};
use super::{CSRF_COOKIE, Req, Result, SESSION_COOKIE, cookie};
use crate::agent::Connection;
use crate::audit::Event;
use crate::clock::format_local;
use crate::config::Limits;
use crate::recovery::{self, Submitted};
use crate::startup::App;
use crate::store::ADMIN_USER;

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

/// Hashes a password off the async threads (argon2id takes a moment).
async fn hash(password: &str) -> String {
    let pw = password.to_owned();
    match tokio::task::spawn_blocking(move || password::hash(&pw)).await {
        Ok(h) => h,
        Err(_) => password::hash(password),
    }
}

async fn verify(password: &str, phc: &str) -> bool {
    let (pw, phc) = (password.to_owned(), phc.to_owned());
    tokio::task::spawn_blocking(move || password::verify(&pw, &phc))
        .await
        .unwrap_or(false)
}

fn password_message(lang: Lang, e: password::PasswordError) -> String {
    lang.t_args(
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
    csrf: String,
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
    if !req.csrf_ok(&f.csrf) {
        return Ok(req.csrf_failed());
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
                .map(|e| password_message(lang, e))
        }
    };
    if let (None, Ok(email)) = (&error, &email) {
        let hash = hash(&f.password).await;
        let now = app.config.clock.now();
        let entry = Event::Activated
            .entry(now)
            .user(ADMIN_USER)
            .client(req.client.clone());
        app.store
            .activate(&hash, email.as_ref(), &entry)
            .await
            .map_err(|e| req.err(e))?;
        return Ok(Redirect::to("/login?done=activated").into_response());
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
    csrf: String,
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
        let addr = format!("login-addr:{c}");
        keys.push(Key::refunded_on_success(
            addr,
            limit(limits.login_max_failures_per_client),
        ));
    }
    keys
}

pub async fn login(
    State(app): State<Arc<App>>,
    mut req: Req,
    Form(f): Form<LoginForm>,
) -> Result<Response> {
    if !req.csrf_ok(&f.csrf) {
        return Ok(req.csrf_failed());
    }
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
            let ok = verify(&f.password, &phc).await && user.is_some();
            match user {
                Some(user) if ok => {
                    slot.succeeded(&app.store).await.map_err(|e| req.err(e))?;
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
                            now + limits.session_secs,
                            &entry,
                        )
                        .await
                        .map_err(|e| req.err(e))?;
                    let jar = req
                        .jar
                        .add(cookie(SESSION_COOKIE, token))
                        .remove(Cookie::build(CSRF_COOKIE).path("/"));
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

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(app): State<Arc<App>>,
    req: Req,
    Form(f): Form<CsrfOnly>,
) -> Result<Response> {
    let Some((token, session)) = req.session.clone() else {
        return Ok(Redirect::to("/login").into_response());
    };
    if !req.csrf_ok(&f.csrf) {
        return Ok(req.csrf_failed());
    }
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
    csrf: String,
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
    if !req.csrf_ok(&f.csrf) {
        return Ok(req.csrf_failed());
    }
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
    csrf: String,
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
    if !req.csrf_ok(&f.csrf) {
        return Ok(req.csrf_failed());
    }
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
        let m = password_message(req.lang, e);
        return users_page(&app, req, None, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let hash = hash(&f.password).await;
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
        has_recovery_key: state.recovery_key.is_some(),
        chrome: req.chrome(),
    };
    Ok(req.page(&page))
}

#[derive(Deserialize)]
pub struct CloudForm {
    #[serde(default)]
    csrf: String,
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
    if !req.csrf_ok(&f.csrf) {
        return Ok(req.csrf_failed());
    }
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

fn png(lang: Lang, url: &str) -> Response {
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

// ----- audit log -----

fn audit_detail(lang: Lang, event: Option<Event>, detail: Option<&str>) -> String {
    let Some(d) = detail else {
        return String::new();
    };
    match event {
        Some(Event::RecoveryFailed) => lang.t(&format!("rec-reason-{d}")),
        Some(Event::RecoverySucceeded) => lang.t(&format!("rec-audit-{d}")),
        Some(Event::RecoveryLocked) => {
            let minutes = d.parse::<i64>().unwrap_or(0) / 60;
            lang.t_args("rec-audit-locked-for", &[("minutes", Arg::Num(minutes))])
        }
        _ => d.to_owned(),
    }
}

pub async fn audit(State(app): State<Arc<App>>, req: Req) -> Result<Response> {
    let mut req = match req.admin_required() {
        Ok(r) => r,
        Err(r) => return Ok(*r),
    };
    let lang = req.lang;
    let entries = app.store.audit_log(500).await.map_err(|e| req.err(e))?;
    let rows = entries
        .into_iter()
        .map(|e| {
            let event = Event::from_code(&e.event);
            AuditRow {
                at: format_local(e.at, app.config.utc_offset),
                event: event.map_or_else(
                    || e.event.clone(),
                    |ev| lang.t(&format!("rec-audit-event-{}", ev.code())),
                ),
                user: e.user_name.unwrap_or_default(),
                client: e.client.unwrap_or_default(),
                detail: audit_detail(lang, event, e.detail.as_deref()),
            }
        })
        .collect();
    let page = AuditPage {
        chrome: req.chrome(),
        rows,
    };
    Ok(req.page(&page))
}

// ----- forgot password and recovery -----

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

pub async fn forgot_form(State(app): State<Arc<App>>, mut req: Req) -> Result<Response> {
    let admin = app.store.admin().await.map_err(|e| req.err(e))?;
    let state = app.store.cloud_state().await.map_err(|e| req.err(e))?;
    let page = ForgotPage {
        masked_email: admin.and_then(|a| a.email).map(|e| e.masked()),
        error: None,
        no_key: state.recovery_key.is_none(),
        email: String::new(),
        chrome: req.chrome(),
    };
    Ok(req.page(&page))
}

/// Makes a new recovery challenge: to the admin's registered address if there is one (no
/// other address is accepted then), otherwise to the address typed.
pub async fn forgot(
    State(app): State<Arc<App>>,
    mut req: Req,
    Form(f): Form<ForgotForm>,
) -> Result<Response> {
    if !req.csrf_ok(&f.csrf) {
        return Ok(req.csrf_failed());
    }
    let admin = app.store.admin().await.map_err(|e| req.err(e))?;
    let state = app.store.cloud_state().await.map_err(|e| req.err(e))?;
    let registered = admin.and_then(|a| a.email);
    let no_key = state.recovery_key.is_none();
    let target = match &registered {
        Some(e) => Ok(e.clone()),
        None => Email::parse(&f.email).map_err(|_| req.lang.t("rec-error-email-invalid")),
    };
    match target {
        Ok(email) if !no_key => {
            recovery::request(&app, email, req.client.clone())
                .await
                .map_err(|e| req.err(e))?;
            Ok(Redirect::to("/recovery").into_response())
        }
        result => {
            let page = ForgotPage {
                masked_email: registered.map(|e| e.masked()),
                error: result.err(),
                no_key,
                email: f.email,
                chrome: req.chrome(),
            };
            Ok(req.page_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// The words for a refused code, each telling what to do.
fn code_error_messages(app: &App, lang: Lang, e: &CodeError) -> Vec<String> {
    let date = |d: &time::Date| Arg::Str(d.to_string());
    let time = |t: i64| Arg::Str(format_local(t, app.config.utc_offset));
    match e {
        CodeError::Malformed(SymbolError::InvalidCharacter {
            character,
            position,
        }) => vec![lang.t_args(
            "rec-code-malformed-character",
            &[
                ("character", Arg::Str(character.to_string())),
                ("position", Arg::Num(*position as i64)),
            ],
        )],
        CodeError::Malformed(SymbolError::WrongLength { expected, found }) => vec![lang.t_args(
            "rec-code-malformed-length",
            &[
                ("expected", Arg::Num(*expected as i64)),
                ("found", Arg::Num(*found as i64)),
            ],
        )],
        CodeError::ForAnotherDevice => vec![lang.t_args(
            "rec-code-for-another-device",
            &[("serial", Arg::Str(app.identity.serial.to_string()))],
        )],
        CodeError::Wrong => vec![lang.t("rec-code-wrong")],
        CodeError::AlreadyUsed => vec![lang.t("rec-code-already-used")],
        CodeError::NotYetValid {
            valid_from,
            valid_to,
            today,
        } => vec![
            lang.t_args(
                "rec-code-not-yet-valid",
                &[
                    ("from", date(valid_from)),
                    ("to", date(valid_to)),
                    ("today", date(today)),
                ],
            ),
            lang.t("rec-code-check-clock"),
        ],
        CodeError::Expired {
            valid_from,
            valid_to,
            today,
        } => vec![
            lang.t_args(
                "rec-code-expired",
                &[
                    ("from", date(valid_from)),
                    ("to", date(valid_to)),
                    ("today", date(today)),
                ],
            ),
            lang.t("rec-code-check-clock"),
        ],
        CodeError::ChallengeExpired { expired_at, now } => vec![lang.t_args(
            "rec-code-challenge-expired",
            &[("expired", time(*expired_at)), ("now", time(*now))],
        )],
        CodeError::ChallengeReplaced => vec![lang.t("rec-code-challenge-replaced")],
    }
}

fn lock_message(app: &App, lang: Lang, until: i64) -> String {
    lang.t_args(
        "rec-recovery-locked",
        &[(
            "until",
            Arg::Str(format_local(until, app.config.utc_offset)),
        )],
    )
}

async fn recovery_page(
    app: &App,
    mut req: Req,
    errors: Vec<String>,
    code: String,
    status: StatusCode,
) -> Result<Response> {
    let lang = req.lang;
    let now = app.config.clock.now();
    let state = app.store.cloud_state().await.map_err(|e| req.err(e))?;
    let lock = app.store.recovery_lock().await.map_err(|e| req.err(e))?;
    let qr = recovery::pending_qr_url(app)
        .await
        .map_err(|e| req.err(e))?
        .map(|(url, c)| QrInfo {
            url,
            masked_email: c.email.masked(),
            expires: lang.t_args(
                "rec-recovery-expires",
                &[(
                    "time",
                    Arg::Str(format_local(c.expires_at, app.config.utc_offset)),
                )],
            ),
        });
    let page = RecoveryPage {
        no_key: state.recovery_key.is_none(),
        qr,
        errors,
        lock: (lock.locked_until > now).then(|| lock_message(app, lang, lock.locked_until)),
        code,
        chrome: req.chrome(),
    };
    Ok(req.page_status(status, &page))
}

pub async fn recovery_form(State(app): State<Arc<App>>, req: Req) -> Result<Response> {
    recovery_page(&app, req, Vec::new(), String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct RecoveryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// Checks the security code offline and, if good, sets the new admin password.
pub async fn recovery(
    State(app): State<Arc<App>>,
    req: Req,
    Form(f): Form<RecoveryForm>,
) -> Result<Response> {
    if !req.csrf_ok(&f.csrf) {
        return Ok(req.csrf_failed());
    }
    let lang = req.lang;
    let outcome = recovery::submit(&app, &f.code, &f.password, &f.confirm, req.client.clone())
        .await
        .map_err(|e| req.err(e))?;
    let errors = match outcome {
        Submitted::Accepted => {
            let jar = req.jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
            return Ok((jar, Redirect::to("/login?done=reset")).into_response());
        }
        // The lock message itself is on the page.
        Submitted::Locked { .. } => Vec::new(),
        Submitted::NoRecoveryKey => Vec::new(),
        Submitted::NotActivated => return Ok(Redirect::to("/activate").into_response()),
        Submitted::Password(e) => vec![password_message(lang, e)],
        Submitted::Refused { error, .. } => code_error_messages(&app, lang, &error),
    };
    // Keep what was typed only when the code itself was not the problem.
    recovery_page(&app, req, errors, f.code, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// The recovery QR of the pending challenge as a PNG (shown on the pre-login screen).
pub async fn recovery_qr(State(app): State<Arc<App>>, req: Req) -> Result<Response> {
    let url = recovery::pending_qr_url(&app)
        .await
        .map_err(|e| req.err(e))?;
    Ok(match url {
        Some((url, _)) => png(req.lang, &url),
        None => StatusCode::NOT_FOUND.into_response(),
    })
}
