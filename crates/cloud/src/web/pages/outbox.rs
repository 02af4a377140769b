//! The local outbox (mail written instead of sent when no SMTP server is configured) and the 404 page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::state::AppState;
use crate::web::ctx::{Ctx, page_error};

use super::*;

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
            when: c.time(m.created_at),
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
