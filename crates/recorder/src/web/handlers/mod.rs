//! The page handlers, one module per screen; what they share is here.

mod activation;
mod cloud;
mod session;
mod users;

pub use activation::*;
pub use cloud::*;
pub use session::*;
pub use users::*;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rekey_web::Lang;
use rekey_web::i18n::{Arg, LANG_COOKIE, Message};
use rekey_web::password::{self, HashError};
use serde::Deserialize;

use super::{Req, Result, cookie};
use crate::startup::App;

/// Query flags that show a one-line notice after a redirect.
#[derive(Debug, Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
}

fn notice(lang: Lang, n: &Notice) -> Option<Message> {
    let key = match n.done.as_deref()? {
        "activated" => "rec-notice-activated",
        "reset" => "rec-notice-password-reset",
        "logged-out" => "rec-notice-logged-out",
        "enabled" => "rec-notice-cloud-enabled",
        "disabled" => "rec-notice-cloud-disabled",
        "email" => "rec-notice-email-saved",
        "user-added" => "rec-notice-user-added",
        "release-requested" => "rec-notice-cloud-release-requested",
        _ => return None,
    };
    Some(lang.message(key))
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
    let m = req.lang.message("error-not-found");
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
