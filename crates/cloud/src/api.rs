//! The JSON API the `rekey` CLI uses (`/api/v1`, documented in docs/api.md). Requests carry a
//! bearer token from `POST /login` or `POST /signup`; errors are `{"error", "message"}` with the
//! message in the language of `Accept-Language`.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rekey_web::Lang;
use rekey_web::client::ClientIp;
use serde::Deserialize;
use serde_json::{Value, json};

mod transfers;

use crate::error::{AppError, Problem};
use crate::service::{Client, accounts, deletion, devices, recovery};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::codes::CODE_TTL_SECS;
use crate::store::devices::Device;

/// The caller: language, address and (if a valid token came) the account.
#[derive(Debug, Clone)]
pub struct Caller {
    lang: Lang,
    client: Client,
    auth: Option<(Account, String)>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let lang = Lang::negotiate(
            None,
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        // Worked out once per request by the `client_address` middleware (trusted proxies).
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let mut auth = None;
        if let Some(token) = token {
            let fail = |e: AppError| ApiError(lang, e);
            if let Some(session) = state
                .store
                .session(&token, state.now())
                .await
                .map_err(|e| fail(e.into()))?
                && let Some(account) = state
                    .store
                    .account_by_id(session.account_id)
                    .await
                    .map_err(|e| fail(e.into()))?
            {
                auth = Some((account, token));
            }
        }
        Ok(Caller {
            lang,
            client: Client { ip },
            auth,
        })
    }
}

impl Caller {
    fn account(&self) -> Result<&Account, ApiError> {
        self.auth.as_ref().map(|(a, _)| a).ok_or_else(|| {
            ApiError(
                self.lang,
                Problem::bad("cloud-api-login-required")
                    .status(StatusCode::UNAUTHORIZED)
                    .into(),
            )
        })
    }

    fn fail(&self, e: impl Into<AppError>) -> ApiError {
        ApiError(self.lang, e.into())
    }
}

/// An error as the API returns it.
#[derive(Debug)]
pub struct ApiError(Lang, AppError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(lang, e) = self;
        e.log();
        let (status, key, retry) = match &e {
            AppError::Problem(p) => (p.status, p.key, p.retry_after),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error-internal", None),
        };
        let mut body = json!({ "error": key, "message": e.message(lang) });
        if let Some(r) = retry {
            body["retry_after"] = json!(r);
        }
        let mut response = (status, Json(body)).into_response();
        if let Some(r) = retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(r.max(1)));
        }
        response
    }
}

type ApiResult = Result<Response, ApiError>;

use crate::service::deletion::rfc3339;

fn account_json(a: &Account) -> Value {
    json!({
        "username": a.username.as_str(),
        "email": a.email.as_str(),
        "region": a.region,
        "lang": a.lang.code(),
        "time_zone": a.time_zone.name(),
        "created_at": rfc3339(a.created_at),
    })
}

fn device_json(d: &Device) -> Value {
    let online = d.online();
    json!({
        "serial": d.serial.as_str(),
        "name": d.name,
        "online": online,
        "last_seen": if d.connected || d.last_seen_at > d.enrolled_at { Some(rfc3339(d.last_seen_at)) } else { None },
        "added_at": rfc3339(d.bound_at.unwrap_or(d.enrolled_at)),
    })
}

fn code_sent() -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "expires_in_secs": CODE_TTL_SECS })),
    )
        .into_response()
}

async fn regions(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let list: Vec<Value> = crate::web::pages::regions(&state, caller.lang)
        .into_iter()
        .map(|r| json!({ "code": r.code, "name": r.name }))
        .collect();
    Json(json!({ "regions": list }))
}

async fn agreement(State(state): State<AppState>) -> Json<Value> {
    let base = state.config.base_url.as_str().trim_end_matches('/');
    Json(json!({ "version": accounts::AGREEMENT_VERSION, "url": format!("{base}/agreement") }))
}

#[derive(Debug, Deserialize)]
struct SignupCode {
    email: String,
    region: String,
}

async fn signup_code(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<SignupCode>,
) -> ApiResult {
    accounts::start_phone_signup(&state, caller.client, &b.region, &b.email, caller.lang)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(code_sent())
}

