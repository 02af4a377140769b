//! The cookies both applications set (session, CSRF, language): one builder, so every cookie
//! gets the same protections.

use axum_extra::extract::cookie::Cookie;
pub use axum_extra::extract::cookie::SameSite;

/// How an application's cookies are made: always `HttpOnly` and for the whole site; `SameSite`
/// and `Secure` as the application needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    /// `Strict` keeps the cookie off every request another site starts; `Lax` lets a link
    /// followed from elsewhere (a QR code opened by the camera app) carry it.
    pub same_site: SameSite,
    /// `Secure`: sent over https only (set whenever the application is reached over https).
    pub secure: bool,
}

impl CookiePolicy {
    /// A cookie `name=value` under this policy.
    pub fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .same_site(self.same_site)
            .secure(self.secure)
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cookie_is_http_only_for_the_whole_site() {
        let policy = CookiePolicy {
            same_site: SameSite::Strict,
            secure: true,
        };
        let c = policy.cookie("s", "v".into());
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.path(), Some("/"));
        assert_eq!(c.same_site(), Some(SameSite::Strict));
        assert_eq!(c.secure(), Some(true));
    }
}
