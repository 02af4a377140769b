//! A typed client for the cloud's JSON API (`{cloud}/api/v1`).
//!
//! Every request sends `Accept-Language`; authenticated ones send `Authorization: Bearer`. A
//! non-2xx answer carries `{"error": key, "message": localized sentence, "retry_after"?}`, which
//! becomes an [`ApiError`] whose text is the server's own (localized) message.

mod transfers;

pub use transfers::{Accepted, Transfer, TransferDevice};

use std::error::Error as _;
use std::time::Duration;

use rekey_proto::{CloudBase, Serial};
use rekey_web::{Lang, Secret};
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, HeaderMap, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How long to wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for a whole answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a call to the cloud failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No connection could be made (nothing listening, DNS failure, TLS failure…).
    #[error("cannot reach the cloud at {cloud}: {reason}")]
    Unreachable {
        /// The cloud's address.
        cloud: String,
        /// The lowest-level cause, e.g. "Connection refused".
        reason: String,
    },
    /// The cloud did not answer in time.
    #[error("the cloud at {cloud} did not answer in time")]
    Timeout {
        /// The cloud's address.
        cloud: String,
    },
    /// There is no stored session.
    #[error("not logged in; run `rekey login` (or `rekey signup`)")]
    NotLoggedIn,
    /// The cloud refused the session token (HTTP 401 on an authenticated request).
    #[error("{message} (run `rekey login`)")]
    Unauthorized {
        /// The catalog key.
        error: String,
        /// The server's localized message.
        message: String,
    },
    /// The cloud refused the request and said why.
    #[error("{message}{}", retry_hint(*.retry_after))]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The catalog key, e.g. `code-wrong`.
        error: String,
        /// The server's localized message.
        message: String,
        /// Seconds to wait before trying again, if the server said so.
        retry_after: Option<u64>,
    },
    /// The cloud answered with an error status but no explanation in the agreed form.
    #[error("the cloud at {cloud} answered HTTP {status}")]
    Http {
        /// The cloud's address.
        cloud: String,
        /// The HTTP status, e.g. `502 Bad Gateway`.
        status: String,
    },
    /// The cloud answered with a redirect, which this API never does.
    #[error(
        "the cloud at {cloud} redirected to {location}; if the cloud has moved, use --cloud with its new address"
    )]
    Redirected {
        /// The cloud's address.
        cloud: String,
        /// Where it pointed.
        location: String,
    },
    /// A successful answer that does not match the API.
    #[error(
        "the cloud at {cloud} gave an answer this version of rekey does not understand ({detail})"
    )]
    Protocol {
        /// The cloud's address.
        cloud: String,
        /// What was wrong.
        detail: String,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

fn retry_hint(retry_after: Option<u64>) -> String {
    match retry_after {
        Some(s) if s > 0 => format!(" (try again in {})", crate::output::duration(s)),
        _ => String::new(),
    }
}

impl ApiError {
    /// The error for people in `lang`: the client's own ones from the catalog (under their
    /// [`ApiError::key`]), the cloud's refusals as it worded them.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Self::Unreachable { cloud, reason } => lang.t_args(
                "cli-unreachable",
                &[
                    ("cloud", cloud.as_str().into()),
                    ("reason", reason.as_str().into()),
                ],
            ),
            Self::Timeout { cloud } => {
                lang.t_args("cli-timeout", &[("cloud", cloud.as_str().into())])
            }
            Self::NotLoggedIn => lang.t("cli-not-logged-in"),
            Self::Unauthorized { message, .. } => {
                lang.t_args("cli-unauthorized", &[("message", message.as_str().into())])
            }
            Self::Rejected {
                message,
                retry_after,
                ..
            } => match retry_after {
                Some(s) if *s > 0 => lang.t_args(
                    "cli-rejected-retry",
                    &[
                        ("message", message.as_str().into()),
                        ("duration", crate::lang::duration(lang, *s).into()),
                    ],
                ),
                _ => message.clone(),
            },
            Self::Http { cloud, status } => lang.t_args(
                "cli-http",
                &[
                    ("cloud", cloud.as_str().into()),
                    ("status", status.as_str().into()),
                ],
            ),
            Self::Redirected { cloud, location } => lang.t_args(
                "cli-redirected",
                &[
                    ("cloud", cloud.as_str().into()),
                    ("location", location.as_str().into()),
                ],
            ),
            Self::Protocol { cloud, detail } => lang.t_args(
                "cli-protocol",
                &[
                    ("cloud", cloud.as_str().into()),
                    ("detail", detail.as_str().into()),
                ],
            ),
            Self::Setup(reason) => lang.t_args("cli-setup", &[("reason", reason.as_str().into())]),
        }
    }

    /// A stable key for scripts: the server's catalog key, or one of the client's own.
    pub fn key(&self) -> &str {
        match self {
            Self::Unreachable { .. } => "cli-unreachable",
            Self::Timeout { .. } => "cli-timeout",
            Self::NotLoggedIn => "cli-not-logged-in",
            Self::Unauthorized { error, .. } | Self::Rejected { error, .. } => error,
            Self::Http { .. } => "cli-http",
            Self::Redirected { .. } => "cli-redirected",
            Self::Protocol { .. } => "cli-protocol",
            Self::Setup(_) => "cli-setup",
        }
    }
}

