//! The JSON API the `rekey` CLI uses (`/api/v1`, documented in docs/api.md). Requests carry a
//! bearer token from `POST /login` or `POST /signup`; errors are `{"error", "message"}` with the
//! message in the language of `Accept-Language`.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rekey_web::client::ClientIp;
use rekey_web::{Lang, Secret};
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
    /// The account and its bearer token (redacted in debug output).
    auth: Option<(Account, Secret<String>)>,
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
                auth = Some((account, Secret::new(token)));
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
    fn fail(&self, e: impl Into<AppError>) -> ApiError {
        ApiError(self.lang, e.into())
    }

    /// Awaits a use case; its error becomes the API's answer in the caller's language.
    async fn run<T, E: Into<AppError>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, ApiError> {
        work.await.map_err(|e| self.fail(e))
    }
}

/// A logged-in caller: the routes that act on an account take this, and a request without a
/// valid token is refused (`401 cloud-api-login-required`) before its body is read.
#[derive(Debug, Clone)]
pub struct Me {
    caller: Caller,
    account: Account,
    token: Secret<String>,
}

impl FromRequestParts<AppState> for Me {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut caller = Caller::from_request_parts(parts, state).await?;
        let Some((account, token)) = caller.auth.take() else {
            let required =
                Problem::bad("cloud-api-login-required").status(StatusCode::UNAUTHORIZED);
            return Err(caller.fail(required));
        };
        Ok(Me {
            caller,
            account,
            token,
        })
    }
}

impl Me {
    /// [`Caller::run`].
    async fn run<T, E: Into<AppError>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, ApiError> {
        self.caller.run(work).await
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

/// `204 No Content`.
fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `200` with `body`.
fn ok(body: Value) -> ApiResult {
    Ok(Json(body).into_response())
}

/// `201 Created` with `body`.
fn created(body: Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

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

/// `202 Accepted`: a code was e-mailed, valid for the time said.
fn code_sent() -> ApiResult {
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "expires_in_secs": CODE_TTL_SECS })),
    )
        .into_response())
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
    let (client, lang) = (caller.client, caller.lang);
    let start = accounts::start_phone_signup(&state, client, &b.region, &b.email, lang);
    caller.run(start).await?;
    code_sent()
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
    let check = accounts::check_signup_code(&state, caller.client, &b.email, &b.code);
    caller.run(check).await?;
    ok(json!({}))
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
    let signup = accounts::finish_signup(&state, caller.client, form, caller.lang);
    let (account, token) = caller.run(signup).await?;
    created(json!({ "token": token, "username": account.username.as_str() }))
}

#[derive(Deserialize)]
struct Login {
    login: String,
    password: String,
}

async fn login(State(state): State<AppState>, caller: Caller, Json(b): Json<Login>) -> ApiResult {
    let login = accounts::login(&state, caller.client, &b.login, &b.password);
    let (account, token) = caller.run(login).await?;
    ok(json!({ "token": token, "username": account.username.as_str() }))
}

async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult {
    if let Some((_, token)) = &caller.auth {
        caller
            .run(state.store.delete_session(token.expose()))
            .await?;
    }
    no_content()
}

async fn account(me: Me) -> ApiResult {
    ok(account_json(&me.account))
}

/// The account as it is after a change.
async fn reload(state: &AppState, me: &Me) -> ApiResult {
    let a = me.run(state.store.account_by_id(me.account.id)).await?;
    let a = a.ok_or_else(|| me.caller.fail(anyhow::anyhow!("account vanished")))?;
    ok(account_json(&a))
}

#[derive(Debug, Deserialize)]
struct UsernameBody {
    username: String,
}

async fn set_username(
    State(state): State<AppState>,
    me: Me,
    Json(b): Json<UsernameBody>,
) -> ApiResult {
    let change = accounts::change_username(&state, &me.account, &b.username);
    me.run(change).await?;
    reload(&state, &me).await
}

#[derive(Debug, Deserialize)]
struct TimeZoneBody {
    time_zone: String,
}

async fn set_time_zone(
    State(state): State<AppState>,
    me: Me,
    Json(b): Json<TimeZoneBody>,
) -> ApiResult {
    let change = accounts::change_time_zone(&state, &me.account, &b.time_zone);
    me.run(change).await?;
    reload(&state, &me).await
}

#[derive(Deserialize)]
struct EmailChangeBody {
    email: String,
    #[serde(default)]
    current: String,
}

async fn email_code(
    State(state): State<AppState>,
    me: Me,
    Json(b): Json<EmailChangeBody>,
) -> ApiResult {
    let (client, lang) = (me.caller.client, me.caller.lang);
    let change =
        accounts::start_email_change(&state, client, &me.account, &b.email, &b.current, lang);
    me.run(change).await?;
    code_sent()
}

async fn set_email(State(state): State<AppState>, me: Me, Json(b): Json<EmailCode>) -> ApiResult {
    let change = accounts::finish_email_change(
        &state,
        &me.account,
        Some(me.token.expose()),
        &b.email,
        &b.code,
    );
    me.run(change).await?;
    reload(&state, &me).await
}

