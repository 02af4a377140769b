//! Home, language choice, the service agreement, login and logout.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use rekey_web::Lang;
use serde::Deserialize;

use crate::error::AppError;
use crate::service::accounts;
use crate::state::AppState;
use crate::web::ctx::{Ctx, SESSION_COOKIE, cookie, page_error};

use super::*;

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
    pub(super) next: String,
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
pub(super) struct LoginPage {
    pub(super) c: Ctx,
    pub(super) login: String,
    pub(super) next: String,
}

impl LoginPage {
    /// `?next=…` for the sign-up links, so that what the user came for (a scanned registration
    /// QR code) survives signing up instead.
    fn next_query(&self) -> String {
        next_query(&self.next)
    }
}

/// `?next=PATH` (encoded) when `next` is a local path to go on to; empty otherwise.
pub(super) fn next_query(next: &str) -> String {
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
