//! The preparation flows of the manual (p.4–17) and what must fail on the way.

use rekey_proto::DeviceSigningKey;
use rekey_proto::gateway::{Binding, CloudMessage, RefusalReason};
use serde_json::json;

use crate::device::{self, Outcome};
use crate::support::{
    TestApp, client, error_keys, eventually, has_error, has_notice, is_mail, notice_keys, shows,
};
use rekey_cloud::mail::MailKind;
use rekey_web::{Clock, Lang};

const PW: &str = "correct horse battery staple";

fn device_key(n: u8) -> DeviceSigningKey {
    DeviceSigningKey::from_seed([n; 32])
}

/// Formats a compact register code as the recorder shows it.
fn grouped(code: &str) -> String {
    format!("{}-{}-{}", &code[0..4], &code[4..8], &code[8..12])
}

/// "My Cloud Devices", once the presence changes handed over so far are written.
async fn devices_page(app: &TestApp) -> String {
    app.state.presence.flush().await;
    let (status, body) = app.get("/devices").await;
    assert_eq!(status, 200, "{body}");
    body
}

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

pub async fn register_code_errors_and_one_account_per_recorder(app: TestApp) {
    app.signup_pc("owner", "owner@example.com", PW).await;
    let rec = device::connect(&app.base, "NVR0003", &device_key(3)).await;
    let code = rec.register_code();
    // A typing mistake (two neighbours swapped) is caught by the check symbol.
    let mut swapped: Vec<char> = code.chars().collect();
    let i = (0..11).find(|&i| swapped[i] != swapped[i + 1]).unwrap();
    swapped.swap(i, i + 1);
    let swapped: String = swapped.into_iter().collect();
    let body = app.add_device(&swapped, "x").await;
    assert_eq!(
        error_keys(&body),
        ["cloud-register-code-mistyped"],
        "{body}"
    );
    assert!(
        body.contains(&format!(r#"value="{swapped}""#)),
        "the typed code is kept"
    );
    let body = app.add_device("ABC", "x").await;
    assert_eq!(
        error_keys(&body),
        ["cloud-register-code-malformed"],
        "{body}"
    );
    // A well-formed code no recorder has.
    let unknown = rekey_proto::RegisterCode::from_random([9; 7]).compact();
    let body = app.add_device(&unknown, "x").await;
    assert_eq!(error_keys(&body), ["cloud-register-code-unknown"], "{body}");

    let body = app.add_device(&code, "Office").await;
    assert!(
        has_notice(&body, "cloud-device-added") && shows(&body, "Office"),
        "{body}"
    );
    let body = app.add_device(&code, "Office").await;
    assert_eq!(error_keys(&body), ["cloud-device-already-yours"], "{body}");

    // A second account with the same code: told it is registered elsewhere, not to whom.
    let other = app.other_browser();
    other
        .signup_pc("intruder", "intruder@example.com", PW)
        .await;
    let body = other.add_device(&code, "Mine now").await;
    assert_eq!(error_keys(&body), ["cloud-device-taken"], "{body}");
    assert!(!body.contains("owner"), "the owner is not named");
    assert!(!shows(&devices_page(&other).await, "NVR0003"));
    let dev = app
        .state
        .store
        .device_by_serial(&"NVR0003".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let owner = app
        .state
        .store
        .account_by_login("owner")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dev.account_id, Some(owner.id), "the binding is unchanged");
    // The other account cannot rename or remove it either.
    let (_, _, body) = other.post("/devices", "/devices/NVR0003/remove", &[]).await;
    assert_eq!(error_keys(&body), ["cloud-device-not-found"], "{body}");
}

pub async fn rename_and_remove_give_a_new_register_code(app: TestApp) {
    app.signup_pc("rokuro", "rokuro@example.com", PW).await;
    let mut rec = device::connect(&app.base, "NVR0004", &device_key(4)).await;
    let old_code = rec.register_code();
    app.add_device(&old_code, "Garage").await;
    rec.process_until(|m| {
        matches!(
            m,
            CloudMessage::Binding {
                binding: Binding::Bound
            }
        )
    })
    .await;
    let (_, _, body) = app
        .post(
            "/devices",
            "/devices/NVR0004/rename",
            &[("name", "Back door")],
        )
        .await;
    assert!(
        body.contains("Back door") && !body.contains(">Garage<"),
        "{body}"
    );
    let (_, _, body) = app
        .post("/devices", "/devices/NVR0004/rename", &[("name", "   ")])
        .await;
    assert!(body.contains("NVR0004"), "an empty name becomes the serial");
    // Remove: asks first, then unbinds; the recorder is told and gets a new code.
    let (status, page) = app.get("/devices/NVR0004/remove").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"action="/devices/NVR0004/remove""#) && shows(&page, "NVR0004"),
        "the question names the device and has the form: {page}"
    );
    let (_, _, body) = app
        .post("/devices/NVR0004/remove", "/devices/NVR0004/remove", &[])
        .await;
    assert_eq!(notice_keys(&body), ["cloud-device-removed"], "{body}");
    rec.process_until(|m| {
        matches!(
            m,
            CloudMessage::Binding {
                binding: Binding::Unbound { .. }
            }
        )
    })
    .await;
    let new_code = rec.register_code();
    assert_ne!(new_code, old_code);
    assert!(!devices_page(&app).await.contains("NVR0004"));
    // The old code no longer binds it; the new one does, and rotates the key again.
    let body = app.add_device(&old_code, "x").await;
    assert_eq!(error_keys(&body), ["cloud-register-code-unknown"], "{body}");
    let body = app.add_device(&new_code, "Again").await;
    assert!(
        has_notice(&body, "cloud-device-added") && shows(&body, "Again"),
        "{body}"
    );
    rec.process_until(|m| {
        matches!(m, CloudMessage::RecoveryKey { .. }) && rec_epoch_at_least(m, 3)
    })
    .await;
}

fn rec_epoch_at_least(m: &CloudMessage, n: u32) -> bool {
    matches!(m, CloudMessage::RecoveryKey { epoch, .. } if *epoch >= n)
}

pub async fn gateway_refuses_bad_signatures_and_other_keys(app: TestApp) {
    // A proof signed by another key than the one announced.
    let outcome =
        device::connect_with(&app.base, "NVR0005", &device_key(5), &device_key(6), 0).await;
    assert!(
        matches!(outcome, Outcome::Refused(RefusalReason::BadSignature)),
        "{outcome:?}"
    );
    assert!(
        app.state
            .store
            .device_by_serial(&"NVR0005".parse().unwrap())
            .await
            .unwrap()
            .is_none(),
        "not enrolled"
    );
    // Enrolled with one key; another key for the same serial is refused.
    let rec = device::connect(&app.base, "NVR0005", &device_key(5)).await;
    rec.vanish().await;
    let outcome =
        device::connect_with(&app.base, "NVR0005", &device_key(7), &device_key(7), 0).await;
    assert!(
        matches!(outcome, Outcome::Refused(RefusalReason::KeyMismatch)),
        "{outcome:?}"
    );
    let dev = app
        .state
        .store
        .device_by_serial(&"NVR0005".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dev.device_key, device_key(5).public().to_string());
    // One address cannot enrol serials without end: 20 an hour (one is enrolled above).
    for i in 0..19u8 {
        let d = device::connect(&app.base, &format!("BULK{i:04}"), &device_key(100 + i)).await;
        d.vanish().await;
    }
    let outcome =
        device::connect_with(&app.base, "BULK9999", &device_key(200), &device_key(200), 0).await;
    assert!(
        matches!(outcome, Outcome::Refused(RefusalReason::RateLimited)),
        "{outcome:?}"
    );
    // A known recorder still connects.
    device::connect(&app.base, "NVR0005", &device_key(5)).await;
}

pub async fn cloud_restart_loses_nothing(app: TestApp) {
    app.signup_pc("shichiro", "shichiro@example.com", PW).await;
    let mut rec = device::connect(&app.base, "NVR0008", &device_key(8)).await;
    app.post(
        "/devices",
        "/devices/add",
        &[("code", &rec.register_code()), ("name", "Lobby")],
    )
    .await;
    rec.process_until(|m| rec_epoch_at_least(m, 2)).await;
    let epoch = rec.key_epoch;
    // A sign-up half-way through: code sent, not yet entered.
    app.api(
        "POST",
        "/signup/code",
        None,
        json!({"email": "later@example.com", "region": "jp"}),
    )
    .await;
    let pending_code = app.smtp.nth_for("later@example.com", 1).await.code();

    rec.vanish().await;
    let app = app.restart().await;
    // The recorder reconnects, holding its key: no new key is sent, it is online again.
    let rec =
        match device::connect_with(&app.base, "NVR0008", &device_key(8), &device_key(8), epoch)
            .await
        {
            Outcome::Welcomed(d) => d,
            Outcome::Refused(r) => panic!("{r:?}"),
        };
    assert_eq!(rec.binding, Binding::Bound);
    let page = devices_page(&app).await;
    assert!(
        page.contains("Lobby") && page.contains(r#"class="status online""#),
        "the session and the binding survived: {page}"
    );
    let (status, body) = app
        .api("POST", "/signup", None, json!({"email": "later@example.com", "code": pending_code, "password": PW, "agreement_version": "2026-11"}))
        .await;
    assert_eq!(status, 201, "the pending code survived the restart: {body}");
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

pub async fn undeliverable_mail_is_retried(app: TestApp) {
    app.smtp.refuse_next(1);
    let (status, _) = app
        .api(
            "POST",
            "/signup/code",
            None,
            json!({"email": "retry@example.com", "region": "jp"}),
        )
        .await;
    assert_eq!(status, 202, "the request succeeds: the mail is queued");
    app.first_delivery_failed().await;
    assert_eq!(app.smtp.count_for("retry@example.com"), 0);
    // The retry is due after 10 s of the cloud's clock.
    app.clock.advance(11);
    app.state.mail_wake.notify_one();
    let mail = app.smtp.nth_for("retry@example.com", 1).await;
    assert_eq!(mail.code().len(), 6);
}

pub async fn presence_follows_the_connection(app: TestApp) {
    app.signup_pc("kuro", "kuro@example.com", PW).await;
    let rec = device::connect(&app.base, "NVR0010", &device_key(10)).await;
    app.post(
        "/devices",
        "/devices/add",
        &[("code", &rec.register_code()), ("name", "Den")],
    )
    .await;
    assert!(
        devices_page(&app)
            .await
            .contains(r#"class="status online""#)
    );
    rec.disable().await;
    eventually(
        10,
        "offline after the recorder disabled the cloud",
        || async {
            devices_page(&app)
                .await
                .contains(r#"class="status offline""#)
        },
    )
    .await;
    // A recorder that goes silent (no heartbeat, connection left open) is offline after three
    // heartbeat periods (1 s in this test).
    let mut rec = device::connect(&app.base, "NVR0010", &device_key(10)).await;
    rec.heartbeat(0).await;
    assert!(
        devices_page(&app)
            .await
            .contains(r#"class="status online""#)
    );
    eventually(10, "offline after silence", || async {
        !app.state
            .store
            .device_by_serial(&"NVR0010".parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .connected
    })
    .await;
    let page = devices_page(&app).await;
    assert!(
        crate::support::shows_message_with(&page, "cloud-last-seen", "time"),
        "the offline device says when it was last seen: {page}"
    );
    drop(rec);
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

pub async fn registration_qr_link_asks_for_login_first(app: TestApp) {
    let rec = device::connect(&app.base, "NVR0011", &device_key(11)).await;
    let code = rec.register_code();
    let link = format!("/m/add?v=1&code={code}");
    let (status, location, _) = {
        let r = app.http.get(app.url(&link)).send().await.unwrap();
        (
            r.status().as_u16(),
            r.headers()["location"].to_str().unwrap().to_string(),
            (),
        )
    };
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("/login?next=%2Fm%2Fadd%3Fv%3D1%26code%3D{code}")
    );
    // Sign up on the phone (web), then the QR link shows the add form with the code filled in.
    app.signup_pc("qrfan", "qrfan@example.com", PW).await;
    let (status, body) = app.get(&link).await;
    assert_eq!(status, 200);
    // Shown grouped, as the recorder shows it.
    let grouped = rekey_proto::RegisterCode::parse(&code).unwrap().to_string();
    assert!(body.contains(&format!(r#"value="{grouped}""#)), "{body}");
    let (_, _, body) = app
        .post(
            &link,
            "/devices/add",
            &[("code", &code), ("name", "From QR")],
        )
        .await;
    assert!(
        has_notice(&body, "cloud-device-added") && shows(&body, "From QR"),
        "{body}"
    );
}

/// A registration QR code scanned before having an account: the login page's sign-up links carry
/// it, every step of the phone sign-up keeps it, and the new account lands on the add form with
/// the register code filled in (it used to land on an empty device list, the code lost).
pub async fn a_registration_qr_survives_signing_up_on_the_phone(app: TestApp) {
    let rec = device::connect(&app.base, "NVR0012", &device_key(12)).await;
    let code = rec.register_code();
    let link = format!("/m/add?v=1&code={code}");
    let phone = rekey_testkit::Browser::new(&app.base);
    let login = phone.follow(phone.get(&link).await).await;
    assert_eq!(login.path(), "/login", "{}", login.body);
    let signup = login
        .attr_of("signup-phone", "href")
        .unwrap_or_else(|| panic!("a phone sign-up link: {}", login.body));
    let first = phone.open(&signup).await;
    let carried = |p: &rekey_testkit::Page| {
        assert_eq!(
            p.input_value("next").as_deref(),
            Some(link.as_str()),
            "{}",
            p.body
        );
    };
    carried(&first);
    let email = "qrphone@example.com";
    let p = phone
        .submit(
            &signup,
            "/m/signup",
            &[("next", &link), ("step", "region"), ("region", "jp")],
        )
        .await;
    carried(&p);
    let p = phone
        .submit(
            &signup,
            "/m/signup",
            &[
                ("next", &link),
                ("step", "email"),
                ("region", "jp"),
                ("email", email),
            ],
        )
        .await;
    carried(&p);
    let mail_code = app.smtp.nth_for(email, 1).await.code();
    let p = phone
        .submit(
            &signup,
            "/m/signup",
            &[
                ("next", &link),
                ("step", "code"),
                ("region", "jp"),
                ("email", email),
                ("code", &mail_code),
            ],
        )
        .await;
    carried(&p);
    let done = phone
        .submit(
            &signup,
            "/m/signup",
            &[
                ("next", &link),
                ("step", "password"),
                ("region", "jp"),
                ("email", email),
                ("code", &mail_code),
                ("password", PW),
                ("confirm", PW),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some(link.as_str())),
        "{}",
        done.body
    );
    let add = phone.follow(done).await;
    assert_eq!(add.status, 200, "{}", add.body);
    let grouped = rekey_proto::RegisterCode::parse(&code).unwrap().to_string();
    assert!(
        add.body.contains(&format!(r#"value="{grouped}""#)),
        "{}",
        add.body
    );

    // The PC sign-up link carries it too.
    let pc = login
        .attr_of("signup-pc", "href")
        .expect("a PC sign-up link");
    assert_eq!(
        phone.open(&pc).await.input_value("next").as_deref(),
        Some(link.as_str())
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