#[derive(Debug, Deserialize)]
struct EmailCode {
    email: String,
    code: String,
}

async fn signup_verify(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<EmailCode>,
) -> ApiResult {
    accounts::check_signup_code(&state, caller.client, &b.email, &b.code)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(json!({})).into_response())
}

#[derive(Deserialize)]
struct Signup {
    email: String,
    code: String,
    password: String,
    #[serde(default)]
    agreement_version: Option<String>,
}

async fn signup(State(state): State<AppState>, caller: Caller, Json(b): Json<Signup>) -> ApiResult {
    let form = accounts::FinishSignup {
        email: &b.email,
        code: &b.code,
        password: Some((&b.password, &b.password)),
        agreed: b.agreement_version.is_some(),
        agreement_version: b.agreement_version.as_deref(),
    };
    let (account, token) = accounts::finish_signup(&state, caller.client, form, caller.lang)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "username": account.username.as_str() })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct Login {
    login: String,
    password: String,
}

async fn login(State(state): State<AppState>, caller: Caller, Json(b): Json<Login>) -> ApiResult {
    let (account, token) = accounts::login(&state, caller.client, &b.login, &b.password)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(json!({ "token": token, "username": account.username.as_str() })).into_response())
}

async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult {
    if let Some((_, token)) = &caller.auth {
        state
            .store
            .delete_session(token)
            .await
            .map_err(|e| caller.fail(e))?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn account(caller: Caller) -> ApiResult {
    Ok(Json(account_json(caller.account()?)).into_response())
}

async fn reload(state: &AppState, caller: &Caller, id: i64) -> ApiResult {
    let a = state
        .store
        .account_by_id(id)
        .await
        .map_err(|e| caller.fail(e))?
        .ok_or_else(|| caller.fail(anyhow::anyhow!("account vanished")))?;
    Ok(Json(account_json(&a)).into_response())
}

#[derive(Debug, Deserialize)]
struct UsernameBody {
    username: String,
}

async fn set_username(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<UsernameBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    accounts::change_username(&state, &a, &b.username)
        .await
        .map_err(|e| caller.fail(e))?;
    reload(&state, &caller, a.id).await
}

#[derive(Debug, Deserialize)]
struct TimeZoneBody {
    time_zone: String,
}

async fn set_time_zone(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<TimeZoneBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    accounts::change_time_zone(&state, &a, &b.time_zone)
        .await
        .map_err(|e| caller.fail(e))?;
    reload(&state, &caller, a.id).await
}

#[derive(Deserialize)]
struct EmailChangeBody {
    email: String,
    #[serde(default)]
    current: String,
}

async fn email_code(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<EmailChangeBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let lang = caller.lang;
    accounts::start_email_change(&state, caller.client, &a, &b.email, &b.current, lang)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(code_sent())
}

async fn set_email(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<EmailCode>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let token = caller.auth.as_ref().map(|(_, t)| t.as_str());
    accounts::finish_email_change(&state, &a, token, &b.email, &b.code)
        .await
        .map_err(|e| caller.fail(e))?;
    reload(&state, &caller, a.id).await
}

#[derive(Deserialize)]
struct PasswordBody {
    current: String,
    new: String,
}

async fn set_password(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<PasswordBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let token = caller.auth.as_ref().map(|(_, t)| t.as_str());
    accounts::change_password(&state, &a, token, &b.current, &b.new, &b.new)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct DeleteBody {
    current: String,
}

/// `POST /account/delete/code`: the current password; a code goes to the account's address.
async fn delete_code(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<DeleteBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    deletion::start(&state, caller.client, &a, &b.current)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(code_sent())
}

#[derive(Deserialize)]
struct DeleteConfirm {
    code: String,
}

/// `POST /account/delete`: the code deletes the account (its token ends with it).
async fn delete_account(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<DeleteConfirm>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let released = deletion::finish(&state, &a, &b.code)
        .await
        .map_err(|e| caller.fail(e))?;
    let days = state.config.deleted_account_retention_days;
    Ok(Json(json!({
        "deleted": true,
        "released": released,
        "retention_days": days,
    }))
    .into_response())
}

/// `GET /account/export`: the account's data (no secrets).
async fn export(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let a = caller.account()?;
    let data = deletion::export(&state, a)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(data).into_response())
}

async fn list_devices(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let a = caller.account()?;
    let list = state
        .store
        .devices_of(a.id)
        .await
        .map_err(|e| caller.fail(e))?;
    let list: Vec<Value> = list.iter().map(device_json).collect();
    Ok(Json(json!({ "devices": list })).into_response())
}

#[derive(Debug, Deserialize)]
struct AddBody {
    register_code: String,
    #[serde(default)]
    name: String,
}

async fn add_device(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<AddBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let d = devices::add(&state, &a, &b.register_code, &b.name)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok((StatusCode::CREATED, Json(device_json(&d))).into_response())
}

#[derive(Debug, Deserialize)]
struct NameBody {
    name: String,
}

async fn rename_device(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    Json(b): Json<NameBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let d = devices::rename(&state, &a, &serial, &b.name)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(device_json(&d)).into_response())
}

async fn remove_device(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> ApiResult {
    let a = caller.account()?.clone();
    devices::remove(&state, &a, &serial)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
struct QrBody {
    qr: String,
}

async fn recover_preview(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<QrBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let p = recovery::preview(&state, &a, &b.qr)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(json!({
        "serial": p.device.serial.as_str(),
        "device_name": p.device.name,
        "email_masked": p.email_masked,
        "expires_at": rfc3339(p.expires_at),
    }))
    .into_response())
}

async fn recover_send(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<QrBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let sent = recovery::send_challenge(&state, &a, &b.qr, recovery::Path::App, caller.lang)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(
        Json(
            json!({ "email_masked": sent.email_masked, "valid_until": rfc3339(sent.valid_until) }),
        )
        .into_response(),
    )
}

#[derive(Debug, Deserialize)]
struct RangeBody {
    from: String,
    to: String,
    #[serde(default)]
    code: String,
}

async fn retrieve_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    Json(b): Json<RangeBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    recovery::start_retrieve(
        &state,
        caller.client,
        &a,
        &serial,
        &b.from,
        &b.to,
        caller.lang,
    )
    .await
    .map_err(|e| caller.fail(e))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "email_masked": a.email.masked(), "expires_in_secs": CODE_TTL_SECS })),
    )
        .into_response())
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    Json(b): Json<RangeBody>,
) -> ApiResult {
    let a = caller.account()?.clone();
    let r = recovery::finish_retrieve(
        &state,
        &a,
        &serial,
        &b.from,
        &b.to,
        &b.code,
        recovery::Path::App,
    )
    .await
    .map_err(|e| caller.fail(e))?;
    Ok(Json(json!({ "password": r.password.to_string(), "from": r.from.to_string(), "to": r.to.to_string(), "key_pending": r.key_pending })).into_response())
}

