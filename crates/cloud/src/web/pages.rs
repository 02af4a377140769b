//! The portal's pages: server-rendered HTML forms that work without JavaScript on a PC and on a
//! phone. Every handler checks the CSRF token of a state-changing form, calls the service layer
//! and renders a template; a problem is shown on the same page with what the user typed kept.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use rekey_web::Lang;
use rekey_web::i18n::Arg;
use serde::Deserialize;

use super::ctx::{Ctx, SESSION_COOKIE, cookie, page_error};
use crate::error::{AppError, AppResult};
use crate::service::{accounts, devices};
use crate::state::AppState;
use crate::store::codes::CODE_TTL_SECS;

type PageResult = Result<Response, Response>;

pub(crate) fn render(t: &impl Template, lang: Lang) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => page_error(
            lang,
            AppError::Internal(anyhow::Error::new(e).context("template")),
        ),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    c: Ctx,
}

/// A bare page showing one message (errors without a page of their own).
pub(crate) fn message_page(lang: Lang, message: &str) -> Html<String> {
    let c = Ctx {
        lang,
        account: None,
        session: None,
        csrf: rekey_web::CsrfToken::from_stored(String::new()),
        // A page rendered outside a request: no client (never loopback).
        client: crate::service::Client {
            ip: std::net::IpAddr::from([0, 0, 0, 0]),
        },
        here: "/".into(),
        notice: None,
        error: Some(message.to_string()),
    };
    Html(
        MessagePage { c }
            .render()
            .unwrap_or_else(|_| message.to_string()),
    )
}

