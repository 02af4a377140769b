//! Adding, renaming and removing recorders (p.16–17), the gateway's refusals, and presence.

use rekey_proto::gateway::{Binding, CloudMessage, RefusalReason};

use super::{PW, device_key, devices_page, rec_epoch_at_least};
use crate::device::{self, Outcome};
use crate::support::{TestApp, error_keys, eventually, has_notice, notice_keys, shows};

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
