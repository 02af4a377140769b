//! CSRF tokens (synchronizer pattern): a random token kept with the session (or, before login,
//! in a cookie of its own) that every state-changing form must echo in a hidden field.

use subtle::ConstantTimeEq;

use crate::random_token;

/// The form field name that carries the token.
pub const CSRF_FIELD: &str = "csrf";

/// A CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl std::fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfToken([redacted])")
    }
}

impl CsrfToken {
    /// A fresh random token.
    pub fn generate() -> Self {
        Self(random_token())
    }

    /// A token read back from storage or a cookie.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The token, to put in a form or store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a submitted form value matches, compared in constant time; empty never matches.
    pub fn matches(&self, submitted: &str) -> bool {
        !self.0.is_empty() && bool::from(self.0.as_bytes().ct_eq(submitted.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_token_matches() {
        let t = CsrfToken::generate();
        assert!(t.matches(t.as_str()));
        assert!(!t.matches(""));
        assert!(!t.matches(CsrfToken::generate().as_str()));
        assert!(!CsrfToken::from_stored(String::new()).matches(""));
    }
}

/// The CSRF guard both applications put on their form routes (`guard`), so that no
/// state-changing form can forget the check and a fix lands once.
pub mod guard {
    use std::future::Future;

    use axum::extract::{Request, State};
    use axum::http::{HeaderMap, Method, StatusCode, header};
    use axum::middleware::Next;
    use axum::response::{IntoResponse, Response};

    use super::{CSRF_FIELD, CsrfToken};

    /// Largest form body the guard reads (larger is refused with 413).
    pub const MAX_FORM_BYTES: usize = 64 * 1024;

    /// A token made by the guard for a visitor without one; the application's page context
    /// puts it in the page's forms (the guard sets the cookie).
    #[derive(Debug, Clone)]
    pub struct FreshToken(pub String);

    /// What each application tells the guard.
    pub trait CsrfApp: Clone + Send + Sync + 'static {
        /// The cookie holding the token of visitors who are not logged in.
        fn cookie_name(&self) -> &'static str;

        /// Builds that cookie with the application's attributes.
        fn cookie(&self, value: String) -> axum_extra::extract::cookie::Cookie<'static>;

        /// The token a POST must carry when the session cookie is `session` (if any); `None`
        /// falls back to the visitor's cookie token. The application may leave what it looked
        /// up in `request`'s extensions for the handler.
        fn session_token(
            &self,
            request: &mut Request,
        ) -> impl Future<Output = Result<Option<CsrfToken>, Response>> + Send;

        /// The page shown when a form is refused (the status is set by the guard).
        fn refused(&self, headers: &HeaderMap) -> Response;
    }

    /// Whether the browser says the request comes from another site: `Sec-Fetch-Site` other
    /// than `same-origin` or `none`, or else an `Origin` whose host is not this request's
    /// `Host`. Requests without either header (old browsers, scripts) are judged by the token
    /// alone.
    pub fn cross_site(headers: &HeaderMap) -> bool {
        if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            return !matches!(site, "same-origin" | "none");
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return false;
        };
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest.trim_end_matches('/'));
        !matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
    }

    fn form_field(bytes: &[u8], name: &str) -> String {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .ok()
            .and_then(|fields| fields.into_iter().find(|(k, _)| k == name).map(|(_, v)| v))
            .unwrap_or_default()
    }

    /// Middleware (`axum::middleware::from_fn_with_state`): gives every visitor a CSRF cookie
    /// (used until they log in) and refuses, with the application's page and 403, any POST that
    /// comes from another site or whose `csrf` field does not match the session's token (or,
    /// before login, the cookie's). The token is compared in constant time.
    pub async fn csrf_guard<A: CsrfApp>(
        State(app): State<A>,
        mut request: Request,
        next: Next,
    ) -> Response {
        let jar = axum_extra::extract::cookie::CookieJar::from_headers(request.headers());
        let cookie_token = jar
            .get(app.cookie_name())
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty());
        if request.method() == Method::POST {
            let refuse = |app: &A, headers: &HeaderMap, status: StatusCode| {
                let mut page = app.refused(headers);
                *page.status_mut() = status;
                page
            };
            if cross_site(request.headers()) {
                tracing::info!(path = %request.uri().path(), "form refused: sent from another site");
                return refuse(&app, request.headers(), StatusCode::FORBIDDEN);
            }
            let expected = match app.session_token(&mut request).await {
                Ok(Some(t)) => Some(t),
                Ok(None) => cookie_token.clone().map(CsrfToken::from_stored),
                Err(page) => return page,
            };
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
                return refuse(&app, &parts.headers, StatusCode::PAYLOAD_TOO_LARGE);
            };
            let submitted = form_field(&bytes, CSRF_FIELD);
            if !expected.is_some_and(|t| t.matches(&submitted)) {
                tracing::info!(path = %parts.uri.path(), "form refused: CSRF token missing or wrong");
                return refuse(&app, &parts.headers, StatusCode::FORBIDDEN);
            }
            request = Request::from_parts(parts, axum::body::Body::from(bytes));
        }
        if cookie_token.is_some() {
            return next.run(request).await;
        }
        let token = CsrfToken::generate().as_str().to_owned();
        request.extensions_mut().insert(FreshToken(token.clone()));
        let response = next.run(request).await;
        let jar = axum_extra::extract::cookie::CookieJar::new().add(app.cookie(token));
        (jar, response).into_response()
    }

    #[cfg(test)]
    mod tests {
        use axum::http::HeaderValue;

        use super::*;

        fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        }

        #[test]
        fn another_site_is_told_apart_by_fetch_metadata_or_origin() {
            assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
            assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")])));
            assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
            let evil = [
                ("origin", "https://evil.example"),
                ("host", "cloud.example"),
            ];
            assert!(cross_site(&headers(&evil)));
            assert!(cross_site(&headers(&[("origin", "null"), ("host", "x")])));
            let same = [
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080"),
            ];
            assert!(!cross_site(&headers(&same)));
            assert!(
                !cross_site(&HeaderMap::new()),
                "no header: the token decides"
            );
        }
    }
}
