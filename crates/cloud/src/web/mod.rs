//! The web portal for PC and phone (server-rendered, no JavaScript needed) and its routes.

// Handlers answer `Result<Response, Response>` (a page or a redirect either way), as axum does.
#![allow(clippy::result_large_err)]

pub mod ctx;
pub(crate) mod pages;
pub(crate) mod recovery;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::state::AppState;

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

/// The portal's routes.
pub fn routes(state: AppState) -> Router<AppState> {
    use pages::*;
    Router::new()
        .route("/", get(home))
        .route("/lang/{code}", get(set_lang).post(set_account_lang))
        .route("/agreement", get(agreement))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/signup", get(signup_page).post(signup))
        .route("/signup/verify", post(signup_verify))
        .route("/m/signup", get(phone_signup_page).post(phone_signup))
        .route("/forgot", get(forgot_page).post(forgot))
        .route("/forgot/reset", post(forgot_reset))
        .route("/account", get(account))
        .route("/account/username", post(account_username))
        .route("/account/email", post(account_email))
        .route("/account/email/confirm", post(account_email_confirm))
        .route("/account/password", post(account_password))
        .route("/account/time-zone", post(account_time_zone))
        .route("/account/export", get(account_export))
        .route("/account/delete", post(account_delete))
        .route("/account/delete/confirm", post(account_delete_confirm))
        .route("/devices", get(devices))
        .route("/devices/add", post(devices_add))
        .route("/devices/{serial}/rename", post(devices_rename))
        .route(
            "/devices/{serial}/remove",
            get(devices_remove_page).post(devices_remove),
        )
        .route("/m/add", get(mobile_add))
        .route(
            "/m/recover",
            get(recovery::recover_page).post(recovery::recover_send),
        )
        .route(
            "/devices/{serial}/retrieve",
            get(recovery::retrieve_page).post(recovery::retrieve),
        )
        .route(
            "/devices/{serial}/retrieve/code",
            post(recovery::retrieve_code),
        )
        .route("/devices/{serial}/retrieved/{id}", get(recovery::retrieved))
        .route("/activity", get(recovery::activity))
        .route("/transfers", get(transfers_page).post(transfer_offer))
        .route("/transfers/{id}", get(transfer_link))
        .route("/transfers/{id}/accept", post(transfer_accept))
        .route("/transfers/{id}/decline", post(transfer_decline))
        .route("/transfers/{id}/cancel", post(transfer_cancel))
        .route("/dev/outbox", get(outbox))
        .route("/static/app.css", get(stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state,
            rekey_web::csrf::guard::csrf_guard::<AppState>,
        ))
}