/// The error body of a non-2xx answer.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: String,
    message: String,
    #[serde(default)]
    retry_after: Option<u64>,
}

/// A region accounts can be made in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// Its code, e.g. `jp`.
    pub code: String,
    /// Its name in the requested language, e.g. `Japan`.
    pub name: String,
}

#[derive(Debug, Deserialize)]
struct Regions {
    regions: Vec<Region>,
}

/// The service agreement in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Its version, sent back on sign-up, e.g. `2026-11`.
    pub version: String,
    /// Where to read it.
    pub url: String,
}

/// A verification code was e-mailed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSent {
    /// How long the code works.
    pub expires_in_secs: u64,
}

/// The answer to deleting the account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deleted {
    /// Whether it was deleted.
    pub deleted: bool,
    /// The serials of the recorders released.
    pub released: Vec<String>,
    /// Days until the cloud deletes the account's data.
    pub retention_days: u64,
}

/// A new session: the answer to sign-up and log-in.
#[derive(Debug, Deserialize)]
pub struct LoggedIn {
    /// The session token; never printed.
    pub token: Secret<String>,
    /// The account's username (its login ID).
    pub username: String,
}

/// The account as the cloud shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The login ID.
    pub username: String,
    /// The e-mail address codes are sent to.
    pub email: String,
    /// The region code.
    #[serde(default)]
    pub region: String,
    /// The language of e-mails.
    #[serde(default)]
    pub lang: String,
    /// When the account was made (RFC 3339).
    #[serde(default)]
    pub created_at: String,
    /// The account's time zone (IANA name); absent from an older cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// A recorder bound to the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Its serial number.
    pub serial: String,
    /// The name the account gave it.
    pub name: String,
    /// Whether it is connected to the cloud now.
    #[serde(default)]
    pub online: bool,
    /// When it was last connected (RFC 3339), if ever.
    #[serde(default)]
    pub last_seen: Option<String>,
    /// When it was added (RFC 3339).
    #[serde(default)]
    pub added_at: String,
}

#[derive(Debug, Deserialize)]
struct Devices {
    devices: Vec<Device>,
}

/// What a recovery QR is for, before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverPreview {
    /// The recorder's serial number.
    pub serial: String,
    /// The name the owner's account gave it.
    pub device_name: String,
    /// Where the temporary password will go, masked.
    pub email_masked: String,
    /// When the QR code stops working (RFC 3339).
    pub expires_at: String,
}

/// A temporary password was e-mailed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverSent {
    /// Where it went, masked.
    pub email_masked: String,
    /// Until when it works (RFC 3339).
    pub valid_until: String,
}

/// A verification code for a date-window password was e-mailed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrieveCodeSent {
    /// Where it went (the account's address), masked.
    pub email_masked: String,
    /// How long the code works.
    pub expires_in_secs: u64,
}

/// A date-window temporary password.
#[derive(Debug, Deserialize)]
pub struct Retrieved {
    /// The password, `XXXX-XXXX-XXXX-XXXX`.
    pub password: Secret<String>,
    /// First valid date, `YYYY-MM-DD`.
    pub from: String,
    /// Last valid date, `YYYY-MM-DD`.
    pub to: String,
}

/// A client of one cloud, optionally holding a session token.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    cloud: CloudBase,
    token: Option<Secret<String>>,
    lang: Lang,
}