async fn not_found(caller: Caller) -> ApiError {
    caller.fail(Problem::bad("error-not-found").status(StatusCode::NOT_FOUND))
}

/// The API's routes, to be nested under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/regions", get(regions))
        .route("/agreement", get(agreement))
        .route("/signup/code", post(signup_code))
        .route("/signup/verify", post(signup_verify))
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/account", get(account))
        .route("/account/username", post(set_username))
        .route("/account/time-zone", post(set_time_zone))
        .route("/account/email/code", post(email_code))
        .route("/account/email", post(set_email))
        .route("/account/password", post(set_password))
        .route("/account/export", get(export))
        .route("/account/delete/code", post(delete_code))
        .route("/account/delete", post(delete_account))
        .route("/devices", get(list_devices).post(add_device))
        .route("/devices/{serial}/name", post(rename_device))
        .route("/devices/{serial}", axum::routing::delete(remove_device))
        .route("/recover/preview", post(recover_preview))
        .route("/recover/send", post(recover_send))
        .route("/devices/{serial}/retrieve/code", post(retrieve_code))
        .route("/devices/{serial}/retrieve", post(retrieve))
        .route("/transfers", get(transfers::list).post(transfers::offer))
        .route("/transfers/{id}", get(transfers::show))
        .route("/transfers/{id}/accept", post(transfers::accept))
        .route("/transfers/{id}/decline", post(transfers::decline))
        .route("/transfers/{id}/cancel", post(transfers::cancel))
        .fallback(not_found)
}
