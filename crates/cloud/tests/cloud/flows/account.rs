//! Logging in, user information, and the forms' CSRF tokens.

use serde_json::json;

use super::{PW, device_key, devices_page};
use crate::device;
use crate::support::{TestApp, error_keys, has_error, notice_keys, shows};
use rekey_web::Lang;

pub async fn login_by_name_or_email_and_throttling(app: TestApp) {
    app.signup_pc("goro", "goro@example.com", PW).await;
    let fresh = app.other_browser();
    for login in ["goro", "GORO@example.com"] {
        let (status, location, body) = fresh
            .post("/login", "/login", &[("login", login), ("password", PW)])
            .await;
        assert_eq!((status, location.as_str()), (303, "/devices"), "{body}");
        let (status, _, _) = fresh.post("/devices", "/logout", &[]).await;
        assert_eq!(status, 303);
        assert_eq!(fresh.get("/devices").await.0, 303, "logged out");
    }
    // Five wrong passwords lock the name, with the same answer for a name that does not exist.
    for login in ["goro", "nobody-here"] {
        for _ in 0..5 {
            let (_, _, body) = fresh
                .post(
                    "/login",
                    "/login",
                    &[("login", login), ("password", "wrong password!")],
                )
                .await;
            assert_eq!(error_keys(&body), ["cloud-login-failed"], "{body}");
        }
        let (_, _, body) = fresh
            .post("/login", "/login", &[("login", login), ("password", PW)])
            .await;
        assert_eq!(error_keys(&body), ["cloud-login-locked"], "{body}");
        assert!(
            shows(
                &body,
                &Lang::En.t_args("cloud-login-locked", &[("minutes", 15.into())])
            ),
            "the lock says it lasts 15 minutes: {body}"
        );
    }
    // After the window, the right password works again.
    app.clock.advance(15 * 60 + 1);
    let (status, _, body) = fresh
        .post("/login", "/login", &[("login", "goro"), ("password", PW)])
        .await;
    assert_eq!(status, 303, "{body}");
    // The API answers the same way.
    let (status, body) = app
        .api(
            "POST",
            "/login",
            None,
            json!({"login": "goro", "password": "nope nope"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("cloud-login-failed"))
    );
}

pub async fn forms_without_csrf_token_are_refused(app: TestApp) {
    // Pages are never cached or framed; no referrer leaves them.
    let r = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    // Only local paths are followed after a language switch or a login.
    for next in [
        "/%09/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "https://evil.example",
    ] {
        let r = app
            .http
            .get(app.url(&format!("/lang/en?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/devices", "{next}");
    }
    app.signup_pc("hachiro", "hachiro@example.com", PW).await;
    let rec = device::connect(&app.base, "NVR0009", &device_key(9)).await;
    let (status, _, body) = app
        .post_raw(
            "/devices/add",
            &[("code", &rec.register_code()), ("name", "x")],
        )
        .await;
    assert_eq!(status, 403);
    assert!(has_error(&body, "error-csrf"), "{body}");
    let (status, _, _) = app
        .post_raw(
            "/devices/add",
            &[
                ("csrf", "forged"),
                ("code", &rec.register_code()),
                ("name", "x"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert!(!devices_page(&app).await.contains("NVR0009"));
    // Not logged in, the device page sends to login and comes back.
    let r = app
        .other_browser()
        .http
        .get(app.url("/devices"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["location"].to_str().unwrap()
        ),
        (303, "/login?next=%2Fdevices")
    );
}

pub async fn user_information_changes(app: TestApp) {
    app.signup_pc("juro", "juro@example.com", PW).await;
    let (_, _, body) = app
        .post("/account", "/account/username", &[("username", "juro2")])
        .await;
    assert!(body.contains(r#"id="username">juro2<"#), "{body}");
    let (_, _, body) = app
        .post(
            "/account",
            "/account/email",
            &[("email", "juro.new@example.com"), ("current", "wrong")],
        )
        .await;
    assert_eq!(
        error_keys(&body),
        ["cloud-password-current-wrong"],
        "{body}"
    );
    let (_, _, body) = app
        .post(
            "/account",
            "/account/email",
            &[("email", "juro.new@example.com"), ("current", PW)],
        )
        .await;
    assert!(
        body.contains(r#"action="/account/email/confirm""#) && shows(&body, "juro.new@example.com"),
        "the code is asked for, naming the new address: {body}"
    );
    let code = app.smtp.nth_for("juro.new@example.com", 1).await.code();
    let (_, _, body) = app
        .post(
            "/account",
            "/account/email/confirm",
            &[("email", "juro.new@example.com"), ("code", &code)],
        )
        .await;
    assert!(
        body.contains(r#"id="email">juro.new@example.com<"#),
        "{body}"
    );
    let notice = app.smtp.nth_for("juro@example.com", 2).await;
    assert!(
        notice
            .body
            .contains("j\u{2022}\u{2022}\u{2022}@example.com"),
        "the old address is told: {}",
        notice.body
    );
    // Password: the current one is required; other sessions end.
    let other = app.other_browser();
    let (status, _, _) = other
        .post("/login", "/login", &[("login", "juro2"), ("password", PW)])
        .await;
    assert_eq!(status, 303);
    let new_pw = "another long passphrase";
    let (_, _, body) = app
        .post(
            "/account",
            "/account/password",
            &[
                ("current", "wrong"),
                ("password", new_pw),
                ("confirm", new_pw),
            ],
        )
        .await;
    assert_eq!(
        error_keys(&body),
        ["cloud-password-current-wrong"],
        "{body}"
    );
    let (_, _, body) = app
        .post(
            "/account",
            "/account/password",
            &[("current", PW), ("password", new_pw), ("confirm", new_pw)],
        )
        .await;
    assert_eq!(notice_keys(&body), ["cloud-password-changed"], "{body}");
    assert_eq!(
        other.get("/devices").await.0,
        303,
        "the other session ended"
    );
    assert_eq!(app.get("/devices").await.0, 200, "this session stays");
    app.smtp.nth_for("juro.new@example.com", 2).await;

    // Forgot the cloud password: code by e-mail, then a new password; every session ends.
    let (_, _, body) = other
        .post("/forgot", "/forgot", &[("email", "juro.new@example.com")])
        .await;
    assert!(body.contains("/forgot/reset"), "{body}");
    let code = app.smtp.nth_for("juro.new@example.com", 3).await.code();
    let newer = "yet another passphrase";
    let (_, _, body) = other
        .post(
            "/forgot",
            "/forgot/reset",
            &[
                ("email", "juro.new@example.com"),
                ("code", &code),
                ("password", newer),
                ("confirm", newer),
            ],
        )
        .await;
    assert_eq!(notice_keys(&body), ["cloud-reset-done"], "{body}");
    assert_eq!(app.get("/devices").await.0, 303, "every session ended");
    let (status, _, _) = other
        .post(
            "/login",
            "/login",
            &[("login", "juro.new@example.com"), ("password", newer)],
        )
        .await;
    assert_eq!(status, 303);
    // An address without an account gets the same answer and no mail.
    let (_, _, body) = other
        .post("/forgot", "/forgot", &[("email", "nobody@example.com")])
        .await;
    assert!(body.contains("/forgot/reset"));
    assert_eq!(app.smtp.count_for("nobody@example.com"), 0);
}