impl Client {
    /// A client of `cloud` asking for messages in `lang`, sending `token` if given.
    pub fn new(
        cloud: CloudBase,
        lang: Lang,
        token: Option<Secret<String>>,
    ) -> Result<Self, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            ACCEPT_LANGUAGE,
            HeaderValue::from_static(crate::lang::accept_language(lang)),
        );
        let http = reqwest::Client::builder()
            .user_agent(concat!("rekey-cli/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::Setup(e.to_string()))?;
        Ok(Self {
            http,
            cloud,
            token,
            lang,
        })
    }

    /// The cloud this client talks to.
    pub fn cloud(&self) -> &CloudBase {
        &self.cloud
    }

    /// Whether requests carry a session token.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.cloud)
    }

    /// Sends a request and returns the body of a 2xx answer.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        auth: bool,
    ) -> Result<Vec<u8>, ApiError> {
        let cloud = self.cloud.to_string();
        let mut req = self.http.request(method, self.url(path));
        let sent_token = match (&self.token, auth) {
            (Some(token), true) => {
                req = req.bearer_auth(token.expose());
                true
            }
            (None, true) => return Err(ApiError::NotLoggedIn),
            (_, false) => false,
        };
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(|e| transport_error(&cloud, &e))?;
        let status = resp.status();
        if status.is_redirection() {
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map_or_else(|| self.lang.t("cli-another-address"), str::to_string);
            return Err(ApiError::Redirected { cloud, location });
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| transport_error(&cloud, &e))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(b) if status == StatusCode::UNAUTHORIZED && sent_token => {
                Err(ApiError::Unauthorized {
                    error: b.error,
                    message: b.message,
                })
            }
            Ok(b) => Err(ApiError::Rejected {
                status: status.as_u16(),
                error: b.error,
                message: b.message,
                retry_after: b.retry_after,
            }),
            Err(_) if status == StatusCode::UNAUTHORIZED && sent_token => {
                Err(ApiError::Unauthorized {
                    error: "unauthorized".into(),
                    message: self.lang.t("cli-session-ended"),
                })
            }
            Err(_) => Err(ApiError::Http {
                cloud,
                status: status.to_string(),
            }),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        auth: bool,
    ) -> Result<T, ApiError> {
        let bytes = self.send(method, path, body.as_ref(), auth).await?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol {
            cloud: self.cloud.to_string(),
            detail: e.to_string(),
        })
    }

    async fn call_empty(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        auth: bool,
    ) -> Result<(), ApiError> {
        self.send(method, path, body.as_ref(), auth).await.map(drop)
    }

    /// `GET /regions`.
    pub async fn regions(&self) -> Result<Vec<Region>, ApiError> {
        let r: Regions = self.call(Method::GET, "/regions", None, false).await?;
        Ok(r.regions)
    }

    /// `GET /agreement`.
    pub async fn agreement(&self) -> Result<Agreement, ApiError> {
        self.call(Method::GET, "/agreement", None, false).await
    }

    /// `POST /signup/code`: e-mails a sign-up verification code.
    pub async fn signup_code(&self, email: &str, region: &str) -> Result<CodeSent, ApiError> {
        let body = json!({ "email": email, "region": region });
        self.call(Method::POST, "/signup/code", Some(body), false)
            .await
    }

    /// `POST /signup/verify`: checks a code without using it up.
    pub async fn signup_verify(&self, email: &str, code: &str) -> Result<(), ApiError> {
        let body = json!({ "email": email, "code": code });
        self.call_empty(Method::POST, "/signup/verify", Some(body), false)
            .await
    }

    /// `POST /signup`: makes the account and a session.
    pub async fn signup(
        &self,
        email: &str,
        code: &str,
        password: &Secret<String>,
        region: &str,
        agreement_version: &str,
    ) -> Result<LoggedIn, ApiError> {
        let body = json!({
            "email": email,
            "code": code,
            "password": password.expose(),
            "region": region,
            "agreement_version": agreement_version,
        });
        self.call(Method::POST, "/signup", Some(body), false).await
    }

    /// `POST /login`.
    pub async fn login(
        &self,
        login: &str,
        password: &Secret<String>,
    ) -> Result<LoggedIn, ApiError> {
        let body = json!({ "login": login, "password": password.expose() });
        self.call(Method::POST, "/login", Some(body), false).await
    }

    /// `POST /logout`: ends the session on the cloud.
    pub async fn logout(&self) -> Result<(), ApiError> {
        self.call_empty(Method::POST, "/logout", None, true).await
    }

    /// `GET /account`.
    pub async fn account(&self) -> Result<Account, ApiError> {
        self.call(Method::GET, "/account", None, true).await
    }

    /// The account's time zone, the one the portal shows times in; UTC when it cannot be had
    /// (an older cloud, or not logged in).
    pub async fn time_zone(&self) -> rekey_web::TimeZone {
        self.account()
            .await
            .ok()
            .and_then(|a| a.time_zone)
            .and_then(|z| rekey_web::TimeZone::parse(&z).ok())
            .unwrap_or_else(rekey_web::TimeZone::utc)
    }

    /// `POST /account/username`.
    pub async fn set_username(&self, username: &str) -> Result<Account, ApiError> {
        let body = json!({ "username": username });
        self.call(Method::POST, "/account/username", Some(body), true)
            .await
    }

    /// `POST /account/email/code`: e-mails a code to the new address; the cloud asks for the
    /// current password.
    pub async fn email_code(
        &self,
        email: &str,
        current: &Secret<String>,
    ) -> Result<CodeSent, ApiError> {
        let body = json!({ "email": email, "current": current.expose() });
        self.call(Method::POST, "/account/email/code", Some(body), true)
            .await
    }

    /// `POST /account/email`.
    pub async fn set_email(&self, email: &str, code: &str) -> Result<Account, ApiError> {
        let body = json!({ "email": email, "code": code });
        self.call(Method::POST, "/account/email", Some(body), true)
            .await
    }

    /// `POST /account/password`.
    pub async fn set_password(
        &self,
        current: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<(), ApiError> {
        let body = json!({ "current": current.expose(), "new": new.expose() });
        self.call_empty(Method::POST, "/account/password", Some(body), true)
            .await
    }

    /// `GET /account/export`: the account's data, as the cloud wrote it.
    pub async fn export(&self) -> Result<Value, ApiError> {
        self.call(Method::GET, "/account/export", None, true).await
    }

    /// `POST /account/delete/code`: checks the current password and e-mails a code.
    pub async fn delete_code(&self, current: &Secret<String>) -> Result<CodeSent, ApiError> {
        let body = json!({ "current": current.expose() });
        self.call(Method::POST, "/account/delete/code", Some(body), true)
            .await
    }

    /// `POST /account/delete`: the code deletes the account.
    pub async fn delete_account(&self, code: &str) -> Result<Deleted, ApiError> {
        let body = json!({ "code": code });
        self.call(Method::POST, "/account/delete", Some(body), true)
            .await
    }

    /// `GET /devices`.
    pub async fn devices(&self) -> Result<Vec<Device>, ApiError> {
        let d: Devices = self.call(Method::GET, "/devices", None, true).await?;
        Ok(d.devices)
    }

    /// `POST /devices`: binds a recorder by its register code (compact form).
    pub async fn add_device(&self, register_code: &str, name: &str) -> Result<Device, ApiError> {
        let body = json!({ "register_code": register_code, "name": name });
        self.call(Method::POST, "/devices", Some(body), true).await
    }

    /// `POST /devices/{serial}/name`.
    pub async fn rename_device(&self, serial: &Serial, name: &str) -> Result<Device, ApiError> {
        let body = json!({ "name": name });
        let path = format!("/devices/{serial}/name");
        self.call(Method::POST, &path, Some(body), true).await
    }

    /// `DELETE /devices/{serial}`.
    pub async fn remove_device(&self, serial: &Serial) -> Result<(), ApiError> {
        let path = format!("/devices/{serial}");
        self.call_empty(Method::DELETE, &path, None, true).await
    }

    /// `POST /recover/preview`: what a recovery QR is for. Sends the session token if the client
    /// has one.
    pub async fn recover_preview(&self, qr: &str) -> Result<RecoverPreview, ApiError> {
        let body = json!({ "qr": qr });
        let auth = self.has_token();
        self.call(Method::POST, "/recover/preview", Some(body), auth)
            .await
    }

    /// `POST /recover/send`: e-mails the temporary password for a recovery QR.
    pub async fn recover_send(&self, qr: &str) -> Result<RecoverSent, ApiError> {
        let body = json!({ "qr": qr });
        let auth = self.has_token();
        self.call(Method::POST, "/recover/send", Some(body), auth)
            .await
    }

    /// `POST /devices/{serial}/retrieve/code`: e-mails a verification code for a date window.
    pub async fn retrieve_code(
        &self,
        serial: &Serial,
        from: &str,
        to: &str,
    ) -> Result<RetrieveCodeSent, ApiError> {
        let body = json!({ "from": from, "to": to });
        let path = format!("/devices/{serial}/retrieve/code");
        self.call(Method::POST, &path, Some(body), true).await
    }

    /// `POST /devices/{serial}/retrieve`: the date-window temporary password.
    pub async fn retrieve(
        &self,
        serial: &Serial,
        from: &str,
        to: &str,
        code: &str,
    ) -> Result<Retrieved, ApiError> {
        let body = json!({ "from": from, "to": to, "code": code });
        let path = format!("/devices/{serial}/retrieve");
        self.call(Method::POST, &path, Some(body), true).await
    }
}

/// Turns a transport failure into [`ApiError::Timeout`] or [`ApiError::Unreachable`] with the
/// lowest-level cause as the reason.
fn transport_error(cloud: &str, e: &reqwest::Error) -> ApiError {
    if e.is_timeout() {
        return ApiError::Timeout {
            cloud: cloud.to_string(),
        };
    }
    let mut reason = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    ApiError::Unreachable {
        cloud: cloud.to_string(),
        reason,
    }
}
