//! Deleting an account and exporting its data (user information, and the JSON API): the
//! password and then an e-mailed code delete it; its recorders are released as a release from
//! the recorder releases them (unbound, key rotated, so the account's codes stop working); the
//! address can sign up again; the sweep deletes the data after the retention. Wrong passwords
//! and codes change nothing. The export holds the account's devices and activity, no secret.

use rekey_cloud::store::sweep::Retention;
use rekey_proto::CodeError;
use rekey_proto::gateway::{Binding, CloudMessage};
use rekey_web::Clock;
use serde_json::{Value, json};
use sqlx::Row;

use crate::recovery::{challenge, owner_with_recorder, password_in, path_of, qr_url, verify_with};
use crate::support::{TestApp, api_error, error_keys, has_notice};

const PW: &str = "correct horse battery staple";

async fn owner_of(app: &TestApp, serial: &str) -> Option<i64> {
    app.device(serial).await.account_id
}

/// `POST /account/delete/code` with `current` as the password typed again.
async fn ask_delete_code(app: &TestApp, token: &str, current: &str) -> (u16, Value) {
    let body = json!({ "current": current });
    app.api("POST", "/account/delete/code", Some(token), body)
        .await
}

/// `POST /account/delete` with the e-mailed `code`.
async fn confirm_delete(app: &TestApp, token: &str, code: &str) -> (u16, Value) {
    let body = json!({ "code": code });
    app.api("POST", "/account/delete", Some(token), body).await
}

/// How many rows of `table` name the account (`id` for `accounts` itself).
async fn rows_of(app: &TestApp, table: &str, account_id: i64) -> i64 {
    let column = if table == "accounts" {
        "id"
    } else {
        "account_id"
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1"
    )))
    .bind(account_id)
    .fetch_one(&app.state.store.db.pool)
    .await
    .unwrap()
    .try_get("n")
    .unwrap()
}

