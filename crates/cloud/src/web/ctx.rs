//! The per-request context of a portal page: language, the logged-in account, the CSRF token
//! and the client address.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use rekey_web::client::ClientIp;
use rekey_web::cookies::{CookiePolicy, SameSite};
use rekey_web::i18n::Message;
use rekey_web::{CsrfToken, Lang};

use crate::error::{AppError, Problem};
use crate::service::Client;
use crate::state::AppState;
use crate::store::accounts::Account;

/// The session cookie.
pub const SESSION_COOKIE: &str = "rekey_session";
/// The CSRF cookie of visitors who are not logged in.
pub const CSRF_COOKIE: &str = "rekey_csrf";

/// What every page handler gets.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The page language.
    pub lang: Lang,
    /// The account logged in, if any.
    pub account: Option<Account>,
    /// The session token, if logged in.
    pub session: Option<String>,
    /// The token forms must echo.
    pub csrf: CsrfToken,
    /// The client.
    pub client: Client,
    /// The request's path and query, for the language switcher and login redirects.
    pub here: String,
    /// A message saying something worked, shown at the top of the page (with its catalog key,
    /// as `data-notice`).
    pub notice: Option<Message>,
    /// A message saying what to fix, shown at the top of the page (with its catalog key, as
    /// `data-error`).
    pub error: Option<Message>,
}

/// The session the CSRF guard found for this request's cookie (so that [`Ctx`] need not look
/// it up again).
#[derive(Debug, Clone)]
struct LookedUpSession(Option<crate::store::sessions::Session>);

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = negotiate(&jar, &parts.headers);
        // Worked out once per request by the `client_address` middleware (trusted proxies).
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        let here = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let mut ctx = Ctx {
            lang,
            account: None,
            session: None,
            csrf: CsrfToken::from_stored(String::new()),
            client: Client { ip },
            here,
            notice: None,
            error: None,
        };
        if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
            // The CSRF guard looked the session up already for a form; reuse its answer.
            let found = match parts.extensions.get::<LookedUpSession>() {
                Some(LookedUpSession(found)) => found.clone(),
                None => match state.store.session(&token, state.now()).await {
                    Ok(f) => f,
                    Err(e) => return Err(page_error(lang, e.into())),
                },
            };
            if let Some(session) = found {
                match state.store.account_by_id(session.account_id).await {
                    Ok(Some(account)) => {
                        ctx.account = Some(account);
                        ctx.session = Some(token);
                        ctx.csrf = session.csrf;
                    }
                    Ok(None) => {}
                    Err(e) => return Err(page_error(lang, e.into())),
                }
            }
        }
        if ctx.account.is_none() {
            let value = parts
                .extensions
                .get::<rekey_web::csrf::guard::FreshToken>()
                .map(|f| f.0.clone())
                .or_else(|| jar.get(CSRF_COOKIE).map(|c| c.value().to_string()))
                .unwrap_or_default();
            ctx.csrf = CsrfToken::from_stored(value);
        }
        Ok(ctx)
    }
}

/// The language: the `lang` cookie, then `Accept-Language`.
pub fn negotiate(jar: &CookieJar, headers: &HeaderMap) -> Lang {
    Lang::negotiate(
        jar.get(rekey_web::i18n::LANG_COOKIE).map(|c| c.value()),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

impl Ctx {
    /// A catalog message.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The current address, percent-encoded, for `?next=`.
    pub fn here_encoded(&self) -> String {
        encode(&self.here)
    }

    /// The same context showing `error` (logged if internal).
    pub fn with_error(mut self, error: &AppError) -> Self {
        error.log();
        self.error = Some(error.shown(self.lang));
        self
    }

    /// The same context showing `notice`.
    pub fn with_notice(mut self, notice: Message) -> Self {
        self.notice = Some(notice);
        self
    }

    /// The time zone this page shows times in: the logged-in account's, else UTC.
    pub fn time_zone(&self) -> rekey_web::TimeZone {
        self.account
            .as_ref()
            .map_or_else(rekey_web::TimeZone::utc, |a| a.time_zone.clone())
    }

    /// A time as this page shows it ([`rekey_web::TimeZone::format`]).
    pub fn time(&self, unix: i64) -> String {
        self.time_zone().format(unix)
    }

    /// The catalog message `key`, with its key (for [`Ctx::with_notice`]).
    pub fn message(&self, key: &'static str) -> Message {
        self.lang.message(key)
    }

    /// The logged-in user's name, for the header.
    pub fn username(&self) -> Option<&str> {
        self.account.as_ref().map(|a| a.username.as_str())
    }

    /// The logged-in account, or a redirect to the login page that comes back here.
    pub fn require_login(&self) -> Result<&Account, Response> {
        self.account.as_ref().ok_or_else(|| {
            Redirect::to(&format!("/login?next={}", encode(&self.here))).into_response()
        })
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q[1..].to_string())
        .unwrap_or_default()
}

/// A page for an error that has no page of its own.
pub fn page_error(lang: Lang, e: AppError) -> Response {
    e.log();
    let status = match &e {
        AppError::Problem(p) => p.status,
        AppError::Internal(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, super::pages::message_page(lang, e.shown(lang))).into_response()
}

/// The portal's side of the shared CSRF guard ([`rekey_web::csrf::guard`]), which is on every
/// portal route: a logged-in visitor's forms carry the session's token, others the cookie's.
impl rekey_web::csrf::guard::CsrfApp for AppState {
    fn cookie_name(&self) -> &'static str {
        CSRF_COOKIE
    }

    fn cookie(&self, value: String) -> Cookie<'static> {
        cookie(self, CSRF_COOKIE, value)
    }

    async fn session_token(
        &self,
        request: &mut axum::extract::Request,
    ) -> Result<Option<CsrfToken>, Response> {
        let jar = CookieJar::from_headers(request.headers());
        let Some(token) = jar.get(SESSION_COOKIE) else {
            return Ok(None);
        };
        match self.store.session(token.value(), self.now()).await {
            Ok(found) => {
                let expected = found.as_ref().map(|s| s.csrf.clone());
                // Ctx reuses the answer instead of looking the session up again.
                request.extensions_mut().insert(LookedUpSession(found));
                Ok(expected)
            }
            Err(e) => Err(page_error(negotiate(&jar, request.headers()), e.into())),
        }
    }

    fn refused(&self, headers: &HeaderMap) -> Response {
        let jar = CookieJar::from_headers(headers);
        page_error(
            negotiate(&jar, headers),
            Problem::bad("error-csrf")
                .status(axum::http::StatusCode::FORBIDDEN)
                .into(),
        )
    }
}

/// A cookie as the portal sets them ([`rekey_web::cookies`]): HttpOnly, SameSite=Lax (so that a
/// QR link opened from the camera app still carries the session), Secure behind https.
pub fn cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    CookiePolicy {
        same_site: SameSite::Lax,
        secure: state.config.secure_cookies(),
    }
    .cookie(name, value)
}
