//! The recovery flows on the cloud's side (p.20–25): the recovery QR's mobile page and
//! Retrieve, checked against the protocol core's verifier with the key the test recorder got.

use rekey_proto::gateway::{CloudMessage, KeyCause};
use rekey_proto::{
    Challenge, CodeError, DeviceSigningKey, Email, RecoveryQr, Serial, TemporaryPassword, Validity,
    VerifyContext,
};
use rekey_web::Clock;
use serde_json::json;

use crate::device::{self, TestDevice};
use crate::support::{TestApp, error_keys, has_notice, shows};
use rekey_web::Lang;

const PW: &str = "correct horse battery staple";

/// An owner with a bound, key-confirmed recorder.
pub(crate) async fn owner_with_recorder(
    app: &TestApp,
    user: &str,
    serial: &str,
    seed: u8,
) -> TestDevice {
    app.signup_pc(user, &format!("{user}@example.com"), PW)
        .await;
    let mut rec =
        device::connect(&app.base, serial, &DeviceSigningKey::from_seed([seed; 32])).await;
    let (_, _, body) = app
        .post(
            "/devices",
            "/devices/add",
            &[("code", &rec.register_code()), ("name", "Shop")],
        )
        .await;
    assert!(has_notice(&body, "cloud-device-added"), "{body}");
    rec.process_until(|m| {
        matches!(
            m,
            CloudMessage::RecoveryKey {
                epoch: 2,
                cause: KeyCause::Bound,
                ..
            }
        )
    })
    .await;
    rec.heartbeat(app.clock.now()).await; // the key_stored frame is processed before this answer
    rec
}

pub(crate) fn challenge(app: &TestApp, email: &str, nonce: u8) -> Challenge {
    Challenge {
        nonce: [nonce; 16],
        expires_at: app.clock.now() + 1800,
        email: Email::parse(email).unwrap(),
    }
}

pub(crate) fn qr_url(app: &TestApp, rec: &TestDevice, c: &Challenge) -> String {
    let key = rec.recovery_key.as_ref().expect("the recorder holds a key");
    RecoveryQr::new(key, rec.serial.clone(), c.clone())
        .to_url(&rekey_proto::CloudBase::parse(&app.base).unwrap())
}

pub(crate) fn path_of(url: &str) -> String {
    url.split_once("127.0.0.1")
        .map(|(_, rest)| rest.split_once('/').map(|(_, p)| format!("/{p}")).unwrap())
        .unwrap()
}

/// The grouped temporary password in a mail body.
pub(crate) fn password_in(body: &str) -> TemporaryPassword {
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 19 && l.matches('-').count() == 3)
        .unwrap_or_else(|| panic!("no temporary password in: {body}"));
    TemporaryPassword::parse(line).expect("a well-formed code")
}

fn verify(
    rec: &TestDevice,
    code: &TemporaryPassword,
    app: &TestApp,
    pending: Option<&Challenge>,
    last_used_seq: u32,
) -> Result<rekey_proto::Accepted, CodeError> {
    let key = rec.recovery_key.as_ref().expect("the recorder holds a key");
    verify_with(&rec.serial, key, code, app, pending, last_used_seq)
}

/// What a recorder holding `key` would say of `code`.
pub(crate) fn verify_with(
    serial: &Serial,
    key: &rekey_proto::RecoveryKey,
    code: &TemporaryPassword,
    app: &TestApp,
    pending: Option<&Challenge>,
    last_used_seq: u32,
) -> Result<rekey_proto::Accepted, CodeError> {
    code.verify(&VerifyContext {
        serial,
        key,
        last_used_seq,
        today: app.clock.now_utc().date(),
        now: app.clock.now(),
        challenge: pending,
        earlier_challenges: &[],
    })
}

