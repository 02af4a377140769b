//! The recorder's web UI: routes, the per-request context (language, session, CSRF), and the
//! handlers of activation, login, users, the cloud page, "Forgot password?", the "Password
//! recovery" screen and the audit log.
//!
//! Routes (form fields in brackets; every POST also carries `csrf`):
//! - `GET|POST /activate` \[`password`, `confirm`, `email`\] — first start only
//! - `GET|POST /login` \[`username`, `password`\], `POST /logout`
//! - `GET /users`, `POST /users/email` \[`email`\], `POST /users/add` \[`username`, `password`, `confirm`\]
//! - `GET|POST /network/cloud` \[`enabled`=`on` when ticked\], `GET /network/cloud/qr.png`
//! - `GET|POST /forgot` \[`email` when the admin has none\]
//! - `GET|POST /recovery` \[`code`, `password`, `confirm`\], `GET /recovery/qr.png`
//! - `GET /audit`, `GET /lang?set=ja&next=/path`, `GET /static/style.css`

mod audit;
mod handlers;
mod recovery;
mod views;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use rekey_web::client::ClientIp;
use rekey_web::cookies::{CookiePolicy, SameSite};
use rekey_web::csrf::guard::{CsrfApp, FreshToken};
use rekey_web::i18n::{LANG_COOKIE, Message};
use rekey_web::{CsrfToken, Lang};

use crate::startup::App;
use crate::store::{Session, StoreError};
use views::{Chrome, MessagePage};

/// The cookie holding the session token.
pub const SESSION_COOKIE: &str = "rk_session";
/// The cookie holding the CSRF token of forms shown before login.
pub const CSRF_COOKIE: &str = "rk_csrf";

/// The web UI's router.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(handlers::home))
        .route(
            "/activate",
            get(handlers::activate_form).post(handlers::activate),
        )
        .route("/login", get(handlers::login_form).post(handlers::login))
        .route("/logout", post(handlers::logout))
        .route("/users", get(handlers::users))
        .route("/users/email", post(handlers::set_email))
        .route("/users/add", post(handlers::add_user))
        .route(
            "/network/cloud",
            get(handlers::cloud).post(handlers::cloud_apply),
        )
        .route("/network/cloud/qr.png", get(handlers::cloud_qr))
        .route("/network/cloud/release", post(handlers::cloud_release))
        .route("/forgot", get(recovery::forgot_form).post(recovery::forgot))
        .route(
            "/recovery",
            get(recovery::recovery_form).post(recovery::recovery),
        )
        .route("/recovery/qr.png", get(recovery::recovery_qr))
        .route("/audit", get(audit::audit))
        .route("/lang", get(handlers::set_lang))
        .route("/static/style.css", get(style))
        .fallback(handlers::not_found)
        .layer(middleware::from_fn_with_state(
            FormGuard(app.clone()),
            rekey_web::csrf::guard::csrf_guard::<FormGuard>,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), activation_gate))
        .layer(middleware::from_fn(rekey_web::headers::security_headers))
        .layer(middleware::from_fn_with_state(
            Arc::new(app.config.trusted_proxies.clone()),
            rekey_web::client::client_address,
        ))
        .layer(middleware::from_fn(rekey_web::logging::request_id))
        .with_state(app)
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

/// The recorder's side of the shared CSRF guard ([`rekey_web::csrf::guard`]) on every route: a
/// logged-in user's forms carry the session's token, others the `rk_csrf` cookie's.
#[derive(Debug, Clone)]
struct FormGuard(Arc<App>);

impl CsrfApp for FormGuard {
    fn cookie_name(&self) -> &'static str {
        CSRF_COOKIE
    }

    fn cookie(&self, value: String) -> Cookie<'static> {
        cookie(CSRF_COOKIE, value)
    }

    async fn session_token(&self, request: &mut Request) -> Result<Option<CsrfToken>, Response> {
        let jar = CookieJar::from_headers(request.headers());
        let Some(token) = jar.get(SESSION_COOKIE) else {
            return Ok(None);
        };
        match self
            .0
            .store
            .session(token.value(), self.0.config.clock.now())
            .await
        {
            Ok(found) => Ok(found.map(|s| CsrfToken::from_stored(s.csrf))),
            Err(e) => Err(internal_error(lang_of(request.headers()), &e)),
        }
    }

    fn refused(&self, headers: &HeaderMap) -> Response {
        let lang = lang_of(headers);
        let page = MessagePage {
            title: lang.t("rec-error-title"),
            message: lang.message("error-csrf"),
            chrome: Chrome {
                lang,
                user: None,
                is_admin: false,
                csrf: String::new(),
                path: "/".to_owned(),
                time_zone: String::new(),
            },
        };
        (StatusCode::FORBIDDEN, render(&page)).into_response()
    }
}

/// The language a request asks for (cookie, then `Accept-Language`).
fn lang_of(headers: &HeaderMap) -> Lang {
    let jar = CookieJar::from_headers(headers);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(jar.get(LANG_COOKIE).map(Cookie::value), accept)
}

/// Until the admin password is set, every page leads to activation.
async fn activation_gate(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let open = path == "/activate" || path == "/lang" || path.starts_with("/static/");
    if !open {
        match app.is_activated().await {
            Ok(true) => {}
            Ok(false) => return Redirect::to("/activate").into_response(),
            Err(e) => return internal_error(Lang::En, &e),
        }
    }
    next.run(req).await
}