/// A six-digit code that is not `right`.
fn wrong_code(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// Issues a challenge code by the phone path (activity) and returns it with its challenge.
async fn issue_code(
    app: &TestApp,
    rec: &crate::device::TestDevice,
    to: &str,
    nonce: u8,
) -> (rekey_proto::TemporaryPassword, rekey_proto::Challenge) {
    let c = challenge(app, to, nonce);
    let url = qr_url(app, rec, &c);
    let before = app.smtp.count_for(to);
    let (_, _, page) = app
        .post(&path_of(&url), "/m/recover", &[("qr", &url)])
        .await;
    assert!(has_notice(&page, "cloud-recover-sent"), "{page}");
    let code = password_in(&app.smtp.nth_for(to, before + 1).await.body);
    (code, c)
}

pub async fn deleting_an_account_releases_its_recorders_and_frees_its_address(app: TestApp) {
    let mut rec = owner_with_recorder(&app, "mei", "NVR0301", 231).await;
    let mei = owner_of(&app, "NVR0301").await.expect("bound to mei");
    let (code_before, c) = issue_code(&app, &rec, "admin@shop.example", 41).await;
    let old_key = rec.recovery_key.clone().expect("a key");
    // The sign-up code and the notice of the issued code.
    let mails = 2;
    app.smtp.nth_for("mei@example.com", mails).await;

    // A wrong password: its own error, no code, nothing changes.
    let (_, _, page) = app
        .post(
            "/account",
            "/account/delete",
            &[("current", "not the password at all")],
        )
        .await;
    assert_eq!(
        error_keys(&page),
        ["cloud-password-current-wrong"],
        "{page}"
    );
    assert!(page.contains(r#"id="delete-start""#), "{page}");
    assert_eq!(app.smtp.count_for("mei@example.com"), mails);

    // The password: a code goes to the account's address.
    let (_, _, page) = app
        .post("/account", "/account/delete", &[("current", PW)])
        .await;
    assert!(page.contains(r#"id="delete-confirm""#), "{page}");
    let mail = app.smtp.nth_for("mei@example.com", mails + 1).await;
    let code = mail.code();

    // A wrong code: its own error, nothing changes.
    let (_, _, page) = app
        .post(
            "/account",
            "/account/delete/confirm",
            &[("code", wrong_code(&code))],
        )
        .await;
    assert_eq!(error_keys(&page), ["cloud-code-wrong"], "{page}");
    assert!(page.contains(r#"id="delete-confirm""#), "{page}");
    assert_eq!(owner_of(&app, "NVR0301").await, Some(mei));
    let (status, _) = app.get("/devices").await;
    assert_eq!(status, 200, "still logged in");

    // The code: deleted, logged out, the recorder released.
    let (status, _, page) = app
        .post("/account", "/account/delete/confirm", &[("code", &code)])
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(has_notice(&page, "cloud-account-deleted"), "{page}");
    assert_eq!(owner_of(&app, "NVR0301").await, None);
    let binding = rec
        .process_until(|m| matches!(m, CloudMessage::Binding { .. }))
        .await;
    assert!(
        matches!(
            binding,
            CloudMessage::Binding {
                binding: Binding::Unbound { .. }
            }
        ),
        "{binding:?}"
    );
    let register_code = rec.register_code();
    rec.process_until(|m| matches!(m, CloudMessage::RecoveryKey { epoch: 3, .. }))
        .await;
    rec.heartbeat(app.clock.now()).await;
    let new_key = rec.recovery_key.clone().expect("the rotated key");

    // The former owner's code: made with the former key, refused by the recorder's new key.
    let at = |key: &rekey_proto::RecoveryKey| {
        let app = &app;
        verify_with(&rec.serial, key, &code_before, app, Some(&c), 0)
    };
    assert!(at(&old_key).is_ok(), "it was a genuine code");
    assert!(matches!(at(&new_key), Err(CodeError::Wrong)));

    // The notice: one mail, naming the recorder.
    let notice = app.smtp.nth_for("mei@example.com", mails + 2).await;
    assert_eq!(
        notice.subject,
        rekey_cloud::mail::strip_isolates(&rekey_web::Lang::En.t("mail-account-deleted-subject"))
    );
    assert!(notice.body.contains("NVR0301"), "{}", notice.body);
    // The event is kept with the account until the sweep.
    let events = app.state.store.device_events_of(mei, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind.as_str(), events[0].serial.as_str()),
        ("account-deleted", "NVR0301")
    );

    // No login, no session: this browser is logged out, the password no longer works.
    let (status, _) = app.get("/devices").await;
    assert_ne!(status, 200);
    let r = app
        .api(
            "POST",
            "/login",
            None,
            json!({"login": "mei", "password": PW}),
        )
        .await;
    assert_eq!(api_error(&r), (401, "cloud-login-failed"));

    // The address signs up again (after the sign-up code's cool-down); another account
    // registers the recorder.
    app.clock.advance(61);
    let again = app.other_browser();
    again.signup_pc("mei2", "mei@example.com", PW).await;
    let (_, _, page) = again
        .post(
            "/devices",
            "/devices/add",
            &[("code", &register_code), ("name", "Again")],
        )
        .await;
    assert!(has_notice(&page, "cloud-device-added"), "{page}");
    rec.process_until(|m| matches!(m, CloudMessage::RecoveryKey { epoch: 4, .. }))
        .await;
    assert!(owner_of(&app, "NVR0301").await.is_some_and(|o| o != mei));
}

pub async fn the_export_holds_the_accounts_devices_and_activity_and_no_secret(app: TestApp) {
    let rec = owner_with_recorder(&app, "yui", "NVR0302", 232).await;
    issue_code(&app, &rec, "admin@shop.example", 42).await;

    let response = app
        .http
        .get(app.url("/account/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let text = response.text().await.unwrap();
    let export: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(export["account"]["username"], "yui");
    assert_eq!(export["account"]["email"], "yui@example.com");
    assert_eq!(export["devices"][0]["serial"], "NVR0302");
    assert_eq!(export["devices"][0]["name"], "Shop");
    let activity = export["activity"].as_array().expect("activity");
    assert_eq!(activity.len(), 1, "{text}");
    assert_eq!(activity[0]["serial"], "NVR0302");
    assert_eq!(activity[0]["kind"], "challenge");
    assert!(export["device_events"].as_array().is_some());
    // No secret: no password hash, sealed key or code.
    let account = app
        .state
        .store
        .account_by_login("yui")
        .await
        .unwrap()
        .unwrap();
    for secret in [
        "$argon2",
        "password_hash",
        "sealed",
        "recovery_key",
        "token",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(!text.contains(&account.password_hash));

    // The same through the API.
    let token = app.api_token("yui", PW).await;
    let (status, api) = app
        .api("GET", "/account/export", Some(&token), json!({}))
        .await;
    assert_eq!(status, 200, "{api}");
    // (Presence may change between the two: the devices are compared by serial and name.)
    assert_eq!(api["devices"][0]["serial"], "NVR0302");
    assert_eq!(api["devices"][0]["name"], "Shop");
    assert_eq!(api["activity"], export["activity"]);
    let r = app.api("GET", "/account/export", None, json!({})).await;
    assert_eq!(api_error(&r), (401, "cloud-api-login-required"));
}

pub async fn deletion_through_the_api_and_the_sweep_after_the_retention(app: TestApp) {
    app.signup_pc("nao", "nao@example.com", PW).await;
    let nao = app
        .state
        .store
        .account_by_login("nao")
        .await
        .unwrap()
        .unwrap()
        .id;
    let token = app.api_token("nao", PW).await;
    let mails = app.smtp.count_for("nao@example.com");

    let r = ask_delete_code(&app, &token, "wrong password here").await;
    assert_eq!(api_error(&r), (400, "cloud-password-current-wrong"));
    assert_eq!(app.smtp.count_for("nao@example.com"), mails);
    let (status, body) = ask_delete_code(&app, &token, PW).await;
    assert_eq!(status, 202, "{body}");
    let code = app.smtp.nth_for("nao@example.com", mails + 1).await.code();
    let r = confirm_delete(&app, &token, wrong_code(&code)).await;
    assert_eq!(api_error(&r), (400, "cloud-code-wrong"));
    let (status, _) = app.api("GET", "/account", Some(&token), json!({})).await;
    assert_eq!(status, 200, "nothing changed");
    let (status, body) = confirm_delete(&app, &token, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"], true);
    assert_eq!(body["released"], json!([]));
    assert_eq!(body["retention_days"], 30);
    let notice = app.smtp.nth_for("nao@example.com", mails + 2).await;
    assert!(notice.body.contains(&rekey_cloud::mail::strip_isolates(
        &rekey_web::Lang::En.t("mail-account-deleted-no-devices")
    )));
    let r = app.api("GET", "/account", Some(&token), json!({})).await;
    assert_eq!(api_error(&r), (401, "cloud-api-login-required"));
    assert_eq!(rows_of(&app, "sessions", nao).await, 0);

    // Kept until the retention ends, then swept with what refers to it.
    let retention = app.config.retention();
    assert_eq!(retention.deleted_accounts, 30 * 24 * 3600);
    assert_eq!(retention.sessions, Retention::DEFAULT.sessions);
    let swept = app.sweep(&retention).await;
    assert_eq!(swept.accounts, 0);
    assert_eq!(rows_of(&app, "accounts", nao).await, 1);
    app.clock.advance(retention.deleted_accounts - 60);
    let swept = app.sweep(&retention).await;
    assert_eq!(swept.accounts, 0, "not before the retention ends");
    app.clock.advance(120);
    let swept = app.sweep(&retention).await;
    assert_eq!(swept.accounts, 1);
    assert_eq!(rows_of(&app, "accounts", nao).await, 0);
    assert_eq!(rows_of(&app, "email_codes", nao).await, 0);
    // The user name is free again too.
    app.other_browser()
        .signup_pc("nao", "nao@example.com", PW)
        .await;
}

pub async fn the_deletion_and_export_forms_render_in_each_language(app: TestApp) {
    app.signup_pc("rin", "rin@example.com", PW).await;
    for lang in [rekey_web::Lang::Ja, rekey_web::Lang::En] {
        let (status, _, _) = app
            .post(
                "/account",
                &format!("/lang/{}?next=/account", lang.code()),
                &[],
            )
            .await;
        assert_eq!(status, 303);
        let (_, page) = app.get("/account").await;
        assert!(
            page.contains(&format!("<html lang=\"{}\">", lang.code())),
            "{page}"
        );
        assert!(page.contains(r#"id="delete-start""#), "{page}");
        assert!(
            page.contains(r#"id="export" href="/account/export""#),
            "{page}"
        );
        for key in [
            "cloud-export-title",
            "cloud-export-button",
            "cloud-delete-account",
        ] {
            assert!(crate::support::shows(&page, &lang.t(key)), "{key}: {page}");
        }
        let intro = rekey_cloud::mail::strip_isolates(
            &lang.t_args("cloud-delete-account-intro", &[("days", 30i64.into())]),
        );
        assert!(crate::support::shows(&page, &intro), "{page}");
        // The code step, in the same language (a minute later: one code a minute).
        app.clock.advance(61);
        let (_, _, page) = app
            .post("/account", "/account/delete", &[("current", PW)])
            .await;
        assert!(page.contains(r#"id="delete-confirm""#), "{page}");
        for key in [
            "cloud-delete-account-code-sent",
            "cloud-delete-account-button",
        ] {
            assert!(crate::support::shows(&page, &lang.t(key)), "{key}: {page}");
        }
    }
}
