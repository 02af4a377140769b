//! Signing up in both orders (p.12–15) and what must fail on the way: codes, passwords,
//! taken names and addresses; sign-ups at the same time.

use rekey_proto::gateway::{Binding, CloudMessage};
use serde_json::json;

use super::{PW, device_key, devices_page, grouped};
use crate::device;
use crate::support::{TestApp, client, error_keys, is_mail, notice_keys, shows};
use rekey_cloud::mail::MailKind;
use rekey_web::{Clock, Lang};

pub async fn pc_signup_then_add_device_by_register_code(app: TestApp) {
    // p.12–13: the PC order.
    app.signup_pc("taro", "taro@example.com", PW).await;
    let mail = app.smtp.nth_for("taro@example.com", 1).await;
    assert!(
        is_mail(&mail, MailKind::SignupCode { code: mail.code() }, 10),
        "the sign-up code, valid for 10 minutes: {mail:?}"
    );
    let stored = app.state.store.recent_mail(10).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|m| m.sent_at.is_none() || m.body.is_empty()),
        "a delivered mail's body (it holds the code) is erased"
    );
    assert!(devices_page(&app).await.contains(r#"id="no-devices""#));

    // p.4: the recorder connects and gets a register code.
    let mut rec = device::connect(&app.base, "NVR0001", &device_key(1)).await;
    let code = rec.register_code();
    // It also gets its first recovery key right away.
    rec.process_until(|m| matches!(m, CloudMessage::RecoveryKey { .. }))
        .await;
    assert_eq!(rec.key_epoch, 1);

    // p.15–16: + Add Device with the code as displayed, lower case, and a name.
    let (status, _, body) = app
        .post(
            "/devices",
            "/devices/add",
            &[
                ("code", &grouped(&code).to_lowercase()),
                ("name", "Shop front"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(notice_keys(&body), ["cloud-device-added"], "{body}");
    assert!(shows(&body, "Shop front"), "{body}");
    // The recorder learns it is bound and gets a new recovery key (binding rotates it).
    rec.process_until(|m| {
        matches!(
            m,
            CloudMessage::Binding {
                binding: Binding::Bound
            }
        )
    })
    .await;
    rec.process_until(|m| matches!(m, CloudMessage::RecoveryKey { epoch: 2, .. }))
        .await;
    assert_eq!(rec.key_epoch, 2);
    rec.heartbeat(app.clock.now() + 5).await;

    // p.17: listed with name, serial, online.
    let page = devices_page(&app).await;
    assert!(
        page.contains("NVR0001") && page.contains("Shop front"),
        "{page}"
    );
    assert!(page.contains(r#"class="status online""#), "{page}");
    // The key is live once confirmed, and sealed at rest (never the plain key).
    let dev = app
        .state
        .store
        .device_by_serial(&"NVR0001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let live = app
        .state
        .store
        .live_recovery_key(dev.id)
        .await
        .unwrap()
        .expect("a confirmed key");
    assert_eq!(live.epoch, 2);
    let plain = rec.recovery_key.as_ref().unwrap().expose_secret().to_vec();
    assert!(
        !live.sealed.windows(32).any(|w| w == plain.as_slice()),
        "the stored key is sealed"
    );
    assert_eq!(dev.drift_secs, 5, "drift recorded from the heartbeat");
}

pub async fn phone_signup_through_the_api_then_add_device(app: TestApp) {
    // p.5–7: region → e-mail → code → password + agreement; the user name is assigned.
    let (status, body) = app.api("GET", "/regions", None, json!({})).await;
    assert_eq!(status, 200);
    assert!(
        body["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "jp" && r["name"] == "Japan")
    );
    let (status, _) = app
        .api(
            "POST",
            "/signup/code",
            None,
            json!({"email": "hanako@example.jp", "region": "jp"}),
        )
        .await;
    assert_eq!(status, 202);
    let code = app.smtp.nth_for("hanako@example.jp", 1).await.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, body) = app
        .api(
            "POST",
            "/signup/verify",
            None,
            json!({"email": "hanako@example.jp", "code": wrong}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("cloud-code-wrong"))
    );
    assert_eq!(
        body["message"].as_str(),
        Some(
            Lang::En
                .t_args("cloud-code-wrong", &[("tries", 4.into())])
                .as_str()
        ),
        "the message says how many tries are left: {body}"
    );
    let (status, _) = app
        .api(
            "POST",
            "/signup/verify",
            None,
            json!({"email": "hanako@example.jp", "code": code}),
        )
        .await;
    assert_eq!(status, 200);
    // Without the agreement: refused, nothing made.
    let (status, body) = app
        .api(
            "POST",
            "/signup",
            None,
            json!({"email": "hanako@example.jp", "code": code, "password": PW}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("cloud-agreement-required"))
    );
    let (status, body) = app
        .api("POST", "/signup", None, json!({"email": "hanako@example.jp", "code": code, "password": PW, "agreement_version": "2026-11"}))
        .await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    let username = body["username"].as_str().unwrap().to_string();
    assert!(username.starts_with("user"), "{username}");
    let (_, acc) = app.api("GET", "/account", Some(&token), json!({})).await;
    assert_eq!(
        (acc["email"].as_str(), acc["region"].as_str()),
        (Some("hanako@example.jp"), Some("jp"))
    );
    // The same code cannot make a second account.
    let (status, body) = app
        .api("POST", "/signup", None, json!({"email": "hanako@example.jp", "code": code, "password": PW, "agreement_version": "2026-11"}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("cloud-code-used")),
        "{body}"
    );

    let rec = device::connect(&app.base, "NVR0002", &device_key(2)).await;
    app.state.presence.flush().await;
    let (status, d) = app
        .api(
            "POST",
            "/devices",
            Some(&token),
            json!({"register_code": rec.register_code(), "name": "Warehouse"}),
        )
        .await;
    assert_eq!(status, 201, "{d}");
    assert_eq!(
        (
            d["serial"].as_str(),
            d["name"].as_str(),
            d["online"].as_bool()
        ),
        (Some("NVR0002"), Some("Warehouse"), Some(true))
    );
    let (_, list) = app.api("GET", "/devices", Some(&token), json!({})).await;
    assert_eq!(list["devices"].as_array().unwrap().len(), 1);
    // Not logged in: 401 with a message.
    let (status, body) = app
        .api("GET", "/devices", Some("not-a-token"), json!({}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("cloud-api-login-required"))
    );
}

pub async fn verification_code_errors(app: TestApp) {
    let email = "jiro@example.com";
    let step1 = [
        ("username", "jiro"),
        ("password", PW),
        ("confirm", PW),
        ("region", "jp"),
        ("email", email),
    ];
    let (_, _, body) = app.post("/signup", "/signup", &step1).await;
    assert!(body.contains("/signup/verify"), "{body}");
    let code = app.smtp.nth_for(email, 1).await.code();

    // Asking again at once: cool-down.
    let (_, _, body) = app.post("/signup", "/signup", &step1).await;
    assert_eq!(error_keys(&body), ["cloud-code-cooldown"], "{body}");

    // Expired after 10 minutes: the page says to request a new one; nothing is created.
    app.clock.advance(601);
    let (_, _, body) = app
        .post(
            "/signup",
            "/signup/verify",
            &[("email", email), ("code", &code), ("agree", "yes")],
        )
        .await;
    assert_eq!(error_keys(&body), ["cloud-code-expired"], "{body}");
    assert!(
        app.state
            .store
            .account_by_login("jiro")
            .await
            .unwrap()
            .is_none()
    );

    // A new code; five wrong tries kill it even for the right code.
    let (_, _, _) = app.post("/signup", "/signup", &step1).await;
    let code = app.smtp.nth_for(email, 2).await.code();
    let wrong = if code == "123456" { "654321" } else { "123456" };
    for i in 0..5 {
        let (_, _, body) = app
            .post(
                "/signup",
                "/signup/verify",
                &[("email", email), ("code", wrong), ("agree", "yes")],
            )
            .await;
        if i < 4 {
            assert_eq!(error_keys(&body), ["cloud-code-wrong"], "{body}");
        } else {
            assert_eq!(error_keys(&body), ["cloud-code-too-many"], "{body}");
        }
    }
    let (_, _, body) = app
        .post(
            "/signup",
            "/signup/verify",
            &[("email", email), ("code", &code), ("agree", "yes")],
        )
        .await;
    assert_eq!(error_keys(&body), ["cloud-code-too-many"], "{body}");
    // Not six digits.
    let (_, _, body) = app
        .post(
            "/signup",
            "/signup/verify",
            &[("email", email), ("code", "12ab"), ("agree", "yes")],
        )
        .await;
    assert_eq!(error_keys(&body), ["cloud-code-format"], "{body}");

    // A third code works; the agreement is required; then reuse is refused.
    app.clock.advance(61);
    app.post("/signup", "/signup", &step1).await;
    let code = app.smtp.nth_for(email, 3).await.code();
    let (_, _, body) = app
        .post(
            "/signup",
            "/signup/verify",
            &[("email", email), ("code", &code)],
        )
        .await;
    assert_eq!(error_keys(&body), ["cloud-agreement-required"], "{body}");
    let (status, location, _) = app
        .post(
            "/signup",
            "/signup/verify",
            &[("email", email), ("code", &code), ("agree", "yes")],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/devices"));
    let other = app.other_browser();
    let (_, _, body) = other
        .post(
            "/signup",
            "/signup/verify",
            &[("email", email), ("code", &code), ("agree", "yes")],
        )
        .await;
    assert_eq!(error_keys(&body), ["cloud-code-used"], "{body}");
}

pub async fn password_and_duplicate_errors(app: TestApp) {
    let try_signup =
        |username: &'static str, email: &'static str, pw: &'static str, confirm: &'static str| {
            let app = &app;
            async move {
                let (_, _, body) = app
                    .post(
                        "/signup",
                        "/signup",
                        &[
                            ("username", username),
                            ("password", pw),
                            ("confirm", confirm),
                            ("region", "jp"),
                            ("email", email),
                        ],
                    )
                    .await;
                body
            }
        };
    for (username, email, pw, confirm, key) in [
        (
            "saburo",
            "s@example.com",
            "short",
            "short",
            "password-too-short",
        ),
        (
            "saburo",
            "s@example.com",
            "password1",
            "password1",
            "password-common",
        ),
        (
            "saburo",
            "s@example.com",
            "saburo",
            "saburo",
            "password-too-short",
        ),
        (
            "saburo99",
            "s@example.com",
            "saburo99",
            "saburo99",
            "password-same-as-identity",
        ),
        (
            "saburo",
            "s@example.com",
            PW,
            "another one entirely",
            "password-mismatch",
        ),
        ("sa", "s@example.com", PW, PW, "cloud-username-length"),
        ("saburo", "not-an-address", PW, PW, "cloud-email-invalid"),
    ] {
        let body = try_signup(username, email, pw, confirm).await;
        assert_eq!(error_keys(&body), [key], "{username} {email} {pw}: {body}");
    }
    // A 100-character passphrase is fine.
    let long: &'static str = Box::leak("a fairly long passphrase ".repeat(4).into_boxed_str());
    let body = try_signup("saburo", "s@example.com", long, long).await;
    assert!(body.contains("/signup/verify"), "{body}");
    app.smtp.nth_for("s@example.com", 1).await;
    // What the user typed is kept on an error page (but never the password).
    let body = try_signup("shiro", "s2@example.com", "short", "short").await;
    assert!(body.contains(r#"value="shiro""#) && body.contains(r#"value="s2@example.com""#));
    assert!(!body.contains(r#"value="short""#));

    app.signup_pc("taken", "taken@example.com", PW).await;
    let other = app.other_browser();
    let (_, _, body) = other
        .post(
            "/signup",
            "/signup",
            &[
                ("username", "TAKEN"),
                ("password", PW),
                ("confirm", PW),
                ("region", "jp"),
                ("email", "new@example.com"),
            ],
        )
        .await;
    assert_eq!(error_keys(&body), ["cloud-username-taken"], "{body}");
    let (_, _, body) = other
        .post(
            "/signup",
            "/signup",
            &[
                ("username", "fresh"),
                ("password", PW),
                ("confirm", PW),
                ("region", "jp"),
                ("email", "Taken@Example.com"),
            ],
        )
        .await;
    assert_eq!(error_keys(&body), ["cloud-email-taken"], "{body}");
    let (status, body) = app
        .api(
            "POST",
            "/signup/code",
            None,
            json!({"email": "taken@example.com", "region": "jp"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("cloud-email-taken"))
    );
    // Japanese pages when the browser asks for Japanese.
    let r = client()
        .get(app.url("/signup"))
        .header("accept-language", "ja,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&Lang::Ja.t("cloud-signup-title"))
    );
}

pub async fn concurrent_signups_do_not_block_each_other(app: TestApp) {
    // More parallel sign-ups than the pool has connections: none may wait on another.
    let emails: Vec<String> = (0..8).map(|i| format!("crowd{i}@example.com")).collect();
    for email in &emails {
        let (status, body) = app
            .api(
                "POST",
                "/signup/code",
                None,
                json!({"email": email, "region": "jp"}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    let mut codes = Vec::new();
    for email in &emails {
        codes.push(app.smtp.nth_for(email, 1).await.code());
    }
    let signups = emails.iter().zip(&codes).map(|(email, code)| {
        app.api(
            "POST",
            "/signup",
            None,
            json!({"email": email, "code": code, "password": PW, "agreement_version": "2026-11"}),
        )
    });
    let results = futures_util::future::join_all(signups).await;
    for (status, body) in &results {
        assert_eq!(*status, 201, "{body}");
    }
    let names: std::collections::HashSet<&str> = results
        .iter()
        .map(|(_, b)| b["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 8, "every account got its own user name");
}