#[derive(Deserialize)]
struct PasswordBody {
    current: String,
    new: String,
}

async fn set_password(
    State(state): State<AppState>,
    me: Me,
    Json(b): Json<PasswordBody>,
) -> ApiResult {
    let change = accounts::change_password(
        &state,
        &me.account,
        Some(me.token.expose()),
        &b.current,
        &b.new,
        &b.new,
    );
    me.run(change).await?;
    no_content()
}

#[derive(Deserialize)]
struct DeleteBody {
    current: String,
}

/// `POST /account/delete/code`: the current password; a code goes to the account's address.
async fn delete_code(
    State(state): State<AppState>,
    me: Me,
    Json(b): Json<DeleteBody>,
) -> ApiResult {
    let start = deletion::start(&state, me.caller.client, &me.account, &b.current);
    me.run(start).await?;
    code_sent()
}

#[derive(Deserialize)]
struct DeleteConfirm {
    code: String,
}

/// `POST /account/delete`: the code deletes the account (its token ends with it).
async fn delete_account(
    State(state): State<AppState>,
    me: Me,
    Json(b): Json<DeleteConfirm>,
) -> ApiResult {
    let released = me
        .run(deletion::finish(&state, &me.account, &b.code))
        .await?;
    ok(json!({
        "deleted": true,
        "released": released,
        "retention_days": state.config.deleted_account_retention_days,
    }))
}

/// `GET /account/export`: the account's data (no secrets).
async fn export(State(state): State<AppState>, me: Me) -> ApiResult {
    ok(me.run(deletion::export(&state, &me.account)).await?)
}

async fn list_devices(State(state): State<AppState>, me: Me) -> ApiResult {
    let list = me.run(state.store.devices_of(me.account.id)).await?;
    let list: Vec<Value> = list.iter().map(device_json).collect();
    ok(json!({ "devices": list }))
}

#[derive(Debug, Deserialize)]
struct AddBody {
    register_code: String,
    #[serde(default)]
    name: String,
}

async fn add_device(State(state): State<AppState>, me: Me, Json(b): Json<AddBody>) -> ApiResult {
    let add = devices::add(&state, &me.account, &b.register_code, &b.name);
    let d = me.run(add).await?;
    created(device_json(&d))
}

#[derive(Debug, Deserialize)]
struct NameBody {
    name: String,
}

async fn rename_device(
    State(state): State<AppState>,
    me: Me,
    Path(serial): Path<String>,
    Json(b): Json<NameBody>,
) -> ApiResult {
    let rename = devices::rename(&state, &me.account, &serial, &b.name);
    let d = me.run(rename).await?;
    ok(device_json(&d))
}

async fn remove_device(
    State(state): State<AppState>,
    me: Me,
    Path(serial): Path<String>,
) -> ApiResult {
    me.run(devices::remove(&state, &me.account, &serial))
        .await?;
    no_content()
}

#[derive(Debug, Deserialize)]
struct QrBody {
    qr: String,
}

async fn recover_preview(
    State(state): State<AppState>,
    me: Me,
    Json(b): Json<QrBody>,
) -> ApiResult {
    let p = me
        .run(recovery::preview(&state, &me.account, &b.qr))
        .await?;
    ok(json!({
        "serial": p.device.serial.as_str(),
        "device_name": p.device.name,
        "email_masked": p.email_masked,
        "expires_at": rfc3339(p.expires_at),
    }))
}

async fn recover_send(State(state): State<AppState>, me: Me, Json(b): Json<QrBody>) -> ApiResult {
    let lang = me.caller.lang;
    let send = recovery::send_challenge(&state, &me.account, &b.qr, recovery::Path::App, lang);
    let sent = me.run(send).await?;
    ok(json!({ "email_masked": sent.email_masked, "valid_until": rfc3339(sent.valid_until) }))
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
    me: Me,
    Path(serial): Path<String>,
    Json(b): Json<RangeBody>,
) -> ApiResult {
    let (client, lang, a) = (me.caller.client, me.caller.lang, &me.account);
    let start = recovery::start_retrieve(&state, client, a, &serial, &b.from, &b.to, lang);
    me.run(start).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "email_masked": a.email.masked(), "expires_in_secs": CODE_TTL_SECS })),
    )
        .into_response())
}

async fn retrieve(
    State(state): State<AppState>,
    me: Me,
    Path(serial): Path<String>,
    Json(b): Json<RangeBody>,
) -> ApiResult {
    let (a, app) = (&me.account, recovery::Path::App);
    let finish = recovery::finish_retrieve(&state, a, &serial, &b.from, &b.to, &b.code, app);
    let r = me.run(finish).await?;
    ok(json!({
        "password": r.password.to_string(),
        "from": r.from.to_string(),
        "to": r.to.to_string(),
        "key_pending": r.key_pending,
    }))
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