pub async fn phone_path_sends_a_challenge_code_to_the_qr_address(app: TestApp) {
    let rec = owner_with_recorder(&app, "ichiro", "NVR0101", 101).await;
    let c = challenge(&app, "admin@shop.example", 1);
    let link = path_of(&qr_url(&app, &rec, &c));
    let (status, page) = app.get(&link).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"id="device-name">Shop<"#), "{page}");
    assert!(
        page.contains("a\u{2022}\u{2022}\u{2022}@shop.example"),
        "the address is masked: {page}"
    );
    assert!(!page.contains("admin@shop.example"));
    let qr = crate::support::value_of(&page, "qr").expect("the QR travels in the form");
    let (status, _, page) = app.post(&link, "/m/recover", &[("qr", &qr)]).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"data-notice="cloud-recover-sent""#)
            && page.contains("a\u{2022}\u{2022}\u{2022}@shop.example"),
        "{page}"
    );

    let mail = app.smtp.nth_for("admin@shop.example", 1).await;
    assert!(mail.subject.contains("Shop"), "{}", mail.subject);
    let code = password_in(&mail.body);
    let accepted = verify(&rec, &code, &app, Some(&c), 0).expect("the recorder accepts it");
    assert_eq!(accepted.validity, Validity::Challenge);
    assert!(accepted.seq >= 1);
    // The account's own address gets a notice; the activity page lists the issue.
    let notice = app.smtp.nth_for("ichiro@example.com", 2).await;
    assert!(
        notice.body.contains("NVR0101") && notice.body.contains(&Lang::En.t("cloud-path-phone")),
        "{}",
        notice.body
    );
    let (_, activity) = app.get("/activity").await;
    assert!(
        activity.contains(r#"id="activity""#)
            && activity.contains("NVR0101")
            && shows(&activity, &Lang::En.t("cloud-kind-challenge")),
        "{activity}"
    );

    // The same QR again: refused, no second code.
    let (_, _, page) = app.post(&link, "/m/recover", &[("qr", &qr)]).await;
    assert_eq!(error_keys(&page), ["cloud-recover-qr-used"], "{page}");
    assert_eq!(app.smtp.count_for("admin@shop.example"), 1);
}

