//! Activation, login, logout, throttling and the users page.

use std::sync::Arc;

use rekey_web::i18n::Arg;
use rekey_web::{Clock, Lang};

use crate::support::{PASSWORD, RecorderForms, TestCloud, spawn_recorder};

#[tokio::test]
async fn every_page_leads_to_activation_until_the_admin_password_is_set() {
    let cloud = TestCloud::start().await;
    let rec = spawn_recorder(&cloud).await;
    let b = rec.browser();
    for path in [
        "/",
        "/login",
        "/network/cloud",
        "/forgot",
        "/recovery",
        "/users",
    ] {
        assert_eq!(b.get(path).await.path(), "/activate", "{path}");
    }
    // No default password: the policy applies to the first one.
    let weak = b.activate("password", "").await;
    assert_eq!(weak.status, 422);
    assert_eq!(weak.error_keys(), ["password-common"], "{}", weak.body);
    let bad_mail = b.activate(PASSWORD, "not-an-address").await;
    assert_eq!(
        bad_mail.error_keys(),
        ["rec-error-email-invalid"],
        "{}",
        bad_mail.body
    );

    // Activation logs the admin in, on the cloud page (p.4's next step).
    let done = b.activate(PASSWORD, "Owner@Example.COM").await;
    assert_eq!(done.path(), "/network/cloud", "{}", done.body);
    assert_eq!(
        done.notice_keys(),
        ["rec-notice-activated"],
        "{}",
        done.body
    );
    assert_eq!(b.get("/users").await.path(), "/users", "logged in as admin");
    // Activation happens once.
    let b = rec.browser();
    assert_eq!(b.get("/activate").await.path(), "/login");

    let wrong = b.login("admin", "kumo-to-sakana-8").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.error_keys(), ["rec-login-failed"], "{}", wrong.body);
    let ok = b.login("admin", PASSWORD).await;
    assert_eq!(ok.path(), "/network/cloud");
    let users = b.get("/users").await;
    assert!(
        users.body.contains("Owner@example.com"),
        "domain folded, local part kept"
    );

    // Logging out ends the session.
    let out = b.submit("/users", "/logout", &[]).await;
    assert_eq!(out.path(), "/login");
    assert_eq!(b.get("/network/cloud").await.path(), "/login");
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let cloud = TestCloud::start().await;
    let rec = spawn_recorder(&cloud).await;
    let b = rec.browser();
    let p = b
        .post(
            "/activate",
            &[
                ("csrf", "forged"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(b.get("/").await.path(), "/activate", "nothing changed");
}

#[tokio::test]
async fn failed_logins_are_throttled_without_revealing_whether_the_user_exists() {
    let cloud = TestCloud::start().await;
    let rec = spawn_recorder(&cloud).await;
    let b = rec.browser();
    b.activate(PASSWORD, "").await;
    for _ in 0..5 {
        let p = b.login("admin", "wrong-password-1").await;
        assert_eq!(p.error_keys(), ["rec-login-failed"], "{}", p.body);
    }
    // Now even the right password is not checked, and the page says until when.
    let locked = b.login("admin", PASSWORD).await;
    assert_eq!(locked.status, 401);
    let until = rec.app.config.time_zone.format(rec.clock.now() + 5 * 60);
    let limited = Lang::En.t_args("rec-login-locked", &[("until", Arg::Str(until))]);
    assert_eq!(locked.error_keys(), ["rec-login-locked"], "{}", locked.body);
    assert_eq!(locked.text_of("message"), Some(limited.clone()));

    // A user that does not exist behaves exactly the same.
    for _ in 0..5 {
        let p = b.login("nobody", "wrong-password-1").await;
        assert_eq!(p.error_keys(), ["rec-login-failed"], "{}", p.body);
    }
    assert_eq!(
        b.login("nobody", "wrong-password-1")
            .await
            .text_of("message")
            .as_deref(),
        Some(limited.as_str())
    );

    // The lock ends with time (the recorder's clock).
    rec.clock.advance(5 * 60 + 1);
    assert_eq!(b.login("admin", PASSWORD).await.path(), "/network/cloud");
    let audit = b.get("/audit").await;
    let events = crate::support::audit_events(&audit);
    assert!(
        events.iter().any(|e| e == "login-failed") && events.iter().any(|e| e == "login-locked"),
        "{events:?}"
    );
}

#[tokio::test]
async fn pages_speak_japanese_by_accept_language_and_switch_by_cookie() {
    let cloud = TestCloud::start().await;
    let rec = spawn_recorder(&cloud).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let ja = client
        .get(format!("{}/activate", rec.url))
        .header("accept-language", "ja-JP,ja;q=0.9,en;q=0.5")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(ja.contains(&Lang::Ja.t("rec-activate-title")), "{ja}");
    let en = client
        .get(format!("{}/lang?set=en&next=/activate", rec.url))
        .header("accept-language", "ja")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(en.contains(&Lang::En.t("rec-activate-title")), "{en}");
}

#[tokio::test]
async fn the_admin_sets_an_e_mail_address_and_adds_a_user() {
    let cloud = TestCloud::start().await;
    let rec = spawn_recorder(&cloud).await;
    let b = rec.browser();
    b.activate(PASSWORD, "").await;
    b.login("admin", PASSWORD).await;
    let p = b
        .submit("/users", "/users/email", &[("email", "taro@example.jp")])
        .await;
    assert_eq!(p.notice_keys(), ["rec-notice-email-saved"], "{}", p.body);
    assert!(p.body.contains("taro@example.jp"));
    let p = b
        .submit(
            "/users",
            "/users/add",
            &[
                ("username", "viewer"),
                ("password", "umi-no-oto-42"),
                ("confirm", "umi-no-oto-42"),
            ],
        )
        .await;
    assert_eq!(p.notice_keys(), ["rec-notice-user-added"], "{}", p.body);
    assert!(p.body.contains("viewer"));
    let v = rec.browser();
    assert_eq!(
        v.login("viewer", "umi-no-oto-42").await.path(),
        "/network/cloud"
    );
    // Only the admin changes the cloud settings or reads the audit log.
    assert_eq!(v.get("/audit").await.status, 403);
    let denied = v
        .submit("/network/cloud", "/network/cloud", &[("enabled", "on")])
        .await;
    assert_eq!(denied.status, 403);
}

/// A parallel burst of 49 wrong logins from one client, then the right password: at most the
/// per-user limit of them are checked (the rest are refused before argon2 runs), and the right
/// one does not log in while locked.
#[tokio::test]
async fn a_parallel_burst_gets_no_more_checks_than_the_limit_and_no_login() {
    let cloud = TestCloud::start().await;
    let rec = Arc::new(spawn_recorder(&cloud).await);
    rec.browser().activate(PASSWORD, "").await;
    let per_user = i64::from(rec.app.config.limits.login_max_failures_per_user);
    let mut burst = Vec::new();
    for _ in 0..49 {
        let rec = rec.clone();
        burst.push(tokio::spawn(async move {
            rec.browser().login("admin", "wrong-password-1").await
        }));
    }
    let mut checked = 0;
    for page in burst {
        let page = page.await.expect("request");
        if page.error_keys() == ["rec-login-failed"] {
            checked += 1;
        }
    }
    assert!(
        checked <= per_user,
        "{checked} passwords checked, limit {per_user}"
    );
    // The right password, last: refused unchecked while locked.
    let last = rec.browser().login("admin", PASSWORD).await;
    assert_eq!(last.status, 401, "no login while locked");
    assert!(checked >= 1, "the first attempts are checked");
    let audit = rec.app.store.audit_log(500).await.expect("audit");
    let failed: i64 = audit
        .iter()
        .filter(|r| r.entry.event == "login-failed")
        .map(|r| r.times)
        .sum();
    assert_eq!(failed, checked, "every checked attempt is in the audit log");
}

/// The recorder's forms go through the same guard as the cloud's: a form from another site is
/// refused even with the right token, and nothing changes.
#[tokio::test]
async fn forms_from_another_site_are_refused() {
    let cloud = TestCloud::start().await;
    let rec = spawn_recorder(&cloud).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(format!("{}/activate", rec.url))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    let marker = r#"name="csrf" value=""#;
    let start = page.find(marker).expect("a CSRF field") + marker.len();
    let csrf = page[start..].split('"').next().expect("token").to_owned();
    let fields = [
        ("csrf", csrf.as_str()),
        ("password", PASSWORD),
        ("confirm", PASSWORD),
    ];
    let post = |origin: String| {
        client
            .post(format!("{}/activate", rec.url))
            .header("origin", origin)
            .form(&fields)
            .send()
    };
    let evil = "https://evil.example".to_owned();
    assert_eq!(post(evil).await.expect("POST").status(), 403);
    assert!(!rec.app.store.is_activated().await.expect("store"));
    assert_eq!(post(rec.url.clone()).await.expect("POST").status(), 303);
    assert!(rec.app.store.is_activated().await.expect("store"));
}

/// The recorder's pages carry the same security headers as the cloud's, CSP included, and a
/// client that sends half a request head is cut off when its time is up.
#[tokio::test]
async fn pages_have_a_content_security_policy_and_slow_clients_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let cloud = TestCloud::start().await;
    let rec = crate::support::spawn_recorder_with(&cloud, |c| {
        c.serve.header_read = std::time::Duration::from_secs(1);
    })
    .await;
    let r = reqwest::get(format!("{}/activate", rec.url))
        .await
        .expect("GET");
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert_eq!(csp, rekey_web::headers::CONTENT_SECURITY_POLICY);
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let addr = rec.url.trim_start_matches("http://");
    let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /activate HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 256];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the half-sent request was cut off");
}
