//! The pre-login recovery pages: "Forgot password?" (makes a recovery challenge) and the
//! "Password recovery" screen (shows the recovery QR, checks a typed security code).

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::Cookie;
use rekey_proto::symbols::SymbolError;
use rekey_proto::{CodeError, Email};
use rekey_web::Lang;
use rekey_web::i18n::{Arg, Message};
use serde::Deserialize;

use super::handlers::{password_message, png};
use super::views::{ForgotPage, QrInfo, RecoveryPage};
use super::{Req, Result, SESSION_COOKIE};
use crate::recovery::{self, Submitted};
use crate::startup::App;

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot_form(State(app): State<Arc<App>>, mut req: Req) -> Result<Response> {
    let admin = app.store.admin().await.map_err(|e| req.err(e))?;
    let state = app.store.cloud_state().await.map_err(|e| req.err(e))?;
    let page = ForgotPage {
        masked_email: admin.and_then(|a| a.email).map(|e| e.masked()),
        error: None,
        limited: None,
        no_key: state.binding_key().is_none(),
        email: String::new(),
        chrome: req.chrome(),
    };
    Ok(req.page(&page))
}

/// Makes a new recovery challenge: to the admin's registered address if there is one (no
/// other address is accepted then), otherwise to the address typed. Requests are limited per
/// client address and overall; a refused one says when to try again and makes nothing.
pub async fn forgot(
    State(app): State<Arc<App>>,
    mut req: Req,
    Form(f): Form<ForgotForm>,
) -> Result<Response> {
    let admin = app.store.admin().await.map_err(|e| req.err(e))?;
    let state = app.store.cloud_state().await.map_err(|e| req.err(e))?;
    let registered = admin.and_then(|a| a.email);
    let no_key = state.binding_key().is_none();
    let target = match &registered {
        Some(e) => Ok(e.clone()),
        None => Email::parse(&f.email).map_err(|_| req.lang.message("rec-error-email-invalid")),
    };
    let mut limited = None;
    let error = match target {
        Ok(email) if !no_key => {
            match recovery::request(&app, email, req.client.clone())
                .await
                .map_err(|e| req.err(e))?
            {
                Ok(_) => return Ok(Redirect::to("/recovery").into_response()),
                Err(refused) => {
                    limited = Some(refused);
                    None
                }
            }
        }
        result => result.err(),
    };
    let page = ForgotPage {
        masked_email: registered.map(|e| e.masked()),
        error,
        limited: limited.map(|r| limited_message(&app, req.lang, r.until)),
        no_key,
        email: f.email,
        chrome: req.chrome(),
    };
    let Some(refused) = limited else {
        return Ok(req.page_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let wait = (refused.until - app.config.clock.now()).max(1);
    let mut res = req.page_status(StatusCode::TOO_MANY_REQUESTS, &page);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    Ok(res)
}

/// "Too many recovery requests; try again after {time}" (the recorder's local time, shown in
/// minutes, so rounded up to the next whole minute).
fn limited_message(app: &App, lang: Lang, until: i64) -> Message {
    let shown = (until + 59).div_euclid(60) * 60;
    lang.message_args(
        "rec-forgot-limited",
        &[("time", Arg::Str(app.config.time_zone.format(shown)))],
    )
}

/// The words for a refused code, each telling what to do.
fn code_error_messages(app: &App, lang: Lang, e: &CodeError) -> Vec<Message> {
    let date = |d: &time::Date| Arg::Str(d.to_string());
    let time = |t: i64| Arg::Str(app.config.time_zone.format(t));
    match e {
        CodeError::Malformed(SymbolError::InvalidCharacter {
            character,
            position,
        }) => vec![lang.message_args(
            "rec-code-malformed-character",
            &[
                ("character", Arg::Str(character.to_string())),
                ("position", Arg::Num(*position as i64)),
            ],
        )],
        CodeError::Malformed(SymbolError::WrongLength { expected, found }) => {
            vec![lang.message_args(
                "rec-code-malformed-length",
                &[
                    ("expected", Arg::Num(*expected as i64)),
                    ("found", Arg::Num(*found as i64)),
                ],
            )]
        }
        CodeError::NotForThisDevice => vec![lang.message_args(
            "rec-code-not-for-this-device",
            &[("serial", Arg::Str(app.identity.serial.to_string()))],
        )],
        CodeError::Wrong => vec![lang.message("rec-code-wrong")],
        CodeError::AlreadyUsed => vec![lang.message("rec-code-already-used")],
        CodeError::NotYetValid {
            valid_from,
            valid_to,
            today,
        } => vec![
            lang.message_args(
                "rec-code-not-yet-valid",
                &[
                    ("from", date(valid_from)),
                    ("to", date(valid_to)),
                    ("today", date(today)),
                ],
            ),
            lang.message("rec-code-check-clock"),
        ],
        CodeError::Expired {
            valid_from,
            valid_to,
            today,
        } => vec![
            lang.message_args(
                "rec-code-expired",
                &[
                    ("from", date(valid_from)),
                    ("to", date(valid_to)),
                    ("today", date(today)),
                ],
            ),
            lang.message("rec-code-check-clock"),
        ],
        CodeError::ChallengeExpired { expired_at, now } => vec![lang.message_args(
            "rec-code-challenge-expired",
            &[("expired", time(*expired_at)), ("now", time(*now))],
        )],
        CodeError::ChallengeReplaced => vec![lang.message("rec-code-challenge-replaced")],
    }
}

fn lock_message(app: &App, lang: Lang, until: i64) -> Message {
    lang.message_args(
        "rec-recovery-locked",
        &[("until", Arg::Str(app.config.time_zone.format(until)))],
    )
}

async fn recovery_page(
    app: &App,
    mut req: Req,
    errors: Vec<Message>,
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
                &[("time", Arg::Str(app.config.time_zone.format(c.expires_at)))],
            ),
        });
    let page = RecoveryPage {
        no_key: state.binding_key().is_none(),
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
