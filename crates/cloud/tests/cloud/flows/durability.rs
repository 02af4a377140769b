//! What a restart or a failing mail server must not lose.

use rekey_proto::gateway::Binding;
use serde_json::json;

use super::{PW, device_key, devices_page, rec_epoch_at_least};
use crate::device::{self, Outcome};
use crate::support::TestApp;

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