pub async fn altered_expired_and_foreign_qr_codes_are_refused(app: TestApp) {
    let rec = owner_with_recorder(&app, "jiro", "NVR0102", 102).await;
    let c = challenge(&app, "admin@shop.example", 2);
    let url = qr_url(&app, &rec, &c);
    // Not logged in: log in first, then come back.
    let stranger = app.other_browser();
    let r = stranger
        .http
        .get(app.url(&path_of(&url)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=%2Fm%2Frecover%3Fv%3D1")
    );

    // Another e-mail address or another nonce: the MAC does not match.
    let changed_email = url.replace("admin%40shop.example", "thief%40evil.example");
    assert_ne!(changed_email, url);
    let (_, page) = app.get(&path_of(&changed_email)).await;
    assert_eq!(error_keys(&page), ["cloud-recover-qr-forged"], "{page}");
    let n = url.find("&n=").unwrap() + 3;
    let mut changed_nonce = url.clone();
    let flipped = if &url[n..n + 1] == "A" { "B" } else { "A" };
    changed_nonce.replace_range(n..n + 1, flipped);
    let (_, page) = app.get(&path_of(&changed_nonce)).await;
    assert_eq!(error_keys(&page), ["cloud-recover-qr-forged"], "{page}");
    // A POST with an altered QR is refused the same way.
    let (_, _, page) = app
        .post("/devices", "/m/recover", &[("qr", &changed_email)])
        .await;
    assert_eq!(error_keys(&page), ["cloud-recover-qr-forged"], "{page}");
    assert_eq!(app.smtp.count_for("thief@evil.example"), 0);

    // Another account: refused with a message that says nothing about the device.
    stranger
        .signup_pc("stranger", "stranger@example.com", PW)
        .await;
    let (status, page) = stranger.get(&path_of(&url)).await;
    assert_eq!(status, 403);
    assert_eq!(error_keys(&page), ["cloud-recover-not-yours"], "{page}");
    assert!(
        !page.contains("Shop") && !page.contains("a\u{2022}\u{2022}\u{2022}"),
        "{page}"
    );
    let (status, page) = stranger
        .get(&path_of(&url.replace("NVR0102", "NVR9999")))
        .await;
    assert_eq!(status, 403, "an unknown serial looks the same: {page}");
    let (status, body) = stranger
        .api(
            "POST",
            "/recover/send",
            Some(&api_login(&stranger, "stranger").await),
            json!({"qr": url}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("cloud-recover-not-yours"))
    );

    // Expired: after its 30 minutes.
    app.clock.advance(1801);
    let (_, page) = app.get(&path_of(&url)).await;
    assert_eq!(error_keys(&page), ["cloud-recover-qr-expired"], "{page}");
    assert_eq!(app.smtp.count_for("admin@shop.example"), 0);
}

async fn api_login(app: &TestApp, login: &str) -> String {
    let (status, body) = app
        .api(
            "POST",
            "/login",
            None,
            json!({"login": login, "password": PW}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_string()
}

pub async fn pc_path_retrieves_a_date_window_code(app: TestApp) {
    let rec = owner_with_recorder(&app, "saburo", "NVR0103", 103).await;
    let today = app.clock.now_utc().date();
    let (status, page) = app.get("/devices/NVR0103/retrieve").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!(r#"name="from" value="{today}""#)),
        "{page}"
    );
    assert!(
        page.contains(r#"id="account-email">saburo@example.com<"#),
        "{page}"
    );
    let (from, to) = (
        today.to_string(),
        (today + time::Duration::days(2)).to_string(),
    );
    // Ranges the portal refuses.
    for (f, t, msg) in [
        (
            today.to_string(),
            (today + time::Duration::days(7)).to_string(),
            "cloud-retrieve-too-long",
        ),
        (
            today.to_string(),
            (today - time::Duration::days(1)).to_string(),
            "cloud-retrieve-reversed",
        ),
        (
            (today - time::Duration::days(3)).to_string(),
            today.to_string(),
            "cloud-retrieve-from-range",
        ),
        (
            "2026/1/1".to_string(),
            today.to_string(),
            "cloud-retrieve-date-invalid",
        ),
    ] {
        let (_, _, page) = app
            .post(
                "/devices/NVR0103/retrieve",
                "/devices/NVR0103/retrieve/code",
                &[("from", &f), ("to", &t)],
            )
            .await;
        assert_eq!(error_keys(&page), [msg], "{f} {t}: {page}");
    }
    let before = app.smtp.count_for("saburo@example.com");
    let (_, _, page) = app
        .post(
            "/devices/NVR0103/retrieve",
            "/devices/NVR0103/retrieve/code",
            &[("from", &from), ("to", &to)],
        )
        .await;
    assert!(
        page.contains(r#"action="/devices/NVR0103/retrieve""#),
        "{page}"
    );
    let code = app
        .smtp
        .nth_for("saburo@example.com", before + 1)
        .await
        .code();
    // The code is for these dates only.
    let other_to = (today + time::Duration::days(3)).to_string();
    let (_, _, page) = app
        .post(
            "/devices/NVR0103/retrieve",
            "/devices/NVR0103/retrieve",
            &[("from", &from), ("to", &other_to), ("code", &code)],
        )
        .await;
    assert_eq!(
        error_keys(&page),
        ["cloud-retrieve-code-mismatch"],
        "{page}"
    );
    // That try used the code up; ask again.
    app.clock.advance(61);
    let before = app.smtp.count_for("saburo@example.com");
    app.post(
        "/devices/NVR0103/retrieve",
        "/devices/NVR0103/retrieve/code",
        &[("from", &from), ("to", &to)],
    )
    .await;
    let code = app
        .smtp
        .nth_for("saburo@example.com", before + 1)
        .await
        .code();
    let (_, page) = app
        .post_follow(
            "/devices/NVR0103/retrieve",
            "/devices/NVR0103/retrieve",
            &[("from", &from), ("to", &to), ("code", &code)],
        )
        .await;
    let shown = crate::support::between(&page, r#"id="temporary-password" class="code-big">"#, "<")
        .unwrap_or_else(|| panic!("the password is shown: {page}"));
    assert_eq!(shown.len(), 19, "grouped XXXX-XXXX-XXXX-XXXX: {shown}");
    assert!(
        shows(&page, &Lang::En.t("cloud-retrieve-reminder")),
        "{page}"
    );
    assert!(
        !page.contains(r#"id="key-pending""#),
        "the recorder holds the key: {page}"
    );
    let accepted = verify(
        &rec,
        &TemporaryPassword::parse(&shown).unwrap(),
        &app,
        None,
        0,
    )
    .expect("valid today on the recorder");
    assert!(matches!(accepted.validity, Validity::DateWindow { .. }));
    // Works while the recorder is offline: the code is checked by the recorder alone.
    rec.vanish().await;
    // The API path gives the same kind of code.
    let token = api_login(&app, "saburo").await;
    app.clock.advance(61);
    let (status, body) = app
        .api(
            "POST",
            "/devices/NVR0103/retrieve/code",
            Some(&token),
            json!({"from": from, "to": to}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let code = app
        .smtp
        .nth_for("saburo@example.com", before + 3)
        .await
        .code();
    let (status, body) = app
        .api(
            "POST",
            "/devices/NVR0103/retrieve",
            Some(&token),
            json!({"from": from, "to": to, "code": code}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["password"].as_str().unwrap().len(), 19);
    let (_, activity) = app.get("/activity").await;
    assert_eq!(
        activity.matches("Temporary password (dates)").count(),
        2,
        "{activity}"
    );
    assert_eq!(
        app.metric(r#"rekey_codes_issued_total{kind="date_window"}"#)
            .await,
        Some(2.0)
    );
}

pub async fn daily_limits_say_when_the_next_code_is_possible(app: TestApp) {
    let rec = owner_with_recorder(&app, "shiro", "NVR0104", 104).await;
    let token = api_login(&app, "shiro").await;
    for i in 0..5u8 {
        let url = qr_url(&app, &rec, &challenge(&app, "admin@shop.example", 10 + i));
        let (status, body) = app
            .api("POST", "/recover/send", Some(&token), json!({"qr": url}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let url = qr_url(&app, &rec, &challenge(&app, "admin@shop.example", 20));
    let (status, body) = app
        .api("POST", "/recover/send", Some(&token), json!({"qr": url}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("cloud-recover-device-limit")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| crate::support::is_message_with(
                m,
                "cloud-recover-device-limit",
                "next",
                &[]
            )),
        "{body}"
    );
    assert!(body["retry_after"].as_i64().unwrap() > 0);
    app.clock.advance(24 * 3600 + 1);
    let url = qr_url(&app, &rec, &challenge(&app, "admin@shop.example", 21));
    let (status, body) = app
        .api("POST", "/recover/send", Some(&token), json!({"qr": url}))
        .await;
    assert_eq!(status, 200, "a day later: {body}");
}

pub async fn a_removed_recorder_gets_no_more_codes(app: TestApp) {
    let mut rec = owner_with_recorder(&app, "goro", "NVR0105", 105).await;
    let old_url = qr_url(&app, &rec, &challenge(&app, "admin@shop.example", 30));
    let old_key = rec.recovery_key.clone().unwrap();
    app.post("/devices/NVR0105/remove", "/devices/NVR0105/remove", &[])
        .await;
    let (status, page) = app.get(&path_of(&old_url)).await;
    assert_eq!(status, 403, "{page}");
    // A new owner binds it: a new key; QR codes made with the old key are refused.
    let other = app.other_browser();
    other
        .signup_pc("newowner", "newowner@example.com", PW)
        .await;
    rec.process_until(|m| matches!(m, CloudMessage::Binding { .. }))
        .await;
    let (_, _, page) = other
        .post(
            "/devices",
            "/devices/add",
            &[("code", &rec.register_code()), ("name", "Resold")],
        )
        .await;
    assert!(has_notice(&page, "cloud-device-added"), "{page}");
    rec.process_until(|m| matches!(m, CloudMessage::RecoveryKey { epoch: 3, .. }))
        .await;
    rec.heartbeat(app.clock.now()).await;
    // A QR the recorder showed just before the new key arrived (made with the key before it) is
    // still accepted for an hour, but the code is made with the new key only.
    let old_challenge = challenge(&app, "admin@shop.example", 31);
    let shown_before = RecoveryQr::new(
        &old_key,
        Serial::parse("NVR0105").unwrap(),
        old_challenge.clone(),
    )
    .to_url(&rekey_proto::CloudBase::parse(&app.base).unwrap());
    let (_, page) = other.get(&path_of(&shown_before)).await;
    assert!(page.contains(r#"id="device-name">Resold<"#), "{page}");
    let (_, _, page) = other
        .post(
            &path_of(&shown_before),
            "/m/recover",
            &[("qr", &shown_before)],
        )
        .await;
    assert!(page.contains(r#"id="sent""#), "{page}");
    let code = password_in(&app.smtp.nth_for("admin@shop.example", 1).await.body);
    assert!(
        verify(&rec, &code, &app, Some(&old_challenge), 0).is_ok(),
        "the recorder's new key accepts it"
    );
    let by_former_key = verify_with(&rec.serial, &old_key, &code, &app, Some(&old_challenge), 0);
    assert!(
        matches!(by_former_key, Err(CodeError::Wrong)),
        "the former key does not"
    );
    // An hour later, a QR made with the former key is refused.
    app.clock.advance(3601);
    let late = RecoveryQr::new(
        &old_key,
        Serial::parse("NVR0105").unwrap(),
        challenge(&app, "admin@shop.example", 33),
    )
    .to_url(&rekey_proto::CloudBase::parse(&app.base).unwrap());
    let (_, page) = other.get(&path_of(&late)).await;
    assert_eq!(error_keys(&page), ["cloud-recover-qr-forged"], "{page}");
    let (_, page) = other
        .get(&path_of(&qr_url(
            &app,
            &rec,
            &challenge(&app, "admin@shop.example", 32),
        )))
        .await;
    assert!(
        page.contains(r#"id="device-name">Resold<"#),
        "the new owner's QR works: {page}"
    );
}

pub async fn a_code_retrieved_before_the_new_key_arrives_says_so(app: TestApp) {
    app.signup_pc("hachi", "hachi@example.com", PW).await;
    let mut rec = device::connect(
        &app.base,
        "NVR0106",
        &DeviceSigningKey::from_seed([106; 32]),
    )
    .await;
    rec.process_until(|m| {
        matches!(
            m,
            CloudMessage::RecoveryKey {
                epoch: 1,
                cause: KeyCause::Enrolled,
                ..
            }
        )
    })
    .await;
    rec.heartbeat(app.clock.now()).await;
    // Bound, but the recorder does not take the new key (as if it went offline at once).
    let body = app.add_device(&rec.register_code(), "Kiosk").await;
    assert!(has_notice(&body, "cloud-device-added"), "{body}");
    let today = app.clock.now_utc().date().to_string();
    let before = app.smtp.count_for("hachi@example.com");
    app.post(
        "/devices/NVR0106/retrieve",
        "/devices/NVR0106/retrieve/code",
        &[("from", &today), ("to", &today)],
    )
    .await;
    let code = app
        .smtp
        .nth_for("hachi@example.com", before + 1)
        .await
        .code();
    let (_, page) = app
        .post_follow(
            "/devices/NVR0106/retrieve",
            "/devices/NVR0106/retrieve",
            &[("from", &today), ("to", &today), ("code", &code)],
        )
        .await;
    assert!(page.contains(r#"id="key-pending""#), "{page}");
    let shown = crate::support::between(&page, r#"id="temporary-password" class="code-big">"#, "<")
        .unwrap();
    // Made with the key the recorder holds now, so it works until the new one arrives.
    assert!(
        verify(
            &rec,
            &TemporaryPassword::parse(&shown).unwrap(),
            &app,
            None,
            0
        )
        .is_ok()
    );
}
