//! "Forgot your password?" for the cloud account: a code by mail, then a new password.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::service::accounts;
use crate::state::AppState;
use crate::web::ctx::Ctx;

use super::*;

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
    pub(super) email: String,
    /// The current password (changing the address asks for it).
    #[serde(default)]
    pub(super) current: String,
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
            let notice = lang.message("cloud-reset-done");
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
