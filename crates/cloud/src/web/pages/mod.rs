//! The portal's pages: server-rendered HTML forms that work without JavaScript on a PC and on a
//! phone. Every handler checks the CSRF token of a state-changing form, calls the service layer
//! and renders a template; a problem is shown on the same page with what the user typed kept.

mod account;
mod devices;
mod forgot;
mod outbox;
mod session;
mod signup;
mod transfers;

pub(crate) use account::*;
pub(crate) use devices::*;
pub(crate) use forgot::*;
pub(crate) use outbox::*;
pub(crate) use session::*;
pub(crate) use signup::*;
pub(crate) use transfers::*;

use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use rekey_web::Lang;
use rekey_web::i18n::{Arg, Message};

use super::ctx::{Ctx, SESSION_COOKIE, cookie, page_error};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::codes::CODE_TTL_SECS;

pub(crate) type PageResult = Result<Response, Response>;

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
pub(crate) fn message_page(lang: Lang, message: Message) -> Html<String> {
    let fallback = message.text.clone();
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
        error: Some(message),
    };
    Html(MessagePage { c }.render().unwrap_or(fallback))
}

pub(crate) fn t_args(lang: Lang, key: &str, args: &[(&'static str, Arg)]) -> String {
    crate::mail::strip_isolates(&lang.t_args(key, args))
}

/// [`t_args`] with its catalog key, for a notice or an error on a page.
pub(crate) fn message_args(lang: Lang, key: &'static str, args: &[(&'static str, Arg)]) -> Message {
    Message {
        key,
        text: t_args(lang, key, args),
    }
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