/// Formats Unix seconds for pages and mail: `2026-11-26 17:23 UTC`.
pub(crate) fn fmt_time(ts: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(ts).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

pub(crate) fn t_args(lang: Lang, key: &str, args: &[(&'static str, Arg)]) -> String {
    crate::mail::strip_isolates(&lang.t_args(key, args))
}

fn password_hint(lang: Lang) -> String {
    t_args(
        lang,
        "cloud-password-hint",
        &[("min", (rekey_web::password::MIN_CHARS as i64).into())],
    )
}

pub(crate) fn sent_to(lang: Lang, email: &str) -> String {
    t_args(
        lang,
        "cloud-code-sent",
        &[
            ("email", email.into()),
            ("minutes", (CODE_TTL_SECS / 60).into()),
        ],
    )
}

/// A region choice.
#[derive(Debug, Clone)]
pub(crate) struct RegionOption {
    /// Its code.
    pub code: String,
    /// Its name in the page language.
    pub name: String,
}

/// The configured regions with their names.
pub(crate) fn regions(state: &AppState, lang: Lang) -> Vec<RegionOption> {
    state
        .config
        .regions
        .iter()
        .map(|code| RegionOption {
            code: code.clone(),
            name: region_name(lang, code),
        })
        .collect()
}

/// A region's name, or its code in capitals if the catalog has none.
pub(crate) fn region_name(lang: Lang, code: &str) -> String {
    let key = format!("region-{code}");
    let name = lang.t(&key);
    if name == key {
        code.to_ascii_uppercase()
    } else {
        name
    }
}

/// Only local paths are followed after login.
fn safe_next(next: &str) -> &str {
    if rekey_web::is_local_path(next) {
        next
    } else {
        "/devices"
    }
}

fn logged_in(state: &AppState, jar: CookieJar, token: String, next: &str) -> Response {
    (
        jar.add(cookie(state, SESSION_COOKIE, token)),
        Redirect::to(safe_next(next)),
    )
        .into_response()
}

// ----- home, language, agreement -----

/// `GET /`.
pub(crate) async fn home(c: Ctx) -> Redirect {
    Redirect::to(if c.account.is_some() {
        "/devices"
    } else {
        "/login"
    })
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: String,
}

/// `GET /lang/{code}`: remembers a language choice.
pub(crate) async fn set_lang(
    State(state): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(c.lang);
    lang_switched(&state, lang, &q)
}

/// `POST /lang/{code}` (CSRF-checked like every portal form): the cookie, and for a logged-in
/// account also the language of its mail. A `GET` only sets the cookie: a link or an image on
/// another site must not change an account.
pub(crate) async fn set_account_lang(
    State(state): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(c.lang);
    if let Some(account) = &c.account
        && let Err(e) = state.store.set_lang(account.id, lang).await
    {
        AppError::from(e).log();
    }
    lang_switched(&state, lang, &q)
}

fn lang_switched(state: &AppState, lang: Lang, q: &NextQuery) -> Response {
    let jar = CookieJar::new().add(cookie(
        state,
        rekey_web::i18n::LANG_COOKIE,
        lang.code().to_string(),
    ));
    (jar, Redirect::to(safe_next(&q.next))).into_response()
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct AgreementPage {
    c: Ctx,
    version_line: String,
}

/// `GET /agreement`: the service agreement.
pub(crate) async fn agreement(c: Ctx) -> Response {
    let version_line = t_args(
        c.lang,
        "cloud-agreement-version",
        &[("version", accounts::AGREEMENT_VERSION.into())],
    );
    let lang = c.lang;
    render(&AgreementPage { c, version_line }, lang)
}

// ----- login, logout -----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Ctx,
    login: String,
    next: String,
}

impl LoginPage {
    /// `?next=…` for the sign-up links, so that what the user came for (a scanned registration
    /// QR code) survives signing up instead.
    fn next_query(&self) -> String {
        next_query(&self.next)
    }
}

/// `?next=PATH` (encoded) when `next` is a local path to go on to; empty otherwise.
fn next_query(next: &str) -> String {
    if rekey_web::is_local_path(next) {
        format!(
            "?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        )
    } else {
        String::new()
    }
}

/// `GET /login`.
pub(crate) async fn login_page(c: Ctx, Query(q): Query<NextQuery>) -> Response {
    if c.account.is_some() {
        return Redirect::to(safe_next(&q.next)).into_response();
    }
    let lang = c.lang;
    render(
        &LoginPage {
            c,
            login: String::new(),
            next: q.next,
        },
        lang,
    )
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`.
pub(crate) async fn login(
    State(state): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let result = accounts::login(&state, c.client, &f.login, &f.password).await;
    match result {
        Ok((_, token)) => logged_in(&state, jar, token, &f.next),
        Err(e) => {
            let lang = c.lang;
            let status = if matches!(e, AppError::Internal(_)) {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            };
            let page = render(
                &LoginPage {
                    c: c.with_error(&e),
                    login: f.login,
                    next: f.next,
                },
                lang,
            );
            (status, page).into_response()
        }
    }
}

/// `POST /logout`.
pub(crate) async fn logout(State(state): State<AppState>, c: Ctx, jar: CookieJar) -> Response {
    if let Some(token) = &c.session
        && let Err(e) = state.store.delete_session(token).await
    {
        return page_error(c.lang, e.into());
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login"),
    )
        .into_response()
}

// ----- sign-up, PC order -----

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    c: Ctx,
    step: u8,
    /// Where to go once signed up (a local path), carried through the steps.
    next: String,
    username: String,
    email: String,
    region: String,
    regions: Vec<RegionOption>,
    password_hint: String,
    sent_to: String,
}

impl SignupPage {
    fn new(state: &AppState, c: Ctx, step: u8) -> Self {
        let lang = c.lang;
        Self {
            c,
            step,
            next: String::new(),
            username: String::new(),
            email: String::new(),
            region: state.config.regions.first().cloned().unwrap_or_default(),
            regions: regions(state, lang),
            password_hint: password_hint(lang),
            sent_to: String::new(),
        }
    }

    /// `?next=…` for the link back to the first step.
    fn next_query(&self) -> String {
        next_query(&self.next)
    }
}

/// `GET /signup`: the PC order's page (p.12).
pub(crate) async fn signup_page(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = c.lang;
    let mut page = SignupPage::new(&state, c, 1);
    page.next = q.next;
    render(&page, lang)
}

#[derive(Deserialize)]
pub(crate) struct SignupForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    email: String,
}

/// `POST /signup`: "Acquire" — checks the form and e-mails the verification code.
pub(crate) async fn signup(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<SignupForm>,
) -> Response {
    let lang = c.lang;
    let result = {
        let form = accounts::PcSignup {
            username: &f.username,
            password: &f.password,
            confirm: &f.confirm,
            region: &f.region,
            email: &f.email,
        };
        accounts::start_pc_signup(&state, c.client, form, lang).await
    };
    match result {
        Ok(email) => {
            let mut page = SignupPage::new(&state, c, 2);
            page.sent_to = sent_to(lang, email.as_str());
            page.email = email.as_str().to_string();
            page.next = f.next;
            render(&page, lang)
        }
        Err(e) => {
            let mut page = SignupPage::new(&state, c.with_error(&e), 1);
            page.next = f.next;
            page.username = f.username;
            page.email = f.email;
            page.region = f.region;
            render(&page, lang)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct SignupVerifyForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    agree: Option<String>,
}

/// `POST /signup/verify`: the code and the agreement (p.13) — creates the account.
pub(crate) async fn signup_verify(
    State(state): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Form(f): Form<SignupVerifyForm>,
) -> Response {
    let lang = c.lang;
    let result = {
        let form = accounts::FinishSignup {
            email: &f.email,
            code: &f.code,
            password: None,
            agreed: f.agree.is_some(),
            agreement_version: None,
        };
        accounts::finish_signup(&state, c.client, form, lang).await
    };
    match result {
        Ok((_, token)) => logged_in(&state, jar, token, &f.next),
        Err(e) => {
            let mut page = SignupPage::new(&state, c.with_error(&e), 2);
            page.next = f.next;
            page.sent_to = sent_to(lang, &f.email);
            page.email = f.email;
            render(&page, lang)
        }
    }
}

// ----- sign-up, phone order -----

#[derive(Template)]
#[template(path = "m_signup.html")]
struct PhoneSignupPage {
    c: Ctx,
    step: &'static str,
    /// Where to go once signed up (a local path), carried through the steps.
    next: String,
    region: String,
    regions: Vec<RegionOption>,
    email: String,
    code: String,
    sent_to: String,
    password_hint: String,
}

/// `GET /m/signup`: the phone order's first step, the region (p.5).
pub(crate) async fn phone_signup_page(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = c.lang;
    let page = PhoneSignupPage {
        next: q.next,
        region: state.config.regions.first().cloned().unwrap_or_default(),
        regions: regions(&state, lang),
        c,
        step: "region",
        email: String::new(),
        code: String::new(),
        sent_to: String::new(),
        password_hint: password_hint(lang),
    };
    render(&page, lang)
}

#[derive(Deserialize)]
pub(crate) struct PhoneSignupForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    agree: Option<String>,
}

/// `POST /m/signup`: region → e-mail → code → password and agreement (p.5–7).
pub(crate) async fn phone_signup(
    State(state): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Form(f): Form<PhoneSignupForm>,
) -> Response {
    let lang = c.lang;
    // What the step asks; on success, which step comes next.
    let (stay, next): (&'static str, AppResult<&'static str>) = match f.step.as_str() {
        "region" => ("region", Ok("email")),
        "email" => (
            "email",
            accounts::start_phone_signup(&state, c.client, &f.region, &f.email, lang)
                .await
                .map(|_| "code"),
        ),
        "code" => (
            "code",
            accounts::check_signup_code(&state, c.client, &f.email, &f.code)
                .await
                .map(|()| "password"),
        ),
        _ => {
            let form = accounts::FinishSignup {
                email: &f.email,
                code: &f.code,
                password: Some((&f.password, &f.confirm)),
                agreed: f.agree.is_some(),
                agreement_version: None,
            };
            match accounts::finish_signup(&state, c.client, form, lang).await {
                Ok((_, token)) => {
                    // Back to what the user came for (a scanned registration QR code), or the
                    // device list with its welcome.
                    let to = if rekey_web::is_local_path(&f.next) {
                        f.next.as_str()
                    } else {
                        "/devices?welcome=1"
                    };
                    let jar = jar.add(cookie(&state, SESSION_COOKIE, token));
                    return (jar, Redirect::to(to)).into_response();
                }
                Err(e) => ("password", Err(e)),
            }
        }
    };
    let (c, step) = match next {
        Ok(step) => (c, step),
        Err(e) => {
            // A dead code sends the user back to ask for a new one.
            let back = matches!(&e, AppError::Problem(p) if matches!(p.key, "cloud-code-expired" | "cloud-code-too-many" | "cloud-code-none" | "cloud-code-used"));
            (c.with_error(&e), if back { "email" } else { stay })
        }
    };
    let page = PhoneSignupPage {
        next: f.next,
        regions: regions(&state, lang),
        region: f.region,
        sent_to: sent_to(lang, &f.email),
        email: f.email,
        code: f.code,
        c,
        step,
        password_hint: password_hint(lang),
    };
    render(&page, lang)
}

// ----- forgot cloud password -----

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    c: Ctx,
    step: u8,
    email: String,
    sent_to: String,
    password_hint: String,
}

/// `GET /forgot`.
pub(crate) async fn forgot_page(c: Ctx) -> Response {
    let lang = c.lang;
    render(
        &ForgotPage {
            c,
            step: 1,
            email: String::new(),
            sent_to: String::new(),
            password_hint: password_hint(lang),
        },
        lang,
    )
}

#[derive(Deserialize)]
pub(crate) struct EmailForm {
    #[serde(default)]
    email: String,
    /// The current password (changing the address asks for it).
    #[serde(default)]
    current: String,
}

/// `POST /forgot`: e-mails a code if the address has an account.
pub(crate) async fn forgot(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<EmailForm>,
) -> Response {
    let lang = c.lang;
    let result = accounts::start_password_reset(&state, c.client, &f.email).await;
    let (c, step) = match result {
        Ok(_) => (c, 2),
        Err(e) => (c.with_error(&e), 1),
    };
    render(
        &ForgotPage {
            c,
            step,
            sent_to: sent_to(lang, &f.email),
            email: f.email,
            password_hint: password_hint(lang),
        },
        lang,
    )
}

#[derive(Deserialize)]
pub(crate) struct ResetForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /forgot/reset`: the code and the new password.
pub(crate) async fn forgot_reset(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<ResetForm>,
) -> Response {
    let lang = c.lang;
    let result = {
        accounts::finish_password_reset(
            &state,
            c.client,
            &f.email,
            &f.code,
            &f.password,
            &f.confirm,
        )
        .await
    };
    match result {
        Ok(()) => {
            let notice = lang.t("cloud-reset-done");
            let lp = LoginPage {
                c: c.with_notice(notice),
                login: f.email,
                next: String::new(),
            };
            render(&lp, lang)
        }
        Err(e) => render(
            &ForgotPage {
                c: c.with_error(&e),
                step: 2,
                sent_to: sent_to(lang, &f.email),
                email: f.email,
                password_hint: password_hint(lang),
            },
            lang,
        ),
    }
}

// ----- user information -----

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Ctx,
    username: String,
    email: String,
    region: String,
    created: String,
    pending_email: Option<String>,
    sent_to: String,
    password_hint: String,
}

fn account_page(c: Ctx, pending_email: Option<String>) -> Response {
    let lang = c.lang;
    let Some(a) = c.account.clone() else {
        return Redirect::to("/login").into_response();
    };
    let sent = pending_email
        .as_deref()
        .map(|e| sent_to(lang, e))
        .unwrap_or_default();
    render(
        &AccountPage {
            username: a.username.as_str().to_string(),
            email: a.email.as_str().to_string(),
            region: region_name(lang, &a.region),
            created: fmt_time(a.created_at),
            pending_email,
            sent_to: sent,
            password_hint: password_hint(lang),
            c,
        },
        lang,
    )
}

/// `GET /account`: user information (p.7).
pub(crate) async fn account(c: Ctx) -> PageResult {
    c.require_login()?;
    Ok(account_page(c, None))
}

#[derive(Deserialize)]
pub(crate) struct UsernameForm {
    #[serde(default)]
    username: String,
}

/// Reloads the account after a change, so the page shows the new values.
async fn refreshed(state: &AppState, mut c: Ctx) -> Ctx {
    if let Some(id) = c.account.as_ref().map(|a| a.id)
        && let Ok(Some(a)) = state.store.account_by_id(id).await
    {
        c.account = Some(a);
    }
    c
}

/// `POST /account/username`.
pub(crate) async fn account_username(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<UsernameForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result = accounts::change_username(&state, &account, &f.username).await;
    let c = match result {
        Ok(_) => refreshed(&state, c)
            .await
            .with_notice(account.lang.t("cloud-saved")),
        Err(e) => c.with_error(&e),
    };
    Ok(account_page(c, None))
}

/// `POST /account/email`: e-mails a code to the new address.
pub(crate) async fn account_email(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<EmailForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let lang = c.lang;
    let result = {
        accounts::start_email_change(&state, c.client, &account, &f.email, &f.current, lang).await
    };
    Ok(match result {
        Ok(email) => account_page(c, Some(email.as_str().to_string())),
        Err(e) => account_page(c.with_error(&e), None),
    })
}

#[derive(Deserialize)]
pub(crate) struct EmailCodeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
}

/// `POST /account/email/confirm`: the code sent to the new address.
pub(crate) async fn account_email_confirm(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<EmailCodeForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result = {
        accounts::finish_email_change(&state, &account, c.session.as_deref(), &f.email, &f.code)
            .await
    };
    Ok(match result {
        Ok(_) => {
            let notice = c.t("cloud-saved");
            account_page(refreshed(&state, c).await.with_notice(notice), None)
        }
        Err(e) => account_page(c.with_error(&e), Some(f.email)),
    })
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /account/password`.
pub(crate) async fn account_password(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result = {
        accounts::change_password(
            &state,
            &account,
            c.session.as_deref(),
            &f.current,
            &f.password,
            &f.confirm,
        )
        .await
    };
    let c = match result {
        Ok(()) => {
            let notice = c.t("cloud-password-changed");
            c.with_notice(notice)
        }
        Err(e) => c.with_error(&e),
    };
    Ok(account_page(c, None))
}

// ----- devices -----

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
}

async fn devices_page(state: &AppState, c: Ctx, code: String, name: String) -> Response {
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
                        &[("time", fmt_time(d.last_seen_at).into())],
                    )
                },
                added: fmt_time(d.bound_at.unwrap_or(d.enrolled_at)),
            }
        })
        .collect();
    render(
        &DevicesPage {
            c,
            devices,
            code,
            name,
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
        let notice = t_args(
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
    let c = if q.v != "1" {
        let e = AppError::from(crate::error::Problem::bad("cloud-qr-version"));
        c.with_error(&e)
    } else {
        let notice = c.t("cloud-add-from-qr");
        c.with_notice(notice)
    };
    Ok(devices_page(&state, c, q.code, String::new()).await)
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
            let notice = t_args(
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
            let notice = c.t("cloud-saved");
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
            let notice = c.t("cloud-device-removed");
            c.with_notice(notice)
        }
        Err(e) => c.with_error(&e),
    };
    Ok(devices_page(&state, c, String::new(), String::new()).await)
}

// ----- local outbox -----

/// A mail as the outbox page shows it.
#[derive(Debug, Clone)]
pub(crate) struct OutboxMail {
    to_addr: String,
    subject: String,
    body: String,
    when: String,
    state: String,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    c: Ctx,
    mails: Vec<OutboxMail>,
}

/// `GET /dev/outbox`: the mail written to the outbox, for a local system without SMTP. Only
/// served when no SMTP server is configured, and only to loopback clients.
pub(crate) async fn outbox(State(state): State<AppState>, c: Ctx) -> Response {
    let lang = c.lang;
    if !state.outbox || !c.client.ip.is_loopback() {
        return page_error(
            lang,
            crate::error::Problem::bad("error-not-found")
                .status(StatusCode::NOT_FOUND)
                .into(),
        );
    }
    let mails = match state.store.recent_mail(100).await {
        Ok(m) => m,
        Err(e) => return page_error(lang, e.into()),
    };
    let mails = mails
        .into_iter()
        .map(|m| OutboxMail {
            state: lang.t(if m.sent_at.is_some() {
                "cloud-outbox-written"
            } else {
                "cloud-outbox-queued"
            }),
            when: fmt_time(m.created_at),
            to_addr: m.to_addr,
            subject: m.subject,
            body: m.body,
        })
        .collect();
    render(&OutboxPage { c, mails }, lang)
}

/// Fallback: 404 page.
pub(crate) async fn not_found(c: Ctx) -> Response {
    page_error(
        c.lang,
        crate::error::Problem::bad("error-not-found")
            .status(StatusCode::NOT_FOUND)
            .into(),
    )
}
