//! User information (p.7): user name, e-mail address with a code to the new one, password,
//! and the account's data: its export, and deleting the account (password, then a code).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::service::accounts;
use crate::state::AppState;
use crate::web::ctx::Ctx;

use super::*;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Ctx,
    username: String,
    email: String,
    region: String,
    time_zone: String,
    zone_groups: Vec<ZoneGroup>,
    created: String,
    pending_email: Option<String>,
    sent_to: String,
    password_hint: String,
    /// Deleting: the code was sent to the account's address; the page asks for it.
    deleting: bool,
    retention_days: String,
}

/// The zones of one area (`Asia`, `Europe`, …) in the time zone list.
#[derive(Debug, Clone)]
struct ZoneGroup {
    area: String,
    zones: Vec<String>,
}

/// The time zone choices grouped by area, the account's own first if the list lacks it (an
/// old alias given through the API).
fn zone_groups(current: &str) -> Vec<ZoneGroup> {
    let mut groups: Vec<ZoneGroup> = Vec::new();
    let choices = rekey_web::TimeZone::choices();
    if !choices.iter().any(|z| z == current) {
        groups.push(ZoneGroup {
            area: String::new(),
            zones: vec![current.to_string()],
        });
    }
    for zone in choices {
        let area = zone.split_once('/').map_or(zone.as_str(), |(a, _)| a);
        match groups.last_mut() {
            Some(g) if g.area == area => g.zones.push(zone.clone()),
            _ => groups.push(ZoneGroup {
                area: area.to_string(),
                zones: vec![zone.clone()],
            }),
        }
    }
    groups
}

fn account_page(state: &AppState, c: Ctx, pending_email: Option<String>) -> Response {
    account_page_with(state, c, pending_email, false)
}

fn account_page_with(
    state: &AppState,
    c: Ctx,
    pending_email: Option<String>,
    deleting: bool,
) -> Response {
    let days = i64::from(state.config.deleted_account_retention_days);
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
            time_zone: a.time_zone.name().to_string(),
            zone_groups: zone_groups(a.time_zone.name()),
            created: a.time_zone.format(a.created_at),
            pending_email,
            sent_to: sent,
            password_hint: password_hint(lang),
            deleting,
            retention_days: t_args(lang, "cloud-delete-account-intro", &[("days", days.into())]),
            c,
        },
        lang,
    )
}

/// `GET /account`: user information (p.7).
pub(crate) async fn account(State(state): State<AppState>, c: Ctx) -> PageResult {
    c.require_login()?;
    Ok(account_page(&state, c, None))
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
            .with_notice(account.lang.message("cloud-saved")),
        Err(e) => c.with_error(&e),
    };
    Ok(account_page(&state, c, None))
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
        Ok(email) => account_page(&state, c, Some(email.as_str().to_string())),
        Err(e) => account_page(&state, c.with_error(&e), None),
    })
}

#[derive(Deserialize)]
pub(crate) struct TimeZoneForm {
    #[serde(default)]
    time_zone: String,
}

/// `POST /account/time-zone`: the zone the portal's pages and mail show times in.
pub(crate) async fn account_time_zone(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<TimeZoneForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let c = match accounts::change_time_zone(&state, &account, &f.time_zone).await {
        Ok(_) => {
            let notice = c.message("cloud-saved");
            refreshed(&state, c).await.with_notice(notice)
        }
        Err(e) => c.with_error(&e),
    };
    Ok(account_page(&state, c, None))
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
            let notice = c.message("cloud-saved");
            account_page(&state, refreshed(&state, c).await.with_notice(notice), None)
        }
        Err(e) => account_page(&state, c.with_error(&e), Some(f.email)),
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
            let notice = c.message("cloud-password-changed");
            c.with_notice(notice)
        }
        Err(e) => c.with_error(&e),
    };
    Ok(account_page(&state, c, None))
}

/// `GET /account/export`: the account's data as a JSON file to download.
pub(crate) async fn account_export(State(state): State<AppState>, c: Ctx) -> PageResult {
    let account = c.require_login()?.clone();
    let data = crate::service::deletion::export(&state, &account)
        .await
        .map_err(|e| crate::web::ctx::page_error(c.lang, e))?;
    let body = serde_json::to_vec_pretty(&data).unwrap_or_default();
    let file = format!(
        "attachment; filename=\"rekey-account-{}.json\"",
        account.username.as_str()
    );
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json".to_string(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, file),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    current: String,
}

/// `POST /account/delete`: the current password; e-mails a code to the account's address.
pub(crate) async fn account_delete(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<DeleteForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    let result = crate::service::deletion::start(&state, c.client, &account, &f.current).await;
    Ok(match result {
        Ok(()) => account_page_with(&state, c, None, true),
        Err(e) => account_page(&state, c.with_error(&e), None),
    })
}

#[derive(Deserialize)]
pub(crate) struct DeleteCodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /account/delete/confirm`: the code deletes the account; the browser is logged out.
pub(crate) async fn account_delete_confirm(
    State(state): State<AppState>,
    c: Ctx,
    jar: axum_extra::extract::cookie::CookieJar,
    Form(f): Form<DeleteCodeForm>,
) -> PageResult {
    let account = c.require_login()?.clone();
    match crate::service::deletion::finish(&state, &account, &f.code).await {
        Ok(_) => {
            let notice = c.message("cloud-account-deleted");
            let mut c = c.with_notice(notice);
            c.account = None;
            c.session = None;
            let page = render(&MessagePage { c }, account.lang);
            let cookie = axum_extra::extract::cookie::Cookie::build(SESSION_COOKIE).path("/");
            Ok((jar.remove(cookie), page).into_response())
        }
        Err(e) => Ok(account_page_with(&state, c.with_error(&e), None, true)),
    }
}