/// A 500 page that names nothing internal; the cause goes to the log.
fn internal_error(lang: Lang, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "request failed");
    let chrome = Chrome {
        lang,
        user: None,
        is_admin: false,
        csrf: String::new(),
        path: "/".to_owned(),
        time_zone: String::new(),
    };
    let page = MessagePage {
        title: lang.t("rec-error-title"),
        message: lang.message("error-internal"),
        chrome,
    };
    (StatusCode::INTERNAL_SERVER_ERROR, render(&page)).into_response()
}

/// Renders a template as an HTML response.
fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

/// A handler's failure: only internal ones reach here; the user sees a generic message.
#[derive(Debug)]
pub struct AppError {
    lang: Lang,
    error: StoreError,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        internal_error(self.lang, &self.error)
    }
}

/// Handlers' result type.
type Result<T, E = AppError> = std::result::Result<T, E>;

/// The per-request context: language, cookies, client address and session.
#[derive(Debug)]
pub struct Req {
    /// The negotiated language.
    pub lang: Lang,
    /// The request's cookies; changed cookies go back with the response.
    pub jar: CookieJar,
    /// The client's IP address.
    pub client: Option<String>,
    /// The session and its token, if logged in.
    pub session: Option<(String, Session)>,
    /// The request path.
    pub path: String,
    /// A CSRF token the guard made for a visitor without one (it sets the cookie).
    fresh_csrf: Option<String>,
    /// The recorder's time zone (its IANA name), which every time on its pages is in.
    time_zone: String,
}

impl FromRequestParts<Arc<App>> for Req {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = lang_of(&parts.headers);
        let fresh_csrf = parts.extensions.get::<FreshToken>().map(|t| t.0.clone());
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, app).await;
        let client = Some(ip.to_string());
        let session = match jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) {
            Some(token) => match app.store.session(&token, app.config.clock.now()).await {
                Ok(s) => s.map(|s| (token, s)),
                Err(e) => return Err(internal_error(lang, &e)),
            },
            None => None,
        };
        Ok(Self {
            lang,
            jar,
            client,
            session,
            path: parts.uri.path().to_owned(),
            fresh_csrf,
            time_zone: app.config.time_zone.name().to_owned(),
        })
    }
}

/// A cookie as the recorder sets them ([`rekey_web::cookies`]): HttpOnly, SameSite=Strict,
/// whole site.
fn cookie(name: &'static str, value: String) -> Cookie<'static> {
    CookiePolicy {
        same_site: SameSite::Strict,
        secure: false,
    }
    .cookie(name, value)
}

impl Req {
    fn err(&self, error: StoreError) -> AppError {
        AppError {
            lang: self.lang,
            error,
        }
    }

    /// The logged-in session, if any.
    fn user(&self) -> Option<&Session> {
        self.session.as_ref().map(|(_, s)| s)
    }

    /// The CSRF token for this page's forms: the session's, or before login the cookie's (the
    /// guard made one if it was missing).
    fn csrf(&mut self) -> String {
        if let Some(s) = self.user() {
            return s.csrf.clone();
        }
        if let Some(c) = self.jar.get(CSRF_COOKIE) {
            return c.value().to_owned();
        }
        self.fresh_csrf.clone().unwrap_or_default()
    }

    /// The page chrome (menu, languages, CSRF token).
    fn chrome(&mut self) -> Chrome {
        let csrf = self.csrf();
        Chrome {
            lang: self.lang,
            user: self.user().map(|s| s.user.name.clone()),
            is_admin: self.user().is_some_and(|s| s.user.is_admin),
            csrf,
            path: self.path.clone(),
            time_zone: self.time_zone.clone(),
        }
    }

    /// A page with its cookies.
    fn page(self, t: &impl Template) -> Response {
        (self.jar, render(t)).into_response()
    }

    /// A page with a status code and its cookies.
    fn page_status(self, status: StatusCode, t: &impl Template) -> Response {
        (status, self.jar, render(t)).into_response()
    }

    /// A message page.
    fn message(mut self, status: StatusCode, title_key: &str, message: Message) -> Response {
        let page = MessagePage {
            title: self.lang.t(title_key),
            message,
            chrome: self.chrome(),
        };
        self.page_status(status, &page)
    }

    /// "Busy, try again in a moment" (503 with Retry-After): password hashing had no free turn.
    fn busy(self) -> Response {
        let m = self.lang.message("error-busy");
        let mut res = self.message(StatusCode::SERVICE_UNAVAILABLE, "rec-error-title", m);
        res.headers_mut().insert(
            header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("2"),
        );
        res
    }

    /// Redirect to the login screen when not logged in.
    fn login_required(&self) -> Option<Response> {
        self.user()
            .is_none()
            .then(|| Redirect::to("/login").into_response())
    }
}

/// A request from the logged-in admin, for the screens only the admin may use (users, the
/// cloud settings and release, the audit log): any other request is answered before the
/// handler runs — a visitor goes to the login page, a user who is not the admin sees
/// "forbidden".
#[derive(Debug)]
pub struct Admin(pub Req);

impl FromRequestParts<Arc<App>> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let req = Req::from_request_parts(parts, app).await?;
        if let Some(r) = req.login_required() {
            return Err(r);
        }
        if req.user().is_some_and(|s| s.user.is_admin) {
            return Ok(Admin(req));
        }
        let m = req.lang.message("rec-error-forbidden");
        Err(req.message(StatusCode::FORBIDDEN, "rec-error-title", m))
    }
}
